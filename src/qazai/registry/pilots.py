"""Pilots: a registered system runs on the platform between a start and a hard end date.

At the end date a scheduled job (kind ``registry.close_pilot``, ``run_after`` = end date) closes
the pilot. Only the regulator extends it; an extension schedules a new job and the old one, when
it runs, sees the end date moved and does nothing (the payload carries the end date it was for).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from qazai.core.clock import as_utc, utcnow
from qazai.core.errors import Conflict, InvalidInput, NotFound
from qazai.core.ids import new_id
from qazai.identity.actor import SYSTEM, Actor
from qazai.registry import infosec, policy, reference, repo
from qazai.registry.audit import audit
from qazai.registry.models import PilotCreate, PilotExtend, PilotRead, PilotState
from qazai.registry.workflow import PUBLIC_STATES, SystemState
from qazai.storage.db import Database, UnitOfWork
from qazai.storage.jobs import JobContext, enqueue
from qazai.storage.tables.registry import AiSystemRow, PilotRow

CLOSE_PILOT_JOB = "registry.close_pilot"
# How far in the past a new pilot may start: the time a form takes to fill in, and clock skew.
START_TOLERANCE = timedelta(hours=1)


def pilot_state(row: PilotRow, now: datetime | None = None) -> PilotState:
    """Closed once closed by the job or the system's suspension, and in any case past the hard end date."""
    now = now or utcnow()
    if row.closed_at is not None or as_utc(row.ends_at) <= now:
        return PilotState.closed
    if as_utc(row.starts_at) > now:
        return PilotState.scheduled
    return PilotState.running


def to_read(row: PilotRow) -> PilotRead:
    return PilotRead(
        id=row.id,
        system_id=row.system_id,
        description=row.description,
        state=pilot_state(row),
        starts_at=as_utc(row.starts_at),
        ends_at=as_utc(row.ends_at),
        original_ends_at=as_utc(row.original_ends_at),
        extensions=list(row.extensions),
        closed_at=row.closed_at,
        close_reason=row.close_reason,
    )


def _schedule_close(uow: UnitOfWork, pilot: PilotRow, actor: Actor) -> None:
    ends_at = as_utc(pilot.ends_at).isoformat()
    enqueue(
        uow.session,
        CLOSE_PILOT_JOB,
        {"pilot_id": pilot.id, "ends_at": ends_at, "actor_id": actor.user_id},
        dedupe_key=f"{CLOSE_PILOT_JOB}:{pilot.id}:{ends_at}",
        run_after=as_utc(pilot.ends_at),
    )


def start_pilot(uow: UnitOfWork, actor: Actor, system_id: str, cmd: PilotCreate) -> PilotRead:
    """Schedule a pilot of a registered system and the job that closes it at ``ends_at``.

    Conflict unless the system is registered, when it declares a prohibited capability, when
    another pilot is open, or (``infosec_external_infrastructure``) when a system under the state
    information-security regime uses a model hosted outside the platform; InvalidInput for dates
    in the wrong order, a start or an end in the past (a start up to START_TOLERANCE ago is taken,
    for clocks that differ), or a pilot longer than the operator's ``pilot_max_days``.
    """
    system = repo.get_system(uow.session, system_id, for_update=True)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    if not policy.can_edit_system(actor, system):
        raise policy.refusal(actor, "only members of the owner organisation can start a pilot")
    if system.prohibited_capabilities:
        raise Conflict(
            "a system that declares a prohibited capability cannot run a pilot "
            f"({', '.join(system.prohibited_capabilities)})",
            code="prohibited_capability",
        )
    if system.state != SystemState.registered.value:
        raise Conflict(
            f"only a registered system can run a pilot; this one is {system.state}", code="not_registered"
        )
    external = infosec.external_models(system) if system.state_infosec_regime else []
    if external:
        raise Conflict(
            "under the state information-security regime a pilot runs only on the platform's own "
            f"infrastructure; these models are hosted elsewhere: {', '.join(external)}",
            code="infosec_external_infrastructure",
            details={"models": external},
        )
    starts_at, ends_at = as_utc(cmd.starts_at), as_utc(cmd.ends_at)
    now = utcnow()
    if ends_at <= starts_at:
        raise InvalidInput("the end date must be after the start date", code="invalid_dates")
    if ends_at <= now:
        raise InvalidInput("the end date is in the past", code="invalid_dates")
    if starts_at < now - START_TOLERANCE:
        # A pilot is announced before it runs; backdating it would rewrite what the public saw.
        raise InvalidInput("the start date is in the past; a pilot starts now or later", code="invalid_dates")
    max_days = reference.deadlines(uow.session).pilot_max_days
    if ends_at - starts_at > timedelta(days=max_days):
        raise InvalidInput(f"a pilot lasts at most {max_days} days", code="pilot_too_long")
    if any(pilot_state(p, now) != PilotState.closed for p in repo.pilots_of(uow.session, [system.id])):
        raise Conflict("the system already has an open pilot", code="pilot_open")
    row = PilotRow(
        id=new_id(),
        system_id=system.id,
        description=cmd.description,
        starts_at=starts_at,
        ends_at=ends_at,
        original_ends_at=ends_at,
        extensions=[],
        created_by=actor.user_id,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    _schedule_close(uow, row, actor)
    audit(
        uow,
        actor,
        "ai_system.start_pilot",
        system,
        {"pilot_id": row.id, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
    )
    uow.commit()
    return to_read(row)


def extend_pilot(uow: UnitOfWork, actor: Actor, pilot_id: str, cmd: PilotExtend) -> PilotRead:
    """Move an open pilot's end date later. Regulator only; Conflict if the pilot is closed;
    InvalidInput if the new end is not after the current one."""
    if not policy.can_extend_pilot(actor):
        raise policy.refusal(actor, "only the regulator can extend a pilot")
    row = uow.session.get(PilotRow, pilot_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no pilot {pilot_id!r}")
    if pilot_state(row) == PilotState.closed:
        raise Conflict("the pilot is closed; start a new one instead", code="pilot_closed")
    new_end, old_end = as_utc(cmd.ends_at), as_utc(row.ends_at)
    if new_end <= old_end:
        raise InvalidInput("an extension must move the end date later", code="invalid_dates")
    row.ends_at = new_end
    row.extensions = [
        *row.extensions,
        {"from": old_end.isoformat(), "to": new_end.isoformat(), "reason": cmd.reason, "by": actor.label},
    ]
    uow.session.flush()
    _schedule_close(uow, row, actor)
    system = repo.get_system(uow.session, row.system_id)
    audit(
        uow,
        actor,
        "ai_system.extend_pilot",
        system,
        {"pilot_id": row.id, "from": old_end.isoformat(), "to": new_end.isoformat(), "reason": cmd.reason},
    )
    uow.commit()
    return to_read(row)


def list_pilots(uow: UnitOfWork, actor: Actor, system_id: str) -> list[PilotRead]:
    """A system's pilots; public for systems on the register."""
    system = repo.get_system(uow.session, system_id)
    if system is None or not (
        policy.can_read_system(actor, system) or SystemState(system.state) in PUBLIC_STATES
    ):
        raise NotFound(f"no AI system {system_id!r}")
    return [to_read(p) for p in repo.pilots_of(uow.session, [system.id])]


def close_open_pilots(uow: UnitOfWork, actor: Actor, system: AiSystemRow, reason: str) -> Sequence[str]:
    """Close the system's open pilots in the caller's transaction (no commit); their ids."""
    closed = []
    now = utcnow()
    for pilot in repo.pilots_of(uow.session, [system.id]):
        if pilot.closed_at is None:
            pilot.closed_at = now
            pilot.close_reason = reason
            closed.append(pilot.id)
    return closed


def close_pilot_job(context: JobContext) -> dict[str, Any]:
    """Close the pilot at its end date; a no-op if already closed or if its end date moved."""
    payload = context.payload
    return close_due_pilot(context.db, str(payload["pilot_id"]), str(payload["ends_at"]))


def close_due_pilot(db: Database, pilot_id: str, scheduled_end: str) -> dict[str, Any]:
    with db.uow() as uow:
        row = uow.session.get(PilotRow, pilot_id, with_for_update=True)
        if row is None:
            return {"closed": False, "why": "no such pilot"}
        if row.closed_at is not None:
            return {"closed": False, "why": "already closed"}
        if as_utc(row.ends_at).isoformat() != scheduled_end:
            return {"closed": False, "why": f"end date moved to {as_utc(row.ends_at).isoformat()}"}
        row.closed_at = utcnow()
        row.close_reason = "end date reached"
        system = repo.get_system(uow.session, row.system_id)
        audit(uow, SYSTEM, "ai_system.close_pilot", system, {"pilot_id": row.id, "ends_at": scheduled_end})
        uow.commit()
        return {"closed": True, "pilot_id": row.id}
