"""Run one prepared run folder to its end, confined, and write the outcome: the one runner of jobs.

Self-contained on purpose (standard library only, no ``qazai`` import): the local executor copies
this file into each run folder and starts ``python3 -I <run>/runner.py <run> --detach``; the Slurm
executor's batch script runs ``python3 -I <run>/runner.py <run>`` in the foreground on the node.
Both backends therefore confine, limit and judge a run with exactly the same code.

The run folder (written by the executor, read here)::

    run.json        the spec: job_id, command, inputs {path in /job: host file}, limits, env,
                    sandbox ("bwrap" | "none"), bwrap path, ro_binds (the job environment's folders),
                    memory_enforced_by ("scheduler": no RLIMIT_AS, the scheduler confines memory)
    job/outputs/    the only writable folder, seen by the job as /job/outputs
    log.txt         the job's stdout and stderr, appended as they come (readable live)
    cancel          present: stop the run (any process may create it)
    status.json     written here when the job starts: {"state": "running", "started_at", "pid", ...}
    result.json     written here, atomically, when it ends: state, exit_code, reason, message,
                    started_at, finished_at, cpu_seconds. Its presence means the run is final.

Steps:

1. Refuse a run whose ``result.json`` exists (a second runner of the same folder does nothing);
   take ``runner.lock`` (flock) so two runners never run one folder at once.
2. Create the run's cgroups (memory limit, pids limit, CPU accounting) where this process may:
   cgroup v2 or v1, as root or in a delegated subtree; without them, rlimits only (RLIMIT_AS
   stands in for the memory limit, coarse for Arrow/DuckDB which reserve virtual memory).
3. Start the job: ``bwrap`` with every namespace unshared (no network, own pids, own /tmp), the
   job environment and ``/usr`` read-only, each input read-only at ``/job/<path>``, only
   ``/job/outputs`` writable, uid/gid 65534 (nobody), no capabilities, a cleared environment;
   rlimits CPU (the CPU-seconds limit), file size, core dumps 0, processes.
4. Watch every 0.1 s: the job's exit, ``cancel``, SIGTERM to this runner, the wall-time limit,
   the size of ``job/outputs`` against the output limit, the log against ``LOG_LIMIT_BYTES``.
   Any of those kills the whole run (every process of its cgroup, and bwrap, whose pid namespace
   then ends).
5. Judge: cancelled > wall_time > output_quota > memory > cpu_time > exit code; write
   ``result.json`` atomically; remove the cgroups.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

JOB_ROOT = "/job"
NOBODY = 65534
TICK = 0.1
OUTPUT_CHECK_EVERY = 0.2
# A file-size rlimit also bounds the log the job writes through stdout; never below this.
MIN_FILE_SIZE_LIMIT = 64 * 1024**2
# A run whose log grows past this is stopped (a loop printing forever fills no disk).
LOG_LIMIT_BYTES = 32 * 1024**2


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def job_environment(spec: dict[str, Any], output_dir: str, tmp_dir: str) -> dict[str, str]:
    """The job's whole environment: nothing of the host's, plus what the spec gives."""
    path = ":".join([*spec.get("path_prefix", []), "/usr/local/bin", "/usr/bin", "/bin"])
    env = {
        "PATH": path,
        "HOME": tmp_dir,
        "TMPDIR": tmp_dir,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "QAZAI_OUTPUT_DIR": output_dir,
        "QAZAI_JOB_ID": spec["job_id"],
        # Numerical libraries: as many threads as the limits allow processes, at most 4.
        "OMP_NUM_THREADS": str(min(4, max(1, int(spec["limits"]["processes"]) // 8))),
        "POLARS_MAX_THREADS": str(min(4, max(1, int(spec["limits"]["processes"]) // 8))),
    }
    env.update(spec.get("env", {}))
    return env


def sandbox_argv(spec: dict[str, Any], run_dir: Path) -> list[str]:
    """The bwrap command line for the run in ``run_dir`` (no side effects; the Slurm batch script
    and the local executor run the same one)."""
    outputs = run_dir / "job" / "outputs"
    argv = [
        spec.get("bwrap", "bwrap"),
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/sbin", "/sbin",
        "--symlink", "usr/lib", "/lib",
    ]  # fmt: skip
    if os.path.isdir("/usr/lib64"):
        argv += ["--symlink", "usr/lib64", "/lib64"]
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--hostname", "job"]  # noqa: S108
    for folder in spec.get("ro_binds", []):
        if not folder.startswith("/usr/"):
            argv += ["--ro-bind", folder, folder]
    for inside, source in sorted(spec.get("inputs", {}).items()):
        argv += ["--ro-bind", source, f"{JOB_ROOT}/{inside}"]
    argv += ["--bind", str(outputs), f"{JOB_ROOT}/outputs", "--remount-ro", "/"]
    environment = job_environment(spec, f"{JOB_ROOT}/outputs", "/tmp")  # noqa: S108 - the sandbox's own
    for name, value in sorted(environment.items()):
        argv += ["--setenv", name, value]
    argv += ["--chdir", JOB_ROOT, "--uid", str(NOBODY), "--gid", str(NOBODY), "--cap-drop", "ALL", "--"]
    if os.getuid() != 0:
        # Not root (a Slurm node's job account): processes are limited inside the job's own user
        # namespace. Set on bwrap itself, the limit would count every process of the account,
        # which all jobs share, and one job's fork bomb would stop the others from starting.
        argv += ["/usr/bin/prlimit", f"--nproc={int(spec['limits']['processes'])}", "--"]
    return argv + list(spec["command"])


def prepare_unconfined(spec: dict[str, Any], run_dir: Path) -> Path:
    """Without a sandbox: each input is a private read-only copy inside ``job/``, so a script that
    writes to an input path damages only its copy, never the object store's file (nothing else
    is confined; the platform sends only open and registered data to an unconfined runner)."""
    job = run_dir / "job"
    for inside, source in spec.get("inputs", {}).items():
        copy = job / inside
        copy.parent.mkdir(parents=True, exist_ok=True)
        if not copy.exists():
            partial = copy.with_name(f".{copy.name}.part")
            shutil.copyfile(source, partial)
            partial.chmod(0o444)
            partial.replace(copy)
    return job


# -- cgroups ------------------------------------------------------------------------------------


class Cgroups:
    """The run's cgroup folders (v2 unified, or v1 per controller); empty where none may be made."""

    def __init__(self, name: str, memory_bytes: int, processes: int) -> None:
        self.folders: dict[str, Path] = {}
        self.v2 = False
        try:
            self._create(name, memory_bytes, processes)
        except OSError:
            self.remove()
            self.folders = {}

    @staticmethod
    def _own(controller: str) -> Path | None:
        """This process's cgroup folder for ``controller`` ("" for v2), if mounted and writable."""
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            names = controllers.split(",") if controllers else [""]
            if controller in names:
                base = Path("/sys/fs/cgroup") / controller if controller else Path("/sys/fs/cgroup")
                if controller == "" and not (base / "cgroup.controllers").exists():
                    base = Path("/sys/fs/cgroup/unified")
                folder = base / path.lstrip("/")
                if folder.is_dir() and os.access(folder, os.W_OK):
                    return folder
        return None

    def _create(self, name: str, memory_bytes: int, processes: int) -> None:
        unified = self._own("")
        if (
            unified is not None
            and (unified / "cgroup.controllers").exists()
            and not Path("/sys/fs/cgroup/memory").is_dir()
        ):
            enabled = (unified / "cgroup.subtree_control").read_text().split()
            if {"memory", "pids"} <= set(enabled):
                folder = unified / name
                folder.mkdir()
                self.folders["v2"] = folder
                self.v2 = True
                (folder / "memory.max").write_text(str(memory_bytes))
                with contextlib.suppress(OSError):
                    (folder / "memory.swap.max").write_text("0")
                (folder / "pids.max").write_text(str(processes))
            return
        for controller in ("memory", "pids", "cpuacct"):
            parent = self._own(controller)
            if parent is None:
                continue
            folder = parent / name
            folder.mkdir()
            self.folders[controller] = folder
        if "memory" in self.folders:
            (self.folders["memory"] / "memory.limit_in_bytes").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):
                (self.folders["memory"] / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
        if "pids" in self.folders:
            (self.folders["pids"] / "pids.max").write_text(str(processes))

    @property
    def limits_memory(self) -> bool:
        return "memory" in self.folders or self.v2

    def join(self) -> None:
        """Move the calling process into every folder (called in the child before exec)."""
        for folder in self.folders.values():
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def pids(self) -> list[int]:
        found: set[int] = set()
        for folder in self.folders.values():
            with contextlib.suppress(OSError):
                found.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
        return sorted(found)

    def kill_all(self) -> None:
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def memory_hit(self) -> bool:
        try:
            if self.v2:
                events = (self.folders["v2"] / "memory.events").read_text().split()
                counts = dict(zip(events[::2], events[1::2], strict=False))
                return int(counts.get("oom_kill", "0")) > 0 or int(counts.get("max", "0")) > 0
            if "memory" in self.folders:
                folder = self.folders["memory"]
                control = (folder / "memory.oom_control").read_text().split()
                counts = dict(zip(control[::2], control[1::2], strict=False))
                limit = int((folder / "memory.limit_in_bytes").read_text())
                peak = int((folder / "memory.max_usage_in_bytes").read_text())
                failures = int((folder / "memory.failcnt").read_text())
                return int(counts.get("oom_kill", "0")) > 0 or failures > 0 or peak >= limit
        except OSError:
            return False
        return False

    def cpu_seconds(self) -> float | None:
        try:
            if self.v2:
                for line in (self.folders["v2"] / "cpu.stat").read_text().splitlines():
                    key, value = line.split()
                    if key == "usage_usec":
                        return int(value) / 1e6
            if "cpuacct" in self.folders:
                return int((self.folders["cpuacct"] / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            return None
        return None

    def remove(self) -> None:
        for folder in self.folders.values():
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


# -- the run --------------------------------------------------------------------------------------


def output_size(folder: Path) -> int:
    total = 0
    for parent, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(parent, name)).st_size
    return total


def human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit} ({size} bytes)"
        value /= 1024
    return f"{size} bytes"


class LogCopier:
    """Copies the job's output pipe into ``log.txt`` as it comes, up to ``LOG_LIMIT_BYTES``."""

    def __init__(self, path: Path) -> None:
        self.handle = open(path, "ab", buffering=0)  # noqa: SIM115 - closed by close()
        self.written = os.fstat(self.handle.fileno()).st_size
        self.fd: int | None = None
        self.full = False
        self.eof = False

    def attach(self, fd: int) -> None:
        self.fd = fd

    def copy(self, timeout: float) -> None:
        """Wait up to ``timeout`` for output and append what came (the loop's tick)."""
        if self.fd is None or self.eof:
            time.sleep(timeout)
            return
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            self._read()

    def _read(self) -> None:
        assert self.fd is not None
        data = os.read(self.fd, 1024 * 1024)
        if not data:
            self.eof = True
            return
        room = LOG_LIMIT_BYTES - self.written
        if len(data) > room:
            data, self.full = data[: max(0, room)], True
        if data:
            self.handle.write(data)
            self.written += len(data)

    def drain(self, deadline: float) -> None:
        """What is left in the pipe once the job has ended (processes left behind that keep the
        pipe open are killed with the run; the deadline guards against any other)."""
        while self.fd is not None and not self.eof and not self.full and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return
            self._read()

    def close(self) -> None:
        self.handle.close()


class Runner:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.spec: dict[str, Any] = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
        self.limits: dict[str, int] = self.spec["limits"]
        self.stop_requested = False

    def result(self, **fields: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"job_id": self.spec["job_id"], "exit_code": None, "reason": None}
        base.update(fields)
        return base

    def run(self) -> dict[str, Any]:
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_term)
        spec, limits, run_dir = self.spec, self.limits, self.run_dir
        confined = spec.get("sandbox") == "bwrap"
        memory_bytes = int(limits["memory_mib"]) * 1024 * 1024
        cgroups = Cgroups(f"qazai-{spec['job_id']}-{os.getpid()}", memory_bytes, int(limits["processes"]))
        outputs = run_dir / "job" / "outputs"
        if confined:
            argv, cwd = sandbox_argv(spec, run_dir), str(run_dir)
            env = {"PATH": "/usr/bin:/bin"}
        else:
            cwd = str(prepare_unconfined(spec, run_dir))
            argv = list(spec["command"])
            (run_dir / "tmp").mkdir(exist_ok=True)
            env = job_environment(spec, str(outputs), str(run_dir / "tmp"))

        file_limit = max(int(limits["output_bytes"]), MIN_FILE_SIZE_LIMIT)

        def confine_child() -> None:
            cgroups.join()
            cpu = int(limits["cpu_seconds"])
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if not cgroups.limits_memory and spec.get("memory_enforced_by") != "scheduler":
                # Without a cgroup the address space stands in for memory (coarse: allocators
                # reserve more than they use); a scheduler that confines memory itself says so.
                resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
            if os.getuid() != 0 and not confined:
                # For root, RLIMIT_NPROC is not enforced; the pids cgroup limits processes then.
                # Confined, it is set inside the sandbox (sandbox_argv).
                processes = int(limits["processes"])
                resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))

        started = time.monotonic()
        started_at = now_iso()
        # The job writes into a pipe; this runner copies it into the log, at most LOG_LIMIT_BYTES
        # (a job printing faster than that waits on the pipe, and one printing forever is stopped).
        log = LogCopier(run_dir / "log.txt")
        try:
            child = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                preexec_fn=confine_child,  # noqa: PLW1509 - this runner is single-threaded
                start_new_session=True,
            )
        except OSError as exc:
            log.close()
            cgroups.remove()
            return self.result(
                state="failed",
                reason="sandbox",
                message=f"the job could not start: {exc.strerror or exc}",
                started_at=started_at,
                finished_at=now_iso(),
                cpu_seconds=0.0,
            )
        assert child.stdout is not None
        log.attach(child.stdout.fileno())
        write_json_atomic(
            run_dir / "status.json",
            {"state": "running", "started_at": started_at, "pid": os.getpid(), "child": child.pid},
        )
        stop: str | None = None
        detail = ""
        last_size_check = 0.0
        rusage: resource.struct_rusage | None = None
        status = 0
        while True:
            pid, status, rusage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - started
            if stop is None:
                if self.stop_requested or (run_dir / "cancel").exists():
                    stop = "cancelled"
                elif elapsed > int(limits["wall_seconds"]):
                    stop = "wall_time"
                elif elapsed - last_size_check >= OUTPUT_CHECK_EVERY:
                    last_size_check = elapsed
                    size = output_size(outputs)
                    if size > int(limits["output_bytes"]):
                        stop, detail = "output_quota", human(size)
                if stop is None and log.full:
                    stop = "log_quota"
                if stop is not None:
                    self._kill(child, cgroups, reaped=False)
            log.copy(TICK)
        child.returncode = os.waitstatus_to_exitcode(status)
        self._kill(child, cgroups, reaped=True)  # anything left behind in the cgroup
        log.drain(deadline=time.monotonic() + 2.0)
        log.close()
        child.stdout.close()
        finished_at = now_iso()
        cpu = cgroups.cpu_seconds()
        if cpu is None and rusage is not None:
            cpu = rusage.ru_utime + rusage.ru_stime
        code = child.returncode
        exit_code = code if code >= 0 else 128 - code
        memory_hit = cgroups.memory_hit()
        cgroups.remove()
        if stop is None and output_size(outputs) > int(limits["output_bytes"]):
            stop, detail = "output_quota", human(output_size(outputs))
        judged = self._judge(stop, detail, exit_code, memory_hit, cpu)
        return self.result(
            **judged, started_at=started_at, finished_at=finished_at, cpu_seconds=round(cpu or 0.0, 3)
        )

    def _judge(
        self, stop: str | None, detail: str, exit_code: int, memory_hit: bool, cpu: float | None
    ) -> dict[str, Any]:
        limits = self.limits
        if stop == "cancelled":
            return {"state": "cancelled", "reason": "cancelled", "message": "cancelled"}
        if stop == "wall_time":
            return {
                "state": "timed_out",
                "reason": "wall_time",
                "message": f"stopped after the wall-time limit of {limits['wall_seconds']} s",
            }
        if stop == "log_quota":
            return {
                "state": "failed",
                "reason": "output_quota",
                "message": f"the log went over its limit of {LOG_LIMIT_BYTES} bytes",
                "exit_code": exit_code,
            }
        if stop == "output_quota" or exit_code == 128 + signal.SIGXFSZ:
            return {
                "state": "failed",
                "reason": "output_quota",
                "message": f"the outputs ({detail or 'a file'}) went over the output limit of "
                f"{limits['output_bytes']} bytes",
                "exit_code": exit_code,
            }
        if exit_code == 0:
            return {"state": "succeeded", "exit_code": 0, "message": None}
        if (memory_hit and exit_code == 128 + signal.SIGKILL) or (exit_code != 0 and memory_hit):
            return {
                "state": "failed",
                "reason": "memory",
                "message": f"killed over the memory limit of {limits['memory_mib']} MiB",
                "exit_code": exit_code,
            }
        cpu_out = cpu is not None and cpu >= int(limits["cpu_seconds"]) - 0.5
        if exit_code in (128 + signal.SIGXCPU, 128 + signal.SIGKILL) and cpu_out:
            return {
                "state": "failed",
                "reason": "cpu_time",
                "message": f"stopped at the CPU-time limit of {limits['cpu_seconds']} s",
                "exit_code": exit_code,
            }
        return {
            "state": "failed",
            "reason": "exit_code",
            "message": f"the script exited with code {exit_code}",
            "exit_code": exit_code,
        }

    @staticmethod
    def _kill(child: subprocess.Popen[bytes], cgroups: Cgroups, *, reaped: bool) -> None:
        """Kill the run's processes. Never through Popen (its poll would reap the child behind
        ``os.wait4``), never by the child's pid once reaped (it may be reused)."""
        if cgroups.folders:
            cgroups.kill_all()
        if reaped:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            # bwrap's --die-with-parent ends its pid namespace with it; unconfined, the session.
            os.killpg(child.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)

    def _on_term(self, signum: int, frame: object) -> None:
        self.stop_requested = True


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: runner.py <run folder> [--detach]", file=sys.stderr)
        return 2
    run_dir = Path(argv[1]).resolve()
    if "--detach" in argv[2:] and os.fork() > 0:
        return 0  # the caller waits for this parent only; the run goes on in the child
    if "--detach" in argv[2:]:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
    with open(run_dir / "runner.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return 0  # another runner has this folder
        if (run_dir / "result.json").exists():
            return 0
        try:
            result = Runner(run_dir).run()
        except Exception as exc:  # the runner itself failed: say so, never leave the run hanging
            result = {
                "job_id": run_dir.name,
                "state": "failed",
                "reason": "backend",
                "message": f"the runner failed: {type(exc).__name__}: {exc}",
                "exit_code": None,
                "finished_at": now_iso(),
            }
        write_json_atomic(run_dir / "result.json", result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
