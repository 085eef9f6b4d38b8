"""Complaints and requests to review an automated decision (LAW.md row 13).

Anyone may file one against a system on the public register, anonymously or with a contact. The
owner answers; a review request must first be assigned to a named human reviewer (a member of the
owner or holder organisation) who is recorded with the answer. The answer is due within the
operator's deadline in working days; the regulator lists what is overdue.
"""

from __future__ import annotations

from sqlalchemy import select

from qazai.core.clock import utcnow
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.registry import policy, reference, repo
from qazai.registry.audit import audit
from qazai.registry.models import (
    ComplaintAnswer,
    ComplaintCreate,
    ComplaintKind,
    ComplaintRead,
    ComplaintReceipt,
    ComplaintState,
    ReviewerAssign,
)
from qazai.registry.workdays import add_working_days, local_date
from qazai.registry.workflow import PUBLIC_STATES, SystemState
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import AiSystemRow, ComplaintRow


def to_read(row: ComplaintRow) -> ComplaintRead:
    read = ComplaintRead.model_validate(row)
    overdue = row.state != ComplaintState.answered.value and local_date(utcnow()) > row.due_on
    return read.model_copy(update={"overdue": overdue})


def file_complaint(uow: UnitOfWork, actor: Actor, system_id: str, cmd: ComplaintCreate) -> ComplaintReceipt:
    """File a complaint or review request against a system on the public register (anyone, even
    anonymous). The contact is visible only to the owner and the regulator. NotFound if the
    system is not on the register."""
    system = repo.get_system(uow.session, system_id)
    if system is None or SystemState(system.state) not in PUBLIC_STATES:
        raise NotFound(f"no AI system {system_id!r} on the public register")
    deadlines = reference.deadlines(uow.session)
    days = (
        deadlines.review_request_answer_working_days
        if cmd.kind == ComplaintKind.review_request
        else deadlines.complaint_answer_working_days
    )
    now = utcnow()
    anonymous = not any((cmd.contact_name, cmd.contact_email, cmd.contact_phone))
    row = ComplaintRow(
        id=new_id(),
        system_id=system.id,
        kind=cmd.kind.value,
        text=cmd.text,
        decision_reference=cmd.decision_reference,
        contact_name=cmd.contact_name,
        contact_email=cmd.contact_email,
        contact_phone=cmd.contact_phone,
        filed_by=actor.user_id,
        state=ComplaintState.open.value,
        filed_at=now,
        due_on=add_working_days(local_date(now), days),
    )
    uow.session.add(row)
    uow.session.flush()
    audit(
        uow,
        actor,
        f"ai_system.file_{cmd.kind.value}",
        system,
        {"complaint_id": row.id, "anonymous": anonymous, "due_on": row.due_on.isoformat()},
    )
    uow.commit()
    return ComplaintReceipt(
        id=row.id,
        system_id=system.id,
        kind=cmd.kind,
        state=ComplaintState.open,
        due_on=row.due_on,
        anonymous=anonymous,
    )


def _load(uow: UnitOfWork, actor: Actor, complaint_id: str) -> tuple[ComplaintRow, AiSystemRow]:
    row = uow.session.get(ComplaintRow, complaint_id, with_for_update=True)
    system = repo.get_system(uow.session, row.system_id) if row is not None else None
    if row is None or system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no complaint {complaint_id!r}")
    if not policy.can_answer_complaint(actor, system):
        raise policy.refusal(actor, "only the system's owner handles its complaints")
    return row, system


def assign_reviewer(uow: UnitOfWork, actor: Actor, complaint_id: str, cmd: ReviewerAssign) -> ComplaintRead:
    """Assign a review request to a named human reviewer of the owner or holder organisation."""
    row, system = _load(uow, actor, complaint_id)
    if row.kind != ComplaintKind.review_request.value:
        raise Conflict("only a review request is assigned to a reviewer", code="not_review_request")
    if row.state == ComplaintState.answered.value:
        raise Conflict("the request is already answered", code="already_answered")
    user = identity_repo.get_user(uow.session, cmd.reviewer)
    orgs = [o for o in (system.owner_organisation_id, system.holder_organisation_id) if o]
    if user is None or not any(identity_repo.get_membership(uow.session, user.id, o) for o in orgs):
        raise InvalidInput(
            "the reviewer must be a person in the owner or holder organisation", code="invalid_reviewer"
        )
    row.reviewer_user_id = user.id
    row.reviewer_name = user.name
    row.assigned_at = utcnow()
    row.state = ComplaintState.assigned.value
    audit(uow, actor, "ai_system.assign_reviewer", system, {"complaint_id": row.id, "reviewer": user.email})
    uow.commit()
    return to_read(row)


def answer_complaint(uow: UnitOfWork, actor: Actor, complaint_id: str, cmd: ComplaintAnswer) -> ComplaintRead:
    """The owner's answer. A review request must be assigned to a reviewer first, and only that
    reviewer answers it (the decision is reviewed by a named human). Conflict if already answered."""
    row, system = _load(uow, actor, complaint_id)
    if row.state == ComplaintState.answered.value:
        raise Conflict("the complaint is already answered", code="already_answered")
    if row.kind == ComplaintKind.review_request.value:
        if row.reviewer_user_id is None:
            raise Conflict("assign the review request to a human reviewer first", code="reviewer_required")
        if actor.user_id != row.reviewer_user_id:
            raise PermissionDenied(f"the assigned reviewer ({row.reviewer_name}) answers this review request")
    row.answer = cmd.text
    row.answered_by = actor.user_id
    row.answered_by_label = actor.label
    row.answered_at = utcnow()
    row.state = ComplaintState.answered.value
    audit(uow, actor, "ai_system.answer_complaint", system, {"complaint_id": row.id, "kind": row.kind})
    uow.commit()
    return to_read(row)


def list_system_complaints(uow: UnitOfWork, actor: Actor, system_id: str) -> list[ComplaintRead]:
    system = repo.get_system(uow.session, system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    if not (policy.is_owner(actor, system) or policy.is_regulator(actor)):
        raise PermissionDenied("only the owner and the regulator read complaints")
    return [to_read(r) for r in repo.complaints_of(uow.session, system.id)]


def list_complaints(uow: UnitOfWork, actor: Actor, *, overdue_only: bool = False) -> list[ComplaintRead]:
    """Every unanswered complaint (or only the overdue ones), oldest due first. Regulator only."""
    if not policy.can_list_all_complaints(actor):
        raise PermissionDenied("only the regulator sees every complaint")
    query = select(ComplaintRow).where(ComplaintRow.state != ComplaintState.answered.value)
    if overdue_only:
        query = query.where(ComplaintRow.due_on < local_date(utcnow()))
    rows = uow.session.scalars(query.order_by(ComplaintRow.due_on, ComplaintRow.id).limit(1000)).all()
    return [to_read(r) for r in rows]
