"""The language a visitor chooses is the one they read after signing in (issue 17, point 6), in a
real chromium against the demo portal, at desktop and phone width.

Each test creates its own user (through the operator's admin page), so no demo user's saved
language changes under another module.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.web.conftest import DESKTOP, PHONE, new_page, shot

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]
PASSWORD = "language-choice-1"
BROWSER_LOCALES = {"kk": "kk-KZ", "ru": "ru-RU", "en": "en-US"}


def _new_user(browser: Any, base: str) -> str:
    """A new user created by the demo operator, with the admin form's first language (kk)."""
    from qazai.cli.demo import DEMO_PASSWORD

    email = f"lang-{secrets.token_hex(4)}@example.kz"
    page = new_page(browser, base, lang="en")
    page.goto(f"{base}/sign-in?next=/admin")
    page.fill("#email", "operator@qazai.kz")
    page.fill("#password", DEMO_PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/admin")
    page.fill("#user-email", email)
    page.fill("#user-name", "Language Check")
    page.fill("#user-password", PASSWORD)
    page.click("form[action='/admin/users'] button[type=submit]")
    page.wait_for_url("**/admin?done=1")
    page.context.close()
    return email


def _browser(browser: Any, locale: str, *, phone: bool = False) -> Any:
    """A fresh page whose browser asks for ``locale`` (Accept-Language), no choice made yet."""
    context = browser.new_context(viewport=PHONE if phone else DESKTOP, locale=BROWSER_LOCALES[locale])
    return context.new_page()


def _sign_in(page: Any, base: str, email: str) -> None:
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{base}/")


def _lang(page: Any) -> str:
    return str(page.locator("html").get_attribute("lang"))


@pytest.mark.parametrize(("chosen", "browser_says", "phone"), [("kk", "ru", False), ("ru", "kk", True)])
def test_the_language_chosen_on_the_sign_in_page_is_the_one_after_signing_in(
    demo_portal: str, demo_browser: Any, chosen: str, browser_says: str, phone: bool
) -> None:
    email = _new_user(demo_browser, demo_portal)
    page = _browser(demo_browser, browser_says, phone=phone)
    page.goto(f"{demo_portal}/sign-in")
    assert _lang(page) == browser_says  # before any choice: the browser's language
    page.click(f"button[name=lang][value={chosen}]")
    assert _lang(page) == chosen and "/sign-in" in page.url
    _sign_in(page, demo_portal, email)
    assert _lang(page) == chosen, f"chose {chosen} on the sign-in page, got {_lang(page)} after signing in"
    assert page.locator(f"button[name=lang][value={chosen}]").get_attribute("aria-current") == "true"
    if phone:
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the page scrolls sideways at phone width: {width}"
    shot(page, f"language-chosen-{chosen}{'-phone' if phone else ''}")
    page.context.close()
    # the choice was saved: another browser asking for another language still gets it
    other = _browser(demo_browser, "en", phone=phone)
    other.goto(f"{demo_portal}/sign-in")
    assert _lang(other) == "en"
    _sign_in(other, demo_portal, email)
    assert _lang(other) == chosen
    other.context.close()


def test_a_new_user_starts_in_the_browsers_language(demo_portal: str, demo_browser: Any) -> None:
    email = _new_user(demo_browser, demo_portal)  # the admin form's first language: kk
    page = _browser(demo_browser, "ru", phone=True)
    page.goto(f"{demo_portal}/sign-in")
    _sign_in(page, demo_portal, email)
    assert _lang(page) == "ru", "a new user whose browser asks for Russian should start in Russian"
    page.context.close()
    later = _browser(demo_browser, "en")
    later.goto(f"{demo_portal}/sign-in")
    _sign_in(later, demo_portal, email)
    assert _lang(later) == "ru"  # saved at the first sign-in
    later.context.close()
