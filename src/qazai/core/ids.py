"""Identifiers: time-sortable, URL-safe, 26 characters (ULID alphabet)."""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    """A new ULID-shaped id: 48 bits of milliseconds then 80 random bits, Crockford base32.

    Sorting ids as strings sorts them by creation time (to the millisecond), which keeps keyset
    pagination and index locality simple on both SQLite and PostgreSQL.
    """
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))
