"""The durable job queue: enqueue in the caller's transaction, claim with leases, finish once.

Guarantees: a job runs at least once; while one worker holds a job's lease no other worker can
claim it; a worker's result or failure is recorded only while it still holds the lease. Together
with idempotent handlers that gives effectively-once results (docs/storage.md).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.errors import Conflict, InvalidInput, NotFound
from qazai.core.ids import new_id
from qazai.storage.db import Database
from qazai.storage.jobs.models import JobError, JobRead
from qazai.storage.tables.jobs import FINAL_STATES, JobRow, JobState

_ENQUEUED_FLAG = "qazai_job_enqueued"
MAX_MESSAGE_LENGTH = 2000


class Doorbell:
    """Wakes this process's idle workers as soon as a transaction that enqueued a job commits.

    Workers on other hosts find new jobs by polling; this only cuts latency in-process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: set[threading.Event] = set()

    def subscribe(self) -> threading.Event:
        bell = threading.Event()
        with self._lock:
            self._events.add(bell)
        return bell

    def unsubscribe(self, bell: threading.Event) -> None:
        with self._lock:
            self._events.discard(bell)

    def ring(self) -> None:
        with self._lock:
            for bell in self._events:
                bell.set()


DOORBELL = Doorbell()


@event.listens_for(Session, "after_commit")
def _ring_after_commit(session: Session) -> None:
    if session.info.pop(_ENQUEUED_FLAG, False):
        DOORBELL.ring()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_ENQUEUED_FLAG, None)


def _to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _check_json(value: dict[str, Any], what: str) -> None:
    if not isinstance(value, dict):
        raise InvalidInput(f"a job {what} must be a JSON object")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"a job {what} must be JSON-serialisable: {exc}") from None


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 5,
) -> JobRead:
    """Add a job in the caller's transaction (it exists only if the caller commits).

    With ``dedupe_key``, enqueueing the same logical job again returns the existing job, whatever
    its state, instead of adding a second one. ``run_after`` schedules it (naive means UTC).
    Raises InvalidInput for an empty kind, a payload that is not a JSON object, or max_attempts < 1.
    """
    if not kind or len(kind) > 100:
        raise InvalidInput("a job kind must have 1 to 100 characters")
    if max_attempts < 1:
        raise InvalidInput("max_attempts must be at least 1")
    if dedupe_key is not None and not 1 <= len(dedupe_key) <= 255:
        raise InvalidInput("a dedupe key must have 1 to 255 characters")
    _check_json(payload, "payload")
    if dedupe_key is not None:
        existing = _by_dedupe_key(session, dedupe_key)
        if existing is not None:
            return JobRead.from_row(existing)
    now = utcnow()
    row = JobRow(
        id=new_id(),
        kind=kind,
        payload=payload,
        state=JobState.queued,
        attempts=0,
        max_attempts=max_attempts,
        run_after=_to_utc(run_after) if run_after is not None else now,
        progress_percent=0.0,
        dedupe_key=dedupe_key,
        created_at=now,
        updated_at=now,
    )
    if dedupe_key is None:
        session.add(row)
        session.flush()
    else:
        try:
            # A concurrent transaction may insert the same key first (PostgreSQL); the savepoint
            # keeps the caller's transaction usable so the winner's job can be returned.
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            existing = _by_dedupe_key(session, dedupe_key)
            if existing is None:
                raise
            return JobRead.from_row(existing)
    session.info[_ENQUEUED_FLAG] = True
    return JobRead.from_row(row)


def _by_dedupe_key(session: Session, dedupe_key: str) -> JobRow | None:
    return session.scalar(select(JobRow).where(JobRow.dedupe_key == dedupe_key))


def get_job(session: Session, job_id: str) -> JobRead:
    """The job ``job_id``; NotFound if there is none."""
    row = session.get(JobRow, job_id, populate_existing=True)
    if row is None:
        raise NotFound(f"no job {job_id!r}")
    return JobRead.from_row(row)


def list_jobs(
    session: Session,
    *,
    state: JobState | None = None,
    kind: str | None = None,
    before: str | None = None,
    limit: int = 100,
) -> list[JobRead]:
    """Jobs, newest first; ``before`` is the id of the last job of the previous page."""
    query = select(JobRow).order_by(JobRow.id.desc()).limit(max(1, min(limit, 1000)))
    if state is not None:
        query = query.where(JobRow.state == state)
    if kind is not None:
        query = query.where(JobRow.kind == kind)
    if before is not None:
        query = query.where(JobRow.id < before)
    return [JobRead.from_row(row) for row in session.scalars(query)]


def queue_depth(session: Session) -> dict[JobState, int]:
    """How many jobs are in each state (every state present, zero if none), for metrics."""
    counts = dict.fromkeys(JobState, 0)
    for state, count in session.execute(select(JobRow.state, func.count()).group_by(JobRow.state)):
        counts[JobState(state)] = int(count)
    return counts


def cancel_job(session: Session, job_id: str) -> JobRead:
    """Cancel a queued or running job in the caller's transaction.

    A running job's worker loses its lease: its next progress report raises LeaseLost and its
    result is discarded. NotFound if missing; Conflict if the job already finished.
    """
    row = session.get(JobRow, job_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no job {job_id!r}")
    if row.state in FINAL_STATES:
        raise Conflict(f"job {job_id} already {row.state.value}")
    now = utcnow()
    row.state = JobState.cancelled
    row.lease_owner = None
    row.lease_expires_at = None
    row.finished_at = now
    row.updated_at = now
    session.flush()
    return JobRead.from_row(row)


def claim(
    db: Database,
    worker_id: str,
    *,
    kinds: Sequence[str] | None = None,
    lease_seconds: float = 60.0,
    now: datetime | None = None,
) -> JobRead | None:
    """Take the next due job for ``worker_id`` and lease it for ``lease_seconds``; None if none is due.

    Due means queued with ``run_after`` reached, or running with an expired lease (its worker
    died) and attempts left. Each claim counts an attempt. Running jobs whose lease expired with
    no attempts left are marked failed (``lease_expired``) on the way. On PostgreSQL rows are
    picked with ``FOR UPDATE SKIP LOCKED`` so concurrent workers never block on or double-claim a
    job; on SQLite the writing unit of work's ``BEGIN IMMEDIATE`` serialises claims.
    """
    now = _to_utc(now) if now is not None else utcnow()
    with db.uow() as uow:
        session = uow.session
        _fail_exhausted(session, now)
        expired = and_(
            JobRow.state == JobState.running,
            JobRow.lease_expires_at < now,
            JobRow.attempts < JobRow.max_attempts,
        )
        query = (
            select(JobRow)
            .where(or_(and_(JobRow.state == JobState.queued, JobRow.run_after <= now), expired))
            .order_by(JobRow.run_after, JobRow.created_at, JobRow.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if kinds is not None:
            query = query.where(JobRow.kind.in_(list(kinds)))
        row = session.scalars(query).first()
        if row is None:
            uow.commit()
            return None
        row.state = JobState.running
        row.attempts += 1
        row.lease_owner = worker_id
        row.lease_expires_at = now + timedelta(seconds=lease_seconds)
        row.started_at = now
        row.updated_at = now
        row.progress_percent = 0.0
        row.progress_message = None
        job = JobRead.from_row(row)
        uow.commit()
        return job


def _fail_exhausted(session: Session, now: datetime) -> None:
    query = (
        select(JobRow)
        .where(
            JobRow.state == JobState.running,
            JobRow.lease_expires_at < now,
            JobRow.attempts >= JobRow.max_attempts,
        )
        .limit(100)
        .with_for_update(skip_locked=True)
    )
    for row in session.scalars(query):
        row.state = JobState.failed
        row.error_code = "lease_expired"
        row.error_message = (
            f"the worker running attempt {row.attempts} of {row.max_attempts} stopped renewing its "
            f"lease ({row.lease_owner}); no attempts left"
        )
        row.lease_owner = None
        row.lease_expires_at = None
        row.finished_at = now
        row.updated_at = now


def _held(job_id: str, worker_id: str) -> Any:
    return and_(JobRow.id == job_id, JobRow.state == JobState.running, JobRow.lease_owner == worker_id)


def _update_held(db: Database, job_id: str, worker_id: str, extra: Any, values: dict[str, Any]) -> bool:
    with db.uow() as uow:
        statement = update(JobRow).where(_held(job_id, worker_id), extra).values(**values)
        changed = uow.session.execute(statement.execution_options(synchronize_session=False))
        uow.commit()
    return bool(getattr(changed, "rowcount", 0) == 1)


def renew_lease(
    db: Database,
    job_id: str,
    worker_id: str,
    lease_seconds: float,
    *,
    percent: float | None = None,
    message: str | None = None,
) -> bool:
    """Extend the lease (and record progress if given); False if ``worker_id`` no longer holds it."""
    now = utcnow()
    values: dict[str, Any] = {"lease_expires_at": now + timedelta(seconds=lease_seconds), "updated_at": now}
    if percent is not None:
        values["progress_percent"] = min(100.0, max(0.0, float(percent)))
        values["progress_message"] = None if message is None else message[:MAX_MESSAGE_LENGTH]
    return _update_held(db, job_id, worker_id, true(), values)


def complete(db: Database, job_id: str, worker_id: str, result: dict[str, Any] | None) -> bool:
    """Mark the job succeeded with ``result`` if ``worker_id`` still holds it; False otherwise."""
    if result is not None:
        _check_json(result, "result")
    now = utcnow()
    values: dict[str, Any] = {
        "state": JobState.succeeded,
        "result": result,
        "error_code": None,
        "error_message": None,
        "progress_percent": 100.0,
        "lease_owner": None,
        "lease_expires_at": None,
        "finished_at": now,
        "updated_at": now,
    }
    return _update_held(db, job_id, worker_id, true(), values)


def fail(
    db: Database,
    job_id: str,
    worker_id: str,
    error: JobError,
    *,
    retry_at: datetime | None = None,
) -> JobState | None:
    """Record a failed attempt if ``worker_id`` still holds the job; None if it lost the lease.

    With ``retry_at`` and attempts left, the job is queued again to run at ``retry_at``;
    otherwise it is failed for good. Returns the job's new state.
    """
    now = utcnow()
    base: dict[str, Any] = {
        "error_code": error.code[:100],
        "error_message": error.message[:MAX_MESSAGE_LENGTH],
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
    }
    if retry_at is not None:
        retry = {**base, "state": JobState.queued, "run_after": _to_utc(retry_at)}
        if _update_held(db, job_id, worker_id, JobRow.attempts < JobRow.max_attempts, retry):
            return JobState.queued
    if _update_held(db, job_id, worker_id, true(), {**base, "state": JobState.failed, "finished_at": now}):
        return JobState.failed
    return None


def retry_delay(attempt: int, *, base_seconds: float, max_seconds: float) -> float:
    """Exponential backoff: ``base * 2**(attempt-1)`` seconds, at most ``max_seconds``."""
    return float(min(max_seconds, base_seconds * 2 ** max(0, attempt - 1)))
