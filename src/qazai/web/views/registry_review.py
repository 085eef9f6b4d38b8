"""The regulator's review queue: systems submitted or in review, one system with everything the
owner gave, the moves the workflow table allows the regulator (take into review, register, return,
reject, suspend, ...) with a reason, and overdue complaints."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape
from pydantic import ValidationError

from qazai.core.errors import AppError
from qazai.core.text import LocalizedText
from qazai.registry import classification, complaints, documents, lineage, reference, revisions, service
from qazai.registry.models import (
    ComplaintFilter,
    ComplaintKind,
    ComplaintState,
    RevisionDecision,
    TransitionCreate,
)
from qazai.registry.workflow import SystemState, Who
from qazai.web.context import Web, WebContext
from qazai.web.forms import form_failure, optional, text
from qazai.web.labels import N_
from qazai.web.templating import NAV, redirect
from qazai.web.views.registry_common import moves_for, page, require_regulator

router = APIRouter()
QUEUE_LIMIT = 500

NAV.append(("/review", N_("Review queue"), lambda ctx: ctx.is_regulator))


@router.get("/review", response_class=HTMLResponse)
def review_queue(ctx: Web) -> HTMLResponse:
    actor = require_regulator(ctx)
    submitted = service.list_systems(ctx.uow, actor, state=SystemState.submitted, limit=QUEUE_LIMIT).items
    in_review = service.list_systems(ctx.uow, actor, state=SystemState.in_review, limit=QUEUE_LIMIT).items
    overdue = complaints.list_complaints(ctx.uow, actor, ComplaintFilter(overdue=True))
    pending = revisions.list_revisions(ctx.uow, actor)
    names: dict[str, LocalizedText] = {}
    for system_id in [c.system_id for c in overdue] + [r.system_id for r in pending]:
        if system_id not in names:
            names[system_id] = service.get_system(ctx.uow, actor, system_id).name
    return page(
        ctx,
        "registry/review_queue.html",
        submitted=submitted,
        in_review=in_review,
        overdue=overdue,
        revisions=pending,
        system_names=names,
    )


def _review_page(
    ctx: WebContext, system_id: str, status_code: int = 200, form_error: str | None = None
) -> HTMLResponse:
    actor = require_regulator(ctx)
    system = service.get_system(ctx.uow, actor, system_id)
    sector = reference.sectors(ctx.uow.session).get(system.sector)  # its name, not its key
    return page(
        ctx,
        "registry/review_system.html",
        status_code=status_code,
        system=system,
        sector=sector.name if sector else None,
        history=service.list_transitions(ctx.uow, actor, system_id),
        classifications=classification.list_classifications(ctx.uow, actor, system_id),
        attestations=service.list_attestations(ctx.uow, actor, system_id),
        status=documents.get_documentation(ctx.uow, actor, system_id),
        lineage=lineage.list_lineage(ctx.uow, actor, system_id),
        complaints=complaints.list_system_complaints(ctx.uow, actor, system_id),
        moves=moves_for(system.state, Who.regulator),
        form_error=form_error,
    )


@router.get("/review/complaints", response_class=HTMLResponse)
def all_complaints(ctx: Web) -> HTMLResponse:
    """Every complaint and review request, filtered by state, kind, system, overdue and dates."""
    actor = require_regulator(ctx)
    params = ctx.request.query_params
    raw: dict[str, str | bool | None] = {
        name: params.get(name) or None for name in ("state", "kind", "system", "filed_from", "filed_to")
    }
    raw["overdue"] = params.get("overdue") == "true"
    names: dict[str, LocalizedText] = {}
    for state in (SystemState.registered, SystemState.suspended):
        for system in service.list_systems(ctx.uow, actor, state=state, limit=QUEUE_LIMIT).items:
            names[system.id] = system.name
    status_code, form_error, items = 200, None, []
    try:
        items = complaints.list_complaints(ctx.uow, actor, ComplaintFilter.model_validate(raw))
    except (ValidationError, AppError) as exc:
        status_code, form_error = form_failure(ctx, exc)
    for c in items:
        if c.system_id not in names:
            names[c.system_id] = service.get_system(ctx.uow, actor, c.system_id).name
    return page(
        ctx,
        "registry/complaints_list.html",
        status_code=status_code,
        form_error=form_error,
        items=items,
        filters=raw,
        states=list(ComplaintState),
        kinds=list(ComplaintKind),
        system_names=names,
    )


@router.get("/review/{system_id}", response_class=HTMLResponse)
def review_system(system_id: str, ctx: Web) -> HTMLResponse:
    return _review_page(ctx, system_id)


@router.post("/review/{system_id}", response_model=None)
async def decide(system_id: str, ctx: Web) -> Response:
    actor = require_regulator(ctx)
    form = await ctx.form()
    try:
        cmd = TransitionCreate.model_validate({"to": text(form, "to"), "reason": optional(form, "reason")})
        service.transition_system(ctx.uow, actor, system_id, cmd)
    except (ValidationError, AppError) as exc:
        status, message = form_failure(ctx, exc)
        if isinstance(exc, AppError) and exc.code == "reason_required":
            message = escape(ctx._("Give a reason: the owner will see it."))
        return _review_page(ctx, system_id, status, message)
    return redirect(ctx, f"/review/{system_id}")


@router.post("/review/{system_id}/revision/{revision_id}", response_model=None)
async def decide_revision(system_id: str, revision_id: str, ctx: Web) -> Response:
    """Approve or reject the pending revision of a registered system (reason needed to reject)."""
    actor = require_regulator(ctx)
    form = await ctx.form()
    try:
        cmd = RevisionDecision.model_validate(
            {"decision": text(form, "decision"), "reason": optional(form, "reason")}
        )
        revisions.decide_revision(ctx.uow, actor, revision_id, cmd)
    except (ValidationError, AppError) as exc:
        status, message = form_failure(ctx, exc)
        if isinstance(exc, AppError) and exc.code == "reason_required":
            message = escape(ctx._("Give a reason: the owner will see it."))
        return _review_page(ctx, system_id, status, message)
    return redirect(ctx, f"/review/{system_id}")
