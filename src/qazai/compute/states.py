"""A compute job's states as one transition table, and the one check every move goes through.

The diagram is in docs/compute.md; ``tests/compute/test_states.py`` walks the table and refuses
every pair not in it.

::

    queued ──> running ──> succeeded ──> awaiting_review ──> reviewed
      │          ├──> failed                (outputs held      (the airlock decided
      │          ├──> timed_out              in the airlock)    every file)
      ├──> failed└──> cancelled
      └──> cancelled

A job that succeeded without writing any file stays ``succeeded`` (nothing to review).
"""

from __future__ import annotations

from enum import StrEnum

from qazai.compute.executors.base import RunState
from qazai.core.errors import Conflict


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"
    timed_out = "timed_out"
    awaiting_review = "awaiting_review"
    reviewed = "reviewed"


J = JobState  # short name for the table below
NEXT: dict[JobState, frozenset[JobState]] = {
    J.queued: frozenset({J.running, J.failed, J.cancelled}),
    J.running: frozenset({J.succeeded, J.failed, J.cancelled, J.timed_out}),
    JobState.succeeded: frozenset({JobState.awaiting_review}),
    JobState.awaiting_review: frozenset({JobState.reviewed}),
    **{
        final: frozenset()
        for final in (JobState.failed, JobState.cancelled, JobState.timed_out, JobState.reviewed)
    },
}

FINAL_STATES = frozenset(state for state, nexts in NEXT.items() if not nexts)
# The job's process has ended (its run is over), whatever comes after.
ENDED_STATES = FINAL_STATES | {JobState.succeeded, JobState.awaiting_review}
# States that count against the organisation's concurrent-jobs quota.
ACTIVE_STATES = frozenset({JobState.queued, JobState.running})

# What a backend's run state means for the job (unknown: keep the job as it is and poll again).
FROM_RUN_STATE: dict[RunState, JobState | None] = {
    RunState.queued: JobState.queued,
    RunState.running: JobState.running,
    RunState.succeeded: JobState.succeeded,
    RunState.failed: JobState.failed,
    RunState.cancelled: JobState.cancelled,
    RunState.timed_out: JobState.timed_out,
    RunState.unknown: None,
}


def allowed_next(state: JobState) -> list[JobState]:
    return sorted(NEXT[state], key=list(JobState).index)


def check_transition(source: JobState, target: JobState) -> None:
    """Nothing if a job may move ``source -> target``; Conflict naming the allowed next states."""
    if target in NEXT[source]:
        return
    nexts = allowed_next(source)
    raise Conflict(
        f"a job cannot move from {source.value} to {target.value}; from {source.value} it can go to: "
        + (", ".join(s.value for s in nexts) or "none (final state)"),
        code="invalid_job_transition",
        details={"state": source.value, "target": target.value, "allowed": [s.value for s in nexts]},
    )


def path_to(source: JobState, run_state: JobState) -> list[JobState]:
    """The moves from ``source`` to ``run_state`` through the table (a poll may miss ``running``:
    a short run goes queued -> running -> succeeded between two polls). Empty if there is none."""
    if source == run_state:
        return []
    if run_state in NEXT[source]:
        return [run_state]
    for middle in allowed_next(source):
        if run_state in NEXT[middle]:
            return [middle, run_state]
    return []
