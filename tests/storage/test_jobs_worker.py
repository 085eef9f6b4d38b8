"""Workers: handler outcomes, retries with backoff, heartbeats, lost leases, many workers at once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from qazai.core.clock import utcnow
from qazai.core.errors import InvalidInput
from qazai.storage.db import Database
from qazai.storage.jobs import (
    JobContext,
    JobRead,
    JobState,
    LeaseLost,
    Worker,
    claim,
    enqueue,
    get_job,
    run_workers,
    stop_workers,
)

pytestmark = pytest.mark.db


def _enqueue(db: Database, kind: str, payload: dict[str, Any] | None = None, **kw: Any) -> str:
    with db.uow() as uow:
        job = enqueue(uow.session, kind, payload or {}, **kw)
        uow.commit()
    return job.id


def _get(db: Database, job_id: str) -> JobRead:
    with db.uow(read_only=True) as uow:
        return get_job(uow.session, job_id)


def test_worker_runs_handler_with_context_and_records_result(db: Database) -> None:
    seen: list[tuple[str, int, dict[str, Any]]] = []

    def handler(context: JobContext) -> dict[str, Any]:
        seen.append((context.job_id, context.attempt, context.payload))
        context.progress(30, "reading")
        job = _get(context.db, context.job_id)
        assert (job.progress_percent, job.progress_message) == (30, "reading")
        return {"ok": True}

    job_id = _enqueue(db, "demo", {"x": 1})
    worker = Worker(db, {"demo": handler})
    assert worker.worker_id.count(":") == 2  # host:pid:random
    finished = worker.run_once()
    assert finished is not None
    assert (finished.id, finished.state, finished.result) == (job_id, JobState.succeeded, {"ok": True})
    assert seen == [(job_id, 1, {"x": 1})]
    assert worker.run_once() is None


def test_handler_app_error_fails_at_once_without_retry(db: Database) -> None:
    def handler(context: JobContext) -> None:
        raise InvalidInput("the file is not a CSV", code="unreadable_file")

    job_id = _enqueue(db, "demo", max_attempts=5)
    finished = Worker(db, {"demo": handler}).run_once()
    assert finished is not None and finished.id == job_id
    assert finished.state == JobState.failed
    assert finished.attempts == 1
    assert finished.error is not None
    assert (finished.error.code, finished.error.message) == ("unreadable_file", "the file is not a CSV")


def test_handler_crash_retries_with_backoff_then_fails(db: Database) -> None:
    calls: list[int] = []

    def handler(context: JobContext) -> None:
        calls.append(context.attempt)
        raise RuntimeError("disk full")

    job_id = _enqueue(db, "demo", max_attempts=3)
    worker = Worker(db, {"demo": handler}, backoff_base_seconds=30)
    before = utcnow()
    first = worker.run_once()
    assert first is not None
    assert (first.state, first.attempts) == (JobState.queued, 1)
    assert first.error is not None and first.error.code == "handler_error"
    assert "RuntimeError: disk full" in first.error.message
    assert 29 <= (first.run_after - before).total_seconds() <= 35
    assert worker.run_once() is None  # still backing off
    assert _get(db, job_id).state == JobState.queued


def test_handler_crash_fails_for_good_when_attempts_run_out(db: Database) -> None:
    def handler(context: JobContext) -> None:
        raise RuntimeError("still broken")

    job_id = _enqueue(db, "demo", max_attempts=2)
    worker = Worker(db, {"demo": handler}, backoff_base_seconds=0)
    first = worker.run_once()
    assert first is not None and (first.state, first.attempts) == (JobState.queued, 1)
    last = worker.run_once()
    assert last is not None and last.id == job_id
    assert (last.state, last.attempts) == (JobState.failed, 2)
    assert last.error is not None and "still broken" in last.error.message
    assert worker.run_once() is None


def test_result_that_is_not_json_fails_the_job(db: Database) -> None:
    _enqueue(db, "demo")
    finished = Worker(db, {"demo": lambda context: {"at": object()}}).run_once()
    assert finished is not None and finished.state == JobState.failed
    assert finished.error is not None and finished.error.code == "invalid_result"


def test_heartbeat_keeps_a_long_job_leased(db: Database) -> None:
    started = threading.Event()

    def slow(context: JobContext) -> dict[str, Any]:
        started.set()
        time.sleep(1.6)  # longer than the lease; only the heartbeat keeps it
        context.check_lease()
        return {"done": True}

    job_id = _enqueue(db, "slow")
    worker = Worker(db, {"slow": slow}, lease_seconds=0.8, heartbeat_seconds=0.2)
    outcome: list[JobRead | None] = []
    thread = threading.Thread(target=lambda: outcome.append(worker.run_once()))
    thread.start()
    assert started.wait(10)
    stolen = []
    while thread.is_alive():
        stolen.append(claim(db, "thief", lease_seconds=30))
        time.sleep(0.2)
    thread.join(10)
    assert stolen and all(job is None for job in stolen)
    assert outcome and outcome[0] is not None
    assert (outcome[0].id, outcome[0].state) == (job_id, JobState.succeeded)


def test_worker_that_lost_its_lease_does_not_overwrite_the_new_owner(db: Database) -> None:
    def handler(context: JobContext) -> dict[str, Any]:
        # Simulate a long pause: the lease expires and another worker takes the job.
        thief = claim(context.db, "thief", now=utcnow() + timedelta(seconds=120))
        assert thief is not None and thief.id == context.job_id
        with pytest.raises(LeaseLost):
            context.progress(90, "almost")
        return {"by": "loser"}

    job_id = _enqueue(db, "demo")
    finished = Worker(db, {"demo": handler}, lease_seconds=60).run_once()
    assert finished is not None
    assert (finished.state, finished.lease_owner, finished.result) == (JobState.running, "thief", None)
    assert finished.attempts == 2
    assert _get(db, job_id).progress_message is None


def test_two_workers_never_run_the_same_job_at_once(db: Database) -> None:
    running: set[str] = set()
    runs: list[str] = []
    overlaps: list[str] = []
    lock = threading.Lock()

    def handler(context: JobContext) -> None:
        with lock:
            if context.job_id in running:
                overlaps.append(context.job_id)
            running.add(context.job_id)
            runs.append(context.job_id)
        time.sleep(0.01)
        with lock:
            running.discard(context.job_id)

    ids = {_enqueue(db, "demo", {"n": n}) for n in range(24)}
    stop = threading.Event()
    threads = run_workers(db, {"demo": handler}, 4, stop, poll_seconds=0.05)
    try:
        deadline = time.monotonic() + 30
        while len(runs) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop_workers(stop, threads, timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    assert overlaps == []
    assert sorted(runs) == sorted(ids)  # every job ran, and exactly once
    with db.uow(read_only=True) as uow:
        assert {get_job(uow.session, job_id).state for job_id in ids} == {JobState.succeeded}


def test_idle_worker_wakes_when_a_job_is_enqueued(db: Database) -> None:
    done = threading.Event()
    stop = threading.Event()
    threads = run_workers(db, {"demo": lambda context: done.set()}, 1, stop, poll_seconds=30)
    try:
        time.sleep(0.2)  # let the worker go idle on its 30 s poll
        _enqueue(db, "demo")
        assert done.wait(5), "the commit did not wake the idle worker"
    finally:
        stop_workers(stop, threads, timeout=10)  # also cuts the 30 s idle wait short
    assert not threads[0].is_alive()
