"""What users type into the catalogue search, and the library they mean (issue 17, point 7).

The pairs below were written from what people type (word forms, Latin spellings of Russian and
Kazakh, the other language's word) before the search was changed, against the demo portal's
libraries as ``qazai serve --demo`` creates them (titles, descriptions, themes, producers). A
query must bring its library first. ``python -m tests.catalog.test_search_forms`` prints the
recall of the list (how many queries bring their library at all, and first).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from qazai.catalog.models import LibraryDoc, SearchRequest
from qazai.catalog.search import PUBLIC, TantivySearchEngine
from qazai.catalog.text import query_terms, word_keys
from qazai.cli.demo import DEMO_ORGS
from qazai.libraries.demo import DEMO_LIBRARIES
from qazai.web.labels import FACET_VALUE_LABELS

POPULATION = "population-by-region"
PROJECTIONS = "population-projections"
EMPLOYMENT = "employment-applicants"
WATER = "water-basins"
COMPLAINTS = "astana-complaints"
REGISTER = "citizen-register-synthetic"

QUERY_LIBRARY: list[tuple[str, str]] = [
    # employment: Russian word forms and what people call the applicants
    ("безработные", EMPLOYMENT),
    ("безработных", EMPLOYMENT),
    ("безработица", EMPLOYMENT),
    ("занятость", EMPLOYMENT),
    ("органы занятости", EMPLOYMENT),
    ("обратившиеся", EMPLOYMENT),
    ("zanyatost", EMPLOYMENT),
    ("bezrabotnye", EMPLOYMENT),
    ("жұмыссыздар", EMPLOYMENT),
    ("unemployed", EMPLOYMENT),
    ("employment authorities", EMPLOYMENT),
    # complaints: Russian and Kazakh word forms, romanised
    ("obrashcheniya", COMPLAINTS),
    ("obrashchenie grazhdan", COMPLAINTS),
    ("obrasheniya", COMPLAINTS),
    ("обращение", COMPLAINTS),
    ("обращений граждан", COMPLAINTS),
    ("өтініштер", COMPLAINTS),
    ("otinish", COMPLAINTS),
    ("шағым", COMPLAINTS),
    ("жалобы", COMPLAINTS),
    ("complaint", COMPLAINTS),
    ("akimat", COMPLAINTS),
    ("акимата", COMPLAINTS),
    # water: Kazakh, Russian, romanised
    ("su", WATER),
    ("су", WATER),
    ("су бассейндері", WATER),
    ("вода", WATER),
    ("водные", WATER),
    ("vodnye basseyny", WATER),
    ("бассейны", WATER),
    ("basseiny", WATER),
    ("озера", WATER),
    ("lake", WATER),
    # population: Kazakh forms in both alphabets, Russian forms, romanised
    ("халық саны өңірлер", POPULATION),
    ("halyq sany", POPULATION),
    ("naselenie po regionam", POPULATION),
    ("численности населения регионов", POPULATION),
    ("прогноз населения", PROJECTIONS),
    ("мужчины и женщины", PROJECTIONS),
    # the synthetic register
    ("синтетический регистр", REGISTER),
    ("sinteticheskiy", REGISTER),
    ("жители", REGISTER),
]

_WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def demo_documents() -> list[LibraryDoc]:
    orgs = {org.slug: org for org in DEMO_ORGS}
    return [
        LibraryDoc(
            id=f"lib-{demo.slug}",
            slug=demo.slug,
            organisation_id=f"org-{demo.org}",
            organisation_slug=demo.org,
            organisation_name=orgs[demo.org].name,
            title=demo.title,
            description=demo.description,
            tier=demo.tier,
            themes=demo.themes,
            keywords=["demo", "Kazakhstan"],
            region="Kazakhstan",
            created_at=_WHEN,
            modified_at=_WHEN,
            published=True,
        )
        for demo in DEMO_LIBRARIES
    ]


@pytest.fixture(scope="module")
def engine() -> TantivySearchEngine:
    engine = TantivySearchEngine()
    engine.replace(demo_documents())
    return engine


def found(engine: TantivySearchEngine, query: str) -> list[str]:
    result = engine.search(SearchRequest(q=query, rows=10), frozenset({PUBLIC}))
    return [hit.slug for hit in result.hits]


@pytest.mark.parametrize(("query", "library"), QUERY_LIBRARY)
def test_query_brings_its_library_first(engine: TantivySearchEngine, query: str, library: str) -> None:
    assert found(engine, query)[:1] == [library]


def test_list_is_large_enough_and_unrelated_queries_find_nothing(engine: TantivySearchEngine) -> None:
    assert len(QUERY_LIBRARY) >= 40
    # (wages belong with employment in the themes' thesaurus, so "зарплата" is not asked here)
    for query in ("автомобили", "нефть", "hospital beds", "мектеп"):
        assert found(engine, query) == [], query


@pytest.mark.parametrize("theme", sorted(FACET_VALUE_LABELS["theme"]))
def test_every_theme_of_the_portal_has_its_related_words(theme: str) -> None:
    if theme == "demo":
        return
    group = "~" + theme.replace(" ", "_")
    # a library's themes are indexed as words: one of the theme's words carries its group
    assert any(group in word_keys(word) for word in theme.replace("_", " ").split()), theme


def test_related_words_join_languages_but_not_themes() -> None:
    assert "~health" in word_keys("больницы") and "~health" in word_keys("аурухана")
    assert "~health" not in word_keys("мектеп") and "~education" in word_keys("мектеп")
    # a group matches on its words' stems too: безработица's stem equals its Kazakh-stripped key
    assert "~employment" in word_keys("bezrabotica")
    assert "~kazakhstan" in word_keys("Қазақстан") and "~kazakhstan" in word_keys("Казахстана")


def test_joining_words_and_data_are_left_out_of_a_query_unless_alone(engine: TantivySearchEngine) -> None:
    assert query_terms("синтетические данные") == query_terms("синтетические")
    assert query_terms("ерлер мен әйелдер") == query_terms("ерлер әйелдер")
    assert query_terms("данные") != []
    assert found(engine, "население и регионы")[:1] == [POPULATION]


def test_a_query_no_library_has_every_word_of_ranks_those_with_some(engine: TantivySearchEngine) -> None:
    every = engine.search(SearchRequest(q="water basins", rows=10), frozenset({PUBLIC}))
    assert not every.some_words and every.hits[0].slug == "water-basins"
    some = engine.search(SearchRequest(q="water qwzxv", rows=10), frozenset({PUBLIC}))
    assert some.some_words and some.hits[0].slug == "water-basins"
    none = engine.search(SearchRequest(q="qwzxv vbnmq", rows=10), frozenset({PUBLIC}))
    assert none.hits == [] and none.count == 0
    # one word alone is never widened: a word no library has finds nothing
    assert found(engine, "qwzxv") == []


if __name__ == "__main__":
    eng = TantivySearchEngine()
    eng.replace(demo_documents())
    anywhere = first = 0
    for query, library in QUERY_LIBRARY:
        hits = found(eng, query)
        anywhere += library in hits
        first += hits[:1] == [library]
        if hits[:1] != [library]:
            print(f"miss: {query!r} -> {hits}")
    total = len(QUERY_LIBRARY)
    print(f"recall: {anywhere}/{total} found, {first}/{total} first")
