"""The read-only SQL query service on DuckDB (after Datasette).

One statement, read-only, over the Parquet parts of the libraries the person may read. A query
runs on a locked-down in-memory DuckDB connection (a *sandbox*) prepared, in order:

1. the text is checked: one statement (``duckdb.extract_statements``), of type SELECT, starting
   with SELECT/WITH/FROM/VALUES/``(``; its parse tree (``json_serialize_sql``) must name no table
   function (``read_csv``, ``glob``, ``pragma_*`` all are) and no function of a small deny list;
2. a view is created for each referenced library table over ``read_parquet([...])`` of its files;
3. ``allowed_paths`` is set to exactly those files, ``enable_external_access=false``, extension
   auto-loading off, ``lock_configuration=true``: whatever slipped through step 1 can open no
   other file, attach nothing, install nothing, change no setting;
4. the query runs with a deadline (one watchdog thread serves all queries) that interrupts it at
   the time limit; at most ``limit + 1`` rows are fetched (``truncated``), and a ``next`` token
   continues after the last row.

Sandboxes are reused (``_SandboxPool``): opening a connection, starting its threads and reading
the Parquet footers cost more than a small query. A sandbox is keyed by exactly what it exposes,
the frozenset of (view name, file paths) plus its thread count, so a reused one can reach
nothing a fresh one for the same query could not; a request gets one only when the tables it may
read give the same key (paths are per-version object keys, so a new or withdrawn version simply
stops matching and its sandboxes age out). Reuse is safe because nothing that passes step 1 can
change a sandbox: CREATE/SET/PRAGMA/CALL/PREPARE/BEGIN/USE/ATTACH are not SELECTs, settings are
locked, and the one state-changing scalar function (``setseed``) makes the sandbox single-use.
A sandbox is checked out by one query at a time, and closed instead of returned after a
timeout (the timer can only interrupt its own query) or any error.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb

from qazai.catalog.models import QueryResult
from qazai.core.errors import AppError, InvalidInput

MAX_SQL = 20_000
DEFAULT_TIMEOUT_MS = 10_000
_FIRST_WORD = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(\(|[A-Za-z]+)", re.DOTALL)
_ALLOWED_FIRST = {"select", "with", "from", "values", "("}
_DENIED_FUNCTIONS = {"getenv", "current_setting", "read_text", "read_blob", "glob", "load_extension"}
# Scalar functions that change the connection's state: a query using one gets a sandbox of its own.
_STATEFUL_FUNCTIONS = {"setseed"}
SANDBOX_POOL_SIZE = 8
SANDBOX_IDLE_SECONDS = 300.0


class QueryRefused(AppError):
    code = "query_refused"
    status = 400


class QueryTimeout(AppError):
    code = "query_timeout"
    status = 408


@dataclass(frozen=True)
class QueryTable:
    """A table the person may query: its name in SQL and the local paths (or URLs) of its parts."""

    name: str
    library_slug: str
    paths: tuple[str, ...]


_PROBE_LOCK = threading.Lock()
_PROBE: list[duckdb.DuckDBPyConnection] = []


def _probe() -> duckdb.DuckDBPyConnection:
    """A locked-down connection that only parses (``json_serialize_sql``); call under the lock."""
    if not _PROBE:
        connection = duckdb.connect(":memory:", config={"threads": 1})
        connection.execute("SET enable_external_access=false")
        connection.execute("SET autoinstall_known_extensions=false")
        connection.execute("SET autoload_known_extensions=false")
        connection.execute("SET lock_configuration=true")
        _PROBE.append(connection)
    return _PROBE[0]


def check_sql(sql: str) -> None:
    """Refuse anything but one read-only SELECT (see the module docstring, step 1)."""
    if len(sql) > MAX_SQL:
        raise QueryRefused(f"the query is longer than {MAX_SQL} characters")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"the query does not parse: {_first_line(exc)}", code="query_syntax") from None
    if len(statements) != 1:
        raise QueryRefused(f"send exactly one statement (got {len(statements)})", code="query_not_single")
    first = _FIRST_WORD.match(sql)
    if (
        statements[0].type != duckdb.StatementType.SELECT
        or first is None
        or first[1].lower() not in _ALLOWED_FIRST
    ):
        raise QueryRefused("only a read-only SELECT (or WITH ... SELECT) is allowed", code="query_not_select")


def _check_single_select(sql: str) -> None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"the query does not parse: {_first_line(exc)}", code="query_syntax") from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise QueryRefused("only a read-only SELECT (or WITH ... SELECT) is allowed", code="query_not_select")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


def referenced_tables(connection: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    """Base-table names the query mentions; QueryRefused for table functions and denied functions."""
    return _analyse(connection, sql)[0]


def _analyse(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[set[str], bool]:
    """``referenced_tables``, and whether the query calls a state-changing function."""
    stateful = False
    raw = connection.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    tree = json.loads(raw[0]) if raw else {"error": True}
    if tree.get("error"):
        raise QueryRefused(
            f"the query cannot be analysed: {tree.get('error_message', 'not a SELECT')}", code="query_syntax"
        )
    names: set[str] = set()
    stack: list[Any] = [tree["statements"]]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            kind = node.get("type")
            if kind == "TABLE_FUNCTION":
                name = node.get("function", {}).get("function_name", "?")
                raise QueryRefused(
                    f"table functions such as {name}() are not allowed: query the library tables by name",
                    code="query_function_denied",
                )
            if kind == "BASE_TABLE":
                if node.get("catalog_name") or node.get("schema_name"):
                    raise QueryRefused(
                        "name library tables without a schema or catalogue", code="query_table_denied"
                    )
                names.add(str(node.get("table_name")))
            if (
                node.get("class") == "FUNCTION"
                and str(node.get("function_name", "")).lower() in _DENIED_FUNCTIONS
            ):
                raise QueryRefused(
                    f"the function {node['function_name']}() is not allowed", code="query_function_denied"
                )
            if (
                node.get("class") == "FUNCTION"
                and str(node.get("function_name", "")).lower() in _STATEFUL_FUNCTIONS
            ):
                stateful = True
            stack.extend(node.values())
    return names, stateful


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
        return duckdb.connect(":memory:", config={"threads": 2, "memory_limit": "1GB"})

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
    exposed = frozenset((name, tables[name].paths) for name in names if name in tables)
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
        paths: list[str] = []
        for name in sorted(names):
            table = tables.get(name)
            if table is None:
                continue
            files = ", ".join(_literal(p) for p in table.paths)
            connection.execute(
                f"CREATE VIEW {quote_identifier(name)} AS SELECT * FROM read_parquet([{files}])"
            )
            paths.extend(table.paths)
        connection.execute(f"SET allowed_paths=[{', '.join(_literal(p) for p in paths)}]")
        connection.execute("SET enable_external_access=false")
        connection.execute("SET autoinstall_known_extensions=false")
        connection.execute("SET autoload_known_extensions=false")
        connection.execute("SET lock_configuration=true")
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
                if paths is None or any(set(files) & paths for _name, files in exposed):
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


def _cursor_token(sql: str, offset: int) -> str:
    digest = hashlib.sha256(sql.encode()).hexdigest()[:16]
    raw = json.dumps({"q": digest, "o": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_offset(sql: str, token: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
        digest = str(data["q"])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("the `next` token is malformed", code="invalid_cursor") from None
    if digest != hashlib.sha256(sql.encode()).hexdigest()[:16] or offset < 0:
        raise InvalidInput("this `next` token belongs to another query", code="invalid_cursor")
    return offset


def json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


def run_query(
    tables: dict[str, QueryTable],
    sql: str,
    *,
    limit: int = 1000,
    cursor: str | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> QueryResult:
    """Run one guarded query (module docstring). QueryRefused, QueryTimeout, InvalidInput."""
    check_sql(sql)
    started = time.perf_counter()
    offset = _cursor_offset(sql, cursor)
    with _PROBE_LOCK:  # parsing only: one shared connection (opening one costs ~10-30 ms)
        names, stateful = _analyse(_probe(), sql)
    unknown = sorted(n for n in names if n not in tables)
    # The newline ends a trailing ``--`` comment; the wrapped text must still be one SELECT.
    wrapped = f"SELECT * FROM ({sql.strip().rstrip(';')}\n) AS q LIMIT {limit + 1} OFFSET {offset}"
    _check_single_select(wrapped)
    with sandbox(tables, names) as lease:
        connection = lease.connection
        if stateful:
            lease.discard()
        deadline = _Deadline(connection, timeout_ms)
        try:
            result = connection.execute(wrapped)
            rows = result.fetchall()
        except duckdb.InterruptException:
            raise QueryTimeout(f"the query ran longer than {timeout_ms} ms and was stopped") from None
        except duckdb.CatalogException as exc:
            hint = " (GET /api/v1/query/tables lists the tables you may query)" if unknown else ""
            raise QueryRefused(f"{_first_line(exc)}{hint}", code="query_catalog") from None
        except duckdb.PermissionException:
            raise QueryRefused(
                "the query tried to reach files, the network or settings", code="query_denied"
            ) from None
        except duckdb.Error as exc:
            raise QueryRefused(_first_line(exc), code="query_error") from None
        finally:
            deadline.finish()
        if deadline.fired:
            lease.discard()
        columns = [d[0] for d in result.description or []]
        types = [str(d[1]) for d in result.description or []]
    truncated = len(rows) > limit
    rows = rows[:limit]
    return QueryResult(
        columns=columns,
        types=types,
        rows=[[json_value(v) for v in row] for row in rows],
        truncated=truncated,
        next=_cursor_token(sql, offset + limit) if truncated else None,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
        tables=sorted(n for n in names if n in tables),
    )


def query_table_names(sql: str) -> set[str]:
    """The library tables ``sql`` names (after ``check_sql``); QueryRefused as ``run_query``."""
    check_sql(sql)
    with _PROBE_LOCK:
        return referenced_tables(_probe(), sql)


def csv_lines(result: QueryResult) -> Iterator[str]:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(
            [
                "" if v is None else (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
                for v in row
            ]
        )
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def browse_sql(
    table: str, columns: list[str], filters: dict[str, str], after: int, limit: int
) -> tuple[str, list[Any]]:
    """SQL (and parameters) for one page of a table's rows with ``column = value`` filters, keyset-
    paged on the row's position (``__row``), which views number with ``row_number()``."""
    where = ["__row > ?"]
    params: list[Any] = [after]
    for column, value in filters.items():
        if column not in columns:
            raise InvalidInput(f"{table!r} has no column {column!r}", code="unknown_column")
        where.append(f"CAST({quote_identifier(column)} AS VARCHAR) = ?")
        params.append(value)
    sql = (
        f"SELECT * FROM (SELECT row_number() OVER () AS __row, * FROM {quote_identifier(table)}) "
        f"WHERE {' AND '.join(where)} ORDER BY __row LIMIT {limit + 1}"
    )
    return sql, params
