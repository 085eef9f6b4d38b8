"""The access line written straight to our handler (api/observability.py) is the line logging
writes for the same request; any other logging set-up goes through logging."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qazai.api import observability
from qazai.api.observability import JsonFormatter, direct_access_handler


def _last_line(stream: io.StringIO) -> dict[str, Any]:
    line: dict[str, Any] = json.loads(stream.getvalue().splitlines()[-1])
    return line


def test_direct_line_is_the_logging_line(
    client: TestClient, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    handler: logging.StreamHandler[Any] = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    monkeypatch.setattr(observability, "_handler", handler)
    monkeypatch.setattr(logging.getLogger("qazai"), "handlers", [handler])
    assert direct_access_handler() is handler
    requests = [
        ("/api/v1/health", {}),
        ("/api/v1/no-such-route?x=1", {}),
        ("/api/v1/me", people["producer"].headers),
        ("/api/3/action/package_show?id=nobody", {}),
    ]
    direct = []
    for url, headers in requests:
        client.get(url, headers=headers)
        direct.append(_last_line(stream))
    monkeypatch.setattr(observability, "direct_access_handler", lambda: None)
    through_logging = []
    for url, headers in requests:
        client.get(url, headers=headers)
        through_logging.append(_last_line(stream))
    for mine, theirs in zip(direct, through_logging, strict=True):
        assert list(mine) == list(theirs)
        for key in ("ts", "request_id", "duration_ms"):
            assert type(mine.pop(key)) is type(theirs.pop(key))
        assert mine == theirs
    assert {line["status"] for line in direct} >= {200, 404}
    assert any(line.get("actor") not in (None, "anonymous") for line in direct)


def test_other_set_ups_go_through_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    handler: logging.StreamHandler[Any] = logging.StreamHandler(io.StringIO())
    handler.setFormatter(JsonFormatter())
    monkeypatch.setattr(observability, "_handler", handler)
    qazai = logging.getLogger("qazai")
    access = logging.getLogger("qazai.access")
    monkeypatch.setattr(qazai, "handlers", [handler])
    monkeypatch.setattr(qazai, "level", logging.INFO)  # as configure_logging sets it
    monkeypatch.setattr(access, "disabled", False)
    logging.getLogger("qazai").manager._clear_cache()
    assert direct_access_handler() is handler
    extra = logging.StreamHandler(io.StringIO())
    monkeypatch.setattr(access, "handlers", [extra])
    assert direct_access_handler() is None  # an operator's (or a test's) handler sees every line
    monkeypatch.setattr(access, "handlers", [])
    monkeypatch.setattr(qazai, "handlers", [handler, extra])
    assert direct_access_handler() is None
    monkeypatch.setattr(qazai, "handlers", [handler])
    monkeypatch.setattr(handler, "level", logging.WARNING)
    assert direct_access_handler() is None
    monkeypatch.setattr(handler, "level", logging.NOTSET)
    monkeypatch.setattr(access, "disabled", True)
    assert direct_access_handler() is None
    monkeypatch.setattr(access, "disabled", False)
    monkeypatch.setattr(qazai, "level", logging.WARNING)
    qazai.manager._clear_cache()
    assert direct_access_handler() is None
    monkeypatch.undo()
    qazai.manager._clear_cache()
