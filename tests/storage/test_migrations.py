"""Migrations build the schema from an empty database, and the schema equals the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from qazai.storage.db import create_db_engine
from qazai.storage.migrate import current_heads, head_revisions, upgrade_database
from qazai.storage.tables import Base


def test_upgrade_from_empty_database_reaches_head(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    engine = create_db_engine(empty_database_url)
    try:
        assert current_heads(engine) == head_revisions()
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as connection:
            diff = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
            )
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    upgrade_database(empty_database_url)
    engine = create_db_engine(empty_database_url)
    try:
        assert current_heads(engine) == head_revisions()
    finally:
        engine.dispose()
