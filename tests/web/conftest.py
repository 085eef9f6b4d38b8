"""Shared fixtures for the portal's browser tests: one demo portal and one chromium per test worker.

``demo_portal`` is `qazai serve --demo` in a thread (``tests.support.live_server.demo_portal``:
real uvicorn, real job workers, a temp data dir): the demo organisations and users (password
``DEMO_PASSWORD``), every demo library published (the shared government files and the synthetic
register) and the registry's demo systems. It is
session-scoped, so every browser module in the ``browser`` xdist group shares it; tests must not
rely on being first or on state another module leaves, and should create what they change.

``demo_browser`` is a chromium context at desktop size; ``new_page(demo_browser, lang=..., phone=...)``
opens a fresh, signed-out page in a language; ``sign_in_demo`` signs a demo user in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.support import live_server

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def demo_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a live demo portal with every demo library published."""
    with live_server.demo_portal(
        tmp_path_factory.mktemp("demo-portal") / "data",
        secret_key="browser-demo-secret-key-that-is-long-enough-0123",
    ) as base:
        yield base


@pytest.fixture(scope="session")
def demo_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless chromium context (Debian's chromium; CI installs it, never skipped)."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `apt-get install -y chromium` (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any, base: str, *, lang: str = "en", phone: bool = False) -> Any:
    """A page in a fresh context (no cookies) showing the portal in ``lang`` (kk, ru or en)."""
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP, locale={"kk": "kk-KZ", "ru": "ru-RU"}.get(lang, "en-US")
    )
    page = context.new_page()
    page.goto(f"{base}/")
    page.click(f"button[name=lang][value={lang}]")
    assert page.locator("html").get_attribute("lang") == lang
    return page


def sign_in_demo(page: Any, base: str, email: str, next_url: str = "/") -> None:
    """Sign a demo user in (see `qazai.cli.demo.DEMO_USERS`) and land on ``next_url``."""
    from qazai.cli.demo import DEMO_PASSWORD

    page.goto(f"{base}/sign-in?next={next_url}")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"**{next_url}")


def shot(page: Any, name: str) -> None:
    """A full-page screenshot under test-artifacts/screenshots/ (docs/web.md shows some of them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
