"""A CKAN harvester against the real server while libraries are being published (INTEROP.md):
`rows=100`, `sort=id asc`, `fq=metadata_modified:[ISO TO *]`, paging with `start`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.catalog.bulk import clone_published
from tests.catalog.conftest import publish_library

from qazai.core.text import LocalizedText

pytestmark = pytest.mark.slow

ROWS = 100


@pytest.fixture(scope="module")
def server(live_server: Any, platform: Any, module_tmp: Path) -> dict[str, Any]:
    """One library published through the pipeline, 250 published clones of it modified now and
    30 modified in 2020 (outside the harvest window)."""
    since = datetime.now(UTC) - timedelta(minutes=1)
    publish_library(platform, module_tmp, "seed-library", title=LocalizedText(en="Seed library"))
    old = clone_published(
        platform.db, "seed-library", 30, prefix="old", when=datetime(2020, 1, 1, tzinfo=UTC)
    )
    recent = clone_published(platform.db, "seed-library", 250, prefix="recent")
    return {"base": live_server.base, "since": since, "old": old, "recent": recent}


def _harvest(base: str, since: datetime, after_page: Callable[[], None]) -> list[str]:
    import ckanapi

    ckan = ckanapi.RemoteCKAN(base, get_only=True)
    fq = f"metadata_modified:[{since.strftime('%Y-%m-%dT%H:%M:%S.%fZ')} TO *]"
    ids: list[str] = []
    start = 0
    while True:
        page = ckan.action.package_search(fq=fq, rows=ROWS, start=start, sort="id asc")
        ids.extend(p["id"] for p in page["results"])
        if len(page["results"]) < ROWS:
            return ids
        start += ROWS
        after_page()


def test_harvest_pages_are_stable_while_publishing(
    server: dict[str, Any], platform: Any, module_tmp: Path
) -> None:
    existing = {*server["recent"]}
    with platform.db.uow(read_only=True) as uow:
        from sqlalchemy import select

        from qazai.storage.tables.libraries import LibraryRow

        seed_id = uow.session.scalars(select(LibraryRow.id).where(LibraryRow.slug == "seed-library")).one()
    existing.add(seed_id)

    published: list[str] = []
    errors: list[BaseException] = []
    go, done = threading.Event(), threading.Event()
    stop = threading.Event()

    def publisher() -> None:
        """Publishes one new library through the real pipeline each time a page was served."""
        n = 0
        while not stop.is_set():
            if not go.wait(timeout=0.1):
                continue
            go.clear()
            try:
                slug = f"during-harvest-{n}"
                publish_library(
                    platform, module_tmp, slug, title=LocalizedText(en=f"Published during harvest {n}")
                )
                published.append(slug)
                n += 1
            except BaseException as exc:  # reported by the test below
                errors.append(exc)
            finally:
                done.set()

    def after_page() -> None:
        done.clear()
        go.set()
        assert done.wait(timeout=120), "the background publish did not finish"

    thread = threading.Thread(target=publisher, daemon=True)
    thread.start()
    harvest_started = datetime.now(UTC)
    try:
        ids = _harvest(server["base"], server["since"], after_page)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not errors, errors
    assert len(published) >= 2, "publishing must overlap the paging"

    assert len(ids) == len(set(ids)), "a page repeated a library"
    assert ids == sorted(ids)
    assert existing <= set(ids), f"{len(existing - set(ids))} libraries fell between pages"
    assert not set(server["old"]) & set(ids), "the metadata_modified window was ignored"

    # The next incremental run picks up every library published during the first one.
    again = _harvest(server["base"], harvest_started, lambda: None)
    import httpx

    shown = [
        httpx.get(f"{server['base']}/api/3/action/package_show", params={"id": slug}).json()["result"]["id"]
        for slug in published
    ]
    assert set(shown) <= set(again)
    assert len(again) == len(set(again))
