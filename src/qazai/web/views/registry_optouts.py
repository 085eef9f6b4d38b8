"""Authors' opt-outs on the portal (Art. 23; issue 16): the public list, a claimant's form with
evidence, and a claim's page where the producers concerned confirm or dispute it and the
regulator decides. The same ``registry.optouts`` and ``registry.optout_claims`` functions as
``/api/v1/registry/optouts``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from qazai.core.errors import AppError, PermissionDenied
from qazai.registry import optout_claims, optouts, policy
from qazai.registry.optout_claims import OptOutAnswer, OptOutDecision
from qazai.registry.optouts import OptOutCreate
from qazai.web.context import Web, WebContext
from qazai.web.forms import form_failure, optional, text
from qazai.web.templating import redirect
from qazai.web.views.registry_common import page

router = APIRouter()
STATES = ("pending", "disputed", "active", "removed")
CLAIM_FIELDS = (
    "title",
    "author",
    "claimant",
    "claimant_contact",
    "evidence",
    "file_sha256",
    "url",
    "isbn",
    "doi",
    "identifier",
)


@router.get("/optouts", response_class=HTMLResponse)
def optout_list(ctx: Web, state: Annotated[str, Query(max_length=16)] = "") -> HTMLResponse:
    """The public opt-out registry, filtered by state."""
    chosen = state if state in STATES else ""
    works = optouts.list_optouts(ctx.uow, ctx.actor, chosen or None)
    return page(ctx, "registry/optouts.html", works=works, state=chosen, states=STATES)


def _new_page(
    ctx: WebContext,
    status_code: int = 200,
    form_error: str | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(
        ctx, "registry/optout_new.html", status_code=status_code, form_error=form_error, values=values or {}
    )


@router.get("/optouts/new", response_class=HTMLResponse)
def new_claim(ctx: Web) -> HTMLResponse:
    ctx.require_user()
    return _new_page(ctx)


@router.post("/optouts", response_model=None)
async def file_claim(ctx: Web) -> Response:
    """A signed-in author or rights holder claims a work, with evidence."""
    actor = ctx.require_user()
    form = await ctx.form()
    values = {name: text(form, name) for name in (*CLAIM_FIELDS, "text")}
    try:
        cmd = OptOutCreate.model_validate({name: optional(form, name) for name in (*CLAIM_FIELDS, "text")})
        registered = optouts.register_optout(ctx.uow, actor, cmd)
    except (ValidationError, AppError) as exc:
        return _new_page(ctx, *form_failure(ctx, exc), values)
    return redirect(ctx, f"/optouts/{registered.work.id}")


def _claim_page(
    ctx: WebContext, work_id: str, status_code: int = 200, form_error: str | None = None
) -> HTMLResponse:
    work = optouts.get_optout(ctx.uow, ctx.actor, work_id)
    try:
        claim = optout_claims.get_claim(ctx.uow, ctx.actor, work_id) if ctx.signed_in else None
    except PermissionDenied:
        claim = None  # the evidence is for the producers concerned and the regulator only
    regulator = policy.is_regulator(ctx.actor)
    return page(
        ctx,
        "registry/optout.html",
        status_code=status_code,
        work=work,
        claim=claim,
        can_answer=claim is not None and work.state == "pending",
        can_dispute=claim is not None and not regulator and work.state == "pending",
        can_decide=regulator and work.state != "removed",
        form_error=form_error,
    )


@router.get("/optouts/{work_id}", response_class=HTMLResponse)
def claim_page(work_id: str, ctx: Web) -> HTMLResponse:
    return _claim_page(ctx, work_id)


@router.post("/optouts/{work_id}/answer", response_model=None)
async def answer_claim(work_id: str, ctx: Web) -> Response:
    """A producer concerned (or the regulator) confirms (``action=confirm``) or disputes a claim."""
    actor = ctx.require_user()
    form = await ctx.form()
    try:
        cmd = OptOutAnswer(reason=text(form, "reason"))
        if text(form, "action") == "dispute":
            optout_claims.dispute_optout(ctx.uow, actor, work_id, cmd)
        else:
            optout_claims.confirm_optout(ctx.uow, actor, work_id, cmd)
    except (ValidationError, AppError) as exc:
        return _claim_page(ctx, work_id, *form_failure(ctx, exc))
    return redirect(ctx, f"/optouts/{work_id}")


@router.post("/optouts/{work_id}/decide", response_model=None)
async def decide_claim(work_id: str, ctx: Web) -> Response:
    """The regulator upholds the claim (``uphold=true``) or removes a wrongful one."""
    actor = ctx.require_user()
    form = await ctx.form()
    try:
        cmd = OptOutDecision(uphold=text(form, "uphold") == "true", reason=text(form, "reason"))
        optout_claims.decide_optout(ctx.uow, actor, work_id, cmd)
    except (ValidationError, AppError) as exc:
        return _claim_page(ctx, work_id, *form_failure(ctx, exc))
    return redirect(ctx, f"/optouts/{work_id}")
