"""Issue 17 points 7 and 8 in a real browser on the demo portal, in Kazakh and Russian, one run at
phone width: an access request (the producer sees who asks and why; the requester's form goes and
the holder sees until when), the developer told of a returned system on their systems page, search
finding word forms and Latin spellings, catalogue cards, and results before filters on a phone.

Each test creates what it changes (its own restricted library, its own AI system)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.registry.support import ANSWERS_MINIMAL, MINIMAL_DOCS, create, move, ok, prepare
from tests.web.conftest import new_page, shot, sign_in_demo

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

PURPOSE = "Өңірлік жұмыспен қамту болжамын жасау үшін"  # "for a regional employment forecast"


def _publish_restricted(page: Any, base: str, slug: str, tmp: Path) -> None:
    """The Bureau's producer publishes a small restricted library through the wizard."""
    sign_in_demo(page, base, "producer@stat.gov.kz", "/publish")
    page.fill("#slug", slug)
    page.fill("#title_kk", "Жабық сынақ кітапханасы")
    page.fill("#title_ru", "Закрытая тестовая библиотека")
    page.fill("#title_en", "Restricted test library")
    page.fill("#description_en", "Population of three cities, restricted.")
    page.select_option("#tier", "restricted")
    page.select_option("#legal_basis", "none")
    page.fill("#source_systems", "stat.gov.kz")
    page.fill("#contact_email", "data@stat.gov.kz")
    page.click("form[action='/publish/libraries'] button")
    page.wait_for_url(f"**/publish/{slug}")
    data = tmp / f"{slug}.csv"
    data.write_text("city,year,population\nAstana,2024,1350228\nAlmaty,2024,2228675\n", encoding="utf-8")
    page.set_input_files("#file", str(data))
    page.click("form[data-upload] button")
    page.wait_for_url("**/uploads/**")
    page.click("form[action*='/uploads/'] button[type=submit]")
    page.wait_for_url("**/publish/jobs/**")
    page.wait_for_selector(f"a[href='/libraries/{slug}']", timeout=120_000)
    page.context.clear_cookies()


def test_access_request_who_asks_form_gone_and_expiry_in_russian_and_kazakh(
    demo_portal: str, demo_browser: Any, tmp_path: Path
) -> None:
    slug = f"restricted-{uuid.uuid4().hex[:8]}"
    producer = new_page(demo_browser, demo_portal, lang="kk")
    _publish_restricted(producer, demo_portal, slug, tmp_path)

    # The developer (Russian) asks; the form goes while the request waits.
    asker = new_page(demo_browser, demo_portal, lang="ru")
    sign_in_demo(asker, demo_portal, "dev@qazdata.kz", f"/libraries/{slug}")
    asker.fill("#purpose", PURPOSE)
    asker.click("#access form button[type=submit]")
    asker.wait_for_url(f"**/libraries/{slug}?requested=1#access")
    access = asker.locator("#access")
    assert access.locator("#purpose").count() == 0
    assert "ждёт решения" in access.inner_text()

    # The producer (Kazakh) sees who asks, from where, when and why, and approves.
    producer.click("button[name=lang][value=kk]")
    sign_in_demo(producer, demo_portal, "producer@stat.gov.kz", "/access-requests")
    request = producer.locator(f"form[action^='/access-requests/']:has(a[href='/libraries/{slug}'])")
    text = request.inner_text()
    for expected in ("Developer QazData", "dev@qazdata.kz", "QazData Lab", PURPOSE, "Сұрау берген"):
        assert expected in text, (expected, text)
    shot(producer, "deadends-inbox-kk")
    request.locator("input[name=expires_on]").fill("2030-01-31")
    request.locator("button[value=approve]").click()
    producer.wait_for_url("**/access-requests")

    # The holder sees until when, and no form.
    asker.goto(f"{demo_portal}/libraries/{slug}")
    access = asker.locator("#access")
    assert "Доступ до 2030-01-31" in access.inner_text()
    assert access.locator("#purpose").count() == 0
    shot(asker, "deadends-access-granted-ru")


def _token(page: Any, base: str, email: str) -> str:
    sign_in_demo(page, base, email, "/account/tokens")
    page.fill("#token-name", f"deadends-{uuid.uuid4().hex[:6]}")
    page.check("input[name=scopes][value=write]")
    page.click("form[action='/account/tokens'] button[type=submit]")
    token = page.locator("#token-value").input_value()
    page.context.clear_cookies()
    return str(token)


@pytest.mark.parametrize(
    ("lang", "phone", "returned"),
    [("ru", True, "возвращена на доработку"), ("kk", False, "өзгертуге қайтарылды")],
)
def test_developer_sees_the_return_on_their_systems_page(
    demo_portal: str, demo_browser: Any, lang: str, phone: bool, returned: str
) -> None:
    page = new_page(demo_browser, demo_portal, lang=lang, phone=phone)
    owner = {"Authorization": f"Bearer {_token(page, demo_portal, 'dev@qazdata.kz')}"}
    page.click(f"button[name=lang][value={lang}]")
    regulator = {"Authorization": f"Bearer {_token(page, demo_portal, 'regulator@mdai.gov.kz')}"}
    reason = f"Опишите, кто проверяет ответы ({uuid.uuid4().hex[:6]})"
    with httpx.Client(base_url=demo_portal, timeout=60) as api:
        system = create(api, owner, owner_organisation="qazdata-lab")  # type: ignore[arg-type]
        prepare(api, owner, system["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)  # type: ignore[arg-type]
        ok(move(api, owner, system["id"], "submitted"))  # type: ignore[arg-type]
        ok(move(api, regulator, system["id"], "in_review"))  # type: ignore[arg-type]
        ok(move(api, regulator, system["id"], "returned", reason))  # type: ignore[arg-type]
    page.click(f"button[name=lang][value={lang}]")
    sign_in_demo(page, demo_portal, "dev@qazdata.kz", "/systems")
    notices = page.locator("section[aria-labelledby=notifications-title]").inner_text()
    assert returned in notices and reason in notices, notices
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, f"deadends-returned-{lang}{'-phone' if phone else ''}")


@pytest.mark.parametrize(
    ("lang", "query", "slug"),
    [
        ("ru", "безработные", "employment-applicants"),
        ("ru", "obrashcheniya", "astana-complaints"),
        ("kk", "su", "water-basins"),
        ("kk", "жұмыссыздар", "employment-applicants"),
    ],
)
def test_search_finds_word_forms_and_latin_spellings(
    demo_portal: str, demo_browser: Any, lang: str, query: str, slug: str
) -> None:
    page = new_page(demo_browser, demo_portal, lang=lang)
    page.fill("#q", query)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/catalog?**")
    first = page.locator(".results .library-card").first
    assert first.locator(".card-title a").get_attribute("href") == f"/libraries/{slug}"


CARD_WORDS = {
    "ru": (
        ("Поставщик данных", "Строки", "Форматы", "Обновлено"),
        "Бюро национальной статистики",
        "Население",
    ),
    "kk": (("Деректер жеткізуші", "Жолдар", "Форматтар", "Жаңартылды"), "Ұлттық статистика бюросы", "Халық"),
}


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_catalogue_cards_and_facets_as_words(demo_portal: str, demo_browser: Any, lang: str) -> None:
    labels, producer, theme = CARD_WORDS[lang]
    page = new_page(demo_browser, demo_portal, lang=lang)
    page.goto(f"{demo_portal}/catalog?q=population")
    card = page.locator(".library-card:has(a[href='/libraries/population-by-region'])")
    facts = card.locator(".card-facts").inner_text()
    for label in labels:
        assert label in facts, facts
    assert producer in facts and "Parquet" in facts and "CSV" in facts and "153" in facts
    assert card.locator(".badge.tier").inner_text().strip()
    assert card.locator(".card-desc").inner_text().strip()
    assert theme in card.locator(".card-themes").inner_text()
    facets = page.locator("#filters").inner_text()
    assert producer in facets and "stat-gov" not in facets
    assert theme in facets and "population" not in facets  # themes as words of the page's language
    shot(page, f"deadends-catalog-{lang}")


def test_phone_shows_results_before_filters_and_home_cards_in_kazakh(
    demo_portal: str, demo_browser: Any
) -> None:
    page = new_page(demo_browser, demo_portal, lang="kk", phone=True)
    assert page.locator(".library-card").count() >= 3  # the home page's recently updated libraries
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "deadends-home-kk-phone")
    page.goto(f"{demo_portal}/catalog?q=халық")
    results = page.locator(".results").bounding_box()
    filters = page.locator("#filters").bounding_box()
    assert results is not None and filters is not None
    assert results["y"] < filters["y"], (results, filters)
    first_card = page.locator(".results .library-card").first.bounding_box()
    assert first_card is not None and first_card["y"] < 844  # a result shows without scrolling
    assert page.locator(".to-filters").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "deadends-catalog-kk-phone")

    # profile charts at 390 px: the schema is one card per column, a chart keeps its natural size
    page.goto(f"{demo_portal}/libraries/population-by-region")
    page.click("details.table-schema summary")
    chart = page.locator("details.table-schema svg.chart").first
    box = chart.bounding_box()
    assert box is not None and box["width"] >= 300, box  # drawn 320 units wide: about 1:1
    label = chart.locator("text").first.bounding_box()
    assert label is not None and label["height"] >= 10, label  # the axis labels stay readable
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "deadends-schema-charts-kk-phone")
