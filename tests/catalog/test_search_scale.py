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


class _CountingSearcher:
    """The engine's real searcher, counting the queries run on it."""

    def __init__(self, searcher: object) -> None:
        self.searcher = searcher
        self.searches = 0
        self.aggregations = 0

    def search(self, *args: object, **kwargs: object) -> object:
        self.searches += 1
        return self.searcher.search(*args, **kwargs)  # type: ignore[attr-defined]

    def aggregate(self, *args: object, **kwargs: object) -> object:
        self.aggregations += 1
        return self.searcher.aggregate(*args, **kwargs)  # type: ignore[attr-defined]

    def doc(self, *args: object) -> object:
        return self.searcher.doc(*args)  # type: ignore[attr-defined]


def _counting(engine: TantivySearchEngine) -> _CountingSearcher:
    generation, searcher = engine._snapshot
    counting = _CountingSearcher(searcher)
    engine._snapshot = (generation, counting)  # type: ignore[assignment]
    return counting


def test_a_query_of_several_words_with_matches_runs_once_and_widens_only_without() -> None:
    engine = TantivySearchEngine()
    engine.replace([_doc(i) for i in range(10)])
    visible = frozenset({search.PUBLIC})
    counting = _counting(engine)
    found = engine.search(SearchRequest(q="халық саны", rows=3), visible)
    assert (found.count, found.some_words, counting.searches) == (10, False, 1)
    widened = engine.search(SearchRequest(q="халық qwzxv", rows=3), visible)
    assert (widened.count, widened.some_words, counting.searches) == (10, True, 3)
    nothing = engine.search(SearchRequest(q="qwzxv zzqqy", rows=3), visible)
    assert (nothing.count, nothing.some_words) == (0, True)


def test_facet_counts_are_cached_per_query_and_index_snapshot() -> None:
    engine = TantivySearchEngine()
    engine.replace([_doc(i) for i in range(20)])
    visible = frozenset({search.PUBLIC})
    request = SearchRequest(q="халық", facets=[FacetName.producer, FacetName.theme], rows=5)
    counting = _counting(engine)
    first = engine.search(request, visible)
    page_two = engine.search(request.model_copy(update={"start": 5}), visible)
    resorted = engine.search(request.model_copy(update={"rows": 2}), visible)
    assert counting.aggregations == 1 and counting.searches == 3
    assert page_two.facets == resorted.facets == first.facets
    assert page_two.hits != first.hits
    # another query, other visibility or other facets: counted again
    engine.search(request.model_copy(update={"q": "population"}), visible)
    engine.search(request, frozenset({search.PUBLIC, "org:01ORG"}))
    engine.search(request.model_copy(update={"facets": [FacetName.region]}), visible)
    assert counting.aggregations == 4
    # a change to the index is a new snapshot: the counts include the new library
    engine.replace([_doc(99)])
    after = engine.search(request, visible)
    assert after.count == 21
    assert sum(c.count for c in after.facets["producer"]) == 21
    fresh = TantivySearchEngine()
    fresh.replace([*(_doc(i) for i in range(20)), _doc(99)])
    assert fresh.search(request, visible) == after


def test_facet_counts_are_shared_by_every_spelling_and_order_of_the_same_words() -> None:
    docs = [_doc(i, title="халық саны" if i % 3 else "халық") for i in range(30)]
    engine = TantivySearchEngine()
    engine.replace(docs)
    visible = frozenset({search.PUBLIC})
    request = SearchRequest(q="халық саны", facets=[FacetName.producer, FacetName.theme], rows=5)
    counting = _counting(engine)
    first = engine.search(request, visible)
    assert first.count == 20
    variants = ["Саны ХАЛЫҚ", "Halyq sany", "sany halyq", "халық саны халық"]
    for q in variants:
        found = engine.search(request.model_copy(update={"q": q}), visible)
        assert found.count == first.count and found.facets == first.facets, q
    assert counting.aggregations == 1 and counting.searches == 1 + len(variants)
    # each answer is what an engine without cached counts gives for that spelling
    for q in variants:
        fresh = TantivySearchEngine()
        fresh.replace(docs)
        assert fresh.search(request.model_copy(update={"q": q}), visible).facets == first.facets, q
    # other words are other matches: counted again
    fewer = engine.search(request.model_copy(update={"q": "халық"}), visible)
    assert counting.aggregations == 2 and fewer.count == 30
    assert sum(c.count for c in fewer.facets["producer"]) == 30


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("visible", ["public"]),
        ("visible", ["org:01ORG", "public"]),
        ("theme", ["health"]),
        ("theme", ["demography", "health", "health"]),
        ("region", ["Nowhere"]),
    ],
)
def test_any_of_gives_the_hits_and_scores_of_a_term_set(field: str, values: list[str]) -> None:
    import tantivy

    engine = TantivySearchEngine()
    engine.replace([_doc(i, title="халық саны" if i % 4 else "су") for i in range(40)])
    words = engine._query(SearchRequest(q="халық саны"), frozenset({search.STAFF}))
    searcher = engine.index.searcher()
    answers = []
    ours = search._any_of(engine.schema, field, values)
    for clause in (ours, tantivy.Query.term_set_query(engine.schema, field, values)):
        query = tantivy.Query.boolean_query([(tantivy.Occur.Must, words), (tantivy.Occur.Must, clause)])
        found = searcher.search(query, 50, count=True)
        answers.append(
            (getattr(found, "count", None), [(score, address.doc) for score, address in found.hits])
        )
    assert answers[0] == answers[1]
    assert (answers[0][0] == 0) == (field == "region")


@pytest.mark.parametrize("scores", [[3.25, 1e-7, 12.0], [None, None, None], []])
def test_a_search_page_assembled_from_cached_packages_is_the_json_of_the_page(
    scores: list[float | None],
) -> None:
    import orjson

    from qazai.api.routers.catalog import _search_page_json
    from qazai.catalog.models import SearchHit

    docs = [_doc(i) for i in range(len(scores))]
    pairs = [(d, SearchHit(id=d.id, slug=d.slug, score=s)) for d, s in zip(docs, scores, strict=True)]
    facets = {"theme": [{"value": "health", "count": 2}], "region": []}
    for _ in range(2):  # packages built, then cached (their JSON too)
        page = _search_page_json("http://a", pairs, 1234, facets, True)
        expected = {
            "count": 1234,
            "results": [{**ckan.package_dict("http://a", d), "score": h.score} for d, h in pairs],
            "facets": facets,
            "some_words": True,
        }
        assert page == orjson.dumps(expected)
    # another base URL is another package
    assert _search_page_json("http://b", pairs, 1, {}, False) == orjson.dumps(
        {
            "count": 1,
            "results": [{**ckan.package_dict("http://b", d), "score": h.score} for d, h in pairs],
            "facets": {},
            "some_words": False,
        }
    )
