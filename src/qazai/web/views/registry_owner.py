"""The owner's side: their organisations' AI systems with state, the regulator's reason when a
submission is returned, notifications (authors' opt-outs), submitting, and complaints to answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from qazai.core.errors import AppError
from qazai.labels import service as labels_service
from qazai.registry import complaints, documents, notifications, reference, revisions, service
from qazai.registry.models import (
    ComplaintAnswer,
    ReviewerAssign,
    SystemRead,
    SystemType,
    SystemUpdate,
    TransitionCreate,
)
from qazai.registry.workflow import SystemState, Who
from qazai.web.context import Web, WebContext
from qazai.web.forms import form_failure, localized, optional, text
from qazai.web.labels import N_
from qazai.web.templating import NAV, redirect
from qazai.web.views.registry_common import (
    is_member,
    last_reason,
    moves_for,
    page,
    require_member,
    yes_no,
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
        # Art. 21: a system that declared synthetic content is registered once a test label verified
        test_label_verified=(
            system.produces_synthetic_content
            and labels_service.has_verified_test_label(ctx.uow.session, system_id)
        ),
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


def _form_values(system: SystemRead) -> dict[str, str]:
    """The record as the fields of the system form (the first model only)."""
    values = {
        "holder_organisation": system.holder_organisation_id or "",
        "sector": system.sector,
        "system_type": system.system_type.value,
        "deployment_context": system.deployment_context,
        "affected_persons": system.affected_persons,
        "labelling_method": system.labelling_method or "",
        "produces_synthetic_content": "yes" if system.produces_synthetic_content else "no",
        "complaint_contact": system.complaint_contact,
    }
    for field in ("name", "purpose", "notice"):
        text_of = getattr(system, field)
        for lang in ("kk", "ru", "en"):
            values[f"{field}_{lang}"] = getattr(text_of, lang) or ""
    if system.models:
        first = system.models[0]
        values.update(
            model_name=first.name,
            model_version=first.version,
            model_provenance=first.provenance,
            model_hosted_here="yes" if first.hosted_here else "",
        )
    return values


def _edit_page(
    ctx: WebContext,
    system: SystemRead,
    status_code: int = 200,
    form_error: str | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(
        ctx,
        "registry/new.html",
        status_code=status_code,
        orgs=[],
        sectors=reference.sectors(ctx.uow.session).sectors,
        system_types=list(SystemType),
        form_error=form_error,
        values=values or _form_values(system),
        step=1,
        system=system,
        reviewed=system.state in (SystemState.registered, SystemState.suspended),
    )


@router.get("/systems/{system_id}/edit", response_class=HTMLResponse)
def edit_system(system_id: str, ctx: Web) -> HTMLResponse:
    """The record's form: a draft changes at once, a registered system through review."""
    actor = require_member(ctx)
    return _edit_page(ctx, service.get_system(ctx.uow, actor, system_id))


@router.post("/systems/{system_id}/edit", response_model=None)
async def save_system(system_id: str, ctx: Web) -> Response:
    actor = require_member(ctx)
    form = await ctx.form()
    system = service.get_system(ctx.uow, actor, system_id)
    model_name = text(form, "model_name")
    model = {
        "name": model_name,
        "version": text(form, "model_version"),
        "provenance": text(form, "model_provenance"),
        "hosted_here": text(form, "model_hosted_here") == "yes",
    }
    try:
        cmd = SystemUpdate.model_validate(
            {
                "holder_organisation": optional(form, "holder_organisation"),
                "name": localized(form, "name"),
                "purpose": localized(form, "purpose"),
                "sector": text(form, "sector") or None,
                "deployment_context": text(form, "deployment_context"),
                "affected_persons": text(form, "affected_persons"),
                "system_type": text(form, "system_type") or None,
                # the form shows the first model; the others stay as they are
                "models": ([model] if model_name else []) + [m.model_dump() for m in system.models[1:]],
                "notice": localized(form, "notice"),
                "labelling_method": optional(form, "labelling_method"),
                "produces_synthetic_content": yes_no(text(form, "produces_synthetic_content")),
                "complaint_contact": text(form, "complaint_contact"),
            }
        )
        service.update_system(ctx.uow, actor, system_id, cmd)
    except (ValidationError, AppError) as exc:
        return _edit_page(ctx, system, *form_failure(ctx, exc), {k: text(form, k) for k in form})
    return redirect(ctx, f"/systems/{system_id}")
