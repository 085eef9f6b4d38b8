"""Cursor pagination: opaque ``next`` tokens over a stable sort key."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from qazai.core.errors import InvalidInput

T = TypeVar("T")

MAX_LIMIT = 1000


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = None


def encode_cursor(key: Any) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """The sort key a cursor stands for, or None for the first page; a bad cursor is InvalidInput."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise _bad_cursor() from None


_MAX_INT_KEY = 2**63 - 1  # what an INTEGER/BIGINT column holds


def decode_text_cursor(cursor: str | None) -> str | None:
    """A cursor over a text key (a slug, an e-mail, an id); InvalidInput for any other cursor,
    e.g. one from a list sorted by a number."""
    key = decode_cursor(cursor)
    if key is not None and not isinstance(key, str):
        raise _bad_cursor()
    return key


def decode_int_cursor(cursor: str | None) -> int | None:
    """A cursor over a number key (a version number, a sequence); InvalidInput for any other
    cursor, including numbers a database integer cannot hold."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    if isinstance(key, bool) or not isinstance(key, int) or not -_MAX_INT_KEY <= key <= _MAX_INT_KEY:
        raise _bad_cursor()
    return key


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        "the `next` cursor is malformed or belongs to another list; pass back the value a page gave you",
        code="invalid_cursor",
    )


def check_limit(limit: int) -> int:
    if limit < 1 or limit > MAX_LIMIT:
        raise InvalidInput(
            f"limit must be between 1 and {MAX_LIMIT}", code="invalid_limit", details={"limit": limit}
        )
    return limit
