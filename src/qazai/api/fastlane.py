"""The few hottest anonymous reads, answered below FastAPI's routing and dependency machinery.

Balancers probe ``/api/v1/health`` every few seconds; CKAN harvesters call ``package_show``
thousands of times; pandas, DuckDB and ``datasets`` read open Parquet files in thousands of small
ranges. For each of them FastAPI's route matching, dependency solving and exception middleware
cost several times the answer itself (issue 18: a bare Starlette endpoint answered 2.6× as many
requests as ``package_show``). The lane sits inside :class:`~qazai.api.observability.PlatformMiddleware`
(request id, access log and metrics stay the same) and in front of the FastAPI app. It answers only
when the answer needs no database and no caller identity:

- ``GET /api/v1/health``;
- ``GET /api/3/action/package_show`` (and ``/api/action/...``) from an anonymous caller while the
  catalogue index is fresh;
- ``GET``/``HEAD`` of a version's data file whose facts are in the process's
  :class:`~qazai.api.routers.files.VersionFileCache` (open tier), from an anonymous caller.

Anything else — a token, a session cookie, a stale index, an unknown library, an error — falls
through to the FastAPI routes, which stay the one definition of behaviour (and of OpenAPI): the
lane calls the same functions they call and must give byte-identical answers, which
``tests/api/test_fastlane.py`` checks side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from qazai.api.deps import without_credentials
from qazai.api.platform import Platform
from qazai.api.routers.files import DATA_FILE_PATH, VersionFileCache, serve_version_file
from qazai.api.routers.system import ALIVE_BODY
from qazai.catalog.ckan import ActionContext, package_show_json
from qazai.catalog.indexer import existing_index
from qazai.core.errors import AppError
from qazai.identity.actor import ANONYMOUS

HEALTH_PATH = "/api/v1/health"
PACKAGE_SHOW_PATHS = frozenset({"/api/3/action/package_show", "/api/action/package_show"})
_READ_METHODS = frozenset({"GET", "HEAD"})
_JSON_HEADERS = [(b"content-type", b"application/json")]


@dataclass(frozen=True)
class _RouteLabel:
    """What the metrics read from ``scope["route"]``: the FastAPI route's path template."""

    path: str


_HEALTH_ROUTE = _RouteLabel(HEALTH_PATH)
_CKAN_ROUTES = {
    "/api/3/action/package_show": _RouteLabel("/api/3/action/{name}"),
    "/api/action/package_show": _RouteLabel("/api/action/{name}"),
}
_FILE_ROUTE = _RouteLabel("/libraries/{slug}/v/{number}/data/{filename}")


async def _send_json(send: Send, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class FastLane:
    """ASGI middleware answering the hot anonymous reads above; everything else goes to ``app``."""

    def __init__(self, app: ASGIApp, *, platform: Platform, version_files: VersionFileCache) -> None:
        self.app = app
        self.platform = platform
        self.version_files = version_files
        self._help_urls: dict[tuple[str, bytes, str], str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method = scope["method"]
            path: str = scope["path"]
            if method == "GET" and path == HEALTH_PATH:
                scope["route"] = _HEALTH_ROUTE
                await _send_json(send, ALIVE_BODY)
                return
            if method == "GET" and path in PACKAGE_SHOW_PATHS and await self._package_show(scope, send):
                return
            if (
                method in _READ_METHODS
                and path.startswith("/libraries/")
                and await self._data_file(scope, receive, send)
            ):
                return
        await self.app(scope, receive, send)

    async def _package_show(self, scope: Scope, send: Send) -> bool:
        if not without_credentials(scope):
            return False
        index = existing_index(self.platform.db)
        if index is None or not index.fresh:
            return False
        params: dict[str, Any] = dict(QueryParams(scope["query_string"]))
        # package_show reads the index alone: no unit of work, as the route's _run for the public
        ctx = ActionContext(
            uow=None,
            index=index,
            actor=ANONYMOUS,
            base_url=self.platform.settings.public_base_url,
        )
        try:
            result = package_show_json(ctx, params)
        except AppError:
            return False  # the route answers errors in CKAN's envelope
        except (TypeError, orjson.JSONEncodeError):
            return False  # what orjson cannot encode, the route's JSONResponse fallback does
        scope.setdefault("state", {})["actor_label"] = ANONYMOUS.label
        scope["route"] = _CKAN_ROUTES[scope["path"]]
        help_url = orjson.dumps(self._help_url(scope))
        # the bytes orjson gives for {"help": ..., "success": true, "result": package}
        await _send_json(send, b'{"help":' + help_url + b',"success":true,"result":' + result + b"}")
        return True

    def _help_url(self, scope: Scope) -> str:
        """``{request.base_url}api/3/action/help_show?name=package_show``, as the route writes it."""
        host = b""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
                break
        key = (scope.get("scheme", "http"), host, scope.get("root_path", ""))
        url = self._help_urls.get(key)
        if url is None:
            base = str(Request(scope).base_url).rstrip("/")
            url = f"{base}/api/3/action/help_show?name=package_show"
            if len(self._help_urls) < 64:  # Host is the client's: never an unbounded cache
                self._help_urls[key] = url
        return url

    async def _data_file(self, scope: Scope, receive: Receive, send: Send) -> bool:
        match = DATA_FILE_PATH.fullmatch(scope["path"])
        if match is None:
            return False
        slug, number, filename = match.group(1), int(match.group(2)), match.group(3)
        served = self.version_files.get(slug, number, filename)
        if served is None or not without_credentials(scope):
            return False
        scope.setdefault("state", {})["actor_label"] = ANONYMOUS.label
        scope["route"] = _FILE_ROUTE
        request = Request(scope, receive)
        response = await serve_version_file(request, self.platform, ANONYMOUS, served, filename)
        await response(scope, receive, send)
        return True
