"""Identifiers: time-sortable, URL-safe, 26 characters (ULID alphabet)."""

from __future__ import annotations

import base64
import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# base64's base32 alphabet, digit for digit, mapped to Crockford's
_FROM_RFC4648 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())
_RANDOM_BITS = 80
_lock = threading.Lock()
_last_ms = 0
_last_random = 0


def new_id() -> str:
    """A new ULID: 48 bits of milliseconds then 80 random bits, Crockford base32.

    Monotonic within a process: ids made in the same millisecond increment the random part, so
    sorting ids as strings sorts them by creation order. Keyset pagination ("newest first",
    ``id < cursor``) relies on this.
    """
    global _last_ms, _last_random
    with _lock:
        now_ms = int(time.time() * 1000)
        if now_ms <= _last_ms:
            now_ms = _last_ms
            _last_random += 1
            if _last_random >= 1 << _RANDOM_BITS:  # 2^80 ids in one millisecond: borrow the next one
                now_ms += 1
                _last_random = int.from_bytes(os.urandom(10), "big") >> 1
        else:
            _last_random = int.from_bytes(os.urandom(10), "big") >> 1
        _last_ms = now_ms
        value = (now_ms << _RANDOM_BITS) | _last_random
    # 160 bits encode to 32 base32 digits; the last 26 are the id's 130 (the top two always 0)
    return base64.b32encode(value.to_bytes(20, "big"))[6:].translate(_FROM_RFC4648).decode()
