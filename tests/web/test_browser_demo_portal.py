"""The shared demo portal of the browser tests (tests/web/conftest.py) is up with every demo library."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from qazai.libraries.demo import DEMO_LIBRARIES
from tests.web.conftest import new_page

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


def test_every_demo_library_is_published_and_its_page_opens(demo_portal: str, demo_browser: Any) -> None:
    for demo in DEMO_LIBRARIES:
        answer = httpx.get(f"{demo_portal}/api/v1/libraries/{demo.slug}", timeout=10)
        assert answer.status_code == 200, (demo.slug, answer.text)
        assert answer.json()["latest_version"], demo.slug
    page = new_page(demo_browser, demo_portal, lang="ru", phone=True)
    page.goto(f"{demo_portal}/libraries/{DEMO_LIBRARIES[0].slug}")
    assert page.locator("h1#lib-title").count() == 1
    page.context.close()
