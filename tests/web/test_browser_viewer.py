"""The data viewer and the library page's table picker in a real browser (issue 17 point 2), on
the demo portal: Kazakh at phone width and Russian at desktop width."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import new_page, shot

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

GROUPED = re.compile(r"^\d{1,3}(?:[\u00a0\u202f ]\d{3})+$")  # 14 901 641 with a no-break space
TOTAL_2000 = "14\u00a0901\u00a0641"  # the national total of 2000 in the demo's population table


def _serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations (WCAG 2.1 A/AA and best practice), as in test_browser.py."""
    from axe_playwright_python.sync_playwright import Axe

    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _cells(page: Any, column: int) -> list[str]:
    return [
        c.strip()
        for c in page.locator(f"table.viewer-table tbody tr td:nth-of-type({column})").all_inner_texts()
    ]


def test_population_on_a_phone_in_kazakh_picker_viewer_numbers_and_total(
    demo_portal: str, demo_browser: Any
) -> None:
    page = new_page(demo_browser, demo_portal, lang="kk", phone=True)
    page.goto(f"{demo_portal}/libraries/population-by-region")
    picker = page.locator("#table-picker")
    assert picker.locator("option").count() == 9  # one picker, not nine expanded tables
    assert page.locator("section#table table").count() <= 2  # the schema and the first rows of ONE table
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 8000, f"the library page is {height} px tall on a phone"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert _serious_violations(page) == []
    shot(page, "library-picker-kk-phone")
    picker.select_option("Rural_population_KZ")  # the script opens the chosen table
    page.wait_for_url("**table=Rural_population_KZ**")
    assert "Rural_population_KZ" in page.locator("#table-heading").inner_text()
    page.click("#open-viewer")
    page.wait_for_url("**/viewer?table=Rural_population_KZ")
    assert page.locator("h1").inner_text().startswith("Деректерді қарау")
    page.goto(f"{demo_portal}/libraries/population-by-region/viewer?table=Population_KZ")
    body = page.locator("main").inner_text()
    assert "e+" not in page.content() and "E+" not in page.content()
    numbers = [n.strip() for n in page.locator("table.viewer-table tbody td.num").all_inner_texts()]
    assert TOTAL_2000 in numbers and all(GROUPED.match(n) or n.isdigit() for n in numbers)
    # the national-total row is marked, named under the charts and left out of them
    assert (
        page.locator("tr.total-row").count() == 1
        and "Kazakhstan" in page.locator("tr.total-row").inner_text()
    )
    assert "Kazakhstan" in page.locator("#total-row-note").inner_text() and "Kazakhstan" in body
    header = page.locator("table.viewer-table thead th").nth(2)
    chart = header.locator("svg desc").text_content() or ""
    assert "Kazakhstan" in header.locator(".chart-note").inner_text()  # said under the chart
    assert TOTAL_2000 not in chart and "14\u00a0" not in chart.split(";")[-1]
    icon = page.locator("table.viewer-table thead th").nth(2).locator(".type-icon")
    assert icon.get_attribute("role") == "img" and icon.get_attribute("aria-label")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert _serious_violations(page) == []
    shot(page, "viewer-kk-phone")


def test_viewer_in_russian_sorts_filters_searches_and_pages(demo_portal: str, demo_browser: Any) -> None:
    page = new_page(demo_browser, demo_portal, lang="ru")
    page.goto(f"{demo_portal}/libraries/population-by-region/viewer?table=Population_KZ")
    page.click("a.sort-link[href*='sort=2021']")  # ascending
    page.wait_for_url("**sort=2021**")
    assert page.locator("table.viewer-table thead th[aria-sort=ascending]").count() == 1
    page.click("a.sort-link[href*='sort=2021']")  # then descending
    page.wait_for_url("**desc=1**")
    assert page.locator("table.viewer-table tbody tr").first.locator("td").first.inner_text() == "Kazakhstan"
    page.fill("input[name='filter_Regions_KZ']", "almaty")
    page.press("input[name='filter_Regions_KZ']", "Enter")
    page.wait_for_url("**filter_Regions_KZ=almaty**")
    regions = _cells(page, 1)
    assert regions and all("almaty" in r.lower() for r in regions), regions
    assert "Подход" in page.locator("#viewer-status").inner_text()
    page.fill("#viewer-q", "shymkent")
    page.fill("input[name='filter_Regions_KZ']", "")
    page.click("form#viewer-form button[type=submit]")
    page.wait_for_url("**q=shymkent**")
    assert _cells(page, 1) == ["Shymkent"]
    page.goto(f"{demo_portal}/libraries/population-by-region/viewer?table=Population_KZ&filter_2000=lots")
    assert "не читается как число" in page.locator("#viewer-error").inner_text()
    page.goto(f"{demo_portal}/libraries/population-by-region/viewer?page=99")
    assert "Страницы 99 нет" in page.locator("#viewer-error").inner_text()
    # paging on a table of 2,000 rows
    page.goto(f"{demo_portal}/libraries/citizen-register-synthetic/viewer")
    assert page.locator("#viewer-status").inner_text().strip().startswith("Страница 1 из 40")
    first = page.locator("table.viewer-table tbody th.rownum").first.inner_text()
    page.click("#page-next")
    page.wait_for_url("**page=2**")
    assert page.locator("table.viewer-table tbody th.rownum").first.inner_text() == "51" and first == "1"
    page.click("#page-last")
    page.wait_for_url("**page=40**")
    assert page.locator("table.viewer-table tbody th.rownum").last.inner_text() == "2\u00a0000"
    assert "e+" not in page.content()
    assert _serious_violations(page) == []
    shot(page, "viewer-ru-desktop")
