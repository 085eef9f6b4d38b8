"""The public AI register: browse and search, a system's page, complaints and review requests.

No sign-in: the same ``registry.register``, ``registry.lineage``, ``registry.pilots`` and
``registry.complaints`` functions as ``/api/v1/register``. Anonymous forms use the signed
double-submit CSRF cookie (``qazai.web.context``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from qazai.core.errors import AppError, NotFound
from qazai.labels.service import count_labels
from qazai.models import lineage as model_lineage
from qazai.registry import complaints, lineage, pilots, register, trusted, trusted_lists
from qazai.registry.models import ComplaintCreate, ComplaintKind, TrustedDecision
from qazai.registry.register import RegisterEntry
from qazai.web.context import Web, WebContext
from qazai.web.forms import form_failure, optional, text
from qazai.web.labels import N_
from qazai.web.templating import NAV, redirect
from qazai.web.views import registry_optouts
from qazai.web.views.registry_common import TRUSTED_MOVE_LABELS, page

router = APIRouter()
# The authors' opt-out pages live beside the register (their own module, mounted here).
router.include_router(registry_optouts.router)
PAGE_SIZE = 25
# The register has no lookup by id (yet): the system page pages through it in large batches.
_FIND_BATCH = 1000

NAV.append(("/register", N_("AI register"), lambda ctx: True))


@router.get("/register", response_class=HTMLResponse)
def register_page(
    ctx: Web, q: str = "", cursor: Annotated[str | None, Query(alias="next")] = None
) -> HTMLResponse:
    q = q.strip()[:200]
    result = register.browse_register(
        ctx.uow, ctx.actor, q=q or None, lang=ctx.lang, cursor=cursor, limit=PAGE_SIZE
    )
    return page(ctx, "registry/register.html", q=q, entries=result.items, next_cursor=result.next)


def find_entry(ctx: WebContext, system_id: str) -> RegisterEntry:
    """The register entry of ``system_id`` in the visitor's language; NotFound unless it is listed."""
    cursor: str | None = None
    while True:
        batch = register.browse_register(ctx.uow, ctx.actor, lang=ctx.lang, cursor=cursor, limit=_FIND_BATCH)
        for entry in batch.items:
            if entry.id == system_id:
                return entry
        if batch.next is None:
            raise NotFound(ctx._("This AI system is not on the public register."))
        cursor = batch.next


def _system_page(
    ctx: WebContext,
    system_id: str,
    status_code: int = 200,
    complaint_error: str | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    entry = find_entry(ctx, system_id)
    filed = ctx.request.query_params.get("filed")
    due: date | None = None
    if filed:
        try:
            due = date.fromisoformat(filed)
        except ValueError:
            due = None
    return page(
        ctx,
        "registry/system.html",
        status_code=status_code,
        entry=entry,
        lineage=lineage.list_lineage(ctx.uow, ctx.actor, system_id),
        system_models=model_lineage.models_of_system(ctx.uow, ctx.actor, system_id),
        label_counts=count_labels(ctx.uow.session, system_id),
        pilots=pilots.list_pilots(ctx.uow, ctx.actor, system_id),
        kinds=list(ComplaintKind),
        complaint_error=complaint_error,
        values=values or {},
        filed_due=due,
    )


@router.get("/register/{system_id}", response_class=HTMLResponse)
def system_page(system_id: str, ctx: Web) -> HTMLResponse:
    return _system_page(ctx, system_id)


@router.post("/register/{system_id}/complaints", response_model=None)
async def file_complaint(system_id: str, ctx: Web) -> Response:
    """A complaint or a request for human review, anonymous or with a contact."""
    form = await ctx.form()
    values = {
        name: text(form, name)
        for name in ("kind", "text", "decision_reference", "contact_name", "contact_email", "contact_phone")
    }
    try:
        cmd = ComplaintCreate.model_validate(
            {
                "kind": values["kind"] or ComplaintKind.complaint.value,
                "text": values["text"],
                "decision_reference": optional(form, "decision_reference"),
                "contact_name": optional(form, "contact_name"),
                "contact_email": optional(form, "contact_email"),
                "contact_phone": optional(form, "contact_phone"),
                "language": ctx.lang.value,
            }
        )
        receipt = complaints.file_complaint(ctx.uow, ctx.actor, system_id, cmd)
    except (ValidationError, AppError) as exc:
        return _system_page(ctx, system_id, *form_failure(ctx, exc), values)
    # The receipt: the status page with its secret code, shown this once.
    return redirect(ctx, f"{receipt.status_url}&new=1")


@router.get("/complaints", response_class=HTMLResponse)
def complaint_lookup(
    ctx: Web,
    reference: Annotated[str, Query(max_length=32)] = "",
    code: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """Type the reference and the code of a receipt to see the complaint's status."""
    if reference.strip() and code.strip():
        return complaint_status(reference.strip(), ctx, code.strip())
    return page(ctx, "registry/complaint_lookup.html", reference=reference)


@router.get("/complaints/{reference}", response_class=HTMLResponse)
def complaint_status(
    reference: str,
    ctx: Web,
    code: Annotated[str, Query(max_length=64)] = "",
    new: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """The complainant's status page (no sign-in): the state and the owner's answer."""
    status = complaints.get_complaint_status(ctx.uow, reference[:32], code)
    return page(
        ctx,
        "registry/complaint_status.html",
        status=status,
        new=new,
        link=f"{ctx.request.base_url}complaints/{status.reference}?code={code}" if new else None,
    )


@router.get("/trusted-lists", response_class=HTMLResponse)
def trusted_list_bodies(ctx: Web) -> HTMLResponse:
    """The sectoral bodies that keep trusted lists of high-risk systems (Art. 19)."""
    return page(ctx, "registry/trusted_lists.html", bodies=trusted_lists.list_bodies(ctx.uow))


@router.get("/trusted-lists/{body}", response_class=HTMLResponse)
def trusted_list_page(body: str, ctx: Web) -> HTMLResponse:
    """One body's published trusted list, with its JSON and CSV."""
    listing = trusted_lists.published_list(ctx.uow, body[:100], ctx.lang)
    return page(ctx, "registry/trusted_list.html", listing=listing)


def _queue_page(
    ctx: WebContext, body: str, status_code: int = 200, form_error: str | None = None
) -> HTMLResponse:
    actor = ctx.require_user()
    listing = trusted_lists.published_list(ctx.uow, body[:100], ctx.lang)
    return page(
        ctx,
        "registry/trusted_queue.html",
        status_code=status_code,
        listing=listing,
        items=trusted.list_body_queue(ctx.uow, actor, listing.body.key),
        move_labels=TRUSTED_MOVE_LABELS,
        form_error=form_error,
    )


@router.get("/trusted-lists/{body}/applications", response_class=HTMLResponse)
def trusted_list_queue(body: str, ctx: Web) -> HTMLResponse:
    """The applications waiting for a sectoral body: its members (and the regulator) decide."""
    return _queue_page(ctx, body)


@router.post("/trusted-lists/{body}/applications/{application_id}", response_model=None)
async def decide_application(body: str, application_id: str, ctx: Web) -> Response:
    actor = ctx.require_user()
    form = await ctx.form()
    try:
        cmd = TrustedDecision.model_validate({"target": text(form, "target"), "note": optional(form, "note")})
        trusted.decide_trusted_application(ctx.uow, actor, application_id, cmd)
    except (ValidationError, AppError) as exc:
        return _queue_page(ctx, body, *form_failure(ctx, exc))
    return redirect(ctx, f"/trusted-lists/{body[:100]}/applications")
