"""Trusted-list applications for high-risk systems (Law on AI Art. 19; Order of 10 Apr 2026).

The sectoral body checks completeness within 10 working days of submission and publishes within
5 working days of a positive check; working days skip Kazakhstan's public holidays
(``workdays``). Deadlines are kept as dates in Astana time; ``overdue`` is computed on reading.

States: submitted -> incomplete | accepted (completeness check); incomplete -> submitted (owner
resubmits, the 10 days start again); accepted -> published | refused; published -> withdrawn.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from qazai.core.clock import utcnow
from qazai.core.enums import RiskLevel
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.identity.actor import Actor
from qazai.registry import policy, reference, repo
from qazai.registry.audit import audit
from qazai.registry.models import (
    TrustedApplicationCreate,
    TrustedApplicationRead,
    TrustedDecision,
    TrustedListState,
)
from qazai.registry.workdays import add_working_days, local_date
from qazai.registry.workflow import SystemState
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import TrustedListApplicationRow

T = TrustedListState
# (from, to) -> who
DECISIONS: dict[tuple[TrustedListState, TrustedListState], str] = {
    (T.submitted, T.accepted): "regulator",
    (T.submitted, T.incomplete): "regulator",
    (T.incomplete, T.submitted): "owner",
    (T.accepted, T.published): "regulator",
    (T.accepted, T.refused): "regulator",
    (T.published, T.withdrawn): "regulator",
}
EVIDENCE = ("copyright_evidence", "audit_report")


def to_read(row: TrustedListApplicationRow, today: date | None = None) -> TrustedApplicationRead:
    today = today or local_date(utcnow())
    state = TrustedListState(row.state)
    overdue = (state == T.submitted and today > row.completeness_due) or (
        state == T.accepted and row.publication_due is not None and today > row.publication_due
    )
    return TrustedApplicationRead(
        id=row.id,
        system_id=row.system_id,
        sector_body=row.sector_body,
        state=state,
        submitted_on=row.submitted_on,
        completeness_due=row.completeness_due,
        completeness_checked_on=row.completeness_checked_on,
        publication_due=row.publication_due,
        decided_on=row.decided_on,
        overdue=overdue,
        note=row.note,
        history=list(row.history),
    )


def apply_for_trusted_list(
    uow: UnitOfWork, actor: Actor, system_id: str, cmd: TrustedApplicationCreate, *, on: date | None = None
) -> TrustedApplicationRead:
    """File an application for a registered high-risk system with its copyright evidence and audit
    report uploaded as documents. ``on`` is the submission date (default: today in Astana).

    Conflict unless the system is registered and high-risk, if evidence is missing, or if an
    application is already pending or published.
    """
    system = repo.get_system(uow.session, system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    if not policy.can_edit_system(actor, system):
        raise policy.refusal(actor, "only members of the owner organisation can apply")
    if system.state != SystemState.registered.value or system.risk_class != RiskLevel.high.value:
        raise Conflict(
            "trusted lists are for registered high-risk systems; this one is "
            f"{system.state} with risk class {system.risk_class}",
            code="not_eligible",
        )
    present = {d.template_key for d in repo.documents(uow.session, system.id)}
    missing = [e for e in EVIDENCE if e not in present]
    if missing:
        raise Conflict(f"upload the evidence first: {', '.join(missing)}", code="evidence_missing")
    for existing in repo.trusted_applications_of(uow.session, [system.id]):
        if existing.state in (T.submitted, T.incomplete, T.accepted, T.published):
            raise Conflict(f"an application is already {existing.state}", code="application_exists")
    sector = reference.sectors(uow.session).get(system.sector)
    body = cmd.sector_body or (sector.trusted_list_body if sector else "mdai")
    submitted_on = on or local_date(utcnow())
    days = reference.deadlines(uow.session).trusted_list_completeness_working_days
    now = utcnow()
    row = TrustedListApplicationRow(
        id=new_id(),
        system_id=system.id,
        sector_body=body,
        state=T.submitted.value,
        submitted_on=submitted_on,
        completeness_due=add_working_days(submitted_on, days),
        note=cmd.note,
        history=[{"state": T.submitted.value, "on": submitted_on.isoformat(), "by": actor.label}],
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    audit(
        uow,
        actor,
        "trusted_list.apply",
        system,
        {"application_id": row.id, "sector_body": body, "completeness_due": row.completeness_due.isoformat()},
    )
    uow.commit()
    return to_read(row)


def decide_trusted_application(
    uow: UnitOfWork, actor: Actor, application_id: str, cmd: TrustedDecision, *, on: date | None = None
) -> TrustedApplicationRead:
    """Move an application (see the module docstring). A positive completeness check sets the
    publication deadline 5 working days after the check. Conflict for a move not allowed.

    The decision is dated today in Astana by the server's clock; ``on`` is for in-process callers
    (tests, imports of past decisions), never taken from a request."""
    row = uow.session.get(TrustedListApplicationRow, application_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no trusted-list application {application_id!r}")
    system = repo.get_system(uow.session, row.system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no trusted-list application {application_id!r}")
    source = TrustedListState(row.state)
    who = DECISIONS.get((source, cmd.target))
    if who is None:
        nexts = ", ".join(t.value for (s, t) in DECISIONS if s == source) or "none"
        raise Conflict(
            f"cannot move an application from {source.value} to {cmd.target.value}; allowed next: {nexts}",
            code="invalid_transition",
            details={"state": source.value, "allowed": [t.value for (s, t) in DECISIONS if s == source]},
        )
    allowed = policy.can_review_system(actor) if who == "regulator" else policy.can_edit_system(actor, system)
    if not allowed:
        raise policy.refusal(actor, f"this step is taken by the {who}")
    on = on or local_date(utcnow())
    if on < row.submitted_on:
        raise InvalidInput("a decision cannot predate the submission", code="invalid_dates")
    deadlines = reference.deadlines(uow.session)
    history: list[dict[str, Any]] = [*row.history]
    if cmd.target == T.accepted:
        row.completeness_checked_on = on
        row.publication_due = add_working_days(on, deadlines.trusted_list_publication_working_days)
    elif cmd.target == T.incomplete:
        row.completeness_checked_on = on
    elif cmd.target == T.submitted:
        row.submitted_on = on
        row.completeness_due = add_working_days(on, deadlines.trusted_list_completeness_working_days)
        row.completeness_checked_on = None
    else:
        row.decided_on = on
    history.append({"state": cmd.target.value, "on": on.isoformat(), "by": actor.label, "note": cmd.note})
    row.history = history
    row.state = cmd.target.value
    row.note = cmd.note or row.note
    row.updated_at = utcnow()
    audit(
        uow,
        actor,
        f"trusted_list.{cmd.target.value}",
        system,
        {"application_id": row.id, "from": source.value, "to": cmd.target.value, "on": on.isoformat()},
    )
    uow.commit()
    return to_read(row)


def list_trusted_applications(uow: UnitOfWork, actor: Actor, system_id: str) -> list[TrustedApplicationRead]:
    system = repo.get_system(uow.session, system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    return [to_read(r) for r in repo.trusted_applications_of(uow.session, [system.id])]


def list_pending_applications(
    uow: UnitOfWork, actor: Actor, *, overdue_only: bool = False
) -> list[TrustedApplicationRead]:
    """Applications waiting for the regulator, oldest first (regulator only)."""
    if not policy.can_list_all_complaints(actor):
        raise PermissionDenied("only the regulator sees pending trusted-list applications")
    from sqlalchemy import select

    rows = uow.session.scalars(
        select(TrustedListApplicationRow)
        .where(TrustedListApplicationRow.state.in_([T.submitted.value, T.accepted.value]))
        .order_by(TrustedListApplicationRow.submitted_on)
    ).all()
    reads = [to_read(r) for r in rows]
    return [r for r in reads if r.overdue] if overdue_only else reads
