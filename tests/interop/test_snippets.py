"""The library page's code snippets, as shown, run against a real server with the real clients
(pandas, DuckDB through pandas, DuckDB's httpfs from its wheel, Hugging Face datasets): open data
without a token, data that is not open with the reader's token in the header (issue 17, point 7).
Nothing is downloaded at run time: httpfs comes from the ``duckdb-extension-httpfs`` wheel."""

from __future__ import annotations

import contextlib
import html
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.catalog.conftest import publish_library

from qazai.core.enums import AccessTier
from qazai.core.text import LocalizedText

pytestmark = pytest.mark.slow

PLACEHOLDER = '"<your API token>"'
SNIPPET = re.compile(r'<pre id="snippet-([a-z]+)"[^>]*><code>(.*?)</code></pre>', re.S)


@pytest.fixture(scope="module")
def server(live_server: Any, platform: Any, module_tmp: Path) -> str:
    for slug, tier in (
        ("open-population", AccessTier.open),
        ("restricted-population", AccessTier.restricted),
    ):
        publish_library(platform, module_tmp, slug, title=LocalizedText(en="Population"), tier=tier)
    return str(live_server.base)


def snippets(base: str, slug: str) -> dict[str, str]:
    page = httpx.get(f"{base}/libraries/{slug}", cookies={"qazai_lang": "en"}, timeout=60)
    assert page.status_code == 200
    return {name: html.unescape(code) for name, code in SNIPPET.findall(page.text)}


def run(code: str) -> tuple[dict[str, Any], str]:
    scope: dict[str, Any] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<snippet>", "exec"), scope)
    return scope, printed.getvalue()


def check(shown: dict[str, str], token: str | None) -> None:
    def code(name: str) -> str:
        text = shown[name]
        assert (PLACEHOLDER in text) == (token is not None), text
        return text.replace(PLACEHOLDER, repr(token)) if token else text

    scope, _ = run(code("pandas"))
    assert sorted(scope["df"]["region"]) == ["Almaty", "Astana", "Shymkent"]
    for name in ("duckdb", "httpfs"):
        _, printed = run(code(name))
        assert "Shymkent" in printed and "1350000" in printed, (name, printed)
    scope, _ = run(code("datasets"))
    assert sum(scope["ds"]["train"]["population"]) == 4_750_000


def test_open_data_snippets_run_without_a_token(server: str) -> None:
    shown = snippets(server, "open-population")
    assert "Authorization" not in "".join(shown.values())
    check(shown, None)


def test_restricted_data_snippets_send_the_token_and_run(server: str, people: Any) -> None:
    shown = snippets(server, "restricted-population")
    for name in ("pandas", "duckdb", "httpfs", "datasets"):
        assert "Authorization" in shown[name], name
    # Without the token the file is refused, so each snippet works only because it sends it.
    url = re.search(r'read_parquet\("([^"]+)"', shown["pandas"])
    assert url is not None and httpx.get(url.group(1)).status_code in (401, 403, 404)
    check(shown, people["producer"].token)
