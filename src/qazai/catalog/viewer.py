"""The data viewer: one page of one table of a published version, sorted, filtered and searched
on the server (after Hugging Face's dataset viewer and Datasette's table page).

A page is a read-only DuckDB statement over the table's Parquet parts, run by the query service's
worker processes and sandboxes (``query.py``): the person's right to read the data is checked by
``libraries.access.resolve_version_file``, the very check a download of those files passes
(tiers, terms, grants; restricted reads are audited); column names are checked against the
version's schema and every value the visitor typed is a ``?`` parameter, never SQL text.

Paging is ``LIMIT``/``OFFSET`` over the table in file order (DuckDB keeps the Parquet row order
without ``ORDER BY``), or over a sort on one column; any page of a million rows answers in tens of
milliseconds (``bench/viewer_speed.py``). The column charts of a table (``viewer_summary.py``)
are computed once per version and kept.

Errors (``InvalidInput``, 422, with ``details`` naming what is wrong): ``viewer_unknown_table``,
``viewer_unknown_column``, ``viewer_bad_page``, ``viewer_page_out_of_range``, ``viewer_bad_filter``;
``version_not_found`` (404); the access errors of a download (401/403/410).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from qazai.catalog.query import QueryTable, QueryTask, quote_identifier
from qazai.catalog.query_limits import QueryRuntime
from qazai.catalog.query_tables import query_caller
from qazai.catalog.service import _end_transaction
from qazai.core.errors import InvalidInput, NotFound, Unavailable
from qazai.identity.actor import Actor
from qazai.libraries import access
from qazai.libraries import service as libraries
from qazai.libraries.models import VersionRead, VersionStatus
from qazai.storage.db import Database, UnitOfWork
from qazai.storage.objects import ObjectStore

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_SEARCH = 200
# A deep OFFSET still reads the rows before it; past this many pages a link would only invite
# a slow page: filter or sort instead (a million rows at 50 a page is 20,000 pages).
MAX_PAGE = 1_000_000


class ColumnKind(StrEnum):
    """What a column holds, for its icon and for how a filter on it reads."""

    text = "text"
    number = "number"
    date = "date"
    bool = "bool"
    other = "other"


_KIND_PREFIXES: tuple[tuple[str, ColumnKind], ...] = (
    ("large_string", ColumnKind.text),
    ("large_utf8", ColumnKind.text),
    ("string", ColumnKind.text),
    ("utf8", ColumnKind.text),
    ("varchar", ColumnKind.text),
    ("dictionary", ColumnKind.text),
    ("int", ColumnKind.number),
    ("uint", ColumnKind.number),
    ("bigint", ColumnKind.number),
    ("smallint", ColumnKind.number),
    ("tinyint", ColumnKind.number),
    ("hugeint", ColumnKind.number),
    ("double", ColumnKind.number),
    ("float", ColumnKind.number),
    ("halffloat", ColumnKind.number),
    ("decimal", ColumnKind.number),
    ("real", ColumnKind.number),
    ("bool", ColumnKind.bool),
    ("date", ColumnKind.date),
    ("timestamp", ColumnKind.date),
)


def column_kind(type_name: str) -> ColumnKind:
    """The kind of a manifest column type (``string``, ``int64``, ``date32[day]``, ``bool``...)."""
    raw = type_name.strip().lower()
    for prefix, kind in _KIND_PREFIXES:
        if raw.startswith(prefix):
            return kind
    return ColumnKind.other


class ViewerRequest(BaseModel):
    """Which page of which table, as the visitor asked (the web view builds it from the URL)."""

    model_config = ConfigDict(extra="forbid")

    table: str | None = None
    version: int | None = None
    page: int = 1
    page_size: int = PAGE_SIZE
    sort: str | None = None
    desc: bool = False
    filters: dict[str, str] = Field(default_factory=dict)
    q: str = ""


class ViewerColumn(BaseModel):
    name: str
    type: str
    kind: ColumnKind


class ViewerTable(BaseModel):
    """A table of the version, for the table picker."""

    name: str
    rows: int
    columns: int


class ViewerPage(BaseModel):
    """One page of rows and what it took to get it."""

    library_slug: str
    version: int
    tier: str
    table: str
    tables: list[ViewerTable]
    columns: list[ViewerColumn]
    rows: list[list[Any]]
    page: int
    pages: int
    page_size: int
    matched: int = Field(description="rows matching the filters and the search (all rows without)")
    total_rows: int
    sort: str | None
    desc: bool
    filters: dict[str, str]
    q: str
    elapsed_ms: float


@dataclass(frozen=True)
class ReadableTable:
    """A table of a version the actor may read: its schema and the parts the query reads."""

    slug: str
    version: VersionRead
    name: str
    columns: list[ViewerColumn]
    rows: int
    query_table: QueryTable
    tables: list[ViewerTable] = field(default_factory=list)


def _local_path(objects: ObjectStore, key: str) -> tuple[str, str]:
    """The file of an object key and the store's folder (the query service reads local files)."""
    from qazai.storage.objects.local import LocalObjectStore

    if not isinstance(objects, LocalObjectStore):
        raise Unavailable(
            "the data viewer reads from a local object store only in this release", code="query_unavailable"
        )
    return str(objects.root.joinpath(*key.split("/"))), str(objects.root)


def readable_table(
    uow: UnitOfWork,
    db: Database,
    objects: ObjectStore,
    actor: Actor,
    slug: str,
    table: str | None,
    version: int | None = None,
) -> ReadableTable:
    """Table ``table`` (the first one when None) of version ``version`` (the latest published
    when None) of library ``slug``, if ``actor`` may read its data: the check of a download of
    its files (``access.resolve_version_file``: tier, terms, grant; 401/403, 410 withdrawn);
    a restricted table's read is audited like a file read. NotFound (no such library or
    published version), InvalidInput ``viewer_unknown_table``."""
    library = libraries.get_library(uow, actor, slug)
    number = version if version is not None else library.latest_version
    if number is None:
        raise NotFound(f"library {slug!r} has no published version", code="version_not_found")
    found = libraries.get_version(uow, actor, slug, number)
    if found.status != VersionStatus.published and version is None:
        raise NotFound(f"library {slug!r} has no published version", code="version_not_found")
    manifest_tables = list(found.manifest.get("tables") or [])
    parts = [p for p in found.manifest.get("parts") or [] if p.get("format") == "parquet" and p.get("key")]
    choices = [
        ViewerTable(name=str(t.get("name")), rows=int(t.get("rows") or 0), columns=len(t.get("schema") or []))
        for t in manifest_tables
    ]
    if not choices:
        raise NotFound(f"version {number} of {slug!r} has no table", code="version_not_found")
    name = table or choices[0].name
    chosen = next((t for t in manifest_tables if str(t.get("name")) == name), None)
    if chosen is None:
        raise InvalidInput(
            f"version {number} of {slug!r} has no table {name!r}",
            code="viewer_unknown_table",
            details={"table": name, "tables": [c.name for c in choices]},
        )
    table_parts = [p for p in parts if str(p.get("table")) == name]
    paths: list[str] = []
    root: str | None = None
    audited = None
    for part in table_parts:
        # raises for whoever may not download the file: the viewer shows no more than a download
        served = access.resolve_version_file(uow, actor, slug, number, str(part["file"]))
        path, root = _local_path(objects, served.key)
        paths.append(path)
        audited = served if served.audited else audited
    if not paths:
        raise NotFound(
            f"table {name!r} of version {number} of {slug!r} has no Parquet file", code="table_not_found"
        )
    if audited is not None:
        access.record_file_read(db, actor, audited, f"viewer:{name}", None)
    columns = [
        ViewerColumn(name=str(c.get("name")), type=str(c.get("type")), kind=column_kind(str(c.get("type"))))
        for c in chosen.get("schema") or []
    ]
    rows = sum(int(p.get("rows") or 0) for p in table_parts)
    query_table = QueryTable(name=f"{slug}/{name}", library_slug=slug, paths=tuple(paths), root=root)
    return ReadableTable(
        slug=slug,
        version=found,
        name=name,
        columns=columns,
        rows=rows,
        query_table=query_table,
        tables=choices,
    )


# -- the page's SQL ----------------------------------------------------------------------------

_COMPARISON = re.compile(r"^\s*(>=|<=|!=|<>|>|<|=)?\s*(.*?)\s*$", re.DOTALL)
_RANGE = re.compile(r"^\s*(.+?)\s*\.\.\s*(.+?)\s*$")
_TRUE = {"true", "yes", "1", "иә", "да", "ia", "ya"}
_FALSE = {"false", "no", "0", "жоқ", "нет", "zhoq"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_number(text: str) -> float | int | None:
    """A number as people type it: ``14 901 641``, ``14,5``, ``-3.2``, ``1e6``; None otherwise."""
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", text)
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    cleaned = cleaned.replace(",", "")
    if not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", cleaned):
        return None
    value = float(cleaned)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and "." not in cleaned and "e" not in cleaned.lower() else value


def _bad_filter(column: str, value: str, expected: str) -> InvalidInput:
    return InvalidInput(
        f"the filter on {column!r} does not read as {expected}: {value!r}",
        code="viewer_bad_filter",
        details={"column": column, "value": value, "expected": expected},
    )


def filter_condition(column: ViewerColumn, value: str) -> tuple[str, list[Any]]:
    """SQL (with ``?``) for one column filter: text contains the value (any case); a number or a
    date equals it, or compares (``>=2000``, ``<5``, ``!=0``) or lies in a range (``10..20``); a
    yes/no column is true or false. InvalidInput ``viewer_bad_filter`` when the value does not
    read as the column's kind."""
    name = quote_identifier(column.name)
    if column.kind == ColumnKind.text:
        return f"strpos(lower({name}), lower(?)) > 0", [value]
    if column.kind == ColumnKind.bool:
        word = value.strip().lower()
        if word not in _TRUE | _FALSE:
            raise _bad_filter(column.name, value, "yes or no")
        return f"{name} = ?", [word in _TRUE]
    if column.kind in (ColumnKind.number, ColumnKind.date):
        read = parse_number if column.kind == ColumnKind.number else _parse_date
        expected = "a number" if column.kind == ColumnKind.number else "a date (YYYY-MM-DD)"
        cast = "" if column.kind == ColumnKind.number else "CAST(? AS DATE)"
        bounds = _RANGE.match(value)
        if bounds:
            low, high = read(bounds[1]), read(bounds[2])
            if low is None or high is None:
                raise _bad_filter(column.name, value, expected)
            placeholder = cast or "?"
            return f"{name} BETWEEN {placeholder} AND {placeholder}", [low, high]
        match = _COMPARISON.match(value)
        op = (match[1] if match else None) or "="
        operand = read(match[2]) if match else None
        if operand is None:
            raise _bad_filter(column.name, value, expected)
        op = "!=" if op == "<>" else op
        return f"{name} {op} {cast or '?'}", [operand]
    return f"CAST({name} AS VARCHAR) = ?", [value]


def _parse_date(text: str) -> str | None:
    text = text.strip()
    return text if _DATE.match(text) else None


def where_clause(columns: list[ViewerColumn], filters: dict[str, str], q: str) -> tuple[str, list[Any]]:
    """``WHERE ...`` (or empty) and its parameters: every column filter, and the search ``q`` in
    any column (its text form, any case)."""
    by_name = {c.name: c for c in columns}
    parts: list[str] = []
    params: list[Any] = []
    for name, value in filters.items():
        if name not in by_name:
            raise InvalidInput(
                f"the table has no column {name!r}", code="viewer_unknown_column", details={"column": name}
            )
        if not value.strip():
            continue
        sql, values = filter_condition(by_name[name], value)
        parts.append(sql)
        params.extend(values)
    needle = q.strip()
    if needle:
        search, values = _search_condition(columns, needle)
        parts.append(search)
        params.extend(values)
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def _search_condition(columns: list[ViewerColumn], needle: str) -> tuple[str, list[Any]]:
    """The search in every column: text (and dates, as written) containing the words in any case,
    numbers equal to it when it reads as a number. Numbers are compared, not turned into text:
    writing a million numbers out costs five times the search itself."""
    anywhere: list[str] = []
    params: list[Any] = []
    number = parse_number(needle)
    for column in columns:
        name = quote_identifier(column.name)
        if column.kind in (ColumnKind.text, ColumnKind.other):
            anywhere.append(f"strpos(lower(CAST({name} AS VARCHAR)), ?) > 0")
            params.append(needle.lower())
        elif column.kind == ColumnKind.date and re.fullmatch(r"[\d\-: T]+", needle):
            anywhere.append(f"strpos(CAST({name} AS VARCHAR), ?) > 0")
            params.append(needle)
        elif column.kind == ColumnKind.number and number is not None:
            anywhere.append(f"{name} = ?")
            params.append(number)
    if not anywhere:
        return "false", []
    return "(" + " OR ".join(anywhere) + ")", params


def _check_request(table: ReadableTable, request: ViewerRequest) -> None:
    names = {c.name for c in table.columns}
    if request.sort is not None and request.sort not in names:
        raise InvalidInput(
            f"the table has no column {request.sort!r} to sort by",
            code="viewer_unknown_column",
            details={"column": request.sort},
        )
    if request.page < 1 or request.page > MAX_PAGE:
        raise InvalidInput(
            f"page {request.page} does not exist: pages start at 1",
            code="viewer_bad_page",
            details={"page": request.page},
        )
    if not 1 <= request.page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(
            f"a page holds 1 to {MAX_PAGE_SIZE} rows (asked {request.page_size})",
            code="viewer_bad_page",
            details={"page_size": request.page_size},
        )
    if len(request.q) > MAX_SEARCH:
        raise InvalidInput(
            f"the search is longer than {MAX_SEARCH} characters",
            code="viewer_bad_filter",
            details={"column": None},
        )


def page_sql(
    table: ReadableTable, request: ViewerRequest, matched: int | None = None
) -> tuple[str, list[Any], str, list[Any], bool]:
    """The page's SELECT, the count's SELECT (both with their parameters) and whether the page's
    rows come back in reverse. With ``matched`` (the rows the filters leave), a sorted page past
    the middle is read from the other end: sorting keeps the rows up to the offset, so the last
    page in the reverse order costs what the first one does; the caller reverses its rows."""
    _check_request(table, request)
    where, params = where_clause(table.columns, request.filters, request.q)
    view = quote_identifier(table.query_table.name)
    offset = (request.page - 1) * request.page_size
    limit = request.page_size
    order = ""
    reverse = False
    if request.sort is not None:
        descending = request.desc
        if matched is not None and offset > matched // 2 and offset < matched:
            limit = min(request.page_size, matched - offset)
            offset, descending, reverse = matched - offset - limit, not descending, True
        nulls = "NULLS FIRST" if reverse else "NULLS LAST"  # empty cells last in the order shown
        # one key: tie-breaking on more columns made a million-row sort ten times slower
        order = f" ORDER BY {quote_identifier(request.sort)} {'DESC' if descending else 'ASC'} {nulls}"
    sql = f"SELECT * FROM {view}{where}{order} LIMIT {limit} OFFSET {offset}"
    return sql, params, f"SELECT count(*) FROM {view}{where}", list(params), reverse


def view_table(
    uow: UnitOfWork,
    db: Database,
    objects: ObjectStore,
    actor: Actor,
    slug: str,
    request: ViewerRequest,
    *,
    runtime: QueryRuntime,
    client: str | None = None,
) -> ViewerPage:
    """One page of a table (``request``) that ``actor`` may read: ``readable_table`` then
    ``read_page``; raises what they raise."""
    table = readable_table(uow, db, objects, actor, slug, request.table, request.version)
    return read_page(uow, actor, table, request, runtime=runtime, client=client)


def read_page(
    uow: UnitOfWork,
    actor: Actor,
    table: ReadableTable,
    request: ViewerRequest,
    *,
    runtime: QueryRuntime,
    client: str | None = None,
) -> ViewerPage:
    """One page of ``table`` (from ``readable_table``) in a query worker, within the query
    service's limits and its caller's slots (``client`` is an anonymous caller's address).
    InvalidInput (module docstring), the query service's QueryTimeout / QueryBusy."""
    started = time.perf_counter()
    _sql, _params, count_sql, count_params, _reverse = page_sql(table, request)
    _end_transaction(uow)
    limits = runtime.limits
    caller, anonymous = query_caller(actor, client)

    def task(statement: str, values: list[Any], limit: int) -> QueryTask:
        return QueryTask(
            tables=(table.query_table,),
            sql=statement,
            params=tuple(values),
            limit=limit,
            timeout_ms=limits.timeout_ms,
            max_result_bytes=limits.max_result_bytes,
        )

    with runtime.gate.admit(caller, anonymous=anonymous):
        matched = table.rows
        if count_params:
            matched = int(runtime.workers.run(task(count_sql, count_params, 1)).rows[0][0])
        pages = max(1, -(-matched // request.page_size))
        if request.page > pages:
            raise InvalidInput(
                f"page {request.page} does not exist: there are {pages}",
                code="viewer_page_out_of_range",
                details={"page": request.page, "pages": pages},
            )
        sql, params, _count_sql, _count_params, reverse = page_sql(table, request, matched)
        result = runtime.workers.run(task(sql, params, request.page_size))
    rows = result.rows[::-1] if reverse else result.rows
    return ViewerPage(
        library_slug=table.slug,
        version=table.version.number,
        tier=table.version.tier.value,
        table=table.name,
        tables=table.tables,
        columns=table.columns,
        rows=rows,
        page=request.page,
        pages=pages,
        page_size=request.page_size,
        matched=matched,
        total_rows=table.rows,
        sort=request.sort,
        desc=request.desc,
        filters={k: v for k, v in request.filters.items() if v.strip()},
        q=request.q.strip(),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
    )
