"""Per-request context carried implicitly (request id), set by the API and the CLI."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("qazai_request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()
