"""Registering an AI system, step by step, each a plain form (no script needed):

record → classification questionnaire (proposal with reasons; confirm or override) →
prohibited-capability attestation → documents and library lineage (completeness) → submit
(on the system's page, ``registry_owner``). Every step calls the registry service the API calls.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from qazai.core.enums import AutonomyLevel, RiskLevel
from qazai.core.errors import AppError, InvalidInput
from qazai.registry import classification, documents, lineage, reference, service
from qazai.registry.models import (
    AttestationCreate,
    ClassificationCreate,
    LineageLink,
    ProposalRead,
    SystemCreate,
    SystemType,
)
from qazai.web.context import Web, WebContext
from qazai.web.forms import form_failure, localized, optional, text
from qazai.web.templating import redirect
from qazai.web.views.models import system_model_choices
from qazai.web.views.registry_common import (
    USAGES,
    member_organisations,
    page,
    require_member,
    yes_no,
)

router = APIRouter()
# Document uploads stream past the request-size limit, like the publish wizard's (50 MiB each).
DOCUMENT_UPLOAD_PREFIX = "/publish/upload/ai-systems"


def _new_page(
    ctx: WebContext, status_code: int = 200, form_error: str | None = None, values: FormData | None = None
) -> HTMLResponse:
    require_member(ctx)
    return page(
        ctx,
        "registry/new.html",
        status_code=status_code,
        orgs=member_organisations(ctx),
        sectors=reference.sectors(ctx.uow.session).sectors,
        system_types=list(SystemType),
        form_error=form_error,
        values=values or {},
        step=1,
        system=None,
    )


@router.get("/systems/new", response_class=HTMLResponse)
def new_system(ctx: Web) -> HTMLResponse:
    return _new_page(ctx)


@router.post("/systems", response_model=None)
async def create_system(ctx: Web) -> Response:
    actor = require_member(ctx)
    form = await ctx.form()
    model_name = text(form, "model_name")
    try:
        cmd = SystemCreate.model_validate(
            {
                "owner_organisation": text(form, "owner_organisation"),
                "holder_organisation": optional(form, "holder_organisation"),
                "name": localized(form, "name"),
                "purpose": localized(form, "purpose"),
                "sector": text(form, "sector"),
                "deployment_context": text(form, "deployment_context"),
                "affected_persons": text(form, "affected_persons"),
                "system_type": text(form, "system_type"),
                "models": [
                    {
                        "name": model_name,
                        "version": text(form, "model_version"),
                        "provenance": text(form, "model_provenance"),
                        "hosted_here": text(form, "model_hosted_here") == "yes",
                    }
                ]
                if model_name
                else [],
                "notice": localized(form, "notice"),
                "labelling_method": optional(form, "labelling_method"),
                # the wizard asks it; left unanswered, the system type decides (as in the API)
                "produces_synthetic_content": yes_no(text(form, "produces_synthetic_content")),
                "complaint_contact": text(form, "complaint_contact"),
            }
        )
        created = service.create_system(ctx.uow, actor, cmd)
    except (ValidationError, AppError) as exc:
        return _new_page(ctx, *form_failure(ctx, exc), form)
    return redirect(ctx, f"/systems/{created.id}/classify")


# -- classification ------------------------------------------------------------------------------


def _answers(form: FormData, questions: list[Any]) -> dict[str, str]:
    return {q.key: text(form, f"q_{q.key}") for q in questions if text(form, f"q_{q.key}")}


def _classify_page(
    ctx: WebContext,
    system_id: str,
    *,
    status_code: int = 200,
    answers: dict[str, str] | None = None,
    proposal: ProposalRead | None = None,
    chosen: dict[str, str] | None = None,
    form_error: str | None = None,
) -> HTMLResponse:
    require_member(ctx)
    system = service.get_system(ctx.uow, ctx.actor, system_id)
    history = classification.list_classifications(ctx.uow, ctx.actor, system_id)
    if answers is None:
        answers = dict(history[-1].answers) if history else {}
    return page(
        ctx,
        "registry/classify.html",
        status_code=status_code,
        system=system,
        questionnaire=reference.questionnaire(ctx.uow.session),
        answers=answers,
        proposal=proposal,
        chosen=chosen or {},
        latest=history[-1] if history else None,
        risks=list(RiskLevel),
        autonomies=list(AutonomyLevel),
        form_error=form_error,
        step=2,
    )


@router.get("/systems/{system_id}/classify", response_class=HTMLResponse)
def classify_step(system_id: str, ctx: Web) -> HTMLResponse:
    return _classify_page(ctx, system_id)


@router.post("/systems/{system_id}/classify", response_model=None)
async def classify(system_id: str, ctx: Web) -> Response:
    """``action=propose`` shows the questionnaire's proposal; ``action=confirm`` records the classes."""
    actor = require_member(ctx)
    form = await ctx.form()
    questions = reference.questionnaire(ctx.uow.session).questions
    answers = _answers(form, questions)
    chosen = {k: text(form, k) for k in ("risk_class", "autonomy_class", "justification", "legal_basis")}
    proposal: ProposalRead | None = None
    try:
        proposal = classification.propose_classification(ctx.uow, actor, answers)
        if text(form, "action") == "confirm":
            cmd = ClassificationCreate(
                answers=answers,
                risk_class=RiskLevel(chosen["risk_class"]) if chosen["risk_class"] else None,
                autonomy_class=AutonomyLevel(chosen["autonomy_class"]) if chosen["autonomy_class"] else None,
                justification=chosen["justification"] or None,
                autonomy_legal_basis=chosen["legal_basis"] or None,
            )
            classification.classify_system(ctx.uow, actor, system_id, cmd)
            return redirect(ctx, f"/systems/{system_id}/attest")
    except (ValidationError, AppError, ValueError) as exc:
        if isinstance(exc, (ValidationError, AppError)):
            status, message = form_failure(ctx, exc)
        else:  # a class name that is no RiskLevel/AutonomyLevel
            status, message = 422, escape(ctx._("Choose a valid class."))
        return _classify_page(
            ctx,
            system_id,
            status_code=status,
            answers=answers,
            proposal=proposal,
            chosen=chosen,
            form_error=message,
        )
    return _classify_page(ctx, system_id, answers=answers, proposal=proposal, chosen=chosen)


# -- prohibited capabilities -----------------------------------------------------------------------


def _attest_page(
    ctx: WebContext,
    system_id: str,
    status_code: int = 200,
    form_error: str | None = None,
    answers: dict[str, str] | None = None,
) -> HTMLResponse:
    require_member(ctx)
    system = service.get_system(ctx.uow, ctx.actor, system_id)
    if answers is None:
        history = service.list_attestations(ctx.uow, ctx.actor, system_id)
        answers = {k: ("yes" if v else "no") for k, v in history[-1].answers.items()} if history else {}
    return page(
        ctx,
        "registry/attest.html",
        status_code=status_code,
        system=system,
        checklist=reference.prohibited_checklist(ctx.uow.session),
        answers=answers,
        form_error=form_error,
        step=3,
    )


@router.get("/systems/{system_id}/attest", response_class=HTMLResponse)
def attest_step(system_id: str, ctx: Web) -> HTMLResponse:
    return _attest_page(ctx, system_id)


@router.post("/systems/{system_id}/attest", response_model=None)
async def attest(system_id: str, ctx: Web) -> Response:
    actor = require_member(ctx)
    form = await ctx.form()
    items = reference.prohibited_checklist(ctx.uow.session).items
    given = {
        i.key: text(form, f"item_{i.key}") for i in items if text(form, f"item_{i.key}") in ("yes", "no")
    }
    try:
        cmd = AttestationCreate(
            answers={k: v == "yes" for k, v in given.items()}, statement=optional(form, "statement")
        )
        service.attest_system(ctx.uow, actor, system_id, cmd)
    except (ValidationError, AppError) as exc:
        status, message = form_failure(ctx, exc)
        if isinstance(exc, AppError) and exc.code == "unanswered_item":
            message = escape(ctx._("Answer every question of the checklist."))
        return _attest_page(ctx, system_id, status, message, given)
    return redirect(ctx, f"/systems/{system_id}/documents")


# -- documents and lineage --------------------------------------------------------------------------


def _documents_page(
    ctx: WebContext, system_id: str, status_code: int = 200, form_error: str | None = None
) -> HTMLResponse:
    require_member(ctx)
    system = service.get_system(ctx.uow, ctx.actor, system_id)
    return page(
        ctx,
        "registry/documents.html",
        status_code=status_code,
        system=system,
        status=documents.get_documentation(ctx.uow, ctx.actor, system_id),
        lineage=lineage.list_lineage(ctx.uow, ctx.actor, system_id),
        usages=USAGES,
        **system_model_choices(ctx, system_id),
        upload_action=f"{DOCUMENT_UPLOAD_PREFIX}/{system_id}",
        form_error=form_error,
        step=4,
    )


@router.get("/systems/{system_id}/documents", response_class=HTMLResponse)
def documents_step(system_id: str, ctx: Web) -> HTMLResponse:
    return _documents_page(ctx, system_id)


@router.post(DOCUMENT_UPLOAD_PREFIX + "/{system_id}", response_model=None)
async def upload_document(system_id: str, ctx: Web) -> Response:
    actor = require_member(ctx)
    form = await ctx.request.form()
    try:
        await ctx.form()
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename or not file.size:
            raise InvalidInput(ctx._("Choose a file to upload."), code="file_required")
        await run_in_threadpool(
            documents.upload_document,
            ctx.uow,
            actor,
            ctx.platform.objects,
            system_id,
            template_key=text(form, "template"),
            filename=file.filename,
            content_type=file.content_type or "application/octet-stream",
            data=file.file,
        )
    except AppError as exc:
        return _documents_page(ctx, system_id, *form_failure(ctx, exc))
    finally:
        await form.close()
    return redirect(ctx, f"/systems/{system_id}/documents#documents")


@router.post("/systems/{system_id}/lineage", response_model=None)
async def link_library(system_id: str, ctx: Web) -> Response:
    actor = require_member(ctx)
    form = await ctx.form()
    try:
        number = text(form, "number")
        cmd = LineageLink(
            library_slug=text(form, "library_slug") or None,
            number=int(number) if number.isdigit() else None,
            usage=text(form, "usage") or "training",
        )
        lineage.link_library_version(ctx.uow, actor, system_id, cmd)
    except (ValidationError, AppError) as exc:
        # An unknown library version is a mistake in the form; an unknown system is still a 404
        # (the page below cannot load it).
        status, message = form_failure(ctx, exc, refusals=(401, 403))
        return _documents_page(ctx, system_id, 422 if status == 404 else status, message)
    return redirect(ctx, f"/systems/{system_id}/documents#lineage")
