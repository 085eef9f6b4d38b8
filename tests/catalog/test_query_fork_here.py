"""Query workers forked from the process itself (`qazai query`, one query then exit): the same
answers, the same time limit, each worker reaped; a process with other threads still uses the
fork server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from qazai.catalog.query import QueryTask, QueryTimeout
from qazai.catalog.query_workers import QueryWorkers

SLOW = "SELECT list_reduce(range(1, 5000000), (a, b) -> a + b)"  # quadratic: seconds


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def _gone(pid: int) -> bool:
    """Whether ``pid`` is neither running nor a zombie waiting to be reaped by us."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state not in {"R", "S", "D", "Z"} or _parent_of(pid) != os.getpid()


@pytest.fixture
def workers() -> Iterator[QueryWorkers]:
    pool = QueryWorkers(size=1, memory_bytes=256 * 1024**2, grace_ms=1000, fork_here=True)
    yield pool
    pool.close()


_FORKED_HERE = """
import os
from qazai.catalog.query import QueryTask
from qazai.catalog.query_workers import QueryWorkers

def parent_of(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])

def gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state not in {"R", "S", "D", "Z"} or parent_of(pid) != os.getpid()

workers = QueryWorkers(size=1, memory_bytes=256 * 1024**2, grace_ms=1000, fork_here=True)
result = workers.run(QueryTask(tables=(), sql="SELECT 40 + 2 AS x", limit=1, timeout_ms=10_000))
assert (result.columns, result.rows) == (["x"], [[42]]), result
(pid,) = workers.pids()
assert parent_of(pid) == os.getpid(), "a fork server in between"
workers.close()
assert gone(pid), "the worker was not reaped"
print("ok")
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
def test_worker_forked_here_answers_and_is_reaped_on_close() -> None:
    # In a fresh interpreter, as `qazai query` runs: a test worker process has other tests' threads
    # (job workers, index checks), and a process with threads rightly uses the fork server.
    done = subprocess.run(
        [sys.executable, "-c", _FORKED_HERE], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
def test_worker_forked_here_keeps_the_time_limit(workers: QueryWorkers) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        workers.run(QueryTask(tables=(), sql=SLOW, limit=1, timeout_ms=300))
    assert time.monotonic() - started < 0.3 + 1.0 + 2.0  # deadline, grace, a loaded machine
    assert workers.run(QueryTask(tables=(), sql="SELECT 1", limit=1, timeout_ms=10_000)).rows == [[1]]


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
def test_a_process_with_other_threads_uses_the_fork_server(workers: QueryWorkers) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert workers.run(QueryTask(tables=(), sql="SELECT 1", limit=1, timeout_ms=30_000)).rows == [[1]]
        (pid,) = workers.pids()
        assert _parent_of(pid) != os.getpid()
    finally:
        stop.set()
        other.join()
