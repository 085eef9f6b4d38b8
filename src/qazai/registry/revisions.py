"""Registered systems stay reviewed: pending revisions (issue 16, part 2).

Once a system is on the public register (registered or suspended) a change of a field the
regulator reviewed does not reach the record at once: it goes into the system's one pending
revision, which collects further changes until the regulator approves it (the changes are applied)
or rejects it with a reason (the record stays as reviewed); the owner may withdraw it. A
re-classification of such a system waits in the same revision. The public register and every read
of the record show the reviewed values meanwhile. The kk/ru/en notice rule of submission holds
for every revision. Every step is audited; the owner's organisation is notified of the decision.

States: pending -> approved | rejected | withdrawn (final).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.identity.actor import Actor
from qazai.registry import policy, repo
from qazai.registry.audit import audit
from qazai.registry.models import RevisionChange, RevisionDecision, RevisionRead, RevisionState
from qazai.registry.workflow import PUBLIC_STATES, SystemState
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import AiSystemRevisionRow, AiSystemRow, RegistryNotificationRow

# Fields the regulator reviewed; the complaint contact is operational and changes at once.
REVIEWED_FIELDS = (
    "name",
    "purpose",
    "notice",
    "sector",
    "deployment_context",
    "affected_persons",
    "system_type",
    "models",
    "labelling_method",
    "produces_synthetic_content",
    "holder_organisation",
)
# A change of one of these asks for a new classification (Art. 17: re-classify on change).
MATERIAL_FIELDS = ("purpose", "sector", "system_type", "models", "deployment_context", "affected_persons")
CLASSIFICATION = "classification"
CLASSIFICATION_FIELDS = ("risk_class", "autonomy_class", "autonomy_legal_basis", "state_infosec_regime")
NOTICE_LANGUAGES = ("kk", "ru", "en")


def reviewed_fields(system: AiSystemRow) -> tuple[str, ...]:
    """The fields whose change waits for the regulator: under the state information-security
    regime every field, the complaint contact included (``infosec``)."""
    return (*REVIEWED_FIELDS, "complaint_contact") if system.state_infosec_regime else REVIEWED_FIELDS


def is_reviewed(system: AiSystemRow) -> bool:
    """Whether changes of reviewed fields of ``system`` wait for the regulator."""
    return SystemState(system.state) in PUBLIC_STATES


def _attribute(field: str) -> str:
    return "holder_organisation_id" if field == "holder_organisation" else field


def reviewed_value(system: AiSystemRow, field: str) -> Any:
    if field == CLASSIFICATION:
        return {name: getattr(system, name) for name in CLASSIFICATION_FIELDS}
    return getattr(system, _attribute(field))


def to_read(row: AiSystemRevisionRow) -> RevisionRead:
    return RevisionRead(
        id=row.id,
        system_id=row.system_id,
        state=RevisionState(row.state),
        changes=dict(row.changes),
        diff=[
            RevisionChange(field=field, before=row.before.get(field), after=value)
            for field, value in row.changes.items()
        ],
        proposed_by_label=row.proposed_by_label,
        created_at=row.created_at,
        updated_at=row.updated_at,
        decided_by_label=row.decided_by_label,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
    )


def pending_revision(session: Session, system_id: str) -> AiSystemRevisionRow | None:
    return session.scalars(
        select(AiSystemRevisionRow).where(
            AiSystemRevisionRow.system_id == system_id,
            AiSystemRevisionRow.state == RevisionState.pending.value,
        )
    ).first()


def pending_by_system(session: Session, system_ids: list[str]) -> dict[str, AiSystemRevisionRow]:
    """The pending revision of each of ``system_ids`` that has one (one query for a page)."""
    if not system_ids:
        return {}
    rows = session.scalars(
        select(AiSystemRevisionRow).where(
            AiSystemRevisionRow.system_id.in_(system_ids),
            AiSystemRevisionRow.state == RevisionState.pending.value,
        )
    ).all()
    return {r.system_id: r for r in rows}


def check_notice(notice: dict[str, Any]) -> None:
    """InvalidInput ``notice_incomplete`` unless the notice to users is given in kk, ru and en."""
    missing = [lang for lang in NOTICE_LANGUAGES if not str(notice.get(lang) or "").strip()]
    if missing:
        raise InvalidInput(
            f"a system on the register keeps its notice to users in Kazakh, Russian and English; "
            f"missing: {', '.join(missing)}",
            code="notice_incomplete",
            details={"missing": missing},
        )


def propose(uow: UnitOfWork, actor: Actor, system: AiSystemRow, changes: dict[str, Any]) -> list[str]:
    """Put ``changes`` (field -> value in the record's form) into the system's pending revision.

    The caller (the update or classification service) has authorised the owner and checked the
    values; it commits. A value equal to the reviewed one drops the field from the revision; a
    revision left without changes is withdrawn. Returns the fields the revision now holds.
    """
    row = pending_revision(uow.session, system.id)
    now = utcnow()
    merged: dict[str, Any] = dict(row.changes) if row is not None else {}
    merged.update(changes)
    merged = {f: v for f, v in merged.items() if v != reviewed_value(system, f)}
    if "notice" in merged:
        check_notice(merged["notice"])
    if row is None:
        if not merged:
            return []
        row = AiSystemRevisionRow(
            id=new_id(),
            system_id=system.id,
            state=RevisionState.pending.value,
            changes=merged,
            before={f: reviewed_value(system, f) for f in merged},
            proposed_by=actor.user_id,
            proposed_by_label=actor.label,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
    else:
        row.changes = merged
        row.before = {f: row.before.get(f, reviewed_value(system, f)) for f in merged}
        row.updated_at = now
        if not merged:
            row.state = RevisionState.withdrawn.value
    audit(
        uow,
        actor,
        "ai_system.propose_revision",
        system,
        {"revision_id": row.id, "fields": sorted(changes), "pending": sorted(merged)},
    )
    return sorted(merged)


def withdraw_on_leaving(uow: UnitOfWork, actor: Actor, system: AiSystemRow) -> None:
    """A system leaving the register for good (retired) takes its pending revision with it; the
    caller audits the move and commits."""
    row = pending_revision(uow.session, system.id)
    if row is not None:
        row.state = RevisionState.withdrawn.value
        row.updated_at = utcnow()
        audit(
            uow,
            actor,
            "ai_system.withdraw_revision",
            system,
            {
                "revision_id": row.id,
                "fields": sorted(row.changes),
                "because": f"the system is {system.state}",
            },
        )


def _load(uow: UnitOfWork, actor: Actor, revision_id: str) -> tuple[AiSystemRevisionRow, AiSystemRow]:
    row = uow.session.get(AiSystemRevisionRow, revision_id, with_for_update=True)
    system = repo.get_system(uow.session, row.system_id, for_update=True) if row is not None else None
    if row is None or system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no revision {revision_id!r}")
    return row, system


def _check_pending(row: AiSystemRevisionRow) -> None:
    if row.state != RevisionState.pending.value:
        raise Conflict(
            f"the revision is {row.state}; only a pending revision is decided or withdrawn",
            code="revision_not_pending",
            details={"state": row.state},
        )


def _apply(system: AiSystemRow, changes: dict[str, Any]) -> list[str]:
    for field, value in changes.items():
        if field == CLASSIFICATION:
            for name in CLASSIFICATION_FIELDS:
                setattr(system, name, value[name])
            system.needs_reclassification = False
        else:
            setattr(system, _attribute(field), value)
    material = [f for f in changes if f in MATERIAL_FIELDS]
    if material and CLASSIFICATION not in changes and system.risk_class is not None:
        system.needs_reclassification = True
    system.updated_at = utcnow()
    return material


def _notify(uow: UnitOfWork, system: AiSystemRow, row: AiSystemRevisionRow) -> None:
    name = (system.name or {}).get("en") or next(iter((system.name or {}).values()), system.id)
    if row.state == RevisionState.approved.value:
        message = {
            "kk": f"Реттеуші «{name}» жүйесінің өзгерістерін мақұлдады; олар тізілімде көрсетіледі.",
            "ru": f"Регулятор одобрил изменения системы «{name}»; они показаны в реестре.",
            "en": f"The regulator approved the changes of “{name}”; the register shows them.",
        }
    else:
        message = {
            "kk": f"Реттеуші «{name}» жүйесінің өзгерістерін қабылдамады: {row.decision_reason}",
            "ru": f"Регулятор отклонил изменения системы «{name}»: {row.decision_reason}",
            "en": f"The regulator rejected the changes of “{name}”: {row.decision_reason}",
        }
    uow.session.add(
        RegistryNotificationRow(
            id=new_id(),
            organisation_id=system.owner_organisation_id,
            system_id=system.id,
            kind=f"revision_{row.state}",
            message=message,
            data={"revision_id": row.id, "fields": sorted(row.changes), "reason": row.decision_reason},
            created_at=utcnow(),
            read_at=None,
        )
    )


def decide_revision(uow: UnitOfWork, actor: Actor, revision_id: str, cmd: RevisionDecision) -> RevisionRead:
    """The regulator approves a pending revision (its changes are applied to the record and the
    register) or rejects it with a reason (the record stays as reviewed). The owner's organisation
    is notified. PermissionDenied unless regulator; Conflict ``revision_not_pending`` once decided;
    InvalidInput ``reason_required`` for a rejection without a reason."""
    row, system = _load(uow, actor, revision_id)
    if not policy.can_review_system(actor):
        raise policy.refusal(actor, "only the regulator decides a revision of a registered system")
    _check_pending(row)
    reason = (cmd.reason or "").strip() or None
    if cmd.decision == "reject" and reason is None:
        raise InvalidInput(
            "rejecting a revision needs a reason: the owner will see it", code="reason_required"
        )
    if not is_reviewed(system):
        raise Conflict(
            f"the system is {system.state}; only a revision of a system on the register is decided",
            code="invalid_state",
            details={"state": system.state},
        )
    material: list[str] = []
    if cmd.decision == "approve":
        material = _apply(system, dict(row.changes))
        row.state = RevisionState.approved.value
    else:
        row.state = RevisionState.rejected.value
    now = utcnow()
    row.decided_by = actor.user_id
    row.decided_by_label = actor.label
    row.decided_at = now
    row.decision_reason = reason
    row.updated_at = now
    audit(
        uow,
        actor,
        f"ai_system.{cmd.decision}_revision",
        system,
        {
            "revision_id": row.id,
            "fields": sorted(row.changes),
            "reason": reason,
            "needs_reclassification": system.needs_reclassification if material else None,
        },
    )
    _notify(uow, system, row)
    uow.commit()
    return to_read(row)


def withdraw_revision(uow: UnitOfWork, actor: Actor, revision_id: str) -> RevisionRead:
    """The owner takes back a pending revision; the record stays as reviewed."""
    row, system = _load(uow, actor, revision_id)
    if not policy.can_edit_system(actor, system):
        raise policy.refusal(actor, "only members of the owner organisation withdraw its revisions")
    _check_pending(row)
    row.state = RevisionState.withdrawn.value
    row.updated_at = utcnow()
    audit(
        uow,
        actor,
        "ai_system.withdraw_revision",
        system,
        {"revision_id": row.id, "fields": sorted(row.changes)},
    )
    uow.commit()
    return to_read(row)


def list_system_revisions(uow: UnitOfWork, actor: Actor, system_id: str) -> list[RevisionRead]:
    """A system's revisions, oldest first (those who may read the record)."""
    system = repo.get_system(uow.session, system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    rows = uow.session.scalars(
        select(AiSystemRevisionRow)
        .where(AiSystemRevisionRow.system_id == system.id)
        .order_by(AiSystemRevisionRow.created_at, AiSystemRevisionRow.id)
    ).all()
    return [to_read(r) for r in rows]


def list_revisions(
    uow: UnitOfWork, actor: Actor, *, state: RevisionState | None = RevisionState.pending, limit: int = 500
) -> list[RevisionRead]:
    """The regulator's queue: revisions in ``state`` (default pending; None for all), oldest first."""
    if not policy.can_list_revisions(actor):
        raise PermissionDenied("only the regulator reviews revisions of registered systems")
    query = select(AiSystemRevisionRow).order_by(AiSystemRevisionRow.created_at, AiSystemRevisionRow.id)
    if state is not None:
        query = query.where(AiSystemRevisionRow.state == state.value)
    return [to_read(r) for r in uow.session.scalars(query.limit(limit)).all()]
