"""One error tree for the whole platform.

Every surface turns an :class:`AppError` into its own shape: the API into the error envelope,
the CLI into one line and a non-zero exit, the web into a page in the user's language.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error a user may see. ``code`` is stable and machine-readable."""

    code: str = "error"
    status: int = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details or {}

    def __str__(self) -> str:
        return self.message


class InvalidInput(AppError):
    code = "invalid_input"
    status = 422


class Unauthenticated(AppError):
    code = "unauthenticated"
    status = 401


class PermissionDenied(AppError):
    code = "permission_denied"
    status = 403


class NotFound(AppError):
    code = "not_found"
    status = 404


class Conflict(AppError):
    code = "conflict"
    status = 409


class RateLimited(AppError):
    """Too many attempts; try again after ``retry_after`` seconds (HTTP 429 with ``Retry-After``)."""

    code = "too_many_requests"
    status = 429

    def __init__(
        self,
        message: str,
        *,
        retry_after: int,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, code=code, details={**(details or {}), "retry_after": self.retry_after})


class PayloadTooLarge(AppError):
    code = "payload_too_large"
    status = 413


class DisclosureBlocked(AppError):
    """An output or a version would disclose personal data; nothing was released."""

    code = "disclosure_blocked"
    status = 422


class Unavailable(AppError):
    code = "unavailable"
    status = 503


class ConfigError(AppError):
    """The platform's settings are wrong; it refuses to start."""

    code = "config_error"
    status = 500
