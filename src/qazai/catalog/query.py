"""The read-only SQL query service on DuckDB (after Datasette).

One statement, read-only, over the Parquet parts of the libraries the person may read. A query
is checked here, in the server, then run in a *worker process* (``query_workers.py``) on a
locked-down in-memory DuckDB connection (a *sandbox*, ``query_sandbox.py``), in order:

1. the text is checked: one statement (``duckdb.extract_statements``), of type SELECT, starting
   with SELECT/WITH/FROM/VALUES/``(``; its parse tree (``json_serialize_sql``) must name no table
   function (``read_csv``, ``glob``, ``pragma_*`` all are) and no function of a small deny list,
   and every table it names must be a library table the person may read or one of its own CTEs
   (so no catalogue view: ``duckdb_views``, ``pg_settings``, ``sqlite_master``... would show
   how the sandbox was built);
2. in the worker, a view is created for each referenced library table over ``read_parquet([...])``
   of its files, named *relative* to the object store's root (``file_search_path``), so a view's
   SQL shows content-addressed keys, never the server's folders;
3. ``allowed_paths`` is set to exactly those files, ``enable_external_access=false``, extension
   auto-loading off, ``lock_configuration=true``: whatever slipped through step 1 can open no
   other file, attach nothing, install nothing, change no setting;
4. the query runs with a deadline that interrupts it at the time limit, with DuckDB's
   ``memory_limit`` and, for everything DuckDB does not count (huge strings, Python objects), an
   OS limit on the worker's data segment; a worker that does not answer by the deadline plus a
   grace period is killed (SIGKILL) and replaced. At most ``limit + 1`` rows are fetched
   (``truncated``), at most ``max_result_bytes`` of them, and a ``next`` token continues after the
   last row.

Errors: QueryRefused (400), QueryTimeout (408), QueryTooLarge (413, memory or result bytes);
the concurrency and rate limits in front of all this (``query_limits.py``) raise QueryBusy (429).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb

from qazai.catalog.query_tables import QueryTable as QueryTable  # noqa: PLC0414 - re-exported
from qazai.core.errors import AppError, InvalidInput, PayloadTooLarge, RateLimited

MAX_SQL = 20_000
DEFAULT_TIMEOUT_MS = 10_000
_FIRST_WORD = re.compile(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(\(|[A-Za-z]+)", re.DOTALL)
_ALLOWED_FIRST = {"select", "with", "from", "values", "("}
_DENIED_FUNCTIONS = {"getenv", "current_setting", "read_text", "read_blob", "glob", "load_extension"}
# Scalar functions that change the connection's state: a query using one gets a sandbox of its own.
_STATEFUL_FUNCTIONS = {"setseed"}
DEFAULT_MAX_RESULT_BYTES = 64 * 1024**2


class QueryRefused(AppError):
    code = "query_refused"
    status = 400


class QueryTimeout(AppError):
    code = "query_timeout"
    status = 408


class QueryTooLarge(PayloadTooLarge):
    """The query needed more memory than a query may use, or its result more bytes than it may
    return (``code`` tells which: ``query_memory`` or ``query_result_too_large``)."""

    code = "query_memory"


class QueryBusy(RateLimited):
    """Too many queries at once (the caller's or everyone's), or an anonymous caller's rate is
    spent: try again after ``retry_after`` seconds (HTTP 429 with ``Retry-After``)."""

    code = "too_many_queries"


@dataclass(frozen=True)
class QueryTask:
    """One statement for a sandbox, as sent to a worker process (picklable).

    ``sql`` is the wrapped, checked SELECT; for a browse (``browse_filters`` set) it is the table
    name and the worker builds the page's SQL once it knows the columns."""

    tables: tuple[QueryTable, ...]
    sql: str
    limit: int
    timeout_ms: int
    threads: int = 2
    single_use: bool = False
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES
    browse_filters: tuple[tuple[str, str], ...] | None = None
    browse_after: int = 0
    # values for the ``?`` placeholders of ``sql`` (the data viewer's filters, ``viewer.py``)
    params: tuple[Any, ...] = ()


@dataclass
class TaskResult:
    """What a sandbox returns: at most ``limit`` rows as JSON values, and whether more exist."""

    columns: list[str]
    types: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    truncated: bool = False


# How a task is run: in a worker process (the service) or in this process (tests, tools).
TaskRunner = Callable[[QueryTask], TaskResult]


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
    """Base-table names the query mentions, its own CTEs left out; QueryRefused for table
    functions and denied functions."""
    analysis = _analyse(connection, sql)
    return {n for n in analysis.names if n.lower() not in analysis.ctes}


@dataclass(frozen=True)
class _Analysis:
    names: set[str]  # every base-table reference
    ctes: set[str]  # the names of the statement's CTEs (lower case: DuckDB's names are)
    stateful: bool  # calls a state-changing function


def _analyse(connection: duckdb.DuckDBPyConnection, sql: str) -> _Analysis:
    stateful = False
    if "\x00" in sql:
        raise QueryRefused("the query contains a NUL character", code="query_syntax")
    # The text as a literal, not a parameter: binding a Python parameter makes DuckDB import
    # pandas and NumPy (~0.4 s of CPU in a fresh process, e.g. every `qazai query`).
    try:
        raw = connection.execute(f"SELECT json_serialize_sql({_literal(sql)})").fetchone()
    except duckdb.Error as exc:
        raise QueryRefused(f"the query does not parse: {_first_line(exc)}", code="query_syntax") from None
    tree = json.loads(raw[0]) if raw else {"error": True}
    if tree.get("error"):
        raise QueryRefused(
            f"the query cannot be analysed: {tree.get('error_message', 'not a SELECT')}", code="query_syntax"
        )
    names: set[str] = set()
    ctes: set[str] = set()
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
            cte_map = node.get("cte_map")
            if isinstance(cte_map, dict):
                ctes.update(str(entry.get("key", "")).lower() for entry in cte_map.get("map", []))
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
    return _Analysis(names=names, ctes=ctes, stateful=stateful)


_CATALOG_VIEWS: set[str] = set()


def _catalog_views() -> set[str]:
    """DuckDB's own views a bare name reaches (``duckdb_views``, ``pg_settings``, ``sqlite_master``
    ...), lower case; call under ``_PROBE_LOCK``."""
    if not _CATALOG_VIEWS:
        rows = _probe().execute(
            "SELECT view_name FROM duckdb_views() WHERE internal AND schema_name IN ('main', 'pg_catalog')"
        )
        _CATALOG_VIEWS.update(str(r[0]).lower() for r in rows.fetchall())
    return _CATALOG_VIEWS


def _check_references(analysis: _Analysis, tables: dict[str, QueryTable], catalog_views: set[str]) -> None:
    """Every table the query names is a library table the person may read, or its own CTE; a CTE
    may not borrow the name of a catalogue view (a reference outside its scope would reach the view)."""
    for name in sorted(analysis.names):
        if name in tables:
            continue
        if name.lower() in analysis.ctes and name.lower() not in catalog_views:
            continue
        raise QueryRefused(
            f"there is no table {name!r} that you may query (GET /api/v1/query/tables lists them)",
            code="query_catalog",
        )


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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


def human_bytes(count: int) -> str:
    """``1 GiB``, ``64 MiB``, ``20 KiB``, ``512 bytes`` (for limits named in messages)."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= size:
            value = count / size
            return f"{value:.0f} {unit}" if value == int(value) or value >= 10 else f"{value:.1f} {unit}"
    return f"{count} bytes"


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


@dataclass
class QueryOutcome:
    """A query's answer: the fields of the API's ``QueryResult``, without pydantic."""

    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    truncated: bool
    next: str | None
    elapsed_ms: float
    tables: list[str]


def run_query(
    tables: dict[str, QueryTable],
    sql: str,
    *,
    limit: int = 1000,
    cursor: str | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
    runner: TaskRunner | None = None,
) -> QueryOutcome:
    """Run one guarded query (module docstring) with ``runner`` (a worker pool's ``run``; by
    default in this process, for tests and tools). QueryRefused, QueryTimeout, QueryTooLarge,
    InvalidInput. The answer is plain (no pydantic): the API wraps it in ``QueryResult``."""
    check_sql(sql)
    started = time.perf_counter()
    offset = _cursor_offset(sql, cursor)
    with _PROBE_LOCK:  # parsing only: one shared connection (opening one costs ~10-30 ms)
        analysis = _analyse(_probe(), sql)
        catalog_views = _catalog_views()
    _check_references(analysis, tables, catalog_views)
    # The newline ends a trailing ``--`` comment; the wrapped text must still be one SELECT.
    wrapped = f"SELECT * FROM ({sql.strip().rstrip(';')}\n) AS q LIMIT {limit + 1} OFFSET {offset}"
    _check_single_select(wrapped)
    read = sorted(n for n in analysis.names if n in tables)
    task = QueryTask(
        tables=tuple(tables[n] for n in read),
        sql=wrapped,
        limit=limit,
        timeout_ms=timeout_ms,
        single_use=analysis.stateful,
        max_result_bytes=max_result_bytes,
    )
    if runner is None:
        from qazai.catalog.query_sandbox import execute_task

        runner = execute_task
    result = runner(task)
    return QueryOutcome(
        columns=result.columns,
        types=result.types,
        rows=result.rows,
        truncated=result.truncated,
        next=_cursor_token(sql, offset + limit) if result.truncated else None,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
        tables=read,
    )


def query_table_names(sql: str) -> set[str]:
    """The library tables ``sql`` names (after ``check_sql``); QueryRefused as ``run_query``."""
    check_sql(sql)
    with _PROBE_LOCK:
        return referenced_tables(_probe(), sql)


# OWASP "CSV injection": a spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` for a CSV or XLSX cell: text a spreadsheet would run as a formula gets a leading
    single quote (``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``); numbers, and text that is only a
    number (``-12.5``), stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_lines(result: QueryOutcome) -> Iterator[str]:
    import csv
    import io

    buffer = io.StringIO()
    # RFC 4180 line ends: with "\n" alone, a cell holding a bare "\r" would not be quoted.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(c) for c in result.columns])
    for row in result.rows:
        writer.writerow(
            [
                ""
                if v is None
                else spreadsheet_safe(json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v)
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
