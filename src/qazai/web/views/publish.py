"""The publish wizard: library → upload (with progress) → columns and privacy → live job progress."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from qazai.core.enums import AccessTier, OrgRole
from qazai.core.errors import AppError, InvalidInput, NotFound, PermissionDenied
from qazai.identity import service as identity
from qazai.identity.policy import can_read_job
from qazai.libraries import preview, uploads
from qazai.libraries import service as libraries
from qazai.libraries.completeness import REQUIRED_FIELDS, missing_required
from qazai.libraries.ingest import ColumnType
from qazai.libraries.models import (
    Frequency,
    LegalBasis,
    LibraryCreate,
    PublishRequest,
    UploadCreate,
    UploadPreview,
)
from qazai.privacy.policy import Action
from qazai.storage.jobs import get_job
from qazai.storage.scratch import scratch_root
from qazai.web.context import Web, WebContext
from qazai.web.error_messages import FIELD_LABELS, error_text
from qazai.web.forms import form_failure, localized, optional, text, words
from qazai.web.job_messages import progress_text
from qazai.web.labels import N_, label
from qazai.web.privacy_evidence import evidence_text
from qazai.web.templating import NAV, redirect, render

router = APIRouter()
COLUMN_TYPES = ("", *(t.value for t in ColumnType))
EMPTY_ROWS = 3
MAX_FORM_FIELDS = 7 * 10_000 + 10


def _producer_orgs(ctx: WebContext) -> list[Any]:
    return [
        identity.get_organisation(ctx.uow, ctx.actor, org_id)
        for org_id, role in ctx.actor.memberships.items()
        if role in (OrgRole.producer, OrgRole.org_admin)
    ]


def _require_producer(ctx: WebContext) -> list[Any]:
    ctx.require_user()
    orgs = _producer_orgs(ctx)
    if not orgs:
        raise PermissionDenied(ctx._("Only producers of an organisation can publish data."))
    return orgs


NAV.append(
    (
        "/publish",
        N_("Publish data"),
        lambda ctx: any(r in (OrgRole.producer, OrgRole.org_admin) for r in ctx.actor.memberships.values()),
    )
)


def _start_page(
    ctx: WebContext,
    status_code: int = 200,
    form_error: str | None = None,
    missing: list[str] | None = None,
    values: FormData | None = None,
) -> HTMLResponse:
    orgs = _require_producer(ctx)
    mine = []
    for org in orgs:
        mine.extend(libraries.list_libraries(ctx.uow, ctx.actor, organisation=org.slug, limit=200).items)
    return render(
        ctx,
        "publish/start.html",
        status_code=status_code,
        orgs=orgs,
        libraries=mine,
        tiers=list(AccessTier),
        legal_bases=list(LegalBasis),
        frequencies=list(Frequency),
        form_error=form_error,
        required=REQUIRED_FIELDS,
        missing=missing or [],
        # what was typed, shown again when the form is refused (the CSRF token is the page's own)
        values={k: v for k, v in (values or {}).items() if isinstance(v, str) and k != "csrf_token"},
        step=1,
    )


@router.get("/publish", response_class=HTMLResponse)
def start(ctx: Web) -> HTMLResponse:
    return _start_page(ctx)


@router.post("/publish/libraries", response_model=None)
async def create_library(ctx: Web) -> Response:
    _require_producer(ctx)
    form = await ctx.form()
    try:
        contact_email = optional(form, "contact_email")
        cmd = LibraryCreate.model_validate(
            {
                "slug": text(form, "slug"),
                "organisation": text(form, "organisation"),
                "title": localized(form, "title"),
                "description": localized(form, "description"),
                "licence": optional(form, "licence"),
                "tier": optional(form, "tier"),
                "legal_basis": optional(form, "legal_basis"),
                "frequency": optional(form, "frequency"),
                "source_systems": words(form, "source_systems") or None,
                "keywords": words(form, "keywords") or None,
                "themes": words(form, "themes") or None,
                "contact": {"email": contact_email} if contact_email else None,
            }
        )
        missing = missing_required(libraries.command_metadata_dict(cmd, cmd.organisation))
        if missing:
            return _start_page(ctx, 422, _missing_fields_text(ctx, missing), missing=missing, values=form)
        created = libraries.create_library(ctx.uow, ctx.actor, cmd)
    except (ValidationError, AppError) as exc:
        return _start_page(ctx, *form_failure(ctx, exc, refusals=(401, 403)), values=form)
    return redirect(ctx, f"/publish/{created.slug}")


def _missing_fields_text(ctx: WebContext, missing: list[str], links: str | None = None) -> Markup:
    """The mandatory fields a library lacks, each by its label; with ``links`` (the edit page's
    address, ``next`` included) each is a link to that field on the edit page."""
    labels = [ctx._(FIELD_LABELS[name]) if name in FIELD_LABELS else name for name in missing]
    if links is None:
        items = Markup("").join(Markup("<li>{}</li>").format(text) for text in labels)
    else:
        items = Markup("").join(
            Markup('<li><a href="{}#field-{}">{}</a></li>').format(links, name, text)
            for name, text in zip(missing, labels, strict=True)
        )
    return Markup('{}<ul class="missing-fields">{}</ul>').format(
        ctx._("These fields are required before publishing:"), items
    )


@router.get("/publish/{slug}", response_class=HTMLResponse)
def upload_step(slug: str, ctx: Web) -> HTMLResponse:
    _require_producer(ctx)
    library = libraries.get_library(ctx.uow, ctx.actor, slug)
    return render(ctx, "publish/upload.html", library=library, step=2, form_error=None)


@router.post("/publish/upload/{slug}", response_model=None)
async def receive_upload(slug: str, ctx: Web) -> Response:
    """The file, as multipart form data: posted by the no-JS form or by the script (progress)."""
    actor = ctx.require_user()
    form = await ctx.request.form()
    try:
        await ctx.form()
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename or not file.size:
            raise InvalidInput(ctx._("Choose a file to upload."), code="file_required")
        settings = ctx.platform.settings
        created = uploads.create_upload(
            ctx.uow,
            actor,
            UploadCreate(library=slug, filename=file.filename, size=file.size),
            max_bytes=settings.upload_max_bytes,
            retention_days=settings.raw_retention_days,
        )
        done = await run_in_threadpool(
            uploads.append_chunk, ctx.platform.db, ctx.platform.objects, actor, created.id, 0, file.file
        )
    finally:
        await form.close()  # the spooled temporary file of the upload
    next_url = f"/publish/{slug}/uploads/{done.id}"
    if "application/json" in ctx.request.headers.get("accept", ""):
        return JSONResponse({"ok": True, "next": next_url, "upload": done.model_dump(mode="json")})
    return redirect(ctx, next_url)


def _known_columns(ctx: WebContext, slug: str) -> list[dict[str, Any]]:
    """Columns (detected name, type, privacy finding) of this library's newest version, published
    or rejected, so a producer publishing again starts from what the pipeline found last time."""
    versions = libraries.list_versions(ctx.uow, ctx.actor, slug, limit=1).items
    if not versions:
        return []
    out: list[dict[str, Any]] = []
    for table in versions[0].manifest.get("tables", []):
        findings = {
            str(c.get("name")): c
            for c in ((table.get("privacy") or {}).get("scan") or {}).get("columns", [])
            if isinstance(c, dict)
        }
        for column in table.get("columns_inferred", []):
            found = findings.get(str(column.get("name")), {})
            out.append(
                {
                    "table": table.get("name"),
                    "source": column.get("source"),
                    "name": column.get("name"),
                    "type": column.get("type"),
                    "kind": found.get("kind"),
                    "action": found.get("action"),
                }
            )
    return out


def _preview_rows(ctx: WebContext, found: UploadPreview) -> list[dict[str, Any]]:
    """The form's rows: one per column of every table, numbered across tables, each with the
    engine's reason for its decision as a sentence in the visitor's language."""
    rows: list[dict[str, Any]] = []
    for table in found.tables:
        for column in table.columns:
            explained = evidence_text(ctx._, column.evidence)
            rows.append({"table": table.name, **column.model_dump(), "explanation": explained})
    return rows


def _options_page(
    ctx: WebContext,
    slug: str,
    upload_id: str,
    status_code: int = 200,
    form_error: str | None = None,
    sheet: str | None = None,
) -> HTMLResponse:
    _require_producer(ctx)
    library = libraries.get_library(ctx.uow, ctx.actor, slug)
    upload = uploads.get_upload(ctx.uow, ctx.actor, upload_id)
    found: UploadPreview | None = None
    preview_error = None
    try:
        found = preview.preview_upload(
            ctx.uow,
            ctx.platform.objects,
            ctx.actor,
            slug,
            upload_id,
            sheet=sheet or None,
            work_dir=scratch_root(ctx.platform.settings.data_dir),
        )
    except AppError as exc:
        if exc.status in (401, 403, 404):
            raise
        preview_error = error_text(ctx._, exc)
    return render(
        ctx,
        "publish/options.html",
        status_code=status_code,
        library=library,
        upload=upload,
        preview=found,
        preview_error=preview_error,
        sheet=sheet or "",
        columns=_preview_rows(ctx, found) if found else _known_columns(ctx, slug),
        empty_rows=range(0 if found else EMPTY_ROWS),
        column_types=COLUMN_TYPES,
        actions=list(Action),
        step=3,
        form_error=form_error,
    )


@router.get("/publish/{slug}/uploads/{upload_id}", response_class=HTMLResponse)
def options_step(slug: str, upload_id: str, ctx: Web, sheet: str | None = None) -> HTMLResponse:
    return _options_page(ctx, slug, upload_id, sheet=sheet)


def _policy_and_overrides(
    form: Any,
) -> tuple[dict[str, Any] | None, dict[str, dict[str, dict[str, str]]] | None]:
    rules: dict[str, Any] = {}
    overrides: dict[str, dict[str, dict[str, str]]] = {}
    for i in range(int(text(form, "rows") or 0)):
        column = text(form, f"column_{i}")
        if not column:
            continue
        rename = text(form, f"rename_{i}")
        action = text(form, f"action_{i}")
        if action:  # the policy names columns as published: after a rename
            reason = text(form, f"reason_{i}")
            engine = text(form, f"engine_action_{i}")  # what the preview showed the engine would do
            if action == Action.keep.value and engine not in ("", action) and not reason:
                # the privacy engine refuses it too, but only in the job: say so on the form
                raise InvalidInput(
                    f"column '{rename or column}': keeping a column the engine would {engine} needs a reason",
                    code="override_needs_reason",
                )
            rules[rename or column] = {"action": action, **({"reason": reason} if reason else {})}
        new_type = text(form, f"type_{i}")
        if rename or new_type:
            table = text(form, f"table_{i}") or "*"
            change = {k: v for k, v in (("name", rename), ("type", new_type)) if v}
            overrides.setdefault(table, {})[column] = change
    return ({"columns": rules} if rules else None), (overrides or None)


@router.post("/publish/{slug}/uploads/{upload_id}", response_model=None)
async def publish(slug: str, upload_id: str, ctx: Web) -> Response:
    _require_producer(ctx)
    # seven fields per column: a workbook of many sheets passes Starlette's default of 1,000
    await ctx.request.form(max_fields=MAX_FORM_FIELDS)
    form = await ctx.form()
    try:
        policy, overrides = _policy_and_overrides(form)
        accepted = libraries.request_publish(
            ctx.uow,
            ctx.actor,
            slug,
            PublishRequest(
                upload_id=upload_id, policy=policy, overrides=overrides, sheet=optional(form, "sheet")
            ),
        )
    except (ValidationError, AppError) as exc:
        status, message = form_failure(ctx, exc)
        if isinstance(exc, AppError) and exc.code == "metadata_incomplete":
            # no dead end: each missing field links to the edit page, which comes back here
            back = urlencode({"next": f"/publish/{slug}/uploads/{upload_id}"})
            missing = [str(name) for name in (exc.details or {}).get("missing", [])]
            message = _missing_fields_text(ctx, missing, links=f"/libraries/{slug}/edit?{back}")
        return _options_page(ctx, slug, upload_id, status, message, optional(form, "sheet"))
    return redirect(ctx, f"/publish/jobs/{accepted.job_id}")


def _own_job(ctx: WebContext, job_id: str) -> Any:
    actor = ctx.require_user()
    job = get_job(ctx.uow.session, job_id)
    if not can_read_job(actor, job.payload.get("actor_id")):
        raise NotFound(f"no job {job_id!r}")
    return job


@router.get("/publish/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, ctx: Web) -> HTMLResponse:
    job = _own_job(ctx, job_id)
    slug = str((job.result or {}).get("library") or "")
    library = None
    library_id = job.payload.get("library_id")
    if library_id:
        library = libraries.get_library(ctx.uow, ctx.actor, str(library_id))
        slug = library.slug
    # A failed job keeps its error's code: shown in the visitor's language like any service error.
    job_error = error_text(ctx._, AppError(job.error.message, code=job.error.code)) if job.error else None
    return render(
        ctx,
        "publish/job.html",
        job=job,
        slug=slug,
        library=library,
        step=4,
        job_error=job_error,
        progress_message=progress_text(ctx._, job.progress_message),
    )


@router.get("/publish/jobs/{job_id}/progress")
def job_progress(job_id: str, ctx: Web) -> JSONResponse:
    """What the job page's script polls: the job's state and progress in the visitor's language."""
    job = _own_job(ctx, job_id)
    return JSONResponse(
        {
            "state": job.state.value,
            "state_label": ctx._(label(job.state)),
            "progress_percent": job.progress_percent,
            "progress_message": progress_text(ctx._, job.progress_message),
            "final": job.state.value not in ("queued", "running"),
        },
        headers={"Cache-Control": "no-store"},
    )
