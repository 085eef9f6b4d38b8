"""The speed-ups of search at scale keep the answers: facets on a thread, cached CKAN packages,
the garbage collector paused while the index syncs."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest

from qazai.catalog import ckan, search
from qazai.catalog.indexer import paused_gc
from qazai.catalog.models import FacetName, LibraryDoc, SearchRequest
from qazai.catalog.search import TantivySearchEngine
from qazai.core.enums import AccessTier
from qazai.core.text import LocalizedText

WHEN = datetime(2026, 1, 2, tzinfo=UTC)


def _doc(i: int, title: str = "халық саны") -> LibraryDoc:
    return LibraryDoc(
        id=f"01LIB{i:05d}",
        slug=f"lib-{i}",
        organisation_id="01ORG",
        organisation_slug="stat-gov" if i % 2 else "health",
        organisation_name=LocalizedText(en="Bureau"),
        title=LocalizedText(kk=f"{title} {i}", en=f"population {i}"),
        tier=AccessTier.open,
        themes=["demography" if i % 3 else "health"],
        region=["Astana", "Almaty"][i % 2],
        created_at=WHEN,
        modified_at=WHEN,
        published=True,
    )


def test_facets_counted_on_a_thread_equal_facets_counted_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = TantivySearchEngine()
    engine.replace([_doc(i) for i in range(60)])
    request = SearchRequest(q="халық", facets=list(FacetName), rows=5)
    visible = frozenset({search.PUBLIC})
    monkeypatch.setattr(search, "CONCURRENT_FACETS_FROM", 10**9)
    inline = engine.search(request, visible)
    monkeypatch.setattr(search, "CONCURRENT_FACETS_FROM", 0)
    threaded = engine.search(request, visible)
    assert threaded == inline
    assert threaded.count == 60 and len(threaded.hits) == 5
    assert {c.value: c.count for c in threaded.facets["producer"]} == {"stat-gov": 30, "health": 30}


def test_a_changed_library_gets_a_new_package_and_an_unchanged_one_the_cached_one() -> None:
    first = _doc(1)
    package = ckan.package_dict("http://a", first)
    assert ckan.package_dict("http://a", first) is package
    assert ckan.package_dict("http://b", first)["url"] == "http://b/libraries/lib-1"
    renamed = first.model_copy(update={"title": LocalizedText(en="renamed")})
    assert ckan.package_dict("http://a", renamed)["title"] == "renamed"


def test_paused_gc_nests_and_restores_the_collector() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()
