"""The sandboxes a query runs on: locked in-memory DuckDB connections, reused (steps 2-4 of
``query.py``'s docstring). This runs in the query worker processes (``query_workers.py``); tests
and tools may run it in their own process (``execute_task``).

Sandboxes are reused (``_SandboxPool``): opening a connection, starting its threads and reading
the Parquet footers cost more than a small query. A sandbox is keyed by exactly what it exposes,
the frozenset of (view name, file paths, root) plus its thread count, so a reused one can reach
nothing a fresh one for the same query could not; a task gets one only when the tables it may
read give the same key (paths are per-version object keys, so a new or withdrawn version simply
stops matching and its sandboxes age out). Reuse is safe because nothing that passes step 1 can
change a sandbox: CREATE/SET/PRAGMA/CALL/PREPARE/BEGIN/USE/ATTACH are not SELECTs, settings are
locked, and the one state-changing scalar function (``setseed``) makes the sandbox single-use.
A sandbox is checked out by one query at a time, and closed instead of returned after a
timeout (the timer can only interrupt its own query) or any error.
"""

from __future__ import annotations

import atexit
import os
import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from qazai.catalog.query import (
    QueryRefused,
    QueryTable,
    QueryTask,
    QueryTimeout,
    QueryTooLarge,
    TaskResult,
    _literal,
    browse_sql,
    human_bytes,
    json_value,
    quote_identifier,
)
from qazai.core.errors import Unavailable

SANDBOX_POOL_SIZE = 8
SANDBOX_IDLE_SECONDS = 300.0
_FETCH_BATCH = 1000
# DuckDB's own memory limit per sandbox; a worker process lowers it under its OS limit (``configure``).
_LIMITS = {"memory_bytes": 1024**3}


def configure(*, memory_bytes: int) -> None:
    """Set the memory a query may use in this process (a worker calls it once, at start)."""
    _LIMITS["memory_bytes"] = memory_bytes
    _FRESH.discard_ready()


class _FreshConnections:
    """Fresh, never-used in-memory DuckDB connections, opened ahead of time.

    Opening a DuckDB database costs 10-100 ms (more under load), which would be most of a small
    query's time. A background thread keeps ``size`` unused connections ready; each is handed out
    once, then configured, locked and closed by its query, so it is exactly as fresh as one
    opened on the spot."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self._ready: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        # A DuckDB connection still being opened by a daemon thread when the interpreter exits
        # aborts the process ("terminate called without an active exception"): stop first.
        atexit.register(self.close)

    @staticmethod
    def _open() -> duckdb.DuckDBPyConnection:
        # Most of the limit for DuckDB, the rest for the rows turned into Python values.
        duckdb_bytes = _LIMITS["memory_bytes"] * 3 // 4
        connection = duckdb.connect(":memory:", config={"threads": 2, "memory_limit": f"{duckdb_bytes}B"})
        connection.execute("SET enable_progress_bar=false")  # a worker's output is the server's log
        return connection

    def take(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            connection = self._ready.pop() if self._ready else None
            if not self._closed and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._fill, name="duckdb-prepare", daemon=True)
                self._thread.start()
        return connection or self._open()

    def _fill(self) -> None:
        while True:
            with self._lock:
                if self._closed or len(self._ready) >= self.size:
                    return
            connection = self._open()
            with self._lock:
                if self._closed:
                    connection.close()
                    return
                self._ready.append(connection)

    def discard_ready(self) -> None:
        """Close the connections opened so far (their settings are out of date)."""
        with self._lock:
            ready, self._ready = self._ready, []
        for connection in ready:
            connection.close()

    def close(self) -> None:
        """Stop preparing connections and close the unused ones (at exit)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            thread.join(timeout=10)
        with self._lock:
            for connection in self._ready:
                connection.close()
            self._ready.clear()


_FRESH = _FreshConnections()


def _sandbox_key(tables: dict[str, QueryTable], names: set[str], threads: int) -> tuple[object, ...]:
    exposed = frozenset((name, tables[name].paths, tables[name].root) for name in names if name in tables)
    return (exposed, threads)


def open_sandbox(
    tables: dict[str, QueryTable], names: set[str], *, threads: int = 2
) -> duckdb.DuckDBPyConnection:
    """A connection with views for ``names`` (those of ``tables``), then locked (step 2-3)."""
    connection = _FRESH.take()
    try:
        if threads != 2:
            connection.execute(f"SET threads={int(threads)}")
        # Footers read once per sandbox, not per query (set before the configuration is locked).
        connection.execute("SET parquet_metadata_cache=true")
        chosen = [tables[name] for name in sorted(names) if name in tables]
        root = next((t.root for t in chosen if t.root), None)
        if root is not None:
            # Views name their files relative to the object store, so their SQL shows no folder.
            connection.execute(f"SET file_search_path={_literal(root)}")
        paths: list[str] = []
        for table in chosen:
            files = [_relative(p, root) for p in table.paths]
            listed = ", ".join(_literal(p) for p in files)
            connection.execute(
                f"CREATE VIEW {quote_identifier(table.name)} AS SELECT * FROM read_parquet([{listed}])"
            )
            # allowed_paths is checked on the name as written and on the name as resolved.
            paths.extend(dict.fromkeys([*files, *table.paths]))
        connection.execute(f"SET allowed_paths=[{', '.join(_literal(p) for p in paths)}]")
        connection.execute("SET enable_external_access=false")
        connection.execute("SET autoinstall_known_extensions=false")
        connection.execute("SET autoload_known_extensions=false")
        connection.execute("SET lock_configuration=true")
    except duckdb.IOException as exc:  # a part is missing or unreadable: the server's problem
        connection.close()
        raise Unavailable(
            f"a file of this library cannot be read: {_first_line(exc, tuple(chosen))}",
            code="query_file_unavailable",
        ) from None
    except BaseException:
        connection.close()
        raise
    return connection


class _SandboxPool:
    """Idle locked sandboxes, least recently used first, keyed by what they expose (``_sandbox_key``).

    ``checkout`` removes a sandbox from the pool, so exactly one query uses it at a time; ``give_back``
    returns it (closing the least recently used beyond ``size``, and any idle longer than
    ``idle_seconds``)."""

    def __init__(self, size: int = SANDBOX_POOL_SIZE, idle_seconds: float = SANDBOX_IDLE_SECONDS) -> None:
        self.size = size
        self.idle_seconds = idle_seconds
        self._idle: OrderedDict[int, tuple[tuple[object, ...], duckdb.DuckDBPyConnection, float]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self._serial = 0
        self.hits = 0
        self.misses = 0
        atexit.register(self.clear)

    def checkout(self, key: tuple[object, ...]) -> duckdb.DuckDBPyConnection | None:
        stale: list[duckdb.DuckDBPyConnection] = []
        found = None
        with self._lock:
            now = time.monotonic()
            for serial, (k, connection, since) in list(self._idle.items()):
                if now - since > self.idle_seconds:
                    del self._idle[serial]
                    stale.append(connection)
                elif found is None and k == key:
                    del self._idle[serial]
                    found = connection
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
        for connection in stale:
            connection.close()
        return found

    def give_back(self, key: tuple[object, ...], connection: duckdb.DuckDBPyConnection) -> None:
        evicted: list[duckdb.DuckDBPyConnection] = []
        with self._lock:
            if self.size <= 0:
                evicted.append(connection)
            else:
                self._serial += 1
                self._idle[self._serial] = (key, connection, time.monotonic())
                while len(self._idle) > self.size:
                    evicted.append(self._idle.popitem(last=False)[1][1])
        for old in evicted:
            old.close()

    def forget(self, paths: set[str] | None = None) -> None:
        """Close idle sandboxes exposing any of ``paths`` (all of them without)."""
        closing: list[duckdb.DuckDBPyConnection] = []
        with self._lock:
            for serial, (key, connection, _since) in list(self._idle.items()):
                exposed = key[0]
                assert isinstance(exposed, frozenset)
                if paths is None or any(set(files) & paths for _name, files, _root in exposed):
                    del self._idle[serial]
                    closing.append(connection)
        for connection in closing:
            connection.close()

    def clear(self) -> None:
        self.forget(None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._idle)


_SANDBOXES = _SandboxPool()


def forget_sandboxes(paths: set[str] | None = None) -> None:
    """Close the idle sandboxes that expose any of ``paths`` (every one without): for a caller
    that removes or replaces files in place; per-version files need not (their keys stop matching)."""
    _SANDBOXES.forget(paths)


class _Lease:
    """A checked-out sandbox; ``discard()`` makes it be closed instead of returned to the pool."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self.reusable = True

    def discard(self) -> None:
        self.reusable = False


@contextmanager
def sandbox(tables: dict[str, QueryTable], names: set[str], *, threads: int = 2) -> Iterator[_Lease]:
    """A locked sandbox for ``names`` (reused when one exposing exactly the same is idle), returned
    to the pool afterwards unless the block raised or called ``discard()``."""
    key = _sandbox_key(tables, names, threads)
    connection = _SANDBOXES.checkout(key) or open_sandbox(tables, names, threads=threads)
    lease = _Lease(connection)
    try:
        yield lease
    except BaseException:
        connection.close()
        raise
    if lease.reusable:
        _SANDBOXES.give_back(key, connection)
    else:
        connection.close()


class _Watchdog:
    """One daemon thread that fires every pending ``_Deadline`` when its time comes (starting a
    ``threading.Timer`` per query costs milliseconds on a busy machine)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: dict[int, tuple[float, _Deadline]] = {}
        self._thread: threading.Thread | None = None

    def add(self, deadline: _Deadline, at: float) -> None:
        with self._cond:
            self._pending[id(deadline)] = (at, deadline)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="query-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()

    def remove(self, deadline: _Deadline) -> None:
        with self._cond:
            self._pending.pop(id(deadline), None)

    def _run(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                due = [d for at, d in self._pending.values() if at <= now]
                for d in due:
                    self._pending.pop(id(d), None)
                if not due:
                    nearest = min((at for at, _d in self._pending.values()), default=now + 60)
                    self._cond.wait(timeout=max(0.0, nearest - now))
                    continue
            for d in due:
                d.fire()


_WATCHDOG = _Watchdog()


class _Deadline:
    """Interrupts a connection at the time limit, but never once ``finish()`` has returned (so a
    late interrupt cannot hit the next query on a reused sandbox)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, timeout_ms: int) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self._done = False
        self.fired = False
        _WATCHDOG.add(self, time.monotonic() + timeout_ms / 1000)

    def fire(self) -> None:
        with self._lock:
            if not self._done:
                self.fired = True
                self._connection.interrupt()

    def finish(self) -> None:
        _WATCHDOG.remove(self)
        with self._lock:
            self._done = True


def _relative(path: str, root: str | None) -> str:
    prefix = root.rstrip("/") + "/" if root else None
    return path[len(prefix) :] if prefix and path.startswith(prefix) else path


def _scrub(message: str, tables: tuple[QueryTable, ...]) -> str:
    """``message`` without the object store's folder (DuckDB names files in some errors)."""
    for root in {t.root for t in tables if t.root}:
        message = message.replace(root.rstrip("/") + "/", "").replace(root, "")
    return message


def _first_line(exc: BaseException, tables: tuple[QueryTable, ...]) -> str:
    text = str(exc).strip()
    return _scrub(text.splitlines()[0][:300], tables) if text else type(exc).__name__


def memory_refusal(limit_bytes: int | None = None) -> QueryTooLarge:
    """The 413 of a query that needed more than ``limit_bytes`` (this process's limit without)."""
    limit = _LIMITS["memory_bytes"] if limit_bytes is None else limit_bytes
    return QueryTooLarge(
        f"the query needs more memory than the {human_bytes(limit)} a query may use; "
        "aggregate or filter more",
        code="query_memory",
        details={"limit_bytes": limit},
    )


def _fetch(connection: duckdb.DuckDBPyConnection, limit: int, max_bytes: int) -> tuple[list[list[Any]], bool]:
    """At most ``limit`` rows as JSON values (and whether there are more), refused once their
    size (as pickled for the trip to the server) passes ``max_bytes``."""
    rows: list[list[Any]] = []
    size = 0
    more = False
    while True:
        batch = connection.fetchmany(_FETCH_BATCH)
        if not batch:
            break
        room = limit - len(rows)
        if len(batch) > room:
            batch, more = batch[:room], True
        converted = [[json_value(v) for v in row] for row in batch]
        size += len(pickle.dumps(converted, protocol=pickle.HIGHEST_PROTOCOL))
        if size > max_bytes:
            raise QueryTooLarge(
                f"the result is larger than the {human_bytes(max_bytes)} a query may return; "
                "select fewer rows or columns (`limit`) or aggregate",
                code="query_result_too_large",
                details={"limit_bytes": max_bytes},
            )
        rows.extend(converted)
        if more:
            break
    return rows, more


def execute_task(task: QueryTask) -> TaskResult:
    """Run one checked task on a sandbox for its tables (reused when one is idle).
    QueryRefused, QueryTimeout (the deadline interrupted it), QueryTooLarge, InvalidInput."""
    tables = {t.name: t for t in task.tables}
    with sandbox(tables, set(tables), threads=task.threads) as lease:
        connection = lease.connection
        if task.single_use:
            lease.discard()
        deadline = _Deadline(connection, task.timeout_ms)
        try:
            sql, params = task.sql, list(task.params)
            if task.browse_filters is not None:
                probe = connection.execute(f"SELECT * FROM {quote_identifier(task.sql)} LIMIT 0")
                columns = [d[0] for d in probe.description or []]
                sql, params = browse_sql(
                    task.sql, columns, dict(task.browse_filters), task.browse_after, task.limit
                )
            connection.execute(sql, params)
            description = connection.description or []
            rows, truncated = _fetch(connection, task.limit, task.max_result_bytes)
        except duckdb.InterruptException:
            raise QueryTimeout(f"the query ran longer than {task.timeout_ms} ms and was stopped") from None
        except (duckdb.OutOfMemoryException, MemoryError):
            raise memory_refusal() from None
        except duckdb.CatalogException as exc:
            raise QueryRefused(_first_line(exc, task.tables), code="query_catalog") from None
        except duckdb.PermissionException:
            raise QueryRefused(
                "the query tried to reach files, the network or settings", code="query_denied"
            ) from None
        except duckdb.Error as exc:
            raise QueryRefused(_first_line(exc, task.tables), code="query_error") from None
        finally:
            deadline.finish()
        if deadline.fired:
            lease.discard()
    return TaskResult(
        columns=[d[0] for d in description],
        types=[str(d[1]) for d in description],
        rows=rows,
        truncated=truncated,
    )


def memory_in_use() -> int:
    """This process's data segment in bytes (what RLIMIT_DATA limits), 0 where unknown."""
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
