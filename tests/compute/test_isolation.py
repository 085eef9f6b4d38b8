"""Scripts that try to escape the local sandbox, and must fail to (issue 13, "Isolation tests").

Each runs a real Python script in the job environment under bubblewrap; skipped, with the reason,
where bubblewrap cannot unshare every namespace.
"""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest

from qazai.compute.executors.base import FailureReason, RunLimits, RunSpec, RunState, RunStatus
from qazai.compute.executors.local import LocalExecutor, probe_sandbox

pytestmark = pytest.mark.sandbox


@pytest.fixture
def executor(tmp_path: Path) -> LocalExecutor:
    probe = probe_sandbox()
    if not probe.works:
        pytest.skip(probe.reason)
    return LocalExecutor(tmp_path / "runs", sandbox="bwrap", python=sys.executable)


def run_python(
    executor: LocalExecutor,
    tmp_path: Path,
    job_id: str,
    code: str,
    limits: RunLimits | None = None,
    inputs: dict[str, str] | None = None,
) -> RunStatus:
    script = tmp_path / f"{job_id}.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    spec = RunSpec(
        job_id=job_id,
        command=("python", "script.py"),
        inputs={"script.py": str(script), **(inputs or {})},
        limits=limits or RunLimits(wall_seconds=60),
        confidential=True,
    )
    executor.submit(spec)
    deadline = time.monotonic() + 90
    while not (status := executor.poll(job_id)).final:
        assert time.monotonic() < deadline, f"{job_id} did not end"
        time.sleep(0.1)
    return status


def log_of(executor: LocalExecutor, job_id: str) -> str:
    return executor.logs(job_id, limit=1024 * 1024).text


def test_a_socket_connect_fails(executor: LocalExecutor, tmp_path: Path) -> None:
    status = run_python(
        executor,
        tmp_path,
        "net",
        """
        import socket
        for host, port in [("127.0.0.1", 5432), ("127.0.0.1", 6379), ("1.1.1.1", 443), ("pypi.org", 443)]:
            try:
                socket.create_connection((host, port), timeout=3).close()
                print("CONNECTED", host, port)
            except OSError as exc:
                print("refused", host, port, type(exc).__name__)
        """,
    )
    log = log_of(executor, "net")
    assert status.state == RunState.succeeded, log
    assert "CONNECTED" not in log and log.count("refused") == 4


def test_host_files_and_the_platform_data_folder_are_not_visible(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    data = tmp_path / "platform-data"
    data.mkdir()
    (data / "qazai.db").write_text("secret rows", encoding="utf-8")
    status = run_python(
        executor,
        tmp_path,
        "peek",
        f"""
        import os
        for path in ["/etc/passwd", "/etc/shadow", {str(data / "qazai.db")!r}, "/root/.bash_history",
                     "/var/lib/postgresql", {str(Path.cwd() / "pyproject.toml")!r}]:
            try:
                print("READ", path, open(path).read()[:20])
            except OSError as exc:
                print("hidden", path, type(exc).__name__)
        print("uid", os.getuid(), "gid", os.getgid())
        print("processes seen:", len([p for p in os.listdir("/proc") if p.isdigit()]))
        print("entries under /:", sorted(os.listdir("/")))
        """,
    )
    log = log_of(executor, "peek")
    assert status.state == RunState.succeeded, log
    assert "READ" not in log and log.count("hidden") == 6
    assert "uid 65534 gid 65534" in log
    assert int(log.split("processes seen: ")[1].split()[0]) <= 3  # its own pid namespace
    assert "'etc'" not in log and "'root'" in log  # /root only as the bound python's parent folder


def test_an_input_cannot_be_written_or_removed(executor: LocalExecutor, tmp_path: Path) -> None:
    source = tmp_path / "data.parquet"
    source.write_bytes(b"PAR1 original bytes PAR1")
    status = run_python(
        executor,
        tmp_path,
        "write",
        """
        import os
        path = "inputs/lib/1/data.parquet"
        for attempt in (lambda: open(path, "ab").write(b"x"), lambda: os.remove(path),
                        lambda: os.rename(path, "outputs/moved"), lambda: os.chmod(path, 0o777),
                        lambda: open("new-file", "w")):
            try:
                attempt()
                print("CHANGED")
            except OSError as exc:
                print("refused", type(exc).__name__)
        """,
        inputs={"inputs/lib/1/data.parquet": str(source)},
    )
    log = log_of(executor, "write")
    assert status.state == RunState.succeeded, log
    assert "CHANGED" not in log and log.count("refused") == 5
    assert source.read_bytes() == b"PAR1 original bytes PAR1"


def test_a_fork_bomb_is_contained(executor: LocalExecutor, tmp_path: Path) -> None:
    status = run_python(
        executor,
        tmp_path,
        "forks",
        """
        import os, time
        children = 0
        try:
            for _ in range(10_000):
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                children += 1
        except OSError as exc:
            print("stopped after", children, type(exc).__name__, flush=True)
            raise SystemExit(7)
        print("FORKED ALL", flush=True)
        """,
        limits=RunLimits(processes=32, wall_seconds=60),
    )
    log = log_of(executor, "forks")
    assert "FORKED ALL" not in log
    assert status.state == RunState.failed and status.exit_code == 7, log
    assert int(log.split("stopped after ")[1].split()[0]) < 32


def test_a_memory_hog_is_killed_at_its_limit(executor: LocalExecutor, tmp_path: Path) -> None:
    status = run_python(
        executor,
        tmp_path,
        "memory",
        """
        blocks = []
        for _ in range(64):
            blocks.append(bytearray(32 * 1024 * 1024))
        print("ALLOCATED 2 GiB")
        """,
        limits=RunLimits(memory_mib=256, wall_seconds=60),
    )
    assert "ALLOCATED" not in log_of(executor, "memory")
    assert (status.state, status.reason) == (RunState.failed, FailureReason.memory)
    assert "256 MiB" in (status.message or "")


def test_an_infinite_loop_stops_at_the_cpu_limit(executor: LocalExecutor, tmp_path: Path) -> None:
    status = run_python(
        executor, tmp_path, "loop", "while True:\n    pass\n", limits=RunLimits(cpu_seconds=2)
    )
    assert (status.state, status.reason) == (RunState.failed, FailureReason.cpu_time)
    assert status.cpu_seconds is not None and 1.5 <= status.cpu_seconds < 10


def test_an_infinite_loop_stops_at_the_wall_time(executor: LocalExecutor, tmp_path: Path) -> None:
    status = run_python(
        executor,
        tmp_path,
        "sleep",
        "import time\nwhile True:\n    time.sleep(1)\n",
        limits=RunLimits(wall_seconds=2),
    )
    assert (status.state, status.reason) == (RunState.timed_out, FailureReason.wall_time)


def test_ten_times_the_output_quota_is_refused(executor: LocalExecutor, tmp_path: Path) -> None:
    quota = 1024 * 1024
    status = run_python(
        executor,
        tmp_path,
        "output",
        f"""
        import time
        with open("outputs/big.bin", "wb") as out:
            for _ in range(10):
                out.write(b"x" * {quota})
                out.flush()
                time.sleep(0.3)
        print("WROTE ALL")
        """,
        limits=RunLimits(output_bytes=quota, wall_seconds=60),
    )
    assert (status.state, status.reason) == (RunState.failed, FailureReason.output_quota)
    assert "WROTE ALL" not in log_of(executor, "output")
    assert executor.collect("output") == []


def test_a_log_flood_is_stopped(executor: LocalExecutor, tmp_path: Path) -> None:
    status = run_python(executor, tmp_path, "flood", "while True:\n    print('x' * 1000)\n")
    assert (status.state, status.reason) == (RunState.failed, FailureReason.output_quota)
    assert "log" in (status.message or "")
    from qazai.compute.executors.runner import LOG_LIMIT_BYTES

    assert (tmp_path / "runs" / "flood" / "log.txt").stat().st_size == LOG_LIMIT_BYTES
