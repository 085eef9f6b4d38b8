"""The portal in a real browser: Debian's chromium driven by Playwright against a real server.

CI installs chromium (``.ci/run``); without it these tests fail with a clear message, never skip.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT, SHARED_DATA

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


def _data_file() -> Path:
    name = "stat-population-by-region.xlsx"
    shared = SHARED_DATA / name
    return shared if shared.exists() else REPO_ROOT / "src" / "qazai" / "libraries" / "demo_data" / name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`qazai serve` in a thread: real uvicorn, real job workers, a temp data dir, seeded people."""
    import uvicorn

    from qazai.api.app import create_app
    from qazai.api.wiring import build_platform
    from qazai.config import load_settings
    from qazai.core.enums import OrgKind, OrgRole
    from qazai.core.text import LocalizedText
    from qazai.identity import service
    from qazai.identity.actor import SYSTEM
    from qazai.identity.models import MembershipGrant, OrganisationCreate, UserCreate

    port = _free_port()
    settings = load_settings(
        environment="test",
        data_dir=tmp_path_factory.mktemp("browser") / "data",
        secret_key="browser-test-secret-key-that-is-long-enough-0123",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        port=port,
        workers=1,
        log_json=True,
    )
    platform = build_platform(settings, start_workers=True)
    with platform.db.uow() as uow:
        org = service.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(
                slug="stat-gov",
                kind=OrgKind.government_body,
                name=LocalizedText(kk="Ұлттық статистика бюросы", en="Bureau of National Statistics"),
            ),
        )
    with platform.db.uow() as uow:
        producer = service.create_user(
            uow, SYSTEM, UserCreate(email="producer@stat.gov.kz", name="Producer", password=PASSWORD)
        )
    with platform.db.uow() as uow:
        service.grant_membership(
            uow, SYSTEM, org.id, MembershipGrant(user_id=producer.id, role=OrgRole.producer)
        )
    config = uvicorn.Config(
        create_app(platform), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=15)
        platform.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `apt-get install -y chromium` (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_producer_publishes_a_file_through_the_wizard_and_finds_it(server: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{server}/sign-in?next=/publish")
    shot(page, "sign-in")
    page.fill("#email", "producer@stat.gov.kz")
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/publish")
    page.fill("#slug", "population-by-region")
    page.fill("#title_kk", "Өңірлер бойынша халық саны")
    page.fill("#title_ru", "Численность населения по регионам")
    page.fill("#title_en", "Population by region")
    page.fill(
        "#description_en", "Population of the regions of Kazakhstan, from the Bureau of National Statistics."
    )
    page.select_option("#legal_basis", "none")
    page.fill("#source_systems", "stat.gov.kz")
    page.fill("#contact_email", "data@stat.gov.kz")
    shot(page, "publish-library")
    page.click("form[action='/publish/libraries'] button")
    page.wait_for_url("**/publish/population-by-region")
    page.set_input_files("#file", str(_data_file()))
    page.click("form[data-upload] button")
    page.wait_for_url("**/uploads/**")
    shot(page, "publish-columns")
    page.click("form.wide button[type=submit]")
    page.wait_for_url("**/publish/jobs/**")
    page.wait_for_selector("a[href='/libraries/population-by-region']", timeout=60_000)
    shot(page, "publish-job")
    page.goto(f"{server}/catalog?q=population")
    assert page.locator("a[href='/libraries/population-by-region']").count() == 1
    shot(page, "catalog")
    page.click("a[href='/libraries/population-by-region']")
    assert page.locator("svg.chart").count() >= 1
    shot(page, "library")
    page.close()


def test_citizen_switches_to_kazakh_and_finds_a_library_with_a_latin_query(server: str, browser: Any) -> None:
    context = browser  # the same profile, but signed out: a new page of an anonymous visitor
    page = context.new_page()
    context.clear_cookies()
    page.set_viewport_size({"width": 375, "height": 740})  # phone width
    page.goto(f"{server}/")
    page.click("button[name=lang][value=ru]")
    assert page.locator("html").get_attribute("lang") == "ru"
    page.click("button[name=lang][value=kk]")
    assert page.locator("html").get_attribute("lang") == "kk"
    page.fill("#q", "halyq sany")
    page.press("#q", "Enter")
    page.wait_for_url("**/catalog?**")
    assert page.locator("a[href='/libraries/population-by-region']").count() == 1
    assert "кітапхана табылды" in page.inner_text("main")
    shot(page, "catalog-kk-phone")
    page.close()
