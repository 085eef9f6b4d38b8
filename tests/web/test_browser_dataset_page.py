"""The library page's additional info and citation, and a producer's way out of a refused publish,
in a real browser (Kazakh on a desktop, Russian on a 390 px phone)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PHONE, new_page, shot, sign_in_demo

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

CSV = "oblys,jyl,halyq\nАстана,2024,1350228\nАлматы,2024,2228675\nШымкент,2024,1222129\n"


def test_additional_info_and_citation_in_kazakh(demo_portal: str, demo_browser: Any) -> None:
    page = new_page(demo_browser, demo_portal, lang="kk")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo_portal)
    page.goto(f"{demo_portal}/libraries/water-basins")
    info = page.locator("#info")
    assert info.locator("h2").inner_text() == "Қосымша ақпарат"
    text = info.inner_text()
    assert "Ұлттық статистика бюросы" in text and "stat-gov" not in text  # the producer's full name
    assert "QazAI demo data" in text  # source systems
    licence = info.locator("#licence a[rel=license]")
    assert licence.get_attribute("href") == "https://creativecommons.org/licenses/by/4.0/"
    assert "деректерді жеткізушіні атап" in info.locator("#licence").inner_text()  # the plain summary
    apa = page.locator("#citation-apa").inner_text()
    assert apa.startswith("Ұлттық статистика бюросы. (20") and "[Data set]. QazAI." in apa
    assert "/libraries/water-basins/v/" in apa
    bibtex = page.locator("#citation-bibtex").inner_text()
    assert bibtex.startswith("@misc{water_basins_v") and "author = {{Ұлттық статистика бюросы}}" in bibtex
    copy = page.locator("button[data-copy='#citation-bibtex']")
    copy.click()
    page.wait_for_function("b => b.textContent === 'Көшірілді'", arg=copy.element_handle())
    assert page.evaluate("navigator.clipboard.readText()") == bibtex
    assert page.locator("#lib-views").inner_text().endswith("қаралым")
    shot(page, "library-info-kk")
    page.context.close()


def test_refused_publish_fix_publish_and_dictionary_in_russian_on_a_phone(
    demo_portal: str, demo_browser: Any, tmp_path: Path
) -> None:
    slug = f"h3-{uuid.uuid4().hex[:8]}"
    data = tmp_path / "halyq.csv"
    data.write_text(CSV, encoding="utf-8")
    page = new_page(demo_browser, demo_portal, lang="ru", phone=True)
    sign_in_demo(page, demo_portal, "producer@stat.gov.kz", "/publish")
    # the creation form marks what publishing will demand
    assert page.locator("label[for=source_systems] .required-mark").count() == 1
    assert page.locator("label[for=contact_email] .required-mark").count() == 1
    assert page.locator("#source_systems").get_attribute("required") is not None
    page.fill("#slug", slug)
    page.fill("#title_ru", "Население по регионам")
    page.fill("#description_ru", "Численность населения регионов.")
    page.fill("#source_systems", "stat.gov.kz")
    page.fill("#contact_email", "data@stat.gov.kz")
    page.click("form[action='/publish/libraries'] button")
    page.wait_for_url(f"**/publish/{slug}")
    # the library loses a mandatory field (as one created through the API without it would)
    page.goto(f"{demo_portal}/libraries/{slug}/edit")
    page.fill("#source_systems", "")
    page.click("form[action$='/edit'] button[type=submit]")
    page.wait_for_selector("#saved")
    page.goto(f"{demo_portal}/publish/{slug}")
    page.set_input_files("#file", str(data))
    page.click("form[data-upload] button")
    page.wait_for_url("**/uploads/**")
    step = page.url.removeprefix(demo_portal)
    page.click("form[method=post][action*='/uploads/'] button[type=submit]")
    # refused: the message links to the missing field on the edit page
    link = page.locator("a[href*='#field-source_systems']")
    assert link.inner_text() == "Системы-источники"
    shot(page, "publish-refused-ru-phone")
    link.click()
    page.wait_for_url("**/edit?next=**")
    assert page.evaluate("location.hash") == "#field-source_systems"
    assert page.locator("#missing-metadata").is_visible()
    page.fill("#source_systems", "stat.gov.kz")
    page.click("form[action$='/edit'] button[type=submit]")
    page.wait_for_url(f"**{step}")  # back at the publish step
    page.click("form[method=post][action*='/uploads/'] button[type=submit]")
    page.wait_for_url("**/publish/jobs/**")
    page.wait_for_selector(f"a[href='/libraries/{slug}']", timeout=60_000)
    # the data dictionary: describe a column, see it on the library page
    page.goto(f"{demo_portal}/libraries/{slug}/edit#dictionary")
    row = page.locator("#dictionary details").filter(has=page.locator("summary code", has_text="halyq"))
    if row.get_attribute("open") is None:
        row.locator("summary").click()
    row.locator("input[id$='_description_ru']").fill("Численность населения на начало года")
    row.locator("input[id$='_unit']").fill("человек")
    page.click("form[action$='/edit'] button[type=submit]")
    page.wait_for_selector("#saved")
    page.goto(f"{demo_portal}/libraries/{slug}")
    dictionary = page.locator("#dictionary").inner_text()
    assert "Численность населения на начало года" in dictionary and "человек" in dictionary
    assert page.locator("#info h2").inner_text() == "Дополнительная информация"
    assert "Бюро национальной статистики" in page.locator("#info").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone: {width}px"
    shot(page, "library-dictionary-ru-phone")
    page.context.close()
