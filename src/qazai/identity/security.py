"""Passwords (argon2id), API token secrets and their hashes."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "qz_"  # noqa: S105 - a visible prefix, not a secret


class _Passwords:
    """argon2id with the cost set once at start (``QAZAI_ARGON2_*``); RFC 9106 low-memory by default."""

    def __init__(self) -> None:
        self.configure(time_cost=3, memory_kib=65536)

    def configure(self, *, time_cost: int, memory_kib: int) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=2)
        self._dummy_hash: str | None = None

    @property
    def dummy_hash(self) -> str:
        """A hash to verify against when the user does not exist, so that timing does not tell.
        Made on first use, with the configured cost: hashing at import cost every command ~0.2 s."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash("qazai-timing-equaliser")
        return self._dummy_hash


_passwords = _Passwords()


def configure_password_hashing(*, time_cost: int, memory_kib: int) -> None:
    _passwords.configure(time_cost=time_cost, memory_kib=memory_kib)


def hash_password(password: str) -> str:
    return _passwords.hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; hashes made with other costs still verify."""
    try:
        return _passwords.hasher.verify(password_hash or _passwords.dummy_hash, password) and (
            password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    """Tokens carry 256 random bits, so a fast hash is enough (unlike passwords)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)
