"""The fast lane (api/fastlane.py) answers exactly what the FastAPI routes answer, and only when
the caller is anonymous and no database is needed; everything else falls through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send
from tests.libraries.publishing import make_library, publish

from qazai.api.fastlane import FastLane
from qazai.api.platform import Platform
from qazai.catalog.indexer import catalog_index
from qazai.core.enums import AccessTier
from qazai.libraries.models import LegalBasis

CSV = "region,value\n" + "".join(f"R{i % 7},{i}\n" for i in range(500))


@pytest.fixture
def lane_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths the lane answered itself (it sets ``scope["route"]`` to its own label)."""
    answered: list[str] = []
    original = FastLane.__call__

    async def spy(self: FastLane, scope: Scope, receive: Receive, send: Send) -> None:
        await original(self, scope, receive, send)
        if type(scope.get("route")).__name__ == "_RouteLabel":
            answered.append(scope["path"])

    monkeypatch.setattr(FastLane, "__call__", spy)
    yield answered


def _route_only(monkeypatch: pytest.MonkeyPatch) -> None:
    async def through(self: FastLane, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    monkeypatch.setattr(FastLane, "__call__", through)


def _answer(client: TestClient, method: str, url: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
    response = client.request(method, url, **kwargs)
    request_id = response.headers["x-request-id"]
    headers = {k: v.replace(request_id, "<id>") for k, v in response.headers.items()}
    return response.status_code, headers, response.content.replace(request_id.encode(), b"<id>")


def _publish(platform: Platform, tmp_path: Path, slug: str, tier: AccessTier = AccessTier.open) -> str:
    extra: dict[str, Any] = {"legal_basis": LegalBasis.consent} if tier != AccessTier.open else {}
    make_library(platform, slug, tier=tier, **extra)
    source = tmp_path / f"{slug}.csv"
    source.write_text(CSV)
    assert publish(platform, slug, source).state.value == "succeeded"
    catalog_index(platform.db)  # built and fresh, as a running server keeps it
    return f"/libraries/{slug}/v/1/data/{slug}.parquet"


def test_lane_answers_are_the_routes_answers(
    client: TestClient,
    platform: Platform,
    tmp_path: Path,
    people: Any,
    lane_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = _publish(platform, tmp_path, "lane-open")
    client.get(url, headers={"Range": "bytes=0-3"})  # the route resolves it and caches its facts
    lane_calls.clear()
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/v1/health", {}),
        ("GET", "/api/3/action/package_show?id=lane-open", {}),
        ("GET", "/api/action/package_show?id=lane-open&extra=1", {"headers": {"Host": "data.example.kz"}}),
        ("GET", url, {}),
        ("HEAD", url, {}),
        ("GET", url, {"headers": {"Range": "bytes=4-99"}}),
        ("GET", url, {"headers": {"Range": "bytes=-0"}}),
        ("GET", url, {"headers": {"Range": "bytes=" + ",".join(f"{i}-{i}" for i in range(200))}}),
        ("GET", url, {"headers": {"Range": "bytes=0-9", "If-Range": '"not-this-one"'}}),
    ]
    through_lane = [_answer(client, method, path, **kw) for method, path, kw in requests]
    assert len(lane_calls) == len(requests), lane_calls
    etag = through_lane[3][1]["etag"]
    lane_304 = _answer(client, "GET", url, headers={"If-None-Match": etag})
    assert lane_304[0] == 304

    _route_only(monkeypatch)
    by_route = [_answer(client, method, path, **kw) for method, path, kw in requests]
    for request, lane, route in zip(requests, through_lane, by_route, strict=True):
        assert lane == route, request
    assert _answer(client, "GET", url, headers={"If-None-Match": etag}) == lane_304
    assert through_lane[2][2].startswith(b'{"help":"http://data.example.kz/api/3/action/help_show')


def test_lane_lets_everything_else_through(
    client: TestClient,
    platform: Platform,
    tmp_path: Path,
    people: Any,
    lane_calls: list[str],
) -> None:
    url = _publish(platform, tmp_path, "lane-restricted", AccessTier.restricted)
    open_url = _publish(platform, tmp_path, "lane-open2")
    client.get(open_url)
    lane_calls.clear()
    token = people["producer"].headers
    # a token, a session cookie, an unknown library, a restricted file, a POST, another action
    assert client.get("/api/3/action/package_show?id=lane-open2", headers=token).status_code == 200
    client.cookies.set("qazai_session", "not-a-session")
    assert client.get("/api/3/action/package_show?id=lane-open2").status_code in (401, 403)
    assert client.get(open_url).status_code in (401, 403)
    client.cookies.clear()
    assert client.get("/api/3/action/package_show?id=nobody").status_code == 404
    assert client.get(url).status_code in (401, 403)
    assert client.post("/api/3/action/package_show", json={"id": "lane-open2"}).status_code == 200
    assert client.get("/api/3/action/package_list").status_code == 200
    assert client.get(open_url, headers=token).status_code == 200
    assert client.get("/api/v1/health/", follow_redirects=False).status_code in (307, 404)
    assert lane_calls == []
