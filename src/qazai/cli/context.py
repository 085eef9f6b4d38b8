"""What every CLI command shares: settings, the platform, the CLI actor, one-line errors."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from qazai.identity.actor import Actor

if TYPE_CHECKING:  # imported when a command runs, not at start-up
    from rich.console import Console

    from qazai.api.platform import Platform
    from qazai.config import Settings
    from qazai.storage.db import Database


def console(*, stderr: bool = False, width: int | None = None) -> Console:
    """A rich console for a command's output (rich is imported when a command prints, not when
    the CLI starts or shows --help)."""
    from rich.console import Console

    return Console(stderr=stderr, width=width)


def cli_settings(**overrides: object) -> Settings:
    from qazai.config import load_settings

    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def cli_actor() -> Actor:
    """The CLI runs with direct database access, i.e. as the platform itself; the audit trail
    records the operating-system user who ran the command."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = str(os.getuid())
    return Actor(user_id=None, label=f"cli:{who}", is_system=True)


@contextmanager
def open_platform(settings: Settings | None = None, *, reading: bool = False) -> Iterator[Platform]:
    """The platform for one command (migrations applied, no workers).

    ``reading``: for a command that only reads (`qazai query`), the database and the object store
    and nothing else: the capability hooks and the audit key serve writes, and their imports cost
    a one-off command most of its time. Migrations are still applied when the database is not
    at the newest revision."""
    if not reading:
        from qazai.api.wiring import build_platform

        platform = build_platform(settings or cli_settings(), start_workers=False)
    else:
        platform = _reading_platform(settings or cli_settings())
    try:
        yield platform
    finally:
        platform.close()


def _reading_platform(settings: Settings) -> Platform:
    from qazai.api.platform import Platform
    from qazai.storage.db import Database
    from qazai.storage.objects import open_object_store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    if not _at_newest_revision(db):
        from qazai.storage.migrate import upgrade_database

        db.dispose()
        upgrade_database(settings.effective_database_url)
        db = Database(settings.effective_database_url)
    return Platform(settings=settings, db=db, objects=open_object_store(settings))


def _at_newest_revision(db: Database) -> bool:
    """Whether the database is at the newest migration (``storage.dbapi``: read without Alembic)."""
    from qazai.storage.dbapi import at_revision, newest_revision

    connection = db.engine.raw_connection()
    try:
        return at_revision(connection, newest_revision())
    finally:
        connection.close()  # back to the pool, rolled back
