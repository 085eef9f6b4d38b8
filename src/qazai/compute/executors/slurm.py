"""The ``slurm`` executor: each run is a batch job on a Slurm cluster, submitted through slurmrestd.

A run lives in ``<compute_slurm_shared_dir>/<job_id>/``, on a filesystem the platform and the
nodes share, with the same layout as a local run (``runner.py``): the batch script only runs
``python3 -I <run>/runner.py <run>`` in the foreground on the node, so a job is confined, limited
and judged by exactly the code of the local backend (bubblewrap, rlimits, wall-time kill,
output quota, ``result.json``). Slurm adds what a cluster adds: the queue, the node, its own limits
as a backstop, and the CPU time it charges.

Files of a run besides the runner's::

    slurm.json         {"slurm_job_id", "name", "submitted_at"}: the run was handed to Slurm
    slurm.log          the batch script's own output (the runner's failures before the job starts)
    slurm-final.json   the final RunStatus, written once; a final status never changes
    inputs/            the staged copies of the inputs (``compute_slurm_inputs=stage``)

Slurm's job states map to :class:`RunState` through ``SLURM_STATES`` only. When slurmrestd does not
answer, ``submit``, ``poll`` and ``cancel`` raise ``Unavailable`` (code ``executor_unavailable``)
and nothing is lost: a run prepared but not handed over is submitted again by the next ``submit``
(the service keeps such a job queued and resubmits), and a run on the cluster goes on there.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import math
import os
import pwd
import shlex
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from qazai.compute.executors import runner
from qazai.compute.executors.base import (
    FailureReason,
    LogChunk,
    OutputFile,
    RunSpec,
    RunState,
    RunStatus,
)
from qazai.compute.executors.local import (
    _read_json,
    _when,
    collect_outputs,
    prepare_run_folder,
    read_log,
    read_result,
)
from qazai.compute.executors.slurmrest import (
    FixedToken,
    SignedToken,
    SlurmJobRequest,
    SlurmRestClient,
    TokenSource,
    open_client,
)
from qazai.core.errors import ConfigError, Conflict, InvalidInput, PermissionDenied, Unavailable

if TYPE_CHECKING:
    from qazai.config import Settings

log = logging.getLogger("qazai.compute.slurm")

# Slurm's job state codes (``job_state`` of slurmrestd, Slurm 22.05's job_state_string) and what
# they mean for a run. A code not here (a newer Slurm's) is logged and reported as ``unknown``.
SLURM_STATES: dict[str, RunState] = {
    "PENDING": RunState.queued,
    "REQUEUED": RunState.queued,
    "REQUEUE_HOLD": RunState.queued,
    "REQUEUE_FED": RunState.queued,
    "RESV_DEL_HOLD": RunState.queued,
    "SPECIAL_EXIT": RunState.queued,
    "CONFIGURING": RunState.running,
    "RUNNING": RunState.running,
    "COMPLETING": RunState.running,  # the batch script has ended; the node is cleaning up
    "SUSPENDED": RunState.running,
    "STOPPED": RunState.running,
    "SIGNALING": RunState.running,
    "STAGE_OUT": RunState.running,
    "RESIZING": RunState.running,
    "COMPLETED": RunState.succeeded,
    "FAILED": RunState.failed,
    "OUT_OF_MEMORY": RunState.failed,
    "NODE_FAIL": RunState.failed,
    "BOOT_FAIL": RunState.failed,
    "DEADLINE": RunState.failed,
    "PREEMPTED": RunState.failed,
    "CANCELLED": RunState.cancelled,
    "REVOKED": RunState.cancelled,
    "TIMEOUT": RunState.timed_out,
}

# Why Slurm ended a job whose runner left no result.json (the runner judges every other case).
SLURM_ENDINGS: dict[str, tuple[RunState, FailureReason, str]] = {
    "TIMEOUT": (RunState.timed_out, FailureReason.wall_time, "Slurm stopped the job at its time limit"),
    "CANCELLED": (RunState.cancelled, FailureReason.cancelled, "cancelled"),
    "REVOKED": (RunState.cancelled, FailureReason.cancelled, "cancelled (revoked by Slurm)"),
    "OUT_OF_MEMORY": (RunState.failed, FailureReason.memory, "Slurm killed the job over its memory"),
    "DEADLINE": (RunState.failed, FailureReason.wall_time, "Slurm removed the job at its deadline"),
}

# The runner stops a run at its wall-time limit; Slurm's own limit (whole minutes) comes later.
SLURM_TIME_MARGIN_MINUTES = 2
# Memory Slurm reserves above the run's limit for the runner and bubblewrap themselves.
RUNNER_MEMORY_MIB = 128
# A running run that has not stopped this long after its cancel file is killed through Slurm.
CANCEL_GRACE_SECONDS = 10.0
CANCEL_WAIT_SECONDS = 5.0
# slurm.json's job id when a lost submit did run but Slurm no longer knows its id.
FORGOTTEN_JOB = 0


class InputDelivery(StrEnum):
    """How a node reaches a run's input files (setting ``compute_slurm_inputs``)."""

    stage = "stage"  # copied into the run's folder on the shared filesystem before submitting
    shared = "shared"  # the nodes see the platform's files at the same paths (one cluster filesystem)


def run_state_of(slurm_state: str) -> RunState:
    """The run state for a Slurm job state code; an unknown code is logged and is ``unknown``."""
    state = SLURM_STATES.get(slurm_state.upper())
    if state is None:
        log.warning("unknown Slurm job state %r: the run is reported as unknown", slurm_state)
        return RunState.unknown
    return state


def _iso(seconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def _decode_exit(raw: int | None) -> int | None:
    """slurmrestd v0.0.38 gives the wait status (``3 << 8`` for ``exit 3``); a signal ``n`` is 128+n."""
    if raw is None:
        return None
    signal_number = raw & 0x7F
    return 128 + signal_number if signal_number else raw >> 8


class SlurmExecutor:
    """Runs jobs as Slurm batch jobs (see the module docstring)."""

    name = "slurm"

    def __init__(
        self,
        client: SlurmRestClient,
        root: Path,
        *,
        user: str,
        partition: str | None = None,
        account: str | None = None,
        inputs: str = InputDelivery.stage,
        python: str = "/usr/bin/python3",
        sandbox: str = "bwrap",
        bwrap: str = "bwrap",
        cpus: int = 1,
        memory_enforced: bool = True,
    ) -> None:
        if sandbox not in ("bwrap", "none"):
            raise ConfigError(f"unknown Slurm sandbox {sandbox!r}; choose bwrap or none")
        try:
            self.inputs = InputDelivery(inputs)
        except ValueError:
            raise ConfigError(f"unknown compute_slurm_inputs {inputs!r}; choose stage or shared") from None
        self.client = client
        self.root = Path(root).resolve()
        self.user = user
        self.partition = partition
        self.account = account
        self.python = python
        self.sandbox = sandbox
        self.bwrap = bwrap
        self.cpus = cpus
        self.memory_enforced = memory_enforced
        # Job names carry a hash of the runs' folder: two platforms (or two test runs) sharing a
        # cluster never mistake each other's jobs for their own.
        self.namespace = hashlib.sha256(str(self.root).encode()).hexdigest()[:8]
        self.root.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        self.client.close()

    @property
    def confined(self) -> bool:
        return self.sandbox == "bwrap"

    def _run_dir(self, job_id: str) -> Path:
        if "/" in job_id or job_id in ("", ".", "..") or job_id.startswith("."):
            raise InvalidInput(f"invalid job id {job_id!r}", code="invalid_job_id")
        return self.root / job_id

    def _job_name(self, job_id: str) -> str:
        return f"qazai-{self.namespace}-{job_id}"

    # -- submit ------------------------------------------------------------------------------------

    def submit(self, spec: RunSpec) -> RunStatus:
        run_dir = self._run_dir(spec.job_id)
        if not run_dir.exists():
            self._check(spec)
            staged = {inside: str(run_dir / "inputs" / inside) for inside in spec.inputs}
            prepare_run_folder(
                self.root,
                spec.model_copy(update={"inputs": staged}) if self.inputs == InputDelivery.stage else spec,
                sandbox=self.sandbox,
                bwrap=self.bwrap,
                python=self.python,
            )
        with self._submit_lock(spec.job_id):
            if (run_dir / "slurm.json").exists() or (run_dir / "slurm-final.json").exists():
                return self.poll(spec.job_id)
            # Every step below may be repeated after a crash or an unanswered call: the copies are
            # made again where missing, and a job Slurm accepted is found by its name.
            if self.inputs == InputDelivery.stage:
                self._stage(spec, run_dir)
            self._mark_memory_enforcement(run_dir)
            self._hand_to_job_user(run_dir)
            attempt = run_dir / "slurm-submitting"
            known = self.client.jobs_named(self._job_name(spec.job_id)) if attempt.exists() else []
            if known:
                slurm_job_id = known[0].slurm_job_id
            elif attempt.exists() and (run_dir / "status.json").exists():
                # The runner has started here, so Slurm ran that lost submit and has since forgotten
                # the job: never submit it again; poll judges it from the run folder.
                slurm_job_id = FORGOTTEN_JOB
            else:
                attempt.touch()
                slurm_job_id = self.client.submit(self._request(run_dir))
            runner.write_json_atomic(
                run_dir / "slurm.json",
                {
                    "slurm_job_id": slurm_job_id,
                    "name": self._job_name(spec.job_id),
                    "submitted_at": datetime.now(UTC).isoformat(),
                },
            )
        return self.poll(spec.job_id)

    @contextlib.contextmanager
    def _submit_lock(self, job_id: str) -> Iterator[None]:
        with open(self.root / f".{job_id}.submit.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _check(self, spec: RunSpec) -> None:
        if spec.confidential and not self.confined:
            raise PermissionDenied(
                "this job reads restricted or enclave data and the Slurm backend runs without a "
                "sandbox (compute_slurm_sandbox=none); it will not run it unconfined",
                code="sandbox_unavailable",
            )
        for inside, source in spec.inputs.items():
            if not Path(source).is_file():
                raise InvalidInput(
                    f"input {inside} is missing: no file at its source",
                    code="input_missing",
                    details={"path": inside},
                )

    @staticmethod
    def _stage(spec: RunSpec, run_dir: Path) -> None:
        """Copy the inputs into the run folder, where the nodes read them (``stage`` delivery)."""
        for inside, source in spec.inputs.items():
            target = run_dir / "inputs" / inside
            if target.is_file() and target.stat().st_size == Path(source).stat().st_size:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.partial")
            shutil.copyfile(source, partial)
            partial.chmod(0o444)
            partial.replace(target)

    def _mark_memory_enforcement(self, run_dir: Path) -> None:
        """Where Slurm confines each job's memory (task/cgroup), the runner leaves memory to it:
        its fallback, RLIMIT_AS, counts virtual memory and starves Arrow, DuckDB and polars."""
        document = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
        wanted = "scheduler" if self.memory_enforced else "runner"
        if document.get("memory_enforced_by") != wanted:
            document["memory_enforced_by"] = wanted
            runner.write_json_atomic(run_dir / "run.json", document)

    def _hand_to_job_user(self, run_dir: Path) -> None:
        """Only the cluster account the jobs run as may enter a run's folder: it holds staged copies
        of restricted and enclave inputs on a filesystem other cluster users mount too. A platform
        running as that account (the usual deployment) owns the folder already; one running as
        root hands it over (when the account exists on this host)."""
        folders = [run_dir, *(p for p in run_dir.rglob("*") if p.is_dir())]
        for folder in folders:
            folder.chmod(0o700)
        if os.geteuid() != 0:
            return
        try:
            account = pwd.getpwnam(self.user)
        except KeyError:
            return
        for path in [*folders, *(p for p in run_dir.rglob("*") if not p.is_dir())]:
            os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)

    def _request(self, run_dir: Path) -> SlurmJobRequest:
        document = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
        limits = document["limits"]
        script = (
            "#!/bin/sh\n"
            f"# QazAI job {document['job_id']}: the runner confines, limits and judges the run\n"
            f"exec python3 -I {shlex.quote(str(run_dir / 'runner.py'))} {shlex.quote(str(run_dir))}\n"
        )
        return SlurmJobRequest(
            name=self._job_name(document["job_id"]),
            script=script,
            working_directory=str(run_dir),
            log_path=str(run_dir / "slurm.log"),
            partition=self.partition,
            account=self.account,
            cpus=self.cpus,
            memory_mib=int(limits["memory_mib"]) + RUNNER_MEMORY_MIB,
            time_limit_minutes=math.ceil(int(limits["wall_seconds"]) / 60) + SLURM_TIME_MARGIN_MINUTES,
            environment={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
        )

    # -- poll ----------------------------------------------------------------------------------------

    def poll(self, job_id: str) -> RunStatus:
        run_dir = self._run_dir(job_id)
        cached = _read_json(run_dir / "slurm-final.json")
        if cached is not None:
            return RunStatus.model_validate(cached)
        handed = _read_json(run_dir / "slurm.json")
        if handed is None:
            # Prepared while Slurm did not answer: nothing was started, so (as the Protocol says
            # of a submit that raised Unavailable) the run is unknown and the caller submits again.
            prepared = (run_dir / "run.json").exists()
            message = "prepared, not yet handed to Slurm (it did not answer); submit again"
            return RunStatus(job_id=job_id, state=RunState.unknown, message=message if prepared else None)
        slurm_job_id = int(handed["slurm_job_id"])
        info = self.client.job(slurm_job_id) if slurm_job_id != FORGOTTEN_JOB else None
        result = read_result(run_dir)
        if info is None:
            return self._finish(run_dir, self._forgotten(job_id, slurm_job_id, result))
        state = run_state_of(info.state)
        ref = f"slurm:{slurm_job_id}"
        if state in (RunState.queued, RunState.running, RunState.unknown):
            started = _when((_read_json(run_dir / "status.json") or {}).get("started_at"))
            return RunStatus(
                job_id=job_id,
                state=RunState.running if state == RunState.queued and started else state,
                started_at=started or (_iso(info.start_time) if state == RunState.running else None),
                message=f"Slurm: {info.state}"
                + (f" ({info.reason})" if info.reason not in ("", "None") else ""),
                backend_ref=ref,
            )
        cpu_seconds = float(info.cpus) * info.elapsed_seconds  # Slurm's CPUTime: CPUs x elapsed
        if result is not None:
            charged = result.model_copy(update={"cpu_seconds": cpu_seconds, "backend_ref": ref})
            if info.state == "OUT_OF_MEMORY" and result.reason == FailureReason.exit_code:
                # Slurm's cgroup killed the job; the runner saw only the kill.
                limits = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["limits"]
                message = f"killed over the memory limit of {limits['memory_mib']} MiB"
                charged = charged.model_copy(update={"reason": FailureReason.memory, "message": message})
            return self._finish(run_dir, charged)
        ending = SLURM_ENDINGS.get(info.state)
        if ending is not None:
            final_state, reason, message = ending
            exit_code = None
        else:
            final_state, reason = RunState.failed, FailureReason.backend
            exit_code = _decode_exit(info.exit_code)
            message = f"Slurm job {slurm_job_id} ended {info.state} before the job ran to a result"
            tail = _tail(run_dir / "slurm.log")
            if tail:
                message += f": {tail}"
        return self._finish(
            run_dir,
            RunStatus(
                job_id=job_id,
                state=final_state,
                exit_code=exit_code,
                reason=reason,
                message=message,
                started_at=_iso(info.start_time),
                finished_at=_iso(info.end_time),
                cpu_seconds=cpu_seconds,
                backend_ref=ref,
            ),
        )

    def _forgotten(self, job_id: str, slurm_job_id: int, result: RunStatus | None) -> RunStatus:
        """Slurm no longer knows the job (finished longer ago than its MinJobAge, or lost)."""
        ref = f"slurm:{slurm_job_id}"
        if result is not None:
            # Slurm's record of the job is gone: the runner's own CPU figure stands in.
            return result.model_copy(update={"backend_ref": ref})
        return RunStatus(
            job_id=job_id,
            state=RunState.failed,
            reason=FailureReason.backend,
            message=f"Slurm no longer knows job {slurm_job_id} and the run left no result",
            backend_ref=ref,
        )

    @staticmethod
    def _finish(run_dir: Path, status: RunStatus) -> RunStatus:
        if status.final:
            runner.write_json_atomic(run_dir / "slurm-final.json", status.model_dump(mode="json"))
        return status

    # -- cancel, collect, logs, discard -----------------------------------------------------------

    def cancel(self, job_id: str) -> RunStatus:
        run_dir = self._run_dir(job_id)
        status = self.poll(job_id)
        if status.final or status.state == RunState.unknown:
            return status
        handed = _read_json(run_dir / "slurm.json")
        if handed is None:
            return status
        cancel_file = run_dir / "cancel"
        first_request = not cancel_file.exists()
        cancel_file.touch(exist_ok=True)
        slurm_job_id = int(handed["slurm_job_id"])
        # A queued job is removed from the queue at once; a running one is stopped by its runner
        # (the cancel file), which leaves a judged result; Slurm kills it only if that fails.
        overdue = time.time() - cancel_file.stat().st_mtime > CANCEL_GRACE_SECONDS
        if status.state == RunState.queued or (not first_request and overdue):
            self.client.cancel(slurm_job_id)
        deadline = time.monotonic() + CANCEL_WAIT_SECONDS
        while time.monotonic() < deadline:
            status = self.poll(job_id)
            if status.final:
                return status
            time.sleep(0.1)
        return status

    def collect(self, job_id: str) -> list[OutputFile]:
        if self.poll(job_id).state != RunState.succeeded:
            return []
        return collect_outputs(self._run_dir(job_id))

    def logs(self, job_id: str, offset: int = 0, limit: int = 64 * 1024) -> LogChunk:
        try:
            status = self.poll(job_id)
        except Unavailable:
            # The log is a file of the shared folder: readable while slurmrestd is away, and not
            # complete until a poll says the run is final.
            return read_log(self._run_dir(job_id), offset, limit, complete=False)
        complete = status.final or status.state == RunState.unknown
        return read_log(self._run_dir(job_id), offset, limit, complete=complete)

    def discard(self, job_id: str) -> None:
        run_dir = self._run_dir(job_id)
        if not run_dir.exists():
            return
        status = self.poll(job_id)
        if not status.final and status.state != RunState.unknown:
            raise Conflict(
                f"run {job_id} is {status.state.value}; cancel it or wait for it to end first",
                code="run_not_final",
            )
        shutil.rmtree(run_dir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (self.root / f".{job_id}.submit.lock").unlink()


def _tail(path: Path, limit: int = 300) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return " ".join(text[-limit:].split())


def token_source(settings: Settings) -> TokenSource:
    """The JWT key file when set (tokens signed here), else the fixed token; ConfigError if neither."""
    if settings.compute_slurm_jwt_key_file is not None:
        return SignedToken(settings.compute_slurm_jwt_key_file, settings.compute_slurm_user)
    if settings.compute_slurm_token is not None:
        return FixedToken(settings.compute_slurm_token.get_secret_value())
    raise ConfigError(
        "the slurm backend needs QAZAI_COMPUTE_SLURM_JWT_KEY_FILE (tokens signed by the platform) "
        "or QAZAI_COMPUTE_SLURM_TOKEN (a token from `scontrol token`)",
        code="slurm_token_missing",
    )


def build(settings: Settings) -> SlurmExecutor:
    client = open_client(
        settings.compute_slurm_api_version,
        settings.compute_slurm_rest_url,
        settings.compute_slurm_user,
        token_source(settings),
    )
    return SlurmExecutor(
        client,
        settings.compute_slurm_shared_dir or settings.effective_compute_dir / "runs",
        user=settings.compute_slurm_user,
        partition=settings.compute_slurm_partition,
        account=settings.compute_slurm_account,
        inputs=settings.compute_slurm_inputs,
        python=settings.compute_slurm_python,
        sandbox=settings.compute_slurm_sandbox,
        cpus=settings.compute_slurm_cpus,
        memory_enforced=settings.compute_slurm_memory_enforced,
    )
