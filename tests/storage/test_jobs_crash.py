"""A worker process killed mid-job: another worker retries it and the effect happens exactly once."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qazai.storage.db import Database
from qazai.storage.jobs import JobState, Worker, enqueue, get_job
from tests.storage.jobs_support import EFFECT_KIND, create_effect_table, effects, write_effect

pytestmark = [pytest.mark.db, pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")]

REPO_ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2.0


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line.strip())


def _wait_for(lines: queue.Queue[str], prefix: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line.startswith(prefix):
            return line
    raise AssertionError(f"the worker process never printed {prefix!r}")


def test_killed_worker_loses_lease_and_job_completes_once_elsewhere(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    create_effect_table(db)
    with db.uow() as uow:
        job_id = enqueue(uow.session, EFFECT_KIND, {"hang_on_attempt": 1}, max_attempts=3).id
        uow.commit()

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), str(REPO_ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])]
    )
    stderr = (tmp_path / "worker.stderr").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.storage.jobs_worker_process", database_url, str(LEASE_SECONDS)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    try:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
        _wait_for(lines, f"HANGING {job_id}", timeout=30)
        with db.uow(read_only=True) as uow:
            job = get_job(uow.session, job_id)
        assert job.state == JobState.running
        assert job.lease_owner is not None and f":{process.pid}:" in job.lease_owner
        dead_worker = job.lease_owner

        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
        assert effects(db) == [(job_id, dead_worker, 1)]

        survivor = Worker(db, {EFFECT_KIND: write_effect}, lease_seconds=LEASE_SECONDS)
        deadline = time.monotonic() + 4 * LEASE_SECONDS
        finished = None
        while finished is None and time.monotonic() < deadline:
            finished = survivor.run_once()
            if finished is None:
                time.sleep(0.1)
        assert finished is not None, "nobody retried the job after its lease expired"
        assert finished.id == job_id
        assert finished.state == JobState.succeeded
        assert finished.attempts == 2
        assert finished.result == {"written_by": survivor.worker_id, "attempt": 2}
        assert effects(db) == [(job_id, dead_worker, 1)]  # the effect happened exactly once
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        stderr.close()
