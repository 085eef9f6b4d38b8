"""Migration 0012 (issue 15): existing AI systems get ``produces_synthetic_content`` from their type."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from qazai.storage.db import create_db_engine
from qazai.storage.migrate import upgrade_database


def test_existing_systems_declare_what_their_type_implied(empty_database_url: str) -> None:
    upgrade_database(empty_database_url, "0011_airlock")
    engine = create_db_engine(empty_database_url)
    try:
        meta = sa.MetaData()
        orgs = sa.Table("organisations", meta, autoload_with=engine)
        systems = sa.Table("ai_systems", meta, autoload_with=engine)
        now = datetime.now(UTC)
        system = {
            "owner_organisation_id": "0" * 26,
            "name": {"en": "x"},
            "purpose": {"en": "x"},
            "sector": "statistics",
            "deployment_context": "x",
            "affected_persons": "x",
            "models": [],
            "notice": {"en": "x"},
            "complaint_contact": "ai@example.kz",
            "state": "registered",
            "state_infosec_regime": False,
            "needs_reclassification": False,
            "prohibited_capabilities": [],
            "created_at": now,
            "updated_at": now,
        }
        with engine.begin() as connection:
            connection.execute(
                orgs.insert().values(
                    id="0" * 26, slug="org", name={"en": "Org"}, kind="company", created_at=now
                )
            )
            connection.execute(
                systems.insert(),
                [
                    {**system, "id": "G" * 26, "system_type": "generative"},
                    {**system, "id": "L" * 26, "system_type": "language"},
                ],
            )
        upgrade_database(empty_database_url)
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, produces_synthetic_content FROM ai_systems"))
            flags = {row[0]: bool(row[1]) for row in rows}
        assert flags == {"G" * 26: True, "L" * 26: False}
    finally:
        engine.dispose()
