"""Access to a model's files: terms acceptance (registered tier) and grants (restricted tier).

The same commands, rules and expiry semantics as a library's (``qazai.libraries.access``), kept
per model repository; who may decide is the libraries' policy.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from qazai.core.clock import utcnow
from qazai.core.enums import AccessTier
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from qazai.core.ids import new_id
from qazai.identity.actor import Actor
from qazai.libraries.access import settle_grant
from qazai.libraries.models import GrantCreate, GrantDecision, GrantStatus
from qazai.libraries.service import audit
from qazai.models import policy, reads, repo
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.models import ModelGrantRow, ModelRepoRow, ModelTermsAcceptanceRow


class ModelTermsAcceptance(BaseModel):
    repo_id: str
    user_id: str
    accepted_at: datetime


class ModelGrantRead(BaseModel):
    id: str
    repo_id: str
    user_id: str
    purpose: str
    status: GrantStatus
    requested_at: datetime
    decided_at: datetime | None
    decision_note: str | None
    expires_at: datetime | None
    active: bool


def _grant_read(row: ModelGrantRow, repo_id: str) -> ModelGrantRead:
    return ModelGrantRead(
        id=row.id,
        repo_id=repo_id,
        user_id=row.user_id,
        purpose=row.purpose,
        status=GrantStatus(row.status),
        requested_at=row.requested_at,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        expires_at=row.expires_at,
        active=row.status == GrantStatus.approved.value
        and row.expires_at is not None
        and row.expires_at > utcnow(),
    )


def accept_model_terms(uow: UnitOfWork, actor: Actor, repo_id: str) -> ModelTermsAcceptance:
    """Record that the signed-in user accepts the repository's terms (idempotent)."""
    if not policy.can_accept_model_terms(actor):
        raise Unauthenticated("sign in to accept a model's terms", code="authentication_required")
    assert actor.user_id is not None
    row = reads.load_repo(uow.session, repo_id)
    accepted = repo.get_acceptance(uow.session, row.id, actor.user_id)
    if accepted is None:
        accepted = ModelTermsAcceptanceRow(
            id=new_id(), repo_id=row.id, user_id=actor.user_id, accepted_at=utcnow()
        )
        uow.session.add(accepted)
        uow.session.flush()
        audit(
            uow.session,
            actor,
            "model.terms.accept",
            "model_repo",
            row.id,
            {"repo": repo_id},
            row.organisation_id,
        )
        uow.commit()
    return ModelTermsAcceptance(
        repo_id=row.repo_id, user_id=accepted.user_id, accepted_at=accepted.accepted_at
    )


def request_model_grant(uow: UnitOfWork, actor: Actor, repo_id: str, cmd: GrantCreate) -> ModelGrantRead:
    """Ask for access to a restricted model, stating the purpose. Conflict if a request is
    already pending; InvalidInput if the model is not restricted."""
    if not policy.can_request_model_grant(actor):
        raise Unauthenticated("sign in to request access", code="authentication_required")
    assert actor.user_id is not None
    row = reads.load_repo(uow.session, repo_id)
    if row.tier != AccessTier.restricted.value:
        raise InvalidInput(
            f"{repo_id} is {row.tier}: grants are only for restricted models", code="grant_not_applicable"
        )
    if repo.pending_grant(uow.session, row.id, actor.user_id) is not None:
        raise Conflict("you already have a pending request for this model", code="grant_pending")
    grant = ModelGrantRow(
        id=new_id(),
        repo_id=row.id,
        user_id=actor.user_id,
        purpose=cmd.purpose,
        status=GrantStatus.pending.value,
        requested_at=utcnow(),
        decided_at=None,
        decided_by=None,
        decision_note=None,
        expires_at=None,
    )
    uow.session.add(grant)
    uow.session.flush()
    audit(
        uow.session,
        actor,
        "model.grant.request",
        "model_grant",
        grant.id,
        {"repo": repo_id},
        row.organisation_id,
    )
    uow.commit()
    return _grant_read(grant, row.repo_id)


def decide_model_grant(uow: UnitOfWork, actor: Actor, grant_id: str, cmd: GrantDecision) -> ModelGrantRead:
    """Approve (with an expiry date in the future) or refuse a pending request: producers of the
    owner organisation or an operator. Conflict if already decided."""
    grant = repo.get_grant(uow.session, grant_id)
    if grant is None:
        raise NotFound(f"no grant request {grant_id!r}", code="grant_not_found")
    row = uow.session.get(ModelRepoRow, grant.repo_id)
    assert row is not None
    if not policy.can_decide_model_grant(actor, row.organisation_id):
        if actor.user_id == grant.user_id:
            raise PermissionDenied("only the model's producers can decide requests")
        raise NotFound(f"no grant request {grant_id!r}", code="grant_not_found")
    settle_grant(grant, actor, cmd)
    uow.session.flush()
    audit(
        uow.session,
        actor,
        f"model.grant.{'approve' if cmd.approve else 'refuse'}",
        "model_grant",
        grant.id,
        {"repo": row.repo_id, "user": grant.user_id},
        row.organisation_id,
    )
    uow.commit()
    return _grant_read(grant, row.repo_id)
