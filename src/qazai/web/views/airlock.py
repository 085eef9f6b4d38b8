"""The airlock's pages: the output checkers' review queue, one held file with its disclosure findings
highlighted in the table, the review form, and the released files a project member may download."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from qazai.compute import airlock, airlock_publish
from qazai.compute.airlock_models import (
    FileState,
    HeldFileFilter,
    HeldFileRead,
    ReviewCreate,
    TablePreview,
    Variant,
)
from qazai.core.enums import OrgRole
from qazai.core.errors import AppError
from qazai.web.context import Web, WebContext
from qazai.web.forms import form_failure, optional, text
from qazai.web.labels import N_
from qazai.web.templating import NAV, redirect, render

router = APIRouter()
LIST_LIMIT = 200

NAV.append(("/airlock", N_("Output checking"), lambda ctx: ctx.signed_in))

# The labels of the airlock's values on its pages.
AIRLOCK_LABELS: dict[str, str] = {
    "pending": N_("Waiting for review"),
    "released": N_("Released"),
    "rejected": N_("Refused"),
    "withheld": N_("Withheld"),
    "evidence": N_("Evidence for the checks"),
    "original": N_("Original"),
    "safe": N_("Safe version"),
    "approve": N_("Approved"),
    "reject": N_("Refused"),
    "table": N_("Table"),
    "other": N_("Other file"),
    "frequency": N_("Frequency table"),
    "magnitude": N_("Magnitude table"),
    "suppress": N_("Suppressed"),
    "secondary": N_("Suppressed to protect another cell"),
    "review": N_("For the reviewer"),
    "blocking": N_("Blocks the original"),
}


def alabel(value: object) -> str:
    key = getattr(value, "value", value)
    return AIRLOCK_LABELS.get(str(key), str(key))


def _page(ctx: WebContext, name: str, status_code: int = 200, **values: object) -> HTMLResponse:
    return render(ctx, name, status_code=status_code, alabel=alabel, **values)


@router.get("/airlock", response_class=HTMLResponse)
def queue(ctx: Web) -> HTMLResponse:
    """Output checkers: the files waiting for review, then the latest decided. Others: their own outputs."""
    actor = ctx.require_user()
    checker = airlock.can_review_outputs(actor)
    pending: list[HeldFileRead] = []
    if checker:
        pending = airlock.list_held_files(
            ctx.uow, actor, HeldFileFilter(state=FileState.pending, limit=LIST_LIMIT)
        ).items
        recent = [
            f
            for f in airlock.list_held_files(ctx.uow, actor, HeldFileFilter(limit=LIST_LIMIT)).items
            if f.state is not FileState.pending
        ]
    else:
        recent = airlock.list_held_files(ctx.uow, actor, HeldFileFilter(limit=LIST_LIMIT)).items
    released = airlock.list_released_files(ctx.uow, actor, limit=LIST_LIMIT)
    return _page(
        ctx, "airlock/queue.html", checker=checker, pending=pending, recent=recent, released=released
    )


def _file_page(
    ctx: WebContext, file_id: str, variant: str | None, status_code: int = 200, form_error: str | None = None
) -> HTMLResponse:
    actor = ctx.require_user()
    file = airlock.get_held_file(ctx.uow, actor, file_id)
    checker = airlock.can_review_outputs(actor)
    chosen = Variant.safe if variant == "safe" and file.has_safe_version else Variant.original
    if not checker and file.released_variant is not None:
        chosen = file.released_variant
    preview: TablePreview | None = None
    preview_error = None
    can_see = checker or file.state is FileState.released
    if file.role == "table" and can_see and file.state is not FileState.withheld:
        try:
            served = airlock.resolve_held_file(ctx.uow, actor, file_id, chosen)
            preview = airlock.preview_held_table(ctx.platform.objects, served, max_rows=200)
            if ctx.uow.read_only:
                airlock.record_output_read(ctx.platform.db, actor, served, preview=True)
            else:  # the answer to a form: its own unit of work holds the writer's lock
                airlock.audit_output_read(ctx.uow, actor, served, preview=True)
                ctx.uow.commit()
        except AppError as exc:
            preview_error = exc.message
    reviewed = any(r.reviewer_id == actor.user_id for r in file.reviews)
    publication = None
    if file.state is FileState.released and file.role == "table":
        try:
            publication = airlock_publish.get_publication_status(ctx.uow, actor, file_id)
        except AppError:
            publication = None  # the job is not known any more: nothing to publish
    return _page(
        ctx,
        "airlock/file.html",
        status_code=status_code,
        file=file,
        checker=checker,
        may_review=checker
        and file.state is FileState.pending
        and file.requested_by != actor.user_id
        and not reviewed,
        own=file.requested_by == actor.user_id,
        preview=preview,
        preview_error=preview_error,
        variant=chosen,
        form_error=form_error,
        publication=publication,
        may_allow=publication is not None
        and any(
            actor.has_org_role(i.organisation_id, OrgRole.producer) and not i.allowed
            for i in publication.inputs
        ),
        may_publish=publication is not None
        and publication.publishable
        and actor.has_org_role(file.organisation_id, OrgRole.producer),
    )


@router.get("/airlock/{file_id}", response_class=HTMLResponse)
def held_file(file_id: str, ctx: Web) -> HTMLResponse:
    return _file_page(ctx, file_id, ctx.request.query_params.get("variant"))


@router.post("/airlock/{file_id}", response_model=None)
async def review(file_id: str, ctx: Web) -> Response:
    actor = ctx.require_user()
    form = await ctx.form()
    try:
        decision = text(form, "decision")
        command = ReviewCreate.model_validate(
            {
                "decision": decision,
                "variant": optional(form, "variant") if decision == "approve" else None,
                "justification": optional(form, "justification"),
            }
        )
        airlock.review_held_file(ctx.uow, actor, file_id, command)
    except (ValidationError, AppError) as exc:
        ctx.uow.rollback()
        status, message = form_failure(ctx, exc)
        return _file_page(ctx, file_id, None, status, message)
    return redirect(ctx, f"/airlock/{file_id}")


@router.post("/airlock/{file_id}/allow-publication", response_model=None)
async def allow_publication(file_id: str, ctx: Web) -> Response:
    actor = ctx.require_user()
    await ctx.form()
    try:
        airlock_publish.allow_publication(ctx.uow, actor, file_id)
    except AppError as exc:
        ctx.uow.rollback()
        status, message = form_failure(ctx, exc)
        return _file_page(ctx, file_id, None, status, message)
    return redirect(ctx, f"/airlock/{file_id}")


@router.post("/airlock/{file_id}/publish", response_model=None)
async def publish(file_id: str, ctx: Web) -> Response:
    actor = ctx.require_user()
    form = await ctx.form()
    try:
        command = airlock_publish.PublishReleased.model_validate(
            {
                "slug": text(form, "slug"),
                "title": {ctx.lang.value: text(form, "title")},
                "description": {ctx.lang.value: text(form, "description")},
                "licence": text(form, "licence") or "CC-BY-4.0",
                "contact_email": text(form, "contact_email"),
            }
        )
        ctx.uow.rollback()  # the publication opens its own units of work
        started = airlock_publish.publish_released_file(
            ctx.platform.db,
            ctx.platform.objects,
            actor,
            file_id,
            command,
            max_bytes=ctx.platform.settings.upload_max_bytes,
            retention_days=ctx.platform.settings.raw_retention_days,
        )
    except (ValidationError, AppError) as exc:
        ctx.uow.rollback()
        status, message = form_failure(ctx, exc)
        return _file_page(ctx, file_id, None, status, message)
    return redirect(ctx, f"/libraries/{started.library}")
