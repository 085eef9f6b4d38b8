"""View and download counts: counted in memory, added to the database in batches."""

from __future__ import annotations

from typing import Any

from tests.libraries.publishing import make_library

from qazai.libraries import service, usage
from qazai.storage.db import Database
from qazai.storage.tables.libraries import LibraryUsageRow


def _library_id(platform: Any, slug: str) -> str:
    with platform.db.uow(read_only=True) as uow:
        return service.load_library(uow.session, slug).id


def _stored(db: Database, library_id: str) -> tuple[int, int] | None:
    with db.uow(read_only=True) as uow:
        row = uow.session.get(LibraryUsageRow, library_id)
        return (row.views, row.downloads) if row else None


def test_counts_show_at_once_and_reach_the_database_on_flush(platform: Any, people: Any) -> None:
    make_library(platform, "counted")
    library_id = _library_id(platform, "counted")
    for _ in range(3):
        usage.count_view(platform.db, library_id)
    usage.count_download(platform.db, library_id)
    assert _stored(platform.db, library_id) is None  # nothing written per request
    with platform.db.uow(read_only=True) as uow:
        assert usage.library_usage(platform.db, uow.session, library_id) == usage.UsageRead(
            views=3, downloads=1
        )
    assert usage.flush_usage(platform.db) == 1
    assert _stored(platform.db, library_id) == (3, 1)
    usage.count_download(platform.db, library_id)
    usage.flush_usage(platform.db)
    assert _stored(platform.db, library_id) == (3, 2)  # added to, not replaced
    assert usage.flush_usage(platform.db) == 0  # nothing pending: no write
    with platform.db.uow(read_only=True) as uow:
        assert usage.library_usage(platform.db, uow.session, library_id) == usage.UsageRead(
            views=3, downloads=2
        )


def test_two_processes_add_up(platform: Any, people: Any, database_url: str) -> None:
    make_library(platform, "shared")
    library_id = _library_id(platform, "shared")
    other = Database(database_url)  # another process's engine on the same database
    try:
        usage.count_download(platform.db, library_id)
        usage.count_download(other, library_id)
        usage.count_download(other, library_id)
        usage.flush_usage(platform.db)
        usage.flush_usage(other)
        assert _stored(platform.db, library_id) == (0, 3)
    finally:
        other.dispose()


def test_counts_of_an_unknown_library_are_dropped_not_fatal(platform: Any, people: Any) -> None:
    make_library(platform, "real")
    library_id = _library_id(platform, "real")
    usage.count_view(platform.db, "01NOSUCHLIBRARY00000000000")
    usage.count_view(platform.db, library_id)
    assert usage.flush_usage(platform.db) == 1
    assert _stored(platform.db, library_id) == (1, 0)
    assert _stored(platform.db, "01NOSUCHLIBRARY00000000000") is None


def test_the_flusher_thread_writes_and_its_stop_flushes_the_rest(platform: Any, people: Any) -> None:
    make_library(platform, "flushed")
    library_id = _library_id(platform, "flushed")
    stop = usage.schedule_usage_flush(platform.db, seconds=3600)
    usage.count_view(platform.db, library_id)
    stop()
    assert _stored(platform.db, library_id) == (1, 0)
