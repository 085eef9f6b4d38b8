"""Workers: claim jobs, run their handlers with a heartbeat, record the outcome once.

Handlers must be idempotent: the queue runs a job at least once (a worker may die after the
handler's effect but before recording success), so a second run must find the effect already done
and not repeat it — e.g. write rows keyed by the job id, or put objects content-addressed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from qazai.core.clock import utcnow
from qazai.core.errors import AppError
from qazai.storage.db import Database
from qazai.storage.jobs.models import JobError, JobRead
from qazai.storage.jobs.queue import (
    DOORBELL,
    claim,
    complete,
    fail,
    get_job,
    renew_lease,
    retry_delay,
)

log = logging.getLogger("qazai.jobs")


class LeaseLost(Exception):
    """This worker no longer holds the job (its lease expired and another worker took it, or the
    job was cancelled). The handler should stop; nothing it returns will be recorded."""


@dataclass
class JobContext:
    """What a handler gets: the job, the database, and a way to report progress."""

    job: JobRead
    db: Database
    _worker: Worker = field(repr=False)
    _lost: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def job_id(self) -> str:
        return self.job.id

    @property
    def kind(self) -> str:
        return self.job.kind

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    @property
    def attempt(self) -> int:
        """1 on the first run, 2 on the first retry, and so on."""
        return self.job.attempts

    @property
    def worker_id(self) -> str:
        return self._worker.worker_id

    @property
    def lease_lost(self) -> bool:
        return self._lost.is_set()

    def check_lease(self) -> None:
        """Raise LeaseLost if the heartbeat found the lease gone (no database round-trip)."""
        if self._lost.is_set():
            raise LeaseLost(f"job {self.job.id} is no longer held by {self.worker_id}")

    def progress(self, percent: float, message: str | None = None) -> None:
        """Record progress (0-100) and renew the lease; LeaseLost if this worker lost the job."""
        self.check_lease()
        held = renew_lease(
            self.db, self.job.id, self.worker_id, self._worker.lease_seconds, percent=percent, message=message
        )
        if not held:
            self._lost.set()
            self.check_lease()


Handler = Callable[[JobContext], dict[str, Any] | None]
"""Runs one job. Returns a JSON object (the job's result) or None. Raises AppError for bad input
(the job fails at once with the error's code and message) or any other exception to retry."""


def default_worker_id() -> str:
    """``host:pid:random``: unique per worker, readable in ``lease_owner`` when debugging."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Runs jobs of the kinds in ``handlers``, one at a time.

    ``lease_seconds`` is how long a job stays with this worker without a heartbeat; the heartbeat
    renews it every ``heartbeat_seconds`` (a third of the lease by default) while a handler runs.
    A failed attempt is retried after ``retry_delay`` (exponential from ``backoff_base_seconds``).
    """

    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, Handler],
        *,
        worker_id: str | None = None,
        lease_seconds: float = 60.0,
        heartbeat_seconds: float | None = None,
        poll_seconds: float = 1.0,
        backoff_base_seconds: float = 5.0,
        backoff_max_seconds: float = 600.0,
    ) -> None:
        if not handlers:
            raise ValueError("a worker needs at least one handler")
        self.db = db
        self.handlers = dict(handlers)
        self.worker_id = worker_id or default_worker_id()
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds or lease_seconds / 3
        self.poll_seconds = poll_seconds
        self.backoff_base_seconds = backoff_base_seconds
        self.backoff_max_seconds = backoff_max_seconds

    def __repr__(self) -> str:
        return f"Worker({self.worker_id!r}, kinds={sorted(self.handlers)})"

    def run_once(self) -> JobRead | None:
        """Claim one due job and run it to an outcome; the job as it is afterwards, or None if idle."""
        job = claim(self.db, self.worker_id, kinds=list(self.handlers), lease_seconds=self.lease_seconds)
        if job is None:
            return None
        self._run(job)
        with self.db.uow(read_only=True) as uow:
            return get_job(uow.session, job.id)

    def run_forever(self, stop_event: threading.Event) -> None:
        """Run jobs until ``stop_event`` is set; idle, wait for a commit that enqueued or a poll.

        Finishes the job in hand before returning. Database errors are logged and retried, so a
        restarting database does not kill the worker.
        """
        bell = DOORBELL.subscribe()
        log.info("worker %s started", self.worker_id)
        try:
            while not stop_event.is_set():
                try:
                    job = self.run_once()
                except Exception:
                    log.exception("worker %s could not reach the job queue", self.worker_id)
                    job = None
                if job is None:
                    bell.wait(self.poll_seconds)
                    bell.clear()
        finally:
            DOORBELL.unsubscribe(bell)
            log.info("worker %s stopped", self.worker_id)

    def start(self, stop_event: threading.Event) -> threading.Thread:
        """Run :meth:`run_forever` in a daemon thread (for ``qazai serve``'s in-process workers)."""
        thread = threading.Thread(
            target=self.run_forever, args=(stop_event,), name=f"qazai-worker-{self.worker_id}", daemon=True
        )
        thread.start()
        return thread

    def _run(self, job: JobRead) -> None:
        context = JobContext(job=job, db=self.db, _worker=self)
        handler = self.handlers[job.kind]
        log.info("job %s (%s) attempt %d started on %s", job.id, job.kind, job.attempts, self.worker_id)
        try:
            with _Heartbeat(self, context):
                result = handler(context)
        except LeaseLost:
            log.warning("job %s: %s lost its lease; its outcome is discarded", job.id, self.worker_id)
            return
        except AppError as exc:
            self._fail(job, JobError(code=exc.code, message=exc.message), retry=False)
            return
        except Exception as exc:
            log.exception("job %s (%s) attempt %d raised", job.id, job.kind, job.attempts)
            self._fail(
                job, JobError(code="handler_error", message=f"{type(exc).__name__}: {exc}"), retry=True
            )
            return
        if context.lease_lost:
            log.warning("job %s: %s lost its lease; its result is discarded", job.id, self.worker_id)
            return
        try:
            held = complete(self.db, job.id, self.worker_id, result)
        except AppError as exc:  # the result is not a JSON object: a bug that a retry won't fix
            self._fail(job, JobError(code="invalid_result", message=exc.message), retry=False)
            return
        if held:
            log.info("job %s (%s) succeeded", job.id, job.kind)
        else:
            log.warning("job %s: %s lost its lease; its result is discarded", job.id, self.worker_id)

    def _fail(self, job: JobRead, error: JobError, *, retry: bool) -> None:
        retry_at = None
        if retry and job.attempts < job.max_attempts:
            delay = retry_delay(
                job.attempts, base_seconds=self.backoff_base_seconds, max_seconds=self.backoff_max_seconds
            )
            retry_at = utcnow() + timedelta(seconds=delay)
        state = fail(self.db, job.id, self.worker_id, error, retry_at=retry_at)
        if state is None:
            log.warning("job %s: %s lost its lease; its failure is discarded", job.id, self.worker_id)
        else:
            log.info(
                "job %s (%s) attempt %d failed (%s): now %s",
                job.id,
                job.kind,
                job.attempts,
                error.code,
                state,
            )


class _Heartbeat:
    """Renews the lease in a thread while the handler runs; flags the context if it is lost."""

    def __init__(self, worker: Worker, context: JobContext) -> None:
        self._worker = worker
        self._context = context
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"qazai-heartbeat-{context.job_id}", daemon=True
        )

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        worker, context = self._worker, self._context
        while not self._stop.wait(worker.heartbeat_seconds):
            try:
                held = renew_lease(worker.db, context.job_id, worker.worker_id, worker.lease_seconds)
            except Exception:
                log.exception("job %s: heartbeat failed; will try again", context.job_id)
                continue
            if not held:
                context._lost.set()
                return


def run_workers(
    db: Database,
    handlers: Mapping[str, Handler],
    count: int,
    stop_event: threading.Event,
    **options: Any,
) -> list[threading.Thread]:
    """Start ``count`` workers in daemon threads; set ``stop_event`` and join the threads to stop.

    ``options`` are passed to :class:`Worker` (lease_seconds, poll_seconds...). Each worker gets
    its own id. Returns the started threads.
    """
    return [Worker(db, handlers, **options).start(stop_event) for _ in range(count)]


def stop_workers(stop_event: threading.Event, threads: list[threading.Thread], timeout: float = 30.0) -> None:
    """Ask workers to stop, wake the idle ones at once, and wait up to ``timeout`` for them.

    A worker busy with a job finishes it first; one still running after ``timeout`` is left to its
    lease (its job is retried elsewhere if the process then exits).
    """
    stop_event.set()
    DOORBELL.ring()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
