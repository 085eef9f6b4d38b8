"""The executor contract: how a job's process is run next to the data, whatever runs it.

A backend (``local``: a bubblewrap sandbox on this host; ``slurm``: a cluster behind slurmrestd)
implements :class:`Executor`. Every backend passes the one contract suite,
``tests/compute/test_executor_contract.py``; a backend that does not is not a backend.

Vocabulary
----------
* A **run** is one execution of one job on one backend, named by the job's id (``RunSpec.job_id``).
  The platform never runs the same job id twice: a retry of a failed job is a new job.
* The job sees one folder, ``/job`` (``JOB_ROOT``): its inputs read-only at the paths the spec
  names (``inputs/<library>/<version>/<file>.parquet``, the script itself), and ``/job/outputs``
  (``OUTPUT_DIR``), the only place it may write. Its working directory is ``/job``; the
  environment variable ``QAZAI_OUTPUT_DIR`` names the output folder.
* Nothing a run writes leaves the backend except through :meth:`Executor.collect`, and the platform
  hands what it collects to the airlock, never to a user.

Idempotency
-----------
Every method may be called again after a crash of the caller at any point, from another process
or another host sharing the same backend settings. ``submit`` twice starts one run; ``cancel``
of a finished run changes nothing; ``collect`` twice returns the same files; ``poll`` and
``logs`` have no effects.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

JOB_ROOT = "/job"
OUTPUT_DIR = "outputs"
# Job ids become folder names and Slurm job names: keep them to this shape.
JOB_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


class RunState(StrEnum):
    """What a backend knows about a run. ``unknown``: never submitted here, or its record is lost
    (the platform treats a run that stays unknown as failed, never as succeeded)."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"
    timed_out = "timed_out"
    unknown = "unknown"


FINAL_RUN_STATES = frozenset({RunState.succeeded, RunState.failed, RunState.cancelled, RunState.timed_out})


class FailureReason(StrEnum):
    """Why a run ended other than by exiting 0 (``RunStatus.reason``); stable codes for surfaces."""

    exit_code = "exit_code"  # the script exited non-zero (a syntax error, an exception)
    memory = "memory"  # killed over the memory limit
    cpu_time = "cpu_time"  # killed over the CPU-seconds limit
    wall_time = "wall_time"  # killed over the wall-time limit (state timed_out)
    output_quota = "output_quota"  # wrote more than the output limit
    processes = "processes"  # could not start a process over the limit (shows as exit_code mostly)
    cancelled = "cancelled"
    sandbox = "sandbox"  # the backend could not set up the sandbox
    backend = "backend"  # the backend lost the run or refused it


class RunLimits(BaseModel):
    """Limits enforced by the backend, not by the job's good will."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cpu_seconds: int = Field(default=3600, ge=1, le=30 * 24 * 3600)
    memory_mib: int = Field(default=2048, ge=64, le=1024 * 1024)
    wall_seconds: int = Field(default=3600, ge=1, le=30 * 24 * 3600)
    processes: int = Field(default=64, ge=1, le=4096)
    output_bytes: int = Field(default=1024**3, ge=0)


class RunSpec(BaseModel):
    """Everything a backend needs to run one job; nothing else (no user, no project, no grant).

    ``inputs`` maps a relative path inside ``/job`` to the absolute path of a file on the
    platform's host (an object in the local object store, or a file staged from S3). The backend
    makes exactly those files visible, read-only; a backend whose nodes do not share the host's
    folders copies them first (``compute_slurm_inputs`` setting).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: str = Field(pattern=JOB_ID_PATTERN)
    command: tuple[str, ...] = Field(min_length=1)
    inputs: dict[str, str] = Field(default_factory=dict)
    limits: RunLimits = Field(default_factory=RunLimits)
    # Environment variables for the job (no host environment leaks into a run).
    env: dict[str, str] = Field(default_factory=dict)
    # The inputs include restricted or enclave data: a backend that cannot confine the run (no
    # working sandbox) refuses it with PermissionDenied, code ``sandbox_unavailable``.
    confidential: bool = False

    @field_validator("inputs")
    @classmethod
    def _inputs_stay_inside(cls, value: dict[str, str]) -> dict[str, str]:
        for inside, outside in value.items():
            path = PurePosixPath(inside)
            if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] == OUTPUT_DIR:
                raise ValueError(f"input path {inside!r} must be relative, inside /job and outside outputs/")
            if not PurePosixPath(outside).is_absolute():
                raise ValueError(f"input source {outside!r} must be an absolute path on the host")
        return value


class RunStatus(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: str
    state: RunState
    exit_code: int | None = None
    reason: FailureReason | None = None
    message: str | None = None  # one line for the user, in English (surfaces translate ``reason``)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cpu_seconds: float | None = None  # CPU time the run used (user + system), once known
    backend_ref: str | None = None  # the backend's own id (a Slurm job id, a local pid)

    @property
    def final(self) -> bool:
        return self.state in FINAL_RUN_STATES


class OutputFile(BaseModel):
    """One file a succeeded run wrote under ``/job/outputs``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str  # relative to the output folder, ``/``-separated
    size: int
    sha256: str
    source: str  # absolute path on the platform's host, readable until ``discard``


class LogChunk(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    job_id: str
    text: str  # decoded as UTF-8 with replacement; stdout and stderr interleaved
    offset: int  # byte offset of ``text`` in the log
    next_offset: int  # pass it back to read on
    complete: bool  # the run is final and nothing more will be written


@runtime_checkable
class Executor(Protocol):
    """Runs a job's process next to the data: no network, only the granted files, limits enforced.

    Every backend passes ``tests/compute/test_executor_contract.py``.
    """

    name: str

    def submit(self, spec: RunSpec) -> RunStatus:
        """Start a run of ``spec`` and return at once (the run is queued or running).

        1. If a run of ``spec.job_id`` exists on this backend, return its status and start nothing
           (a second submit after a crash of the caller is safe).
        2. Check every input source exists; raise ``InvalidInput`` (code ``input_missing``)
           naming the first missing one, starting nothing.
        3. Prepare the run's folder: the inputs visible read-only at ``/job/<path>``, an empty
           writable ``/job/outputs``, an empty log.
        4. Hand the run to the backend (a sandboxed child process, a Slurm job) with
           ``spec.limits``; record the backend's reference so ``poll`` finds it from any process.

        Raises ``Unavailable`` (code ``executor_unavailable``) when the backend does not answer;
        nothing was started then and the caller may submit again later.
        """
        ...

    def poll(self, job_id: str) -> RunStatus:
        """The run's current status, without side effects.

        ``RunState.unknown`` for a job id never submitted here. A final status does not change
        any more. ``Unavailable`` when the backend does not answer (the caller keeps the job in
        its last known state and polls again).
        """
        ...

    def cancel(self, job_id: str) -> RunStatus:
        """Stop a queued or running run; return its status (``cancelled`` once it has stopped, or
        still ``running`` for a moment while the backend stops it).

        Cancelling a finished or unknown run is not an error and changes nothing. Outputs of a
        cancelled run are never offered by ``collect``.
        """
        ...

    def collect(self, job_id: str) -> list[OutputFile]:
        """The files a **succeeded** run wrote under ``/job/outputs``, sorted by path.

        1. Only for a run whose state is ``succeeded``; for any other state return ``[]`` (partial
           outputs of a failed, cancelled or timed-out run, or of a run killed mid-write, are never
           offered).
        2. Symbolic links, devices, sockets and FIFOs are skipped, never followed.
        3. Sizes and sha256 are those of the bytes now on disk; ``source`` stays readable until
           :meth:`discard`.

        Calling it again returns the same list. It never moves or deletes anything.
        """
        ...

    def logs(self, job_id: str, offset: int = 0, limit: int = 64 * 1024) -> LogChunk:
        """Up to ``limit`` bytes of the run's combined stdout/stderr from byte ``offset``.

        Readable while the run is going (live logs). An unknown job has an empty, complete log.
        """
        ...

    def discard(self, job_id: str) -> None:
        """Remove the run's folder (log, outputs) after the platform has copied what it keeps.

        Refuses (``Conflict``, code ``run_not_final``) while the run is not final. Discarding a
        discarded or unknown run is not an error.
        """
        ...
