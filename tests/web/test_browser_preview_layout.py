"""The publish wizard's "Column changes" table fits its page (issue 17, point 4): it was 1,036 px
wide in a 576 px form at desktop size and scrolled sideways on a phone; now it takes the page's
width and, on a phone, shows one card per column."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import DESKTOP, PHONE, shot
from tests.web.test_no_english import _client, _preview_page, _sign_in

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]
MEASURE = """() => {
  const form = document.querySelector('form.wide-table').getBoundingClientRect();
  const table = document.querySelector('table.column-changes');
  return {form: form.right, table: table.getBoundingClientRect().right, inner: table.scrollWidth,
          tableWidth: table.getBoundingClientRect().width,
          page: document.documentElement.scrollWidth, window: window.innerWidth};
}"""


@pytest.mark.parametrize(("lang", "phone"), [("ru", False), ("kk", True)])
def test_the_column_changes_stay_inside_the_page(
    demo_portal: str, demo_browser: Any, lang: str, phone: bool
) -> None:
    with _client(demo_portal, lang) as client:
        _sign_in(client, "producer@stat.gov.kz")
        path = _preview_page(client)
        cookies = [
            {"name": name, "value": value, "url": demo_portal} for name, value in client.cookies.items()
        ]
    context = demo_browser.new_context(viewport=PHONE if phone else DESKTOP)
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(demo_portal + path)
    assert page.locator("html").get_attribute("lang") == lang
    sizes = page.evaluate(MEASURE)
    assert sizes["table"] <= sizes["form"] + 1, f"the table sticks out of its form: {sizes}"
    assert sizes["inner"] <= sizes["tableWidth"] + 1, f"the table scrolls inside its box: {sizes}"
    assert sizes["page"] <= sizes["window"], f"the page scrolls sideways: {sizes}"
    if phone:  # one card per column, each field named
        first = page.locator("table.column-changes tbody tr").first
        assert first.evaluate("row => getComputedStyle(row).display") == "block"
        label = first.locator("td").nth(1).evaluate("cell => getComputedStyle(cell, '::before').content")
        assert label not in ("none", "normal", '""'), label
    shot(page, f"publish-columns-{lang}{'-phone' if phone else ''}")
    context.close()
