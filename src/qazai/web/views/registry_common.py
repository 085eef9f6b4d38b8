"""Shared by the AI system pages: labels of the registry's values, who may use which area, and
the moves of the workflow table (``registry.workflow.TRANSITIONS``) a role may offer as buttons."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi.responses import HTMLResponse

from qazai.core.errors import PermissionDenied
from qazai.identity import service as identity
from qazai.identity.actor import Actor
from qazai.registry.models import TransitionRead
from qazai.registry.workflow import TRANSITIONS, SystemState, Who
from qazai.web.context import WebContext
from qazai.web.i18n import translations_for
from qazai.web.labels import N_, label
from qazai.web.templating import render

# Registry values whose English label differs from (or is missing in) ``labels.LABELS``.
REGISTRY_LABELS: dict[str, str] = {
    # workflow states ("registered" is "Registered users" for access tiers)
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "in_review": N_("In review"),
    "registered": N_("Registered"),
    "returned": N_("Returned"),
    "suspended": N_("Suspended"),
    "retired": N_("Retired"),
    # system types
    "computer_vision": N_("Computer vision"),
    "language": N_("Language processing"),
    "speech": N_("Speech"),
    "decision_support": N_("Decision support"),
    "generative": N_("Generative AI"),
    "other_ml": N_("Other machine learning"),
    # complaints
    "complaint": N_("Complaint"),
    "review_request": N_("Request for human review"),
    "open": N_("Awaiting an answer"),  # a complaint's state; "Open" is the access tier's word
    "assigned": N_("Assigned to a reviewer"),
    "answered": N_("Answered"),
    # trusted lists and pilots
    "incomplete": N_("Incomplete"),
    "accepted": N_("Accepted"),
    "scheduled": N_("Scheduled"),
    "closed": N_("Closed"),
    # authors' opt-out claims ("pending" is in labels.LABELS)
    "active": N_("In force"),
    "disputed": N_("Disputed"),
    "removed": N_("Removed"),
    # lineage usage
    "training": N_("Training"),
    "fine_tuning": N_("Fine-tuning"),
    "evaluation": N_("Evaluation"),
    "retrieval": N_("Retrieval"),
}
# What the button that makes a move says.
MOVE_LABELS: dict[str, str] = {
    "submitted": N_("Submit for review"),
    "draft": N_("Withdraw the submission"),
    "in_review": N_("Take into review"),
    "registered": N_("Register"),
    "returned": N_("Return to the owner"),
    "rejected": N_("Reject"),
    "suspended": N_("Suspend"),
    "retired": N_("Retire"),
}
USAGES = ("training", "fine_tuning", "evaluation", "retrieval")
# What the button of a sectoral body's decision on a trusted-list application says.
TRUSTED_MOVE_LABELS: dict[str, str] = {
    "accepted": N_("Complete: accept"),
    "incomplete": N_("Incomplete: return to the owner"),
    "published": N_("Publish on the list"),
    "refused": N_("Refuse"),
    "withdrawn": N_("Withdraw from the list"),
}
# The fields of a pending revision (``registry.revisions.REVIEWED_FIELDS`` and a classification).
REVISION_FIELDS: dict[str, str] = {
    "name": N_("Name"),
    "purpose": N_("Purpose"),
    "notice": N_("Notice to users"),
    "sector": N_("Sector"),
    "deployment_context": N_("Where and how it is used"),
    "affected_persons": N_("Who is affected"),
    "system_type": N_("Type"),
    "models": N_("Models"),
    "labelling_method": N_("How AI-made output is marked"),
    "produces_synthetic_content": N_("Produces synthetic content"),
    "holder_organisation": N_("Holder organisation"),
    "classification": N_("Classification"),
}


def yes_no(value: str) -> bool | str | None:
    """A form's yes/no answer as a boolean; None when it is not given; anything else as it came,
    for the command's validation to name."""
    return {"yes": True, "no": False, "": None}.get(value, value)


def rlabel(value: object) -> str:
    """The English label of a registry value (translated in templates with ``_()``)."""
    raw = str(getattr(value, "value", value))
    return REGISTRY_LABELS.get(raw) or label(raw)


def move_label(state: object) -> str:
    raw = str(getattr(state, "value", state))
    return MOVE_LABELS.get(raw, raw)


def change_text(value: object, gettext: Callable[[str], str] = str) -> str:
    """One side of a revision's diff as text: texts per language, model names, a class, yes or no
    (``gettext`` translates the latter)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext(N_("Yes") if value else N_("No"))
    if isinstance(value, dict) and "risk_class" in value:
        return f"{value.get('risk_class')} / {value.get('autonomy_class')}"
    if isinstance(value, dict):
        return " · ".join(f"{lang}: {text}" for lang, text in value.items() if text)
    if isinstance(value, list):
        return "; ".join(" ".join(str(m.get(k) or "") for k in ("name", "version")).strip() for m in value)
    return str(value)


def page(ctx: WebContext, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """``templating.render`` with the registry's label helpers."""
    return render(
        ctx,
        name,
        status_code=status_code,
        rlabel=rlabel,
        move_label=move_label,
        change_text=partial(change_text, gettext=translations_for(ctx.lang).gettext),
        revision_fields=REVISION_FIELDS,
        **values,
    )


def is_member(ctx: WebContext) -> bool:
    """Any membership makes a person an owner of their organisation's systems (docs/registry.md)."""
    return bool(ctx.actor.memberships)


def require_member(ctx: WebContext) -> Actor:
    actor = ctx.require_user()
    if not actor.memberships:
        raise PermissionDenied(ctx._("Only members of an organisation register AI systems."))
    return actor


def require_regulator(ctx: WebContext) -> Actor:
    actor = ctx.require_user()
    if not ctx.is_regulator:
        raise PermissionDenied(ctx._("Only the regulator reviews AI systems."))
    return actor


def member_organisations(ctx: WebContext) -> list[Any]:
    return [identity.get_organisation(ctx.uow, ctx.actor, org_id) for org_id in ctx.actor.memberships]


def moves_for(state: SystemState, who: Who) -> list[tuple[SystemState, bool]]:
    """The states ``who`` may move a system to from ``state``, each with whether a reason is needed."""
    return [(t.target, t.reason_required) for t in TRANSITIONS if t.source == state and who in t.who]


def last_reason(history: list[TransitionRead], state: SystemState) -> TransitionRead | None:
    """The newest move into ``state`` (e.g. the regulator's return with its reason)."""
    return next((t for t in reversed(history) if t.to_state == state), None)
