"""Mount the portal into the FastAPI app: pages, static files, security headers, HTML errors.

The portal lives at ``/`` next to the machine surfaces, which it must never shadow: ``/api/...``,
``/libraries/{slug}/v/...`` (version files), ``/catalog.jsonld``, ``/data.json`` and ``/metrics``
keep their own answers, including their JSON error envelope.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qazai.core.errors import AppError
from qazai.web.errors import error_line, render_error_page

log = logging.getLogger("qazai.web")

STATIC_DIR = Path(__file__).parent / "static"
# File uploads of the publish wizard stream past the request-size limit (they have their own).
WEB_UPLOAD_PREFIX = "/publish/upload/"
_MACHINE_PATHS = re.compile(
    r"^/(api(/|$)|metrics$|catalog\.jsonld$|data\.json$|libraries/[^/]+/((v|latest)(/|$)|dcat\.jsonld$))"
)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


def is_web_path(path: str) -> bool:
    """Whether ``path`` belongs to the portal (HTML) rather than a machine surface (JSON, files)."""
    return _MACHINE_PATHS.match(path) is None


def wants_html(request: Request) -> bool:
    if not is_web_path(request.url.path):
        return False
    accept = request.headers.get("accept", "")
    return not ("application/json" in accept and "text/html" not in accept)


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy and framing headers to every portal response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_web_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


Handler = Callable[[Request, Exception], Awaitable[Response]]


def _html_or(handler: Handler) -> Handler:
    async def dispatch(request: Request, exc: Exception) -> Response:
        if wants_html(request):
            if not isinstance(exc, AppError | StarletteHTTPException):
                log.exception("unhandled error on %s %s", request.method, request.url.path)
            return render_error_page(request, exc)
        response = await handler(request, exc)
        if is_web_path(request.url.path) and isinstance(exc, AppError):
            return _with_translated_text(request, exc, response)
        return response

    return dispatch


def _with_translated_text(request: Request, exc: AppError, response: Response) -> Response:
    """A portal script asked for JSON: the envelope, plus ``error.text`` in the visitor's language."""
    if not isinstance(response, JSONResponse):
        return response
    body = json.loads(bytes(response.body))
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return response
    body["error"]["text"] = error_line(request, exc)
    dropped = ("content-length", "content-type")
    headers = {k: v for k, v in response.headers.items() if k.lower() not in dropped}
    return JSONResponse(body, status_code=response.status_code, headers=headers)


def install_web(app: FastAPI) -> None:
    """Add the portal to ``app``. Call after every API router is included, so portal routes come
    last and cannot shadow them."""
    from qazai.web.views import ROUTERS

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="web-static")
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    handlers: dict[Any, Any] = app.exception_handlers
    for key, handler in list(handlers.items()):
        handlers[key] = _html_or(handler)
    app.add_middleware(SecurityHeadersMiddleware)
