"""Jinja2 templates (autoescaped) rendered in the visitor's language."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup

from qazai import __version__
from qazai.catalog.viewer_summary import is_quantity_name
from qazai.core.enums import Language
from qazai.core.text import LocalizedText
from qazai.libraries.models import ColumnEvidenceRead
from qazai.web.context import CSRF_FIELD, WebContext
from qazai.web.error_messages import FIELD_LABELS
from qazai.web.i18n import LANGUAGE_NAMES, localized, missing_languages, translations_for
from qazai.web.labels import label, translated_labels
from qazai.web.privacy_evidence import evidence_text
from qazai.web.privacy_report import privacy_report
from qazai.web.reader_notes import note_text

TEMPLATES_DIR = Path(__file__).parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html", "xml"], default_for_string=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)


def _json_ld(value: Any) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` block: ``<``, ``>`` and ``&`` escaped so
    no value can close the element."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above for the script-data context


def _filesize(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(value)


def _when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


BABEL_LOCALES = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en"}


@pass_context
def _number_filter(context: Any, value: Any, grouping: bool = True) -> Any:
    """``{{ value|number }}``: a number in the page's language (h2-viewer)."""
    return format_number(value, str(context.get("lang") or "kk"), grouping=grouping)


def format_number(value: Any, lang: str, *, grouping: bool = True) -> Any:
    """A number as the reader's language writes it, never in scientific notation: kk and ru
    ``14 901 641`` and ``3,5`` (no-break space, decimal comma), en ``14,901,641`` and ``3.5``;
    ``grouping=False`` for years and codes (``2024``). Anything else (text, None, yes/no) is
    returned as it is."""
    from babel.numbers import format_decimal

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    locale = BABEL_LOCALES.get(lang, "en")
    if isinstance(value, int):
        return format_decimal(value, locale=locale, group_separator=grouping)
    # up to 6 significant decimals for small values, 2 past the point for large ones
    digits = 2 if abs(value) >= 100 else 6
    pattern = ("#,##0." if grouping else "0.") + "#" * digits
    return format_decimal(value, format=pattern, locale=locale, group_separator=grouping)


environment.filters["json_ld"] = _json_ld
environment.filters["number"] = _number_filter
environment.globals["groups_digits"] = is_quantity_name  # years and codes print as 2024, not 2 024
environment.filters["filesize"] = _filesize
environment.filters["when"] = _when
environment.filters["urlquote"] = lambda value: quote(str(value), safe="")


class NavItem:
    def __init__(self, href: str, label: str) -> None:
        self.href = href
        self.label = label


def nav_items(ctx: WebContext) -> list[NavItem]:
    """The areas of the portal this visitor may use (registered by the view modules)."""
    return [NavItem(href, ctx._(text)) for href, text, allowed in NAV if allowed(ctx)]


# (path, English label, who sees it); view modules append their areas when imported.
NAV: list[tuple[str, str, Callable[[WebContext], bool]]] = []


def page_values(ctx: WebContext) -> dict[str, Any]:
    translations = translations_for(ctx.lang)

    def text(value: LocalizedText | dict[str, Any] | None) -> str:
        """The text in the page's language, else another one marked with ``lang`` (i18n.localized)."""
        if value is None:
            return ""
        if isinstance(value, dict):
            value = LocalizedText.model_validate({k: v for k, v in value.items() if k in ("kk", "ru", "en")})
        return localized(value, ctx.lang)

    path = ctx.request.url.path
    query = ctx.request.url.query
    return {
        "ctx": ctx,
        "actor": ctx.actor,
        "lang": ctx.lang.value,
        "languages": [(lang.value, LANGUAGE_NAMES[lang]) for lang in Language],
        "gettext": translations.gettext,
        "ngettext": translations.ngettext,
        "_": translations.gettext,
        "t": text,
        "csrf_field": CSRF_FIELD,
        "csrf_token": ctx.csrf_token,
        "here": path + (f"?{query}" if query else ""),
        "version": __version__,
        "label": label,
        # type_label, entity_label, yes_no, facet_value_label: already in the page's language
        **translated_labels(translations.gettext),
        "missing_languages": missing_languages,
        "privacy_report": lambda privacy: privacy_report(translations.gettext, ctx.lang, privacy),
        "reader_note": lambda note: note_text(translations.gettext, note),
        # the privacy engine's reason for its decision on a column, as a sentence (privacy reports)
        "evidence_text": lambda data: evidence_text(
            translations.gettext, ColumnEvidenceRead.model_validate(data) if data else None
        ),
        # a command's field (e.g. missing metadata) by its translated label, else its name
        "field_label": lambda name: (
            translations.gettext(FIELD_LABELS[name]) if name in FIELD_LABELS else name
        ),
        "nav": nav_items(ctx),
    }


def render(ctx: WebContext, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    template = environment.get_template(name)
    html = template.render(**page_values(ctx), **values)
    response = HTMLResponse(html, status_code=status_code)
    ctx.apply_cookies(response)
    return response


def redirect(ctx: WebContext, url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    ctx.apply_cookies(response)
    return response


def safe_next(url: str | None, default: str = "/") -> str:
    """A local path to go back to; anything else (another site, a scheme) becomes ``default``."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    return url
