"""The producers' metadata edit page: every field of a library and its data dictionary.

A publish refused for missing mandatory metadata links here, anchored at each missing field, with
``next`` pointing back at the publish step; after saving, the producer returns there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from starlette.datastructures import FormData

from qazai.catalog.exports import LICENCES
from qazai.core.enums import AccessTier
from qazai.core.errors import AppError, PermissionDenied
from qazai.libraries import policy
from qazai.libraries import service as libraries
from qazai.libraries.completeness import REQUIRED_FIELDS
from qazai.libraries.models import (
    NATIONAL_LICENCES,
    Frequency,
    LegalBasis,
    LibraryRead,
    LibraryUpdate,
)
from qazai.web.context import Web, WebContext
from qazai.web.error_messages import error_text, problem_text, validation_text
from qazai.web.forms import localized, optional, text, words
from qazai.web.templating import redirect, render

router = APIRouter()
LANGS = ("kk", "ru", "en")
MAX_DICTIONARY_ROWS = 2000
# where a saved edit may send the producer back to: the publish wizard or the library page
_NEXT_PREFIXES = ("/publish/", "/libraries/")


def safe_next(value: str | None) -> str | None:
    """``next`` only when it is a path of this portal's publish wizard or library pages."""
    if not value or not value.startswith(_NEXT_PREFIXES) or "//" in value or "\\" in value:
        return None
    return value


def _library_values(library: LibraryRead) -> dict[str, str]:
    values: dict[str, str] = {}
    for field in ("title", "description", "terms"):
        given = getattr(library, field)
        for lang in LANGS:
            values[f"{field}_{lang}"] = (getattr(given, lang) or "") if given else ""
    values["licence"] = library.licence or ""
    values["tier"] = library.tier.value
    values["legal_basis"] = library.legal_basis.value if library.legal_basis else ""
    values["frequency"] = library.frequency.value if library.frequency else ""
    for field in ("source_systems", "themes", "keywords"):
        values[field] = ", ".join(getattr(library, field))
    contact = library.contact
    for part in ("name", "email", "phone"):
        values[f"contact_{part}"] = (getattr(contact, part) or "") if contact else ""
    temporal, spatial = library.temporal, library.spatial
    for part in ("start", "end"):
        when = getattr(temporal, part) if temporal else None
        values[f"temporal_{part}"] = when.isoformat() if when else ""
    values["spatial_region"] = (spatial.region or "") if spatial else ""
    values["spatial_kato"] = (spatial.kato or "") if spatial else ""
    return values


def _dictionary_rows(ctx: WebContext, library: LibraryRead) -> list[dict[str, Any]]:
    """One row per column of the latest published version (its name and type), then the columns
    described already but not published (yet), each with its description and unit."""
    columns: list[tuple[str, str]] = []
    if library.latest_version:
        version = libraries.get_version(ctx.uow, ctx.actor, library.slug, library.latest_version)
        for table in version.manifest.get("tables") or []:
            for column in table.get("schema") or []:
                name = str(column.get("name"))
                if name not in (c for c, _ in columns):
                    columns.append((name, str(column.get("type") or "")))
    known = {name for name, _ in columns}
    columns.extend((name, "") for name in library.dictionary if name not in known)
    rows = []
    for name, type_name in columns[:MAX_DICTIONARY_ROWS]:
        note = library.dictionary.get(name)
        description = note.description if note else None
        texts = {lang: (getattr(description, lang) or "") if description else "" for lang in LANGS}
        rows.append(
            {
                "name": name,
                "type": type_name,
                **{f"description_{lang}": texts[lang] for lang in LANGS},
                "unit": (note.unit or "") if note else "",
            }
        )
    return rows


def _posted_dictionary(form: FormData) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The dictionary as the command takes it, and the rows to show again on an error."""
    dictionary: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    count = min(
        int(text(form, "dictionary_rows") or 0) if text(form, "dictionary_rows").isdigit() else 0,
        MAX_DICTIONARY_ROWS,
    )
    for i in range(count):
        name = text(form, f"column_{i}")
        if not name:
            continue
        row = {
            "name": name,
            "type": text(form, f"column_type_{i}"),
            **{f"description_{lang}": text(form, f"column_{i}_description_{lang}") for lang in LANGS},
            "unit": text(form, f"column_{i}_unit"),
        }
        rows.append(row)
        description = localized(form, f"column_{i}_description")
        if description or row["unit"]:
            dictionary[name] = {"description": description, "unit": row["unit"] or None}
    return dictionary, rows


def update_command(form: FormData) -> tuple[LibraryUpdate, list[dict[str, Any]]]:
    """Every field of the form as one update: an emptied field clears it."""
    dictionary, rows = _posted_dictionary(form)
    contact = {part: optional(form, f"contact_{part}") for part in ("name", "email", "phone")}
    temporal = {part: optional(form, f"temporal_{part}") for part in ("start", "end")}
    spatial = {"region": optional(form, "spatial_region"), "kato": optional(form, "spatial_kato")}
    cmd = LibraryUpdate.model_validate(
        {
            "title": localized(form, "title"),
            "description": localized(form, "description"),
            "terms": localized(form, "terms"),
            "licence": optional(form, "licence"),
            "tier": optional(form, "tier"),
            "legal_basis": optional(form, "legal_basis"),
            "frequency": optional(form, "frequency"),
            "source_systems": words(form, "source_systems") or None,
            "themes": words(form, "themes") or None,
            "keywords": words(form, "keywords") or None,
            "contact": contact if any(contact.values()) else None,
            "temporal": temporal if any(temporal.values()) else None,
            "spatial": spatial if any(spatial.values()) else None,
            "dictionary": dictionary or None,
        }
    )
    return cmd, rows


def field_errors(ctx: WebContext, exc: ValidationError) -> dict[str, str]:
    """Per form field (the command's top field; ``dictionary.<column>`` for a column), the
    problem in the visitor's language, shown next to the field."""
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        if not loc:
            continue
        key = f"dictionary.{loc[1]}" if loc[0] == "dictionary" and len(loc) > 1 else loc[0]
        out.setdefault(key, problem_text(ctx._, error))
    return out


def _require_editor(ctx: WebContext, slug: str) -> LibraryRead:
    actor = ctx.require_user()
    library = libraries.get_library(ctx.uow, actor, slug)
    if not policy.can_update_library(actor, library.organisation_id):
        raise PermissionDenied(ctx._("Only the library's producers can change its metadata."))
    return library


def _edit_page(
    ctx: WebContext,
    library: LibraryRead,
    *,
    values: dict[str, str],
    dictionary: list[dict[str, Any]],
    next_url: str | None,
    status_code: int = 200,
    form_error: Markup | str | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
) -> HTMLResponse:
    return render(
        ctx,
        "libraries/edit.html",
        status_code=status_code,
        library=library,
        values=values,
        dictionary=dictionary,
        next_url=next_url,
        form_error=form_error,
        errors=errors or {},
        saved=saved,
        required=REQUIRED_FIELDS,
        missing=library.completeness.required_missing,
        tiers=list(AccessTier),
        legal_bases=list(LegalBasis),
        frequencies=list(Frequency),
        licences=sorted({*LICENCES, *NATIONAL_LICENCES}),
    )


@router.get("/libraries/{slug}/edit", response_class=HTMLResponse)
def edit_page(slug: str, ctx: Web, next: str | None = None, saved: int = 0) -> HTMLResponse:
    library = _require_editor(ctx, slug)
    return _edit_page(
        ctx,
        library,
        values=_library_values(library),
        dictionary=_dictionary_rows(ctx, library),
        next_url=safe_next(next),
        saved=bool(saved),
    )


@router.post("/libraries/{slug}/edit", response_model=None)
async def save_edit(slug: str, ctx: Web) -> Response:
    library = _require_editor(ctx, slug)
    form = await ctx.form()
    next_url = safe_next(optional(form, "next"))
    values = {key: text(form, key) for key in form if isinstance(form.get(key), str)}
    rows: list[dict[str, Any]] = []
    try:
        cmd, rows = update_command(form)
        updated = libraries.update_library(ctx.uow, ctx.actor, library.slug, cmd)
    except ValidationError as exc:
        _, rows = _posted_dictionary(form)
        return _edit_page(
            ctx,
            library,
            values=values,
            dictionary=rows,
            next_url=next_url,
            status_code=422,
            form_error=validation_text(ctx._, exc.errors()),
            errors=field_errors(ctx, exc),
        )
    except AppError as exc:
        if exc.status in (401, 403, 404):
            raise
        _, rows = _posted_dictionary(form)
        errors: dict[str, str] = {"title": error_text(ctx._, exc)} if exc.code == "title_required" else {}
        return _edit_page(
            ctx,
            library,
            values=values,
            dictionary=rows,
            next_url=next_url,
            status_code=exc.status,
            form_error=error_text(ctx._, exc),
            errors=errors,
        )
    if next_url and not updated.completeness.required_missing:
        return redirect(ctx, next_url)
    query = "?" + urlencode({"saved": 1, **({"next": next_url} if next_url else {})})
    return redirect(ctx, f"/libraries/{updated.slug}/edit{query}")
