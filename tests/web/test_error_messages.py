"""Service errors are shown in the visitor's language by their stable code; the English stays as detail."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from qazai.core.enums import Language
from qazai.core.errors import AppError, Conflict
from qazai.web.error_messages import ERROR_MESSAGES, error_text
from qazai.web.i18n import translations_for
from tests.web.helpers import csrf_of, sign_in


def test_a_kazakh_visitor_with_a_wrong_password_reads_kazakh(client: TestClient, people: Any) -> None:
    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": people["member"].email, "password": "nope-nope"}
    )
    assert response.status_code == 401 and '<html lang="kk">' in response.text
    assert "Электрондық пошта немесе құпиясөз қате." in response.text
    assert "wrong e-mail or password" not in response.text.lower()


def test_a_404_page_in_russian_shows_the_russian_detail_and_keeps_the_english(client: TestClient) -> None:
    page = client.get("/libraries/no-such-library", headers={"Accept-Language": "ru"})
    assert page.status_code == 404 and '<html lang="ru">' in page.text
    assert "Библиотека не найдена." in page.text
    assert "Технические подробности" in page.text and "<code>library_not_found</code>" in page.text
    assert "no library &#39;no-such-library&#39;" in page.text


def test_a_403_page_in_russian_shows_the_russian_detail(client: TestClient, people: Any) -> None:
    sign_in(client, people["member"].email)
    client.post("/language", data={"csrf_token": csrf_of(client.get("/").text), "lang": "ru", "next": "/"})
    page = client.get("/admin")
    assert page.status_code == 403 and '<html lang="ru">' in page.text
    assert "У вас нет права это делать." in page.text


def test_an_unmapped_code_still_shows_the_english_text_escaped() -> None:
    gettext = translations_for(Language.kk).gettext
    shown = error_text(gettext, AppError("the <widget> is jammed", code="widget_jammed"))
    assert str(shown) == '<span lang="en">the &lt;widget&gt; is jammed</span>'


def test_a_mapped_code_is_translated_with_the_english_as_technical_detail() -> None:
    gettext = translations_for(Language.kk).gettext
    shown = str(error_text(gettext, Conflict("a library with slug 'x<y' already exists", code="slug_taken")))
    assert shown.startswith("Бұл қысқа атау (slug) бос емес.")
    assert "<summary>Техникалық мәлімет</summary>" in shown
    assert "a library with slug &#39;x&lt;y&#39; already exists" in shown


def test_every_mapped_message_is_translated_in_kazakh_and_russian() -> None:
    for lang in (Language.kk, Language.ru):
        gettext = translations_for(lang).gettext
        untranslated = [code for code, text in ERROR_MESSAGES.items() if gettext(text) == text]
        assert untranslated == [], (lang, untranslated)
