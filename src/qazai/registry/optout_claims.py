"""Answering an author's opt-out claim: the producer confirms or disputes, the regulator decides.

::

    register --(no published version from the file, or by the regulator)--> active
    register --(published versions from the file)--> pending
    pending  --confirm (producer or regulator)--> active      versions withdrawn
    pending  --dispute (producer)--> disputed
    pending | disputed | active --decide uphold (regulator)--> active   versions withdrawn
    pending | disputed | active --decide reject (regulator)--> removed  flags cleared, not checked

A removed claim leaves already withdrawn versions withdrawn (versions are immutable); the
producer publishes a new version. Every step is one audit event in the same transaction.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from qazai.core.clock import utcnow
from qazai.core.enums import OrgRole
from qazai.core.errors import Conflict, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.identity.actor import Actor
from qazai.libraries import lineage as library_lineage
from qazai.registry import policy
from qazai.registry.audit import audit
from qazai.registry.optouts import (
    ACTIVE,
    DISPUTED,
    PENDING,
    REMOVED,
    OptOutRead,
    affected_versions,
    notify_system_owners,
    withdraw_affected,
)
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import OptOutWorkRow, RegistryNotificationRow


class OptOutAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=10, max_length=5000)


class OptOutDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uphold: bool = Field(description="true: the claim stands (versions withdrawn); false: it is removed")
    reason: str = Field(min_length=10, max_length=5000)


class OptOutEvidence(OptOutRead):
    """The claim as its reviewers see it: with the claimant's contact, evidence and the dispute."""

    claimant_contact: str | None
    evidence: str | None
    dispute_reason: str | None
    decision_reason: str | None
    versions: list[str]


class OptOutOutcome(BaseModel):
    work: OptOutRead
    versions_withdrawn: list[str]
    systems_notified: list[str]


def _load(uow: UnitOfWork, work_id: str) -> OptOutWorkRow:
    row = uow.session.get(OptOutWorkRow, work_id)
    if row is None:
        raise NotFound(f"no registered work {work_id!r}")
    return row


def _producer_of(uow: UnitOfWork, actor: Actor, work: OptOutWorkRow) -> set[str]:
    """The organisations of the versions the claim covers in which ``actor`` is a producer."""
    if not actor.allows_scope("write"):
        return set()
    orgs = {ref.producer_organisation_id for ref in affected_versions(uow, work)}
    return {o for o in orgs if actor.has_org_role(o, OrgRole.producer)}


def _is_producer(uow: UnitOfWork, actor: Actor, work: OptOutWorkRow) -> bool:
    return bool(_producer_of(uow, actor, work))


def get_claim(uow: UnitOfWork, actor: Actor, work_id: str) -> OptOutEvidence:
    """The claim with its evidence: for the regulator and the producers of the versions it covers."""
    row = _load(uow, work_id)
    if not (policy.is_regulator(actor) or _is_producer(uow, actor, row)):
        raise PermissionDenied("only the regulator and the producers concerned read a claim's evidence")
    versions = [f"{r.library_slug} v{r.number} ({r.status})" for r in affected_versions(uow, row)]
    return OptOutEvidence.model_validate(
        {
            **OptOutRead.model_validate(row).model_dump(),
            **{
                "claimant_contact": row.claimant_contact,
                "evidence": row.evidence,
                "dispute_reason": row.dispute_reason,
                "decision_reason": row.decision_reason,
                "versions": versions,
            },
        }
    )


def _withdraw(
    uow: UnitOfWork, actor: Actor, row: OptOutWorkRow, organisations: set[str] | None = None
) -> OptOutOutcome:
    withdrawn = withdraw_affected(uow, actor, row, organisations)
    refs = [r for r in affected_versions(uow, row) if r.id in withdrawn]
    notified = notify_system_owners(uow, row, refs, withdrawn=True) if refs else []
    return OptOutOutcome(
        work=OptOutRead.model_validate(row), versions_withdrawn=withdrawn, systems_notified=notified
    )


def _notify_removed(uow: UnitOfWork, work: OptOutWorkRow) -> None:
    """Tell the producers the claim was found wrongful (a withdrawn version stays withdrawn)."""
    for org_id in sorted({r.producer_organisation_id for r in affected_versions(uow, work)}):
        uow.session.add(
            RegistryNotificationRow(
                id=new_id(),
                organisation_id=org_id,
                system_id=None,
                kind="optout_removed",
                message={
                    "kk": f"Реттеуші «{work.title}» туындысына қатысты талапты негізсіз деп тапты; "
                    "ол енді тексерілмейді, нұсқалардан белгі алынды.",
                    "ru": f"Регулятор признал требование о «{work.title}» необоснованным; оно больше "
                    "не проверяется, отметка с версий снята.",
                    "en": f"The regulator found the claim on “{work.title}” wrongful; it is no longer "
                    "checked and the versions are no longer flagged.",
                },
                data={"work_id": work.id, "reason": work.decision_reason},
                created_at=utcnow(),
                read_at=None,
            )
        )


def confirm_optout(uow: UnitOfWork, actor: Actor, work_id: str, cmd: OptOutAnswer) -> OptOutOutcome:
    """The producer (or the regulator) accepts a pending claim: the versions still published from
    the work's file are withdrawn (410 with the reason, ``latest`` moves back, new links refused);
    a producer's confirmation covers its own organisations' versions, and the claim stays pending
    while another producer's remain. NotFound; PermissionDenied for anyone else; Conflict unless
    the claim is pending."""
    row = _load(uow, work_id)
    regulator = policy.is_regulator(actor) and actor.allows_scope("write")
    own = _producer_of(uow, actor, row)
    if not (regulator or own):
        raise PermissionDenied("only the producers concerned or the regulator confirm a claim")
    if row.state != PENDING:
        raise Conflict(f"the claim is {row.state}, not pending", code="optout_not_pending")
    row.decided_by, row.decided_at, row.decision_reason = actor.user_id, utcnow(), cmd.reason
    out = _withdraw(uow, actor, row, None if regulator else own)
    audit(
        uow,
        actor,
        "optout.confirm",
        None,
        {"reason": cmd.reason, "versions_withdrawn": out.versions_withdrawn},
        object_type="optout_work",
        object_id=row.id,
    )
    uow.commit()
    return out


def dispute_optout(uow: UnitOfWork, actor: Actor, work_id: str, cmd: OptOutAnswer) -> OptOutRead:
    """The producer contests a pending claim; the regulator decides. Nothing is withdrawn meanwhile
    (the versions stay flagged). PermissionDenied unless a producer concerned; Conflict unless pending."""
    row = _load(uow, work_id)
    if not _is_producer(uow, actor, row):
        raise PermissionDenied("only the producers of the versions the claim covers can dispute it")
    if row.state != PENDING:
        raise Conflict(f"the claim is {row.state}, not pending", code="optout_not_pending")
    row.state, row.dispute_reason, row.disputed_by = DISPUTED, cmd.reason, actor.user_id
    audit(
        uow,
        actor,
        "optout.dispute",
        None,
        {"reason": cmd.reason},
        object_type="optout_work",
        object_id=row.id,
    )
    uow.commit()
    return OptOutRead.model_validate(row)


def decide_optout(uow: UnitOfWork, actor: Actor, work_id: str, cmd: OptOutDecision) -> OptOutOutcome:
    """The regulator upholds a claim (versions withdrawn) or removes a wrongful one (no longer
    checked at publishing, the versions' opt-out flags cleared unless another live claim covers
    them). PermissionDenied unless the regulator; Conflict for a claim already removed."""
    if not (policy.is_regulator(actor) and actor.allows_scope("write")):
        raise PermissionDenied("only the regulator decides a claim")
    row = _load(uow, work_id)
    if row.state == REMOVED:
        raise Conflict("the claim was removed", code="optout_removed")
    row.decided_by, row.decided_at, row.decision_reason = actor.user_id, utcnow(), cmd.reason
    if cmd.uphold:
        out = _withdraw(uow, actor, row)
    else:
        row.state = REMOVED
        uow.session.flush()
        live = select(OptOutWorkRow.file_sha256).where(
            OptOutWorkRow.state != REMOVED, OptOutWorkRow.file_sha256.is_not(None)
        )
        still_claimed = set(uow.session.scalars(live))
        cleared = [
            r.id
            for r in affected_versions(uow, row)
            if r.optout_flagged and not still_claimed & set(r.source_sha256s)
        ]
        library_lineage.clear_optout_flags(uow.session, cleared)
        _notify_removed(uow, row)
        out = OptOutOutcome(work=OptOutRead.model_validate(row), versions_withdrawn=[], systems_notified=[])
    audit(
        uow,
        actor,
        "optout.decide",
        None,
        {
            "uphold": cmd.uphold,
            "reason": cmd.reason,
            "state": row.state,
            "versions_withdrawn": out.versions_withdrawn,
        },
        object_type="optout_work",
        object_id=row.id,
    )
    uow.commit()
    return out


__all__ = ["ACTIVE", "OptOutAnswer", "OptOutDecision", "OptOutEvidence", "OptOutOutcome"]
