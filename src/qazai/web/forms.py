"""Turning form posts into service commands, and their validation errors into words."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.datastructures import FormData

from qazai.web.context import WebContext


def first_error(ctx: WebContext, exc: ValidationError) -> str:
    """The first problem of a command built from a form, naming the field."""
    errors = exc.errors()
    if not errors:
        return ctx._("Some of the data is not valid")
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    message = str(first.get("msg", "")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


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
