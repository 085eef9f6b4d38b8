"""Request ids, body size limits, JSON access logs and Prometheus metrics, as one ASGI middleware."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from fastapi.routing import iter_route_contexts
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qazai.api.envelope import error_body
from qazai.core.context import request_id_var
from qazai.core.ids import new_id

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
access_log = logging.getLogger("qazai.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the request id, actor and timing when known.

    Every request writes one, so it is kept cheap: orjson, and the timestamp's seconds formatted
    once per second."""

    _second: int = -1
    _stamp: str = ""

    def _timestamp(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._stamp}.{int((created - second) * 1000):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": self._timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            body["request_id"] = request_id
        for key in ("actor", "method", "path", "status", "duration_ms", "bytes"):
            value = getattr(record, key, None)
            if value is not None:
                body[key] = value
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return _dumps(body)

    def access_line(
        self,
        created: float,
        request_id: str,
        actor: str | None,
        method: str,
        path: str,
        status: int,
        duration_ms: float,
        sent: int,
    ) -> str:
        """The line :meth:`format` writes for the access record these values make."""
        body: dict[str, Any] = {
            "ts": self._timestamp(created),
            "level": "info",
            "logger": access_log.name,
            "msg": f"{method} {path} {status}",
        }
        if request_id:
            body["request_id"] = request_id
        if actor is not None:
            body["actor"] = actor
        body["method"] = method
        body["path"] = path
        body["status"] = status
        body["duration_ms"] = duration_ms
        body["bytes"] = sent
        return _dumps(body)


def _dumps(body: dict[str, Any]) -> str:
    try:
        return orjson.dumps(body, default=str).decode()
    except TypeError:  # an int beyond 64 bits, a str subclass orjson refuses
        return json.dumps(body, ensure_ascii=False, default=str)


_handler: logging.StreamHandler[Any] | None = None  # the one configure_logging installed


def direct_access_handler() -> logging.StreamHandler[Any] | None:
    """Our own JSON handler when an access record would reach it and nothing else: no other
    handler, filter, level or disabled logger on the way. The middleware then writes the line
    itself (what logging would write, without building a LogRecord: a third of the access log's
    cost); any other set-up, e.g. an operator's or a test's handler, goes through logging."""
    handler = _handler
    if handler is None or not isinstance(handler.formatter, JsonFormatter) or handler.filters:
        return None
    parent = logging.getLogger("qazai")
    if (
        access_log.handlers
        or access_log.filters
        or access_log.disabled
        or not access_log.propagate
        or access_log.parent is not parent
        or parent.handlers != [handler]
        or parent.filters
        or parent.disabled
        or not access_log.isEnabledFor(logging.INFO)
        or handler.level > logging.INFO
    ):
        return None
    return handler


def configure_logging(*, json_lines: bool = True, level: int = logging.INFO) -> None:
    root = logging.getLogger("qazai")
    if getattr(root, "_qazai_configured", False):
        return
    global _handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    root.addHandler(handler)
    _handler = handler
    root.setLevel(level)
    root.propagate = False
    root._qazai_configured = True  # type: ignore[attr-defined]


class Metrics:
    """A registry per app, so several apps (tests) never clash."""

    def __init__(self, queue_depth: Callable[[], dict[str, int]] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "qazai_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "qazai_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        if queue_depth is not None:
            self.registry.register(_QueueCollector(queue_depth))
        # labels() takes a lock and builds a key on every call: one child per series, kept here
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and its duration."""
        key = (method, route, str(status))
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(*key), self.latency.labels(method, route))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class _QueueCollector(Collector):
    def __init__(self, queue_depth: Callable[[], dict[str, int]]) -> None:
        self._queue_depth = queue_depth

    def collect(self) -> Iterable[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("qazai_jobs", "Jobs in the queue by state", labels=["state"])
        try:
            for state, count in sorted(self._queue_depth().items()):
                gauge.add_metric([state], count)
        except Exception:
            logging.getLogger("qazai.metrics").warning("could not read the job queue depth")
        yield gauge


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def metric_method(method: str) -> str:
    """The method as a metrics label: any name a client invents counts as ``other``, so nobody
    can grow the series without bound (one per made-up method) without signing in."""
    return method if method in KNOWN_METHODS else "other"


class PlatformMiddleware:
    """Adds ``X-Request-ID``, refuses oversized bodies with the envelope, logs and measures.

    A body may be at most ``max_body_bytes``, except on paths that fully match one of
    ``body_limits`` (its own limit, e.g. document uploads) or start with one of
    ``body_limit_exempt`` (routes that stream and limit their bodies themselves). Bodies are
    counted as they arrive, so an oversized one is cut off, not read whole.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body_bytes: int,
        body_limit_exempt: tuple[str, ...] = (),
        body_limits: tuple[tuple[re.Pattern[str], int], ...] = (),
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.body_limit_exempt = body_limit_exempt
        self.body_limits = body_limits

    def limit_for(self, path: str) -> int | None:
        """The most bytes a request body to ``path`` may have; None when the route limits it."""
        for pattern, limit in self.body_limits:
            if pattern.fullmatch(path):
                return limit
        if self.body_limit_exempt and path.startswith(self.body_limit_exempt):
            return None
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else new_id()
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500, "bytes": 0}  # 500 until a response starts
        path: str = scope["path"]
        max_bytes = self.limit_for(path)
        limited = max_bytes is not None
        body_limit = max_bytes if max_bytes is not None else 0

        over_limit = False
        replaced = False

        async def send_wrapper(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return
            if over_limit and message["type"] == "http.response.start":
                # The app saw a failing body read and answered something else: answer 413 instead.
                replaced = True
                await self._too_large(send_wrapper_raw, body_limit)
                return
            await send_wrapper_raw(message)

        async def send_wrapper_raw(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
                if message["status"] == 405:
                    message["headers"] = _with_allow(message["headers"], scope)
            elif message["type"] == "http.response.body":
                status_holder["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            declared = headers.get(b"content-length")
            if limited and declared is not None and declared.isdigit() and int(declared) > body_limit:
                await self._too_large(send_wrapper, body_limit)
                return
            received = 0

            async def receive_limited() -> Message:
                nonlocal received, over_limit
                message = await receive()
                if message["type"] == "http.request" and limited:
                    received += len(message.get("body", b""))
                    if received > body_limit:
                        over_limit = True
                        raise _BodyTooLarge
                return message

            try:
                await self.app(scope, receive_limited, send_wrapper)
            except _BodyTooLarge:
                if not replaced:
                    replaced = True
                    await self._too_large(send_wrapper_raw, body_limit)
            except Exception:
                # Handled here, inside the request-id context, so the 500 carries the id too.
                logging.getLogger("qazai.api").exception("unhandled error on %s %s", scope["method"], path)
                if status_holder["bytes"] == 0 and status_holder["status"] == 500:
                    body = json.dumps(
                        error_body(
                            500,
                            "internal_error",
                            "something went wrong on our side; the error was logged with this request id",
                        )
                    ).encode()
                    await send_wrapper(
                        {
                            "type": "http.response.start",
                            "status": 500,
                            "headers": [
                                (b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                            ],
                        }
                    )
                    await send_wrapper({"type": "http.response.body", "body": body})
        finally:
            duration = time.perf_counter() - started
            route = scope.get("route")
            route_name = getattr(route, "path", None) or "unmatched"
            method = metric_method(scope["method"])
            self.metrics.observe(method, route_name, status_holder["status"], duration)
            status = status_holder["status"]
            actor = scope.get("state", {}).get("actor_label")
            handler = direct_access_handler()
            written = handler is not None and _write_access_line(
                handler, request_id, actor, scope["method"], path, status, duration, status_holder["bytes"]
            )
            if not written and access_log.isEnabledFor(logging.INFO):
                # makeRecord + handle is what Logger.info does, without its walk up the stack for
                # the caller's file and line (findCaller), which the access line never shows
                access_log.handle(
                    access_log.makeRecord(
                        access_log.name,
                        logging.INFO,
                        __file__,
                        0,
                        "%s %s %s",
                        (scope["method"], path, status),
                        None,
                        extra={
                            "request_id": request_id,
                            "actor": actor,
                            "method": scope["method"],
                            "path": path,
                            "status": status,
                            "duration_ms": round(duration * 1000, 2),
                            "bytes": status_holder["bytes"],
                        },
                    )
                )
            request_id_var.reset(token)

    async def _too_large(self, send: Send, limit: int) -> None:
        body = json.dumps(
            error_body(
                413,
                "payload_too_large",
                f"the request body is larger than {limit} bytes",
                {"limit_bytes": limit},
            )
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _write_access_line(
    handler: logging.StreamHandler[Any],
    request_id: str,
    actor: str | None,
    method: str,
    path: str,
    status: int,
    duration: float,
    sent: int,
) -> bool:
    """Write the access line straight to our handler's stream, as its emit() would; False when
    that failed (the caller then goes through logging, which reports the error its own way)."""
    formatter = handler.formatter
    assert isinstance(formatter, JsonFormatter)
    line = formatter.access_line(
        time.time(), request_id, actor, method, path, status, round(duration * 1000, 2), sent
    )
    handler.acquire()
    try:
        handler.stream.write(line + handler.terminator)
        handler.flush()
    except Exception:
        return False
    finally:
        handler.release()
    return True


def allowed_methods(app: Any, path: str) -> list[str]:
    """Every method some route serves at ``path``. The router's own 405 names only the methods of
    the first route that matched the path, although other routes may serve the same path (GET and
    POST of a collection are two routes)."""
    methods: set[str] = set()
    # included routers are walked lazily by FastAPI; its contexts give each route's full path
    for route in iter_route_contexts(getattr(getattr(app, "router", None), "routes", [])):
        route_methods = getattr(route, "methods", None)
        regex = getattr(route, "path_regex", None)
        if route_methods and regex is not None and regex.match(path):
            methods.update(route_methods)
    return sorted(methods)


def _with_allow(headers: list[tuple[bytes, bytes]], scope: Scope) -> list[tuple[bytes, bytes]]:
    methods = allowed_methods(scope.get("app"), scope["path"])
    if not methods:
        return headers
    kept = [(k, v) for k, v in headers if k.lower() != b"allow"]
    return [*kept, (b"allow", ", ".join(methods).encode())]


class _BodyTooLarge(Exception):
    pass
