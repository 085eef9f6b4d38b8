"""Ready-made models: the catalogue (search and filters) and a model's page (card, files, sizes,
licence, a huggingface_hub snippet, lineage both ways)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from qazai.core.enums import AccessTier
from qazai.core.errors import AppError
from qazai.models import cards, lineage, reads
from qazai.models.models import ModelSearch, SystemModelLink
from qazai.web.context import Web, WebContext
from qazai.web.forms import form_failure, text
from qazai.web.labels import N_
from qazai.web.templating import NAV, redirect, render

router = APIRouter()
PAGE_SIZE = 20
CARD_SECTIONS = (
    ("intended_use", N_("Intended use")),
    ("out_of_scope_uses", N_("Out-of-scope uses")),
    ("evaluation", N_("Evaluation")),
    ("limitations_and_risks", N_("Limitations and risks")),
)

NAV.append(("/models", N_("Models"), lambda ctx: True))


@router.get("/models", response_class=HTMLResponse)
def models_page(
    ctx: Web,
    q: str = "",
    task: str = "",
    language: str = "",
    licence: str = "",
    tier: str = "",
    next: str = "",  # the API's name for the cursor
) -> HTMLResponse:
    try:
        query = ModelSearch(
            q=q[:200] or None,
            task=task or None,
            language=language or None,
            licence=licence or None,
            tier=AccessTier(tier) if tier in ("open", "registered", "restricted") else None,
            limit=PAGE_SIZE,
            cursor=next or None,
        )
    except ValidationError:
        query = ModelSearch(limit=PAGE_SIZE)
    page = reads.list_model_repos(ctx.uow, ctx.actor, query)
    return render(
        ctx,
        "models/catalogue.html",
        q=q,
        task=task,
        language=language,
        licence=licence,
        tier=tier,
        items=page.items,
        next=page.next,
        tiers=("open", "registered", "restricted"),
    )


@router.get("/models/{org}/{name}", response_class=HTMLResponse)
def model_page(org: str, name: str, ctx: Web, revision: str = "main") -> HTMLResponse:
    repo_id = f"{org}/{name}"
    info = reads.get_model_repo(ctx.uow, ctx.actor, repo_id)
    versions = reads.list_model_versions(ctx.uow, ctx.actor, repo_id)
    if versions and revision == "main" and info.latest_revision is None:
        revision = versions[0].revision  # every version withdrawn: show the newest, marked
    version = reads.resolve_revision(ctx.uow, ctx.actor, repo_id, revision) if versions else None
    systems = lineage.systems_running_model(ctx.uow, ctx.actor, repo_id, version.revision) if version else []
    card = version.card if version else None
    sections = []
    if card is not None:
        for field, title in CARD_SECTIONS:
            value = getattr(card, field)
            sections.append((title, cards.render_markdown(value.get(ctx.lang) if value else "")))
    declared = card.training_data.declared if card and card.training_data else None
    return render(
        ctx,
        "models/model.html",
        info=info,
        current=version,
        versions=versions,
        systems=systems,
        description=cards.render_markdown(
            card.description.get(ctx.lang) if card and card.description else ""
        ),
        sections=sections,
        declared=cards.render_markdown(declared.get(ctx.lang) if declared else ""),
        base=ctx.platform.settings.public_base_url,
    )


# -- the registration wizard's step "documents and lineage": the models a system runs ------------


def system_model_choices(ctx: WebContext, system_id: str) -> dict[str, Any]:
    """What the wizard's lineage step shows about models: the model versions the system runs and
    the platform's published models to choose from (newest first)."""
    published = [
        r
        for r in reads.list_model_repos(ctx.uow, ctx.actor, ModelSearch(limit=200)).items
        if r.latest_revision
    ]
    return {
        "system_models": lineage.models_of_system(ctx.uow, ctx.actor, system_id),
        "platform_models": published,
    }


@router.post("/systems/{system_id}/models", response_model=None)
async def link_system_model(system_id: str, ctx: Web) -> Response:
    from qazai.web.views.registry_common import require_member
    from qazai.web.views.registry_wizard import _documents_page

    actor = require_member(ctx)
    form = await ctx.form()
    try:
        cmd = SystemModelLink(repo_id=text(form, "repo_id"), revision=text(form, "revision") or "main")
        lineage.link_system_model(ctx.uow, actor, system_id, cmd)
    except (ValidationError, AppError) as exc:
        status, message = form_failure(ctx, exc, refusals=(401, 403))
        return _documents_page(ctx, system_id, 422 if status == 404 else status, message)
    return redirect(ctx, f"/systems/{system_id}/documents#models")
