"""The portal's language (issue 17, point 6): an explicit choice wins over the saved one and is
saved; a new user starts with the language the portal showed them (their browser's); texts shown
in another language than the page's say so with ``lang``."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from qazai.core.enums import Language
from qazai.core.text import LocalizedText
from qazai.identity import service as identity
from qazai.identity.actor import SYSTEM
from qazai.identity.models import UserCreate
from qazai.web.i18n import InLanguage, choose_language, localized, missing_languages
from tests.web.helpers import PASSWORD, csrf_of, sign_in


def test_the_explicit_choice_comes_first_then_the_saved_then_the_browser() -> None:
    assert choose_language(saved=Language.en, cookie="ru", accept_language="kk") is Language.ru
    assert choose_language(saved=Language.en, cookie=None, accept_language="ru") is Language.en
    assert choose_language(saved=None, cookie="xx", accept_language="de, ru;q=0.5") is Language.ru
    assert choose_language(saved=None, cookie=None, accept_language="de, fr") is Language.kk


def _saved_language(platform: Any, email: str) -> Language:
    with platform.db.uow(read_only=True) as uow:
        return identity.get_user(uow, SYSTEM, email).language


def _html_lang(client: TestClient, path: str = "/") -> str:
    html = client.get(path).text
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_russian_chosen_on_the_sign_in_page_stays_after_signing_in_and_is_saved(
    client: TestClient, people: Any, platform: Any
) -> None:
    with platform.db.uow() as uow:  # the account says English; the visitor chooses Russian
        actor = identity.load_actor(uow, people["member"].user_id)
        identity.set_language(uow, actor, Language.en)
    token = csrf_of(client.get("/sign-in").text)
    client.post("/language", data={"csrf_token": token, "lang": "ru", "next": "/sign-in"})
    assert _html_lang(client, "/sign-in") == "ru"
    sign_in(client, people["member"].email)
    assert _html_lang(client) == "ru"
    assert _saved_language(platform, people["member"].email) is Language.ru
    # another browser, no choice made there: the saved language follows the user
    other = TestClient(client.app, headers={"Accept-Language": "en"})
    sign_in(other, people["member"].email)
    assert _html_lang(other) == "ru"


def test_a_new_user_starts_with_the_browsers_language(client: TestClient, platform: Any) -> None:
    with platform.db.uow() as uow:
        identity.create_user(uow, SYSTEM, UserCreate(email="new@example.kz", name="New", password=PASSWORD))
    browser = TestClient(client.app, headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert _html_lang(browser, "/sign-in") == "ru"
    sign_in(browser, "new@example.kz")
    assert _html_lang(browser) == "ru"
    assert _saved_language(platform, "new@example.kz") is Language.ru
    # only the first sign-in takes the browser's: later the saved language is the user's
    english = TestClient(client.app, headers={"Accept-Language": "en"})
    sign_in(english, "new@example.kz")
    assert _html_lang(english) == "ru"


def test_a_new_user_whose_browser_asks_for_none_of_ours_gets_kazakh(
    client: TestClient, platform: Any
) -> None:
    with platform.db.uow() as uow:
        identity.create_user(
            uow, SYSTEM, UserCreate(email="de@example.kz", name="De", password=PASSWORD, language=Language.en)
        )
    browser = TestClient(client.app, headers={"Accept-Language": "de-DE,fr;q=0.8"})
    sign_in(browser, "de@example.kz")
    assert _html_lang(browser) == "kk"
    assert _saved_language(platform, "de@example.kz") is Language.kk


def test_switching_while_signed_in_wins_over_the_saved_language_and_is_saved(
    client: TestClient, people: Any, platform: Any
) -> None:
    sign_in(client, people["producer"].email)
    token = csrf_of(client.get("/").text)
    client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/"})
    assert _html_lang(client) == "en"
    assert _saved_language(platform, people["producer"].email) is Language.en


def test_a_text_shown_in_another_language_is_marked_with_lang() -> None:
    only_english = LocalizedText(en="Water basins")
    shown = localized(only_english, Language.kk)
    assert isinstance(shown, InLanguage) and shown == "Water basins"
    assert str(shown.__html__()) == '<span lang="en">Water basins</span>'
    assert str(shown[:5]) == "Water" and not isinstance(shown[:5], InLanguage)  # |truncate stays plain
    both = LocalizedText(kk="Су бассейндері", en="Water basins")
    assert localized(both, Language.kk) == "Су бассейндері"
    assert type(localized(both, Language.kk)) is str
    assert localized(both, Language.ru).lang is Language.kk  # type: ignore[attr-defined]
    assert missing_languages(only_english) == [Language.kk, Language.ru]
    assert missing_languages(both) == [Language.ru]
    assert missing_languages(None) == list(Language)


def test_a_library_with_an_english_title_only_is_marked_on_a_kazakh_page(
    client: TestClient, people: Any
) -> None:
    created = client.post(
        "/api/v1/libraries",
        json={
            "slug": "english-only",
            "organisation": "stat-gov",
            "title": {"en": "Water </title><basins>"},
            "description": {"en": "Lakes and rivers"},
        },
        headers=people["producer"].headers,
    )
    assert created.status_code == 201, created.text
    client.cookies.set("qazai_lang", "kk")
    html = client.get("/libraries/english-only").text
    assert '<span lang="en">Water &lt;/title&gt;&lt;basins&gt;</span>' in html
    # the tab's title cannot hold markup: the text alone, escaped
    assert "<title>Water &lt;/title&gt;&lt;basins&gt; — QazAI</title>" in html
