"""Turning form posts into service commands, and their validation errors into words."""

from __future__ import annotations

from markupsafe import Markup
from pydantic import ValidationError
from starlette.datastructures import FormData

from qazai.core.errors import AppError
from qazai.web.context import WebContext
from qazai.web.error_messages import error_text, validation_text

#: Service refusals that become error pages rather than a message in the form.
REFUSALS = (401, 403, 404)


def validation_errors(ctx: WebContext, exc: ValidationError) -> Markup:
    """The problems of a command built from a form, in the visitor's language, each naming its
    field (the English detail stays under "Technical detail")."""
    return validation_text(ctx._, exc.errors())


def form_failure(
    ctx: WebContext, exc: ValidationError | AppError, refusals: tuple[int, ...] = REFUSALS
) -> tuple[int, Markup]:
    """The status and message a form shows when its command fails: 422 and the field problems
    for invalid input, the service error's status and text otherwise. A refusal (``refusals``)
    is re-raised, to become an error page."""
    if isinstance(exc, ValidationError):
        return 422, validation_errors(ctx, exc)
    if exc.status in refusals:
        raise exc
    return exc.status, error_text(ctx._, exc)


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def localized(form: FormData, prefix: str) -> dict[str, str] | None:
    """``prefix_kk``, ``prefix_ru``, ``prefix_en`` fields as a LocalizedText dict (None if all empty)."""
    values = {lang: text(form, f"{prefix}_{lang}") for lang in ("kk", "ru", "en")}
    values = {k: v for k, v in values.items() if v}
    return values or None


def words(form: FormData, name: str) -> list[str]:
    """A comma-separated field as a list."""
    return [w.strip() for w in text(form, name).split(",") if w.strip()]
