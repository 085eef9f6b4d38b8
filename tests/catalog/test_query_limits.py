"""The query API's limits, through the real app, real worker processes and real DuckDB: memory
(413), time (408, a worker killed at the deadline), queries at once per caller and overall and
the anonymous rate (429 with Retry-After), result bytes (413), while the server and its workers
stay far under 1.5 GB; plus spreadsheet-safe CSV and no object-store path in any answer."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from tests.catalog import module_platform
from tests.catalog.conftest import publish_library

from qazai.catalog.query import QueryTask
from qazai.catalog.query_limits import QueryRuntime, query_runtime
from qazai.core.text import LocalizedText

LIB = '"population-by-region"'
# Interruptible (DuckDB sees the deadline between vectors; the worker stays) and light: 2.5e9 rows
# of a cross product streamed through a sum, the two sides 50 000 values each.
SLOW = "SELECT sum(a * b) FROM (SELECT unnest(range(50000)) AS a), (SELECT unnest(range(50000)) AS b)"
# Not interruptible: one function call that runs for minutes, inside the memory limit.
BOMB = "SELECT list_reduce(range(1, 5000000), (a, b) -> a + b)"  # quadratic: ~15 s here
MEMORY = 256 * 1024**2
TIMEOUT_MS = 1500
GRACE_MS = 1000
RESULT_BYTES = 64 * 1024
GB = 1024**3

live_server = module_platform.live_server  # a real uvicorn server, for concurrent clients


@pytest.fixture(scope="module")
def library(platform: Any, people: Any, module_tmp: Path) -> Any:
    """One open library and small limits (three workers, two queries at once per caller)."""
    publish_library(platform, module_tmp, "population-by-region", title=LocalizedText(en="Population"))
    settings = platform.settings
    settings.query_workers = 3
    settings.query_memory_bytes = MEMORY
    settings.query_timeout_ms = TIMEOUT_MS
    settings.query_kill_grace_ms = GRACE_MS
    settings.query_max_result_bytes = RESULT_BYTES
    settings.query_max_per_caller = 2
    settings.query_anonymous_per_minute = 0  # the rate test sets its own
    # The first worker starts the fork server (seconds on a busy machine): not inside a timing.
    _runtime(platform).workers.run(QueryTask(tables=(), sql="SELECT 1", limit=1, timeout_ms=60_000))
    return platform


def _runtime(platform: Any) -> QueryRuntime:
    return query_runtime(platform.settings)


class PeakMemory:
    """The largest sum of RSS of this process (the server), the query fork server and the
    workers of ``platform``'s query runtime, sampled every 20 ms. (Other test modules' idle
    workers, children of the same fork server, are not this server's.)"""

    def __init__(self, platform: Any) -> None:
        self.platform = platform
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            processes = [me]
            processes += [c for c in me.children() if "_fork_server" in " ".join(_cmdline(c))]
            for pid in _runtime(self.platform).workers.pids():
                with contextlib.suppress(psutil.Error):
                    processes.append(psutil.Process(pid))
            total = 0
            for process in processes:
                with contextlib.suppress(psutil.Error):  # it just ended
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(0.02)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["error"]["code"] == code and body["error"]["status"] == status
    return dict(body["error"])


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT length(repeat('x', 1500000000))",  # one huge string: DuckDB's own limit misses it
        "SELECT sum(x) FROM (SELECT unnest(range(50000000)) AS x)",
        "SELECT length(string_agg(repeat('x', 1000000), '')) FROM (SELECT unnest(range(600)) AS i)",
    ],
)
def test_memory_hungry_query_is_refused_413_and_memory_stays_bounded(
    client: Any, library: Any, sql: str
) -> None:
    with PeakMemory(library) as memory:
        response = client.post("/api/v1/query", json={"sql": sql})
    error = _error(response, 413, "query_memory")
    assert "256 MiB" in error["message"] and error["details"]["limit_bytes"] == MEMORY
    assert memory.peak < 1.5 * GB, f"peak {memory.peak / GB:.2f} GB"
    after = client.get("/api/v1/query", params={"sql": f"SELECT count(*) FROM {LIB}"})
    assert after.json()["rows"] == [[3]]


def test_concurrent_string_bombs_are_refused_and_memory_stays_bounded(
    client: Any, library: Any, people: Any
) -> None:
    """The review's case: two 1e9-character queries at once took the server to 4.2 GB."""
    sql = "SELECT length(repeat('x', 1000000000)) AS n"
    callers = [None, people["member"].headers]
    with PeakMemory(library) as memory, ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(lambda h: client.post("/api/v1/query", json={"sql": sql}, headers=h), callers)
        )
    for answer in answers:
        _error(answer, 413, "query_memory")
    assert memory.peak < 1.5 * GB, f"peak {memory.peak / GB:.2f} GB"


def test_time_bomb_is_killed_within_deadline_and_grace(client: Any, library: Any) -> None:
    workers = _runtime(library).workers
    killed = workers.killed
    started = time.monotonic()
    with PeakMemory(library) as memory:
        response = client.post("/api/v1/query", json={"sql": BOMB})
    elapsed = time.monotonic() - started
    _error(response, 408, "query_timeout")
    assert workers.killed == killed + 1  # DuckDB never saw the interrupt: the worker was killed
    assert elapsed < (TIMEOUT_MS + GRACE_MS) / 1000 + 2, elapsed
    assert memory.peak < 1.5 * GB
    # The string bomb is refused within the same bounds (here by memory, at once).
    started = time.monotonic()
    bomb = client.get("/api/v1/query", params={"sql": "SELECT repeat('x', 1500000000)"})
    assert bomb.status_code in (408, 413) and time.monotonic() - started < (TIMEOUT_MS + GRACE_MS) / 1000 + 2
    assert client.get("/api/v1/query", params={"sql": f"SELECT count(*) FROM {LIB}"}).status_code == 200


def test_interrupted_query_keeps_its_worker(client: Any, library: Any) -> None:
    workers = _runtime(library).workers
    killed = workers.killed
    _error(client.post("/api/v1/query", json={"sql": SLOW, "timeout_ms": 300}), 408, "query_timeout")
    assert workers.killed == killed


def test_requested_time_limit_cannot_exceed_the_servers(client: Any, library: Any) -> None:
    started = time.monotonic()
    _error(client.post("/api/v1/query", json={"sql": SLOW, "timeout_ms": 60_000}), 408, "query_timeout")
    assert time.monotonic() - started < (TIMEOUT_MS + GRACE_MS) / 1000 + 2


def test_worker_that_dies_mid_query_answers_413(client: Any, library: Any) -> None:
    workers = _runtime(library).workers
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(client.post, "/api/v1/query", json={"sql": SLOW})
        _wait_for(lambda: bool(workers.pids(busy=True)), "a worker runs the query")
        time.sleep(0.3)  # past any retry on a worker that had stopped while idle
        busy = workers.pids(busy=True)
        os.kill(busy[0], signal.SIGKILL)  # as the kernel's OOM killer would
        response = future.result(timeout=30)
        assert response.status_code == 413, (busy, workers.pids(), response.text)
        _error(response, 413, "query_memory")
    assert client.get("/api/v1/query", params={"sql": f"SELECT count(*) FROM {LIB}"}).status_code == 200


def test_queries_at_once_are_capped_per_caller_and_overall(
    live_server: Any, library: Any, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library.settings, "query_timeout_ms", 8000)  # the slow ones outlast the test
    gate = _runtime(library).gate
    url = live_server.base + "/api/v1/query"
    member = people["member"].headers

    def post(headers: dict[str, str] | None = None, sql: str = SLOW) -> httpx.Response:
        return httpx.post(url, json={"sql": sql}, headers=headers, timeout=60)

    with PeakMemory(library) as memory, ThreadPoolExecutor(3) as pool:
        slow = [pool.submit(post) for _ in range(2)]  # anonymous, from 127.0.0.1
        _wait_for(lambda: gate.running() == 2, "two queries run")
        third = post(sql="SELECT 1")
        error = _error(third, 429, "too_many_queries")
        assert third.headers["Retry-After"] == "1" and error["details"]["retry_after"] == 1
        assert "2 queries running" in error["message"]
        # Another caller still gets in, up to the three workers; then everyone waits.
        slow.append(pool.submit(post, member))
        _wait_for(lambda: gate.running() == 3, "three queries run")
        _error(post(people["producer"].headers, "SELECT 1"), 429, "too_many_queries")
        assert [f.result().status_code for f in slow] == [408, 408, 408]
    assert post(sql="SELECT 1").json()["rows"] == [[1]]
    assert gate.running() == 0
    assert memory.peak < 1.5 * GB


def test_anonymous_callers_are_rate_limited(
    client: Any, library: Any, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library.settings, "query_anonymous_per_minute", 6)
    monkeypatch.setattr(library.settings, "query_anonymous_burst", 3)
    for _ in range(3):
        assert client.get("/api/v1/query", params={"sql": "SELECT 1"}).status_code == 200
    refused = client.get("/api/v1/query", params={"sql": "SELECT 1"})
    error = _error(refused, 429, "query_rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 10 and error["details"]["retry_after"] >= 1
    # A signed-in caller is not rate-limited (only capped at queries at once).
    for _ in range(5):
        response = client.get("/api/v1/query", params={"sql": "SELECT 1"}, headers=people["member"].headers)
        assert response.status_code == 200


def test_result_over_the_byte_cap_is_refused_413(client: Any, library: Any) -> None:
    sql = "SELECT repeat('x', 1000) || i AS s FROM (SELECT unnest(range(100)) AS i)"
    with PeakMemory(library) as memory:
        response = client.post("/api/v1/query", json={"sql": sql})
    error = _error(response, 413, "query_result_too_large")
    assert memory.peak < 1.5 * GB
    assert "64 KiB" in error["message"] and error["details"]["limit_bytes"] == RESULT_BYTES
    csv_too = client.get("/api/v1/query", params={"sql": sql, "format": "csv"})
    _error(csv_too, 413, "query_result_too_large")
    fits = client.post("/api/v1/query", json={"sql": sql, "limit": 20}).json()
    assert len(fits["rows"]) == 20 and fits["truncated"] is True


def test_csv_neutralises_formula_cells_and_keeps_numbers(client: Any, library: Any) -> None:
    sql = (
        "SELECT '=HYPERLINK(\"http://evil.example\",\"click\")' AS a, '=cmd|'' /C calc''!A0' AS b, "
        "'+1+2' AS c, '@SUM(A1)' AS d, '-2+3' AS e, chr(9) || '=1' AS f, chr(13) || '=1' AS g, "
        "-5 AS h, '-5.5' AS i, 'plain' AS j, 12 AS \"=k\""
    )
    response = client.get("/api/v1/query", params={"sql": sql, "format": "csv"})
    assert response.status_code == 200, response.text
    header, row = list(csv.reader(io.StringIO(response.text, newline="")))
    assert header[-1] == "'=k"
    assert row == [
        '\'=HYPERLINK("http://evil.example","click")',
        "'=cmd|' /C calc'!A0",
        "'+1+2",
        "'@SUM(A1)",
        "'-2+3",
        "'\t=1",
        "'\r=1",
        "-5",
        "-5.5",
        "plain",
        "12",
    ]
    # JSON keeps the values as they are: only spreadsheet downloads are rewritten.
    assert client.get("/api/v1/query", params={"sql": sql}).json()["rows"][0][0].startswith("=HYPERLINK")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT sql FROM duckdb_views",
        "SELECT * FROM duckdb_tables",
        "SELECT * FROM pg_settings",
        "SELECT * FROM sqlite_master",
        f"SELECT * FROM {LIB}, duckdb_views",
        "WITH duckdb_views AS (SELECT 1 AS x) SELECT * FROM duckdb_views",
        "SELECT * FROM duckdb_views()",
        "SELECT * FROM information_schema.tables",
        'SELECT * FROM "population-by-region-missing"',
    ],
)
def test_catalogue_views_are_refused_and_no_answer_shows_a_path(client: Any, library: Any, sql: str) -> None:
    response = client.get("/api/v1/query", params={"sql": sql})
    assert response.status_code == 400, response.text
    root = str(library.objects.root)
    assert root not in response.text and "/objects" not in response.text


def test_openapi_declares_the_limits_of_the_query_operations(client: Any, library: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path, method in (
        ("/api/v1/query", "get"),
        ("/api/v1/query", "post"),
        ("/api/v1/query/tables/{table}", "get"),
    ):
        responses = paths[path][method]["responses"]
        assert {"408", "413", "429"} <= set(responses), (path, method)
        assert "Retry-After" in responses["429"]["headers"]
