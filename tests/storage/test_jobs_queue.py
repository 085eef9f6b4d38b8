"""The job queue's operations: enqueue, claim, leases, outcomes, dedupe, scheduling."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from qazai.core.clock import utcnow
from qazai.core.errors import Conflict, InvalidInput, NotFound
from qazai.storage.db import Database
from qazai.storage.jobs import (
    JobError,
    JobRead,
    JobState,
    cancel_job,
    claim,
    complete,
    enqueue,
    fail,
    get_job,
    list_jobs,
    queue_depth,
    renew_lease,
    retry_delay,
)
from qazai.storage.tables.jobs import JobRow

pytestmark = pytest.mark.db


def _enqueue(db: Database, kind: str = "demo", payload: dict[str, Any] | None = None, **kw: Any) -> str:
    with db.uow() as uow:
        job = enqueue(uow.session, kind, payload or {"n": 1}, **kw)
        uow.commit()
    return job.id


def _get(db: Database, job_id: str) -> JobRead:
    with db.uow(read_only=True) as uow:
        return get_job(uow.session, job_id)


def test_enqueue_then_claim_then_complete(db: Database) -> None:
    job_id = _enqueue(db, payload={"library": "lib-1"})
    queued = _get(db, job_id)
    assert (queued.state, queued.attempts, queued.payload) == (JobState.queued, 0, {"library": "lib-1"})

    claimed = claim(db, "w1", lease_seconds=30)
    assert claimed is not None and claimed.id == job_id
    assert (claimed.state, claimed.attempts, claimed.lease_owner) == (JobState.running, 1, "w1")
    assert claimed.lease_expires_at is not None and claimed.lease_expires_at > utcnow()
    assert claim(db, "w2") is None  # leased, not due for anyone else

    assert complete(db, job_id, "w1", {"rows": 10})
    done = _get(db, job_id)
    assert (done.state, done.result, done.lease_owner, done.error) == (
        JobState.succeeded,
        {"rows": 10},
        None,
        None,
    )
    assert done.finished_at is not None and done.progress_percent == 100.0
    assert claim(db, "w1") is None


def test_enqueue_belongs_to_the_callers_transaction(db: Database) -> None:
    with db.uow() as uow:
        job = enqueue(uow.session, "demo", {})
        uow.rollback()
    with db.uow(read_only=True) as uow, pytest.raises(NotFound):
        get_job(uow.session, job.id)
    assert claim(db, "w1") is None


def test_enqueue_rejects_bad_input(db: Database) -> None:
    with db.uow() as uow:
        with pytest.raises(InvalidInput):
            enqueue(uow.session, "", {})
        with pytest.raises(InvalidInput):
            enqueue(uow.session, "demo", {"when": datetime.now(UTC)})
        with pytest.raises(InvalidInput):
            enqueue(uow.session, "demo", {}, max_attempts=0)


def test_dedupe_key_returns_the_existing_job(db: Database) -> None:
    first = _enqueue(db, dedupe_key="close-pilot:p1")
    second = _enqueue(db, payload={"other": True}, dedupe_key="close-pilot:p1")
    assert first == second
    with db.uow(read_only=True) as uow:
        assert len(list_jobs(uow.session)) == 1
    assert _enqueue(db) != _enqueue(db)  # no key, no dedupe


def test_dedupe_holds_across_concurrent_transactions(db: Database) -> None:
    ids: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def add() -> None:
        try:
            barrier.wait(timeout=10)
            ids.append(_enqueue(db, dedupe_key="same"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(set(ids)) == 1 and len(ids) == 4


def test_run_after_delays_the_job(db: Database) -> None:
    later = utcnow() + timedelta(days=30)
    job_id = _enqueue(db, run_after=later)
    assert claim(db, "w1") is None
    claimed = claim(db, "w1", now=later + timedelta(seconds=1))
    assert claimed is not None and claimed.id == job_id


def test_claim_takes_jobs_in_run_after_then_creation_order(db: Database) -> None:
    now = utcnow()
    late = _enqueue(db, run_after=now - timedelta(seconds=10))
    first = _enqueue(db, run_after=now - timedelta(seconds=60))
    second = _enqueue(db, run_after=now - timedelta(seconds=60))
    order = [job.id for job in iter(lambda: claim(db, "w1"), None)]
    assert order == [first, second, late]


def test_claim_only_the_kinds_asked_for(db: Database) -> None:
    publish = _enqueue(db, kind="publish")
    _enqueue(db, kind="export")
    claimed = claim(db, "w1", kinds=["publish"])
    assert claimed is not None and claimed.id == publish
    assert claim(db, "w1", kinds=["publish"]) is None


def test_expired_lease_is_claimable_again_and_the_old_owner_cannot_finish(db: Database) -> None:
    job_id = _enqueue(db)
    first = claim(db, "dead-worker", lease_seconds=5)
    assert first is not None
    later = utcnow() + timedelta(seconds=6)
    second = claim(db, "w2", lease_seconds=5, now=later)
    assert second is not None and second.id == job_id
    assert (second.attempts, second.lease_owner) == (2, "w2")

    assert not complete(db, job_id, "dead-worker", {"by": "dead"})
    assert fail(db, job_id, "dead-worker", JobError(code="x", message="y")) is None
    assert not renew_lease(db, job_id, "dead-worker", 5)
    assert complete(db, job_id, "w2", {"by": "w2"})
    assert _get(db, job_id).result == {"by": "w2"}


def test_expired_lease_without_attempts_left_fails_the_job(db: Database) -> None:
    job_id = _enqueue(db, max_attempts=1)
    assert claim(db, "dead-worker", lease_seconds=5) is not None
    assert claim(db, "w2", now=utcnow() + timedelta(seconds=6)) is None
    job = _get(db, job_id)
    assert job.state == JobState.failed
    assert job.error is not None and job.error.code == "lease_expired"


def test_renew_lease_records_progress_and_extends(db: Database) -> None:
    job_id = _enqueue(db)
    claimed = claim(db, "w1", lease_seconds=5)
    assert claimed is not None and claimed.lease_expires_at is not None
    assert renew_lease(db, job_id, "w1", 60, percent=42.5, message="profiling")
    job = _get(db, job_id)
    assert (job.progress_percent, job.progress_message) == (42.5, "profiling")
    assert job.lease_expires_at is not None and job.lease_expires_at > claimed.lease_expires_at
    assert claim(db, "w2", now=utcnow() + timedelta(seconds=30)) is None


def test_fail_with_retry_requeues_until_attempts_run_out(db: Database) -> None:
    job_id = _enqueue(db, max_attempts=2)
    error = JobError(code="handler_error", message="boom")
    assert claim(db, "w1") is not None
    retry_at = utcnow() + timedelta(seconds=120)
    assert fail(db, job_id, "w1", error, retry_at=retry_at) == JobState.queued
    job = _get(db, job_id)
    assert (job.state, job.error, job.lease_owner) == (JobState.queued, error, None)
    assert abs((job.run_after - retry_at).total_seconds()) < 0.01
    assert claim(db, "w1") is None  # backing off

    assert claim(db, "w1", now=retry_at) is not None
    assert fail(db, job_id, "w1", error, retry_at=utcnow()) == JobState.failed  # no attempts left
    assert _get(db, job_id).state == JobState.failed


def test_retry_delay_grows_exponentially_to_a_cap() -> None:
    delays = [retry_delay(n, base_seconds=5, max_seconds=60) for n in range(1, 6)]
    assert delays == [5, 10, 20, 40, 60]


def test_cancel_queued_and_running_jobs(db: Database) -> None:
    queued = _enqueue(db)
    running = _enqueue(db)
    claimed = claim(db, "w1")
    assert claimed is not None
    queued, running = (queued, running) if claimed.id == running else (running, queued)
    with db.uow() as uow:
        cancel_job(uow.session, queued)
        cancel_job(uow.session, running)
        uow.commit()
    assert _get(db, queued).state == JobState.cancelled
    assert not complete(db, running, "w1", {})  # the worker's lease is gone
    assert _get(db, running).state == JobState.cancelled
    with db.uow() as uow, pytest.raises(Conflict):
        cancel_job(uow.session, running)


def test_queue_depth_and_list_jobs(db: Database) -> None:
    ids = [_enqueue(db, kind="a" if n % 2 else "b") for n in range(5)]
    assert claim(db, "w1") is not None
    with db.uow(read_only=True) as uow:
        depth = queue_depth(uow.session)
        assert depth == {
            JobState.queued: 4,
            JobState.running: 1,
            JobState.succeeded: 0,
            JobState.failed: 0,
            JobState.cancelled: 0,
        }
        assert [j.id for j in list_jobs(uow.session)] == ids[::-1]
        assert [j.id for j in list_jobs(uow.session, kind="a")] == [ids[3], ids[1]]
        assert [j.id for j in list_jobs(uow.session, state=JobState.running)] == [ids[0]]
        page = list_jobs(uow.session, limit=2)
        assert [j.id for j in list_jobs(uow.session, before=page[-1].id, limit=2)] == [ids[2], ids[1]]
        with pytest.raises(NotFound):
            get_job(uow.session, "missing")


def test_claim_skips_rows_locked_by_another_transaction_on_postgresql(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises claims with BEGIN IMMEDIATE")
    first = _enqueue(db)
    second = _enqueue(db)
    with db.uow() as uow:
        # Another worker is in the middle of claiming the first job: its row is locked.
        uow.session.execute(select(JobRow).where(JobRow.id == first).with_for_update())
        claimed = claim(db, "w2")
        assert claimed is not None and claimed.id == second
        assert claim(db, "w3") is None
