"""Trusted-list applications for high-risk systems (Law on AI Art. 19; Order of 10 Apr 2026).

Each sector's list is kept by a sectoral state body (``trusted_list_body`` of the sector in the
reference data). A body is an actor: the organisation whose slug is the body's key, whose members
see and decide their sector's applications; the regulator (the authorized body) may decide any.
The published lists are in ``trusted_lists``.

The sectoral body checks completeness within 10 working days of submission and publishes within
5 working days of a positive check; working days skip Kazakhstan's public holidays
(``workdays``). Deadlines are kept as dates in Astana time; ``overdue`` is computed on reading.

States: submitted -> incomplete | accepted (completeness check); incomplete -> submitted (owner
resubmits, the 10 days start again); accepted -> published | refused; published -> withdrawn.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.enums import RiskLevel
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.core.text import LocalizedText
from qazai.identity import repo as identity_repo
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
    sectors = reference.sectors(uow.session)
    sector = sectors.get(system.sector)
    body = cmd.sector_body or (sector.trusted_list_body if sector else "mdai")
    known = sorted({s.trusted_list_body for s in sectors.sectors})
    if body not in known:
        raise InvalidInput(
            f"unknown sectoral body {body!r}; the bodies that keep trusted lists are: {', '.join(known)}",
            code="unknown_body",
            details={"bodies": known},
        )
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
    body_org_id = body_organisation_id(uow.session, row.sector_body)
    if system is None or not (
        policy.can_read_system(actor, system) or policy.is_body_member(actor, body_org_id)
    ):
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
    allowed = (
        policy.can_decide_trusted_application(actor, body_org_id)
        if who == "regulator"
        else policy.can_edit_system(actor, system)
    )
    if not allowed:
        step = (
            f"the sectoral body ({row.sector_body}) or the regulator" if who == "regulator" else "the owner"
        )
        raise policy.refusal(actor, f"this step is taken by {step}")
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


def body_organisation_id(session: Session, body: str) -> str | None:
    """The id of the organisation that is the sectoral body ``body`` (its slug), if there is one."""
    org = identity_repo.get_organisation(session, body)
    return org.id if org is not None else None


def list_pending_applications(
    uow: UnitOfWork, actor: Actor, *, overdue_only: bool = False
) -> list[TrustedApplicationRead]:
    """Applications waiting for a decision, oldest first: all of them for the regulator, their
    sector's for the members of a sectoral body; PermissionDenied for anyone else."""
    bodies: list[str] | None = None
    if not policy.can_list_all_complaints(actor):
        known = {s.trusted_list_body for s in reference.sectors(uow.session).sectors}
        bodies = sorted(
            b for b in known if policy.is_body_member(actor, body_organisation_id(uow.session, b))
        )
        if not bodies or not actor.allows_scope("read"):
            raise PermissionDenied(
                "only the regulator and the sectoral bodies see pending trusted-list applications"
            )
    query = (
        select(TrustedListApplicationRow)
        .where(TrustedListApplicationRow.state.in_([T.submitted.value, T.accepted.value]))
        .order_by(TrustedListApplicationRow.submitted_on, TrustedListApplicationRow.id)
    )
    if bodies is not None:
        query = query.where(TrustedListApplicationRow.sector_body.in_(bodies))
    reads = [to_read(r) for r in uow.session.scalars(query).all()]
    return [r for r in reads if r.overdue] if overdue_only else reads


class BodyQueueItem(BaseModel):
    """An application in a sectoral body's queue, with the system's name and the allowed moves."""

    application: TrustedApplicationRead
    system_name: LocalizedText
    owner_slug: str
    allowed: list[TrustedListState]


def list_body_queue(uow: UnitOfWork, actor: Actor, body: str) -> list[BodyQueueItem]:
    """The applications waiting for ``body`` (its members' and the regulator's portal queue)."""
    items = []
    for app in list_pending_applications(uow, actor):
        if app.sector_body != body:
            continue
        system = repo.get_system(uow.session, app.system_id)
        assert system is not None
        owner = identity_repo.get_organisation(uow.session, system.owner_organisation_id)
        items.append(
            BodyQueueItem(
                application=app,
                system_name=LocalizedText.model_validate(system.name),
                owner_slug=owner.slug if owner else "",
                allowed=[t for (s, t), who in DECISIONS.items() if s == app.state and who == "regulator"],
            )
        )
    return items
