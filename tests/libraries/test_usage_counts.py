"""View and download counts: counted in memory, added to the database in batches."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

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


def test_every_download_route_counts_and_head_or_not_modified_do_not(
    client: Any, platform: Any, people: Any, tmp_path: Any
) -> None:
    from tests.libraries.publishing import publish

    make_library(platform, "fetched")
    data = tmp_path / "fetched.csv"
    data.write_text("region,people\nAstana,1350228\nAlmaty,2228675\n", encoding="utf-8")
    assert publish(platform, "fetched", data).state.value == "succeeded"
    library_id = _library_id(platform, "fetched")
    [part] = client.get("/libraries/fetched/v/1/files.json").json()["files"]
    parquet = urlsplit(part["url"]).path

    def downloads() -> int:
        with platform.db.uow(read_only=True) as uow:
            return usage.library_usage(platform.db, uow.session, library_id).downloads

    first = client.get(parquet)
    assert first.status_code == 200 and downloads() == 1
    assert client.head(parquet).status_code == 200 and downloads() == 1
    cached = client.get(parquet, headers={"If-None-Match": first.headers["ETag"]})
    assert cached.status_code == 304 and downloads() == 1
    assert client.get(parquet, headers={"Range": "bytes=0-3"}).status_code == 206 and downloads() == 2
    assert client.get(parquet.removesuffix(".parquet") + ".csv").status_code == 200 and downloads() == 3
    hub = f"/datasets/stat-gov/fetched/resolve/main/data/{parquet.rsplit('/', 1)[-1]}"
    assert client.get(hub).status_code == 200 and downloads() == 4
    assert client.get("/datasets/stat-gov/fetched/resolve/main/README.md").status_code == 200
    assert downloads() == 4  # the generated card is not a download of the data
