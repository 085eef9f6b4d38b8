"""The ``local`` executor: each run is a sandboxed child process on the platform's own host.

A run lives in ``<compute_dir>/runs/<job_id>/`` (layout in ``runner.py``). ``submit`` prepares the
folder and starts ``runner.py`` detached, so a run outlives the process that submitted it (an API
server restart does not stop jobs), and ``poll``/``logs``/``cancel`` work from any process on the
host by reading and touching files of that folder.

The sandbox is bubblewrap (``probe_sandbox``); with ``sandbox="none"`` (no bwrap, or bwrap that
cannot unshare every namespace) runs are not confined, and a spec marked ``confidential``
(restricted or enclave inputs) is refused.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qazai.compute.executors import runner
from qazai.compute.executors.base import (
    OUTPUT_DIR,
    FailureReason,
    LogChunk,
    OutputFile,
    RunSpec,
    RunState,
    RunStatus,
)
from qazai.core.errors import ConfigError, Conflict, InvalidInput, PermissionDenied

if TYPE_CHECKING:
    from qazai.config import Settings

RUNNER_SOURCE = Path(runner.__file__)
# A prepared run whose runner never wrote a status within this long is lost (the submitting
# process died between preparing and starting it, and nobody submitted again).
LAUNCH_GRACE_SECONDS = 30.0
CANCEL_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class SandboxProbe:
    works: bool
    reason: str
    bwrap: str | None


@functools.cache
def probe_sandbox(bwrap: str | None = None) -> SandboxProbe:
    """Whether bubblewrap can start a process with every namespace unshared on this host."""
    path = bwrap or shutil.which("bwrap")
    if path is None:
        return SandboxProbe(False, "bubblewrap (bwrap) is not installed", None)
    argv = [
        path, "--unshare-all", "--die-with-parent", "--clearenv",
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
        "--proc", "/proc", "--dev", "/dev", "--uid", str(runner.NOBODY), "--gid", str(runner.NOBODY),
        "/bin/true",
    ]  # fmt: skip
    if Path("/usr/lib64").is_dir():
        argv[argv.index("--proc") : argv.index("--proc")] = ["--symlink", "usr/lib64", "/lib64"]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SandboxProbe(False, f"bubblewrap did not start: {exc}", path)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return SandboxProbe(False, f"bubblewrap cannot unshare every namespace: {message[-1:]}", path)
    return SandboxProbe(True, "bubblewrap with every namespace unshared", path)


@functools.cache
def python_folders(python: str) -> tuple[str, ...]:
    """The folders a job environment's python needs (its venv and its base installation)."""
    code = "import json,sys;print(json.dumps(sorted({sys.prefix,sys.base_prefix,sys.exec_prefix})))"
    try:
        done = subprocess.run([python, "-I", "-c", code], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"the job environment's python {python!r} does not run: {exc}") from None
    folders: list[str] = json.loads(done.stdout)
    return tuple(folders)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        # A zombie has exited: only its parent has not reaped it yet.
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


def _whole_characters(data: bytes) -> bytes:
    """``data`` without a UTF-8 sequence cut at its end."""
    start = len(data) - 1
    while start >= 0 and len(data) - start <= 4 and (data[start] & 0xC0) == 0x80:
        start -= 1
    if start >= 0 and data[start] >= 0xC0:
        need = 2 if data[start] < 0xE0 else 3 if data[start] < 0xF0 else 4
        if len(data) - start < need:
            return data[:start]
    return data


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


class LocalExecutor:
    """Runs jobs as sandboxed child processes of this host (see the module docstring)."""

    name = "local"

    def __init__(
        self,
        root: Path,
        *,
        sandbox: str = "auto",
        python: str | None = None,
        bwrap: str | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.python = python or sys.executable
        probe = probe_sandbox(bwrap)
        if sandbox not in ("auto", "bwrap", "none"):
            raise ConfigError(f"unknown compute sandbox {sandbox!r}; choose auto, bwrap or none")
        if sandbox == "bwrap" and not probe.works:
            raise ConfigError(f"compute_sandbox is bwrap but {probe.reason}", code="sandbox_unavailable")
        self.sandbox = "bwrap" if sandbox == "bwrap" or (sandbox == "auto" and probe.works) else "none"
        self.sandbox_reason = probe.reason if self.sandbox == "bwrap" else (
            "the sandbox is switched off (compute_sandbox=none)" if sandbox == "none" else probe.reason
        )  # fmt: skip
        self.bwrap = probe.bwrap
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def confined(self) -> bool:
        return self.sandbox == "bwrap"

    def _run_dir(self, job_id: str) -> Path:
        if "/" in job_id or job_id in ("", ".", "..") or job_id.startswith("."):
            raise InvalidInput(f"invalid job id {job_id!r}", code="invalid_job_id")
        return self.root / job_id

    # -- Executor ------------------------------------------------------------------------------

    def submit(self, spec: RunSpec) -> RunStatus:
        run_dir = self._run_dir(spec.job_id)
        if run_dir.exists():
            self._launch(run_dir)
            return self.poll(spec.job_id)
        if spec.confidential and not self.confined:
            raise PermissionDenied(
                "this job reads restricted or enclave data and the local executor has no working "
                f"sandbox ({self.sandbox_reason}); it will not run it unconfined",
                code="sandbox_unavailable",
                details={"reason": self.sandbox_reason},
            )
        for inside, source in spec.inputs.items():
            if not Path(source).is_file():
                raise InvalidInput(
                    f"input {inside} is missing: no file at its source",
                    code="input_missing",
                    details={"path": inside},
                )
        prepare_run_folder(self.root, spec, sandbox=self.sandbox, bwrap=self.bwrap, python=self.python)
        self._launch(run_dir)
        return self.poll(spec.job_id)

    def _launch(self, run_dir: Path) -> None:
        """Start the run's runner once (the ``launched`` marker is created exclusively)."""
        try:
            fd = os.open(run_dir / "launched", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return
        os.close(fd)
        subprocess.run(
            [self.python if Path(self.python).exists() else sys.executable, "-I", str(run_dir / "runner.py"),
             str(run_dir), "--detach"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=True, close_fds=True, timeout=30,
        )  # fmt: skip

    def poll(self, job_id: str) -> RunStatus:
        run_dir = self._run_dir(job_id)
        result = read_result(run_dir)
        if result is not None:
            return result
        if not (run_dir / "run.json").exists():
            return RunStatus(job_id=job_id, state=RunState.unknown)
        status = _read_json(run_dir / "status.json")
        if status is not None:
            if not _process_alive(int(status["pid"])) and not (run_dir / "result.json").exists():
                return RunStatus(
                    job_id=job_id,
                    state=RunState.failed,
                    reason=FailureReason.backend,
                    message="the run's supervisor stopped before the job ended (host restarted?)",
                    started_at=_when(status.get("started_at")),
                    backend_ref=f"local:{run_dir}",
                )
            return RunStatus(
                job_id=job_id,
                state=RunState.running,
                started_at=_when(status.get("started_at")),
                backend_ref=f"local:{run_dir}",
            )
        launched = run_dir / "launched"
        if launched.exists() and time.time() - launched.stat().st_mtime > LAUNCH_GRACE_SECONDS:
            return RunStatus(
                job_id=job_id,
                state=RunState.failed,
                reason=FailureReason.backend,
                message="the run was prepared but never started",
            )
        return RunStatus(job_id=job_id, state=RunState.queued)

    def cancel(self, job_id: str) -> RunStatus:
        run_dir = self._run_dir(job_id)
        status = self.poll(job_id)
        if status.final or status.state == RunState.unknown:
            return status
        (run_dir / "cancel").touch()
        deadline = time.monotonic() + CANCEL_WAIT_SECONDS
        while time.monotonic() < deadline:
            status = self.poll(job_id)
            if status.final:
                return status
            if status.state == RunState.queued and not (run_dir / "launched").exists():
                break
            time.sleep(0.05)
        return status

    def collect(self, job_id: str) -> list[OutputFile]:
        if self.poll(job_id).state != RunState.succeeded:
            return []
        return collect_outputs(self._run_dir(job_id))

    def logs(self, job_id: str, offset: int = 0, limit: int = 64 * 1024) -> LogChunk:
        status = self.poll(job_id)
        complete = status.final or status.state == RunState.unknown
        return read_log(self._run_dir(job_id), offset, limit, complete=complete)

    def discard(self, job_id: str) -> None:
        run_dir = self._run_dir(job_id)
        status = self.poll(job_id)
        if status.state == RunState.unknown and not run_dir.exists():
            return
        if not status.final and status.state != RunState.unknown:
            raise Conflict(
                f"run {job_id} is {status.state.value}; cancel it or wait for it to end first",
                code="run_not_final",
            )
        shutil.rmtree(run_dir, ignore_errors=True)


# -- the run folder, shared with every backend that runs runner.py (Slurm's batch script) ----------


def prepare_run_folder(root: Path, spec: RunSpec, *, sandbox: str, bwrap: str | None, python: str) -> Path:
    """Write ``root/<job_id>/`` for ``runner.py`` (layout in its docstring), atomically: a folder
    prepared in a staging name and renamed, so a run folder is whole or absent. An existing run
    folder is left as it is (a second submit). Returns the run folder."""
    run_dir = root / spec.job_id
    if run_dir.exists():
        return run_dir
    staging = root / f".staging-{spec.job_id}-{os.getpid()}-{time.monotonic_ns()}"
    (staging / "job" / OUTPUT_DIR).mkdir(parents=True)
    (staging / "log.txt").touch()
    shutil.copyfile(RUNNER_SOURCE, staging / "runner.py")
    document = {
        "job_id": spec.job_id,
        # "python" is the job environment's interpreter itself, by its path: the folder of an
        # interpreter such as /usr/bin/python3 has no "python" for PATH to find
        "command": [python if i == 0 and arg == "python" else arg for i, arg in enumerate(spec.command)],
        "inputs": dict(spec.inputs),
        "limits": spec.limits.model_dump(),
        "env": dict(spec.env),
        "sandbox": sandbox,
        "bwrap": bwrap,
        "ro_binds": list(python_folders(python)) if sandbox == "bwrap" else [],
        "path_prefix": [str(Path(python).parent)],
    }
    runner.write_json_atomic(staging / "run.json", document)
    try:
        staging.rename(run_dir)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another submit of this job won the race
    return run_dir


def read_result(run_dir: Path) -> RunStatus | None:
    """The final status ``runner.py`` wrote, or None while the run is not final."""
    result = _read_json(run_dir / "result.json")
    if result is None:
        return None
    return RunStatus(
        job_id=run_dir.name,
        state=RunState(result["state"]),
        exit_code=result.get("exit_code"),
        reason=FailureReason(result["reason"]) if result.get("reason") else None,
        message=result.get("message"),
        started_at=_when(result.get("started_at")),
        finished_at=_when(result.get("finished_at")),
        cpu_seconds=result.get("cpu_seconds"),
        backend_ref=f"local:{run_dir}",
    )


def collect_outputs(run_dir: Path) -> list[OutputFile]:
    """Regular files under the run's output folder (links and special files skipped), sorted.
    The caller checks first that the run succeeded."""
    folder = run_dir / "job" / OUTPUT_DIR
    found: list[OutputFile] = []
    for parent, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not (Path(parent) / d).is_symlink()]
        for name in files:
            path = Path(parent) / name
            if path.is_symlink() or not path.is_file():
                continue
            digest = hashlib.sha256()
            size = 0
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1024 * 1024), b""):
                    digest.update(block)
                    size += len(block)
            found.append(
                OutputFile(
                    path=path.relative_to(folder).as_posix(),
                    size=size,
                    sha256=digest.hexdigest(),
                    source=str(path),
                )
            )
    return sorted(found, key=lambda o: o.path)


def read_log(run_dir: Path, offset: int, limit: int, *, complete: bool) -> LogChunk:
    """Up to ``limit`` bytes of ``log.txt`` from ``offset``, never ending inside a character."""
    offset = max(0, offset)
    try:
        with open(run_dir / "log.txt", "rb") as handle:
            handle.seek(offset)
            data = handle.read(max(0, limit))
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        return LogChunk(job_id=run_dir.name, text="", offset=offset, next_offset=offset, complete=True)
    if not (complete and offset + len(data) >= size):
        data = _whole_characters(data)  # read on from the cut next time
    next_offset = offset + len(data)
    return LogChunk(
        job_id=run_dir.name,
        text=data.decode("utf-8", "replace"),
        offset=offset,
        next_offset=next_offset,
        complete=complete and next_offset >= size,
    )


def build(settings: Settings) -> LocalExecutor:
    return LocalExecutor(
        settings.effective_compute_dir / "runs",
        sandbox=settings.compute_sandbox,
        python=settings.compute_python,
    )
