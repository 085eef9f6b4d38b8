"""The owner's side: their organisations' AI systems with state, the regulator's reason when a
submission is returned, notifications (authors' opt-outs), submitting, and complaints to answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from qazai.core.errors import AppError
from qazai.registry import complaints, documents, notifications, revisions, service
from qazai.registry.models import ComplaintAnswer, ReviewerAssign, TransitionCreate
from qazai.registry.workflow import SystemState, Who
from qazai.web.context import Web, WebContext
from qazai.web.forms import form_failure, optional, text
from qazai.web.labels import N_
from qazai.web.templating import NAV, redirect
from qazai.web.views.registry_common import (
    is_member,
    last_reason,
    moves_for,
    page,
    require_member,
)

router = APIRouter()
LIST_LIMIT = 200

NAV.append(("/systems", N_("My AI systems"), is_member))


@router.get("/systems", response_class=HTMLResponse)
def my_systems(ctx: Web) -> HTMLResponse:
    actor = require_member(ctx)
    systems = service.list_systems(ctx.uow, actor, limit=LIST_LIMIT).items
    # The regulator and the operator see every system through the service; here, only their own.
    systems = [s for s in systems if s.owner_organisation_id in actor.memberships]
    reasons = {
        s.id: last_reason(service.list_transitions(ctx.uow, actor, s.id), SystemState.returned)
        for s in systems
        if s.state == SystemState.returned
    }
    return page(
        ctx,
        "registry/mine.html",
        systems=systems,
        reasons=reasons,
        notifications=notifications.list_notifications(ctx.uow, actor),
    )


def _overview(
    ctx: WebContext, system_id: str, status_code: int = 200, form_error: str | None = None
) -> HTMLResponse:
    actor = require_member(ctx)
    system = service.get_system(ctx.uow, actor, system_id)
    history = service.list_transitions(ctx.uow, actor, system_id)
    state = system.state
    owner = system.owner_organisation_id in actor.memberships
    return page(
        ctx,
        "registry/overview.html",
        status_code=status_code,
        system=system,
        history=history,
        returned=last_reason(history, SystemState.returned) if state == SystemState.returned else None,
        status=documents.get_documentation(ctx.uow, actor, system_id),
        complaints=complaints.list_system_complaints(ctx.uow, actor, system_id) if owner else [],
        moves=moves_for(state, Who.owner) if owner else [],
        editable=owner and state in (SystemState.draft, SystemState.returned),
        owner=owner,
        form_error=form_error,
        step=5,
    )


@router.get("/systems/{system_id}", response_class=HTMLResponse)
def system_overview(system_id: str, ctx: Web) -> HTMLResponse:
    return _overview(ctx, system_id)


@router.post("/systems/{system_id}/transition", response_model=None)
async def move_system(system_id: str, ctx: Web) -> Response:
    """Submit, withdraw or retire (the owner's moves of the workflow table)."""
    actor = require_member(ctx)
    form = await ctx.form()
    try:
        cmd = TransitionCreate.model_validate({"to": text(form, "to"), "reason": optional(form, "reason")})
        service.transition_system(ctx.uow, actor, system_id, cmd)
    except (ValidationError, AppError) as exc:
        return _overview(ctx, system_id, *form_failure(ctx, exc))
    return redirect(ctx, f"/systems/{system_id}")


@router.post("/systems/{system_id}/complaints/{complaint_id}", response_model=None)
async def handle_complaint(system_id: str, complaint_id: str, ctx: Web) -> Response:
    """``action=assign`` names the human reviewer of a review request; ``action=answer`` answers."""
    actor = require_member(ctx)
    form = await ctx.form()
    try:
        if text(form, "action") == "assign":
            complaints.assign_reviewer(
                ctx.uow, actor, complaint_id, ReviewerAssign(reviewer=text(form, "reviewer"))
            )
        else:
            complaints.answer_complaint(
                ctx.uow, actor, complaint_id, ComplaintAnswer(text=text(form, "answer"))
            )
    except (ValidationError, AppError) as exc:
        return _overview(ctx, system_id, *form_failure(ctx, exc))
    return redirect(ctx, f"/systems/{system_id}#complaints")


@router.post("/systems/{system_id}/revision/{revision_id}/withdraw", response_model=None)
async def withdraw_revision(system_id: str, revision_id: str, ctx: Web) -> Response:
    """Take back the changes waiting for the regulator."""
    actor = require_member(ctx)
    await ctx.form()
    try:
        revisions.withdraw_revision(ctx.uow, actor, revision_id)
    except AppError as exc:
        return _overview(ctx, system_id, *form_failure(ctx, exc))
    return redirect(ctx, f"/systems/{system_id}")
