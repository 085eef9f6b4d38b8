"""The index follows the database: local ORM commits at once, other writes within the interval."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import update

from qazai.catalog.indexer import CatalogIndex
from qazai.core.enums import OrgKind
from qazai.core.text import LocalizedText
from qazai.identity import service as identity
from qazai.identity.actor import SYSTEM
from qazai.identity.models import OrganisationCreate
from qazai.libraries import service
from qazai.libraries.models import LibraryCreate
from qazai.storage.db import Database
from qazai.storage.tables.libraries import LibraryRow


def _library(db: Database, slug: str) -> None:
    with db.uow() as uow:
        service.create_library(
            uow, SYSTEM, LibraryCreate(slug=slug, organisation="stat-gov", title=LocalizedText(en=slug))
        )


def test_local_commits_are_seen_at_once_and_foreign_writes_in_the_background(db: Database) -> None:
    with db.uow() as uow:
        identity.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(slug="stat-gov", kind=OrgKind.government_body, name=LocalizedText(en="B")),
        )
    index = CatalogIndex(db, min_interval=0.2)
    index.sync()
    assert index.docs == {}

    _library(db, "first")  # an ORM commit in this process: read-your-writes
    index.sync()
    assert index.get("first") is not None

    # A write the ORM hook cannot see (another process, bulk SQL): the snapshot is served until
    # the background re-check, which runs at most every `min_interval` and never blocks.
    with db.engine.begin() as connection:
        connection.execute(
            update(LibraryRow).where(LibraryRow.slug == "first").values(slug="renamed", updated_at=_later(db))
        )
    index.sync()
    deadline = time.monotonic() + 10
    while index.get("renamed") is None and time.monotonic() < deadline:
        time.sleep(0.05)
        index.sync()
    found: Any = index.get("renamed")
    assert found is not None and index.get("first") is None


def _later(db: Database) -> Any:
    from datetime import timedelta

    from qazai.core.clock import utcnow

    return utcnow() + timedelta(seconds=5)


def test_disposing_the_database_first_waits_for_a_background_check_and_drops_its_index(
    database_url: str,
) -> None:
    """A background re-check still holding a connection when the database is disposed would hand
    it back to a closed pool, and the connection would be garbage-collected open (a
    ResourceWarning in whatever runs next)."""
    import threading

    from sqlalchemy import text

    from qazai.catalog.indexer import catalog_index, existing_index

    db = Database(database_url)
    index = catalog_index(db)
    index.min_interval = 60.0
    checking, done = threading.Event(), threading.Event()

    def slow_check(*, force: bool, generation: int | None = None) -> int:
        with db.uow(read_only=True) as uow:
            uow.session.execute(text("SELECT 1"))
            checking.set()
            time.sleep(0.3)
        done.set()
        return 0

    index._sync = slow_check  # type: ignore[method-assign]
    index._checked = 0.0  # the interval has passed: the next sync starts a background check
    index.sync()
    assert checking.wait(5)
    db.dispose()
    assert done.is_set(), "dispose returned while the background check still held a connection"
    assert existing_index(db) is None
    index.sync()  # a closed index starts no more checks
    assert index._background is None or not index._background.is_alive()


def test_background_checks_are_spaced_by_what_the_last_fingerprint_cost(db: Database) -> None:
    """A re-check takes at most 1/CHECK_SHARE of a core: at 100,000 libraries on SQLite the
    fingerprint scans the library rows (~120 ms of CPU), which every second was 12 % of a core."""
    index = CatalogIndex(db, min_interval=0.01)
    index.sync()
    assert index._check_cost > 0  # measured on every fingerprint query
    index._checked = time.monotonic() - 1.0
    index._check_cost = 0.1  # 20 x 0.1 s = 2 s: not yet
    index.sync()
    assert index._background is None
    index._check_cost = 0.01  # 0.2 s: due
    index.sync()
    assert index._background is not None
    index._background.join(10)
    index.close()


def test_a_sync_that_read_many_documents_freezes_them_out_of_the_collector(
    db: Database, monkeypatch: Any
) -> None:
    import gc

    from qazai.catalog import indexer

    with db.uow() as uow:
        identity.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(slug="stat-gov", kind=OrgKind.government_body, name=LocalizedText(en="B")),
        )
    for slug in ("one", "two", "three"):
        _library(db, slug)
    monkeypatch.setattr(indexer, "FREEZE_FROM", 3)
    index = CatalogIndex(db, min_interval=0)
    gc.unfreeze()
    try:
        assert index.rebuild() == 3
        doc = index.get("one")
        assert gc.get_freeze_count() > 0
        assert not any(o is doc for o in gc.get_objects())  # frozen objects are not walked
        gc.unfreeze()
        index.sync()  # nothing changed: nothing read, nothing frozen
        assert gc.get_freeze_count() == 0
        _library(db, "four")  # one document read: below FREEZE_FROM
        index.sync()
        assert index.get("four") is not None and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
