"""Durable job queue in the metadata database, with leases, retries and progress.

See docs/storage.md for the state machine, leases and the idempotency rules for handlers.
"""

from qazai.storage.jobs.models import JobError, JobRead
from qazai.storage.jobs.queue import (
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
from qazai.storage.jobs.worker import (
    Handler,
    JobContext,
    LeaseLost,
    Worker,
    default_worker_id,
    run_workers,
    stop_workers,
)
from qazai.storage.tables.jobs import FINAL_STATES, JobState

__all__ = [
    "FINAL_STATES",
    "Handler",
    "JobContext",
    "JobError",
    "JobRead",
    "JobState",
    "LeaseLost",
    "Worker",
    "cancel_job",
    "claim",
    "complete",
    "default_worker_id",
    "enqueue",
    "fail",
    "get_job",
    "list_jobs",
    "queue_depth",
    "renew_lease",
    "retry_delay",
    "run_workers",
    "stop_workers",
]
