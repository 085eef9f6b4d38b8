"""The data viewer's service: paging, sorting, filters, search, tiers and the column charts
without the national-total row (``catalog/viewer.py``, ``catalog/viewer_summary.py``)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from tests.catalog.conftest import publish_library

from qazai.catalog.query_limits import query_runtime
from qazai.catalog.viewer import ViewerRequest, parse_number, readable_table, view_table
from qazai.catalog.viewer_summary import summary_cache_clear, table_summary
from qazai.core.enums import AccessTier
from qazai.core.errors import AppError
from qazai.core.text import LocalizedText
from qazai.identity.actor import ANONYMOUS, Actor
from qazai.identity.service import authenticate_token
from qazai.libraries import access

REGIONS = [
    ("Астана", 1350228, 2024),
    ("Алматы", 2228675, 2024),
    ("Шымкент", 1222129, 2024),
    ("Алматинская область", 1537620, 2024),
    ("Карагандинская область", 1134409, 2024),
    ("Жетісу облысы", 698577, 2024),
    ("Туркестанская область", 2110573, 2024),
]
TOTAL = sum(p for _, p, _ in REGIONS)
POPULATION = "region,population,year\n" + "".join(
    f"{name},{people},{year}\n" for name, people, year in [("Республика Казахстан", TOTAL, 2024), *REGIONS]
)
# The total row's label is not one the viewer knows: its numbers (the sum of the others') tell.
BY_SUM = "okrug,men,women\nОкруг А,10,12\nОкруг Б,20,18\nОкруг В,30,35\nВсе округа вместе,60,65\n"
NO_TOTAL = "okrug,men,women\nОкруг А,10,12\nОкруг Б,20,18\nОкруг В,30,35\n"
WITH_EMPTY = "okrug,men\nА,10\nБ,\nВ,30\nГ,5\nД,20\n"


@pytest.fixture(scope="module")
def viewer_libraries(platform: Any, people: Any, module_tmp: Path) -> Any:
    for slug, csv, tier in (
        ("viewer-population", POPULATION, AccessTier.open),
        ("viewer-by-sum", BY_SUM, AccessTier.open),
        ("viewer-no-total", NO_TOTAL, AccessTier.open),
        ("viewer-empty-cells", WITH_EMPTY, AccessTier.open),
        ("viewer-registered", POPULATION, AccessTier.registered),
        ("viewer-restricted", POPULATION, AccessTier.restricted),
    ):
        publish_library(platform, module_tmp, slug, csv=csv, tier=tier, title=LocalizedText(en=slug))
    summary_cache_clear()
    return platform


_ADDRESSES = itertools.count()


def _actor(platform: Any, person: Any) -> Actor:
    with platform.db.uow(read_only=True) as uow:
        return authenticate_token(uow, person.token)


def _view(platform: Any, slug: str, actor: Actor = ANONYMOUS, **request: Any) -> Any:
    with platform.db.uow(read_only=True) as uow:
        return view_table(
            uow,
            platform.db,
            platform.objects,
            actor,
            slug,
            ViewerRequest(**request),
            runtime=query_runtime(platform.settings),
            client=f"10.0.{next(_ADDRESSES) % 250}.1",  # one anonymous caller's rate is 60 a minute
        )


def _refused(platform: Any, slug: str, code: str, actor: Actor = ANONYMOUS, **request: Any) -> AppError:
    with pytest.raises(AppError) as caught:
        _view(platform, slug, actor, **request)
    assert caught.value.code == code, caught.value
    return caught.value


def test_pages_cover_every_row_once(viewer_libraries: Any) -> None:
    first = _view(viewer_libraries, "viewer-population", page_size=3)
    assert (first.pages, first.matched, first.total_rows) == (3, 8, 8)
    assert [c.name for c in first.columns] == ["region", "population", "year"]
    assert [c.kind.value for c in first.columns] == ["text", "number", "number"]
    seen = [
        row[0]
        for page in (1, 2, 3)
        for row in _view(viewer_libraries, "viewer-population", page=page, page_size=3).rows
    ]
    assert seen == ["Республика Казахстан", *(name for name, _, _ in REGIONS)]


def test_bad_page_and_page_past_the_end_say_so(viewer_libraries: Any) -> None:
    _refused(viewer_libraries, "viewer-population", "viewer_bad_page", page=0)
    _refused(viewer_libraries, "viewer-population", "viewer_bad_page", page_size=100_000)
    past = _refused(viewer_libraries, "viewer-population", "viewer_page_out_of_range", page=4, page_size=3)
    assert past.details == {"page": 4, "pages": 3}


def test_sort_by_a_column_both_ways(viewer_libraries: Any) -> None:
    up = _view(viewer_libraries, "viewer-population", sort="population")
    assert [r[1] for r in up.rows] == sorted(p for _, p, _ in [*REGIONS, ("", TOTAL, 0)])
    down = _view(viewer_libraries, "viewer-population", sort="population", desc=True, page_size=2)
    assert [r[0] for r in down.rows] == ["Республика Казахстан", "Алматы"]
    by_name = _view(viewer_libraries, "viewer-population", sort="region")
    assert by_name.rows[0][0] == "Алматинская область"


@pytest.mark.parametrize("desc", [False, True])
def test_sorted_pages_from_either_end_cover_every_row_once(viewer_libraries: Any, desc: bool) -> None:
    # pages past the middle are read in the reverse order (cheaper) and turned back
    shown = [
        row[1]
        for page in range(1, 6)
        for row in _view(
            viewer_libraries, "viewer-empty-cells", sort="men", desc=desc, page=page, page_size=1
        ).rows
    ]
    expected = [30, 20, 10, 5] if desc else [5, 10, 20, 30]
    assert shown == [*expected, None]  # empty cells last either way
    pages = [
        _view(viewer_libraries, "viewer-population", sort="region", page=p, page_size=3).rows
        for p in (1, 2, 3)
    ]
    names = [row[0] for page in pages for row in page]
    assert names == sorted(names) and len(names) == 8 and len(pages[2]) == 2


def test_unknown_column_or_table_is_named(viewer_libraries: Any) -> None:
    error = _refused(viewer_libraries, "viewer-population", "viewer_unknown_column", sort="people")
    assert error.details == {"column": "people"}
    error = _refused(viewer_libraries, "viewer-population", "viewer_unknown_column", filters={"x;drop": "1"})
    assert error.details == {"column": "x;drop"}
    error = _refused(viewer_libraries, "viewer-population", "viewer_unknown_table", table="nope")
    assert error.details["table"] == "nope"


def test_filters_by_text_number_and_range(viewer_libraries: Any) -> None:
    text = _view(viewer_libraries, "viewer-population", filters={"region": "АЛМА"})
    assert sorted(r[0] for r in text.rows) == ["Алматинская область", "Алматы"] and text.matched == 2
    numbers = _view(viewer_libraries, "viewer-population", filters={"population": ">= 2 000 000"})
    assert sorted(r[1] for r in numbers.rows) == [2110573, 2228675, TOTAL]
    ranged = _view(viewer_libraries, "viewer-population", filters={"population": "1000000..1300000"})
    assert sorted(r[0] for r in ranged.rows) == ["Карагандинская область", "Шымкент"]
    both = _view(
        viewer_libraries, "viewer-population", filters={"region": "область", "population": "<1200000"}
    )
    assert [r[0] for r in both.rows] == ["Карагандинская область"] and both.pages == 1
    error = _refused(
        viewer_libraries, "viewer-population", "viewer_bad_filter", filters={"population": ">lots"}
    )
    assert error.details["column"] == "population"


def test_quotes_in_values_are_data_not_sql(viewer_libraries: Any) -> None:
    page = _view(viewer_libraries, "viewer-population", filters={"region": "' OR 1=1 --"}, q='"; DROP')
    assert page.rows == [] and page.matched == 0 and page.pages == 1


def test_search_within_the_table_any_column(viewer_libraries: Any) -> None:
    found = _view(viewer_libraries, "viewer-population", q="шымкент")
    assert [r[0] for r in found.rows] == ["Шымкент"]
    by_number = _view(viewer_libraries, "viewer-population", q="698577")
    assert [r[0] for r in by_number.rows] == ["Жетісу облысы"]
    paged = _view(viewer_libraries, "viewer-population", q="область", page_size=2, page=2)
    assert paged.matched == 3 and paged.pages == 2 and len(paged.rows) == 1


def test_tiers_are_the_downloads_rules(viewer_libraries: Any, people: Any) -> None:
    platform = viewer_libraries
    _refused(platform, "viewer-registered", "authentication_required")
    outsider = _actor(platform, people["outsider"])
    _refused(platform, "viewer-registered", "terms_not_accepted", outsider)
    with platform.db.uow() as uow:
        access.accept_terms(uow, outsider, "viewer-registered")
    assert _view(platform, "viewer-registered", outsider).matched == 8
    _refused(platform, "viewer-restricted", "grant_required", outsider)
    member = _actor(platform, people["member"])  # the producer organisation reads without a grant
    assert _view(platform, "viewer-restricted", member).matched == 8


def test_number_parsing_as_people_type() -> None:
    assert parse_number("14 901 641") == 14901641
    assert parse_number("14\u00a0901\u00a0641") == 14901641
    assert parse_number("3,5") == 3.5
    assert parse_number("-2.25") == -2.25
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("abc") is None and parse_number("") is None and parse_number("nan") is None


def _summary(platform: Any, slug: str) -> Any:
    with platform.db.uow(read_only=True) as uow:
        table = readable_table(uow, platform.db, platform.objects, ANONYMOUS, slug, None)
    return table_summary(table, query_runtime(platform.settings).workers.run, timeout_ms=10_000)


def test_total_row_by_label_stays_out_of_the_charts(viewer_libraries: Any) -> None:
    summary = _summary(viewer_libraries, "viewer-population")
    assert summary.total_row is not None
    assert (summary.total_row.column, summary.total_row.value) == ("region", "Республика Казахстан")
    histogram = summary.charts["population"].histogram
    assert sum(histogram["counts"]) == len(REGIONS)
    assert histogram["edges"][0] == 698577 and histogram["edges"][-1] == 2228675
    tops = [v["value"] for v in summary.charts["region"].top_values]
    assert "Республика Казахстан" not in tops and len(tops) == len(REGIONS)


def test_total_row_by_sum_and_none_without_one(viewer_libraries: Any) -> None:
    by_sum = _summary(viewer_libraries, "viewer-by-sum")
    assert by_sum.total_row is not None and by_sum.total_row.reason == "sum"
    assert by_sum.charts["men"].histogram["edges"][-1] == 30
    assert sum(by_sum.charts["women"].histogram["counts"]) == 3
    plain = _summary(viewer_libraries, "viewer-no-total")
    assert plain.total_row is None
    assert (
        plain.charts["men"].histogram["edges"][-1] == 30 and sum(plain.charts["men"].histogram["counts"]) == 3
    )
