"""What the data viewer draws over each column: a histogram of a number column, the most frequent
values of a text or yes/no column, with the national-total row left out.

Statistical tables often carry a row for the whole country ("Республика Казахстан", "Итого",
"Барлығы", "Kazakhstan"...) beside the regions: in a histogram it is the one bar far to the right
that squeezes every region into the first bin. It is recognised (``find_total_row``) by its label
in a text column, held by exactly one row, or else by numbers that are the sum of the other rows'
in every number column; the charts are computed without it and the page says so.

Computed from the data (the public profile of a non-open version has no values), once per table
of a version, in the query workers; kept in this process by the parts' object keys, which never
change (``summary_cache_clear`` for tests).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel

from qazai.catalog.query import QueryTask, TaskResult, quote_identifier
from qazai.catalog.query_limits import QueryRuntime
from qazai.catalog.query_tables import query_caller
from qazai.catalog.viewer import ColumnKind, ReadableTable, ViewerColumn
from qazai.identity.actor import Actor

BINS = 20
TOP_VALUES = 10
_CACHE_SIZE = 128

# Lower case, spaces and underscores folded to one space (``_norm`` does the same in SQL).
TOTAL_LABELS = frozenset(
    {
        "республика казахстан",
        "по республике казахстан",
        "по республике",
        "всего по республике",
        "қазақстан республикасы",
        "қазақстан",
        "казахстан",
        "kazakhstan",
        "republic of kazakhstan",
        "kazakhstan total",
        "итого",
        "всего",
        "барлығы",
        "жиыны",
        "барлығы бойынша",
        "total",
        "grand total",
        "all",
    }
)
# Numbers that are not quantities: summing them means nothing.
_NOT_QUANTITY = re.compile(
    r"(^|[^a-zа-яәғқңөұүһі])(year|год|жыл|id|code|код|kato|като)([^a-zа-яәғқңөұүһі]|$)"
)


class TotalRow(BaseModel):
    """The national-total row: the column and value that single it out."""

    column: str
    value: Any
    reason: Literal["label", "sum"]


class ColumnChart(BaseModel):
    name: str
    kind: ColumnKind
    histogram: dict[str, list[float | int]] | None = None  # {"edges": [...], "counts": [...]}
    top_values: list[dict[str, Any]] | None = None  # [{"value", "count"}]


class TableSummary(BaseModel):
    total_row: TotalRow | None
    charts: dict[str, ColumnChart]


def normalise_label(text: str) -> str:
    return re.sub(r"[\s_]+", " ", text.strip().lower())


def _norm(name: str) -> str:
    return f"regexp_replace(lower(trim(CAST({name} AS VARCHAR))), '[\\s_]+', ' ', 'g')"


Runner = Callable[[QueryTask], TaskResult]


class _Queries:
    def __init__(self, table: ReadableTable, run: Runner, timeout_ms: int) -> None:
        self.table = table
        self.view = quote_identifier(table.query_table.name)
        self._run = run
        self._timeout_ms = timeout_ms

    def rows(self, sql: str, params: list[Any] | None = None, limit: int = 10_000) -> list[list[Any]]:
        task = QueryTask(
            tables=(self.table.query_table,),
            sql=sql,
            params=tuple(params or ()),
            limit=limit,
            timeout_ms=self._timeout_ms,
        )
        return self._run(task).rows


def is_quantity_name(name: str) -> bool:
    """False for a column named like a year, an id or a code (``year``, ``год``, ``kato_id``)."""
    return not _NOT_QUANTITY.search(name.lower())


def is_quantity(column: ViewerColumn) -> bool:
    return column.kind == ColumnKind.number and is_quantity_name(column.name)


def find_total_row(queries: _Queries) -> TotalRow | None:
    """The national-total row (module docstring), or None."""
    columns = queries.table.columns
    texts = [c for c in columns if c.kind == ColumnKind.text]
    if texts:
        labels = sorted(TOTAL_LABELS)
        marks = ", ".join("?" for _ in labels)
        union = " UNION ALL ".join(
            f"SELECT {i} AS i, CAST({quote_identifier(c.name)} AS VARCHAR) AS v FROM {queries.view} "
            f"WHERE {_norm(quote_identifier(c.name))} IN ({marks})"
            for i, c in enumerate(texts)
        )
        found = queries.rows(
            f"SELECT i, min(v), count(*) FROM ({union}) GROUP BY i ORDER BY i", labels * len(texts)
        )
        for i, value, count in found:
            if int(count) == 1:
                return TotalRow(column=texts[int(i)].name, value=value, reason="label")
    quantities = [c for c in columns if is_quantity(c)]
    if not quantities:
        return None
    selects = ", ".join(
        f"count({q}), sum({q})::DOUBLE, max({q})::DOUBLE, min({q})::DOUBLE"
        for q in (quote_identifier(c.name) for c in quantities)
    )
    stats = queries.rows(f"SELECT {selects} FROM {queries.view}")[0]
    summed: list[tuple[ViewerColumn, float]] = []
    for i, column in enumerate(quantities):
        count, total, high, low = stats[i * 4 : i * 4 + 4]
        if not count or count < 3 or total is None or low is None or low < 0 or total <= 0:
            continue
        if abs(2 * high - total) > max(0.5, total * 1e-6):
            return None  # one quantity is not a sum: no total row
        summed.append((column, high))
    if not summed:
        return None
    first, high = summed[0]
    same = " AND ".join(f"{quote_identifier(c.name)} = ?" for c, _ in summed)
    holders = queries.rows(f"SELECT count(*) FROM {queries.view} WHERE {same}", [h for _, h in summed])
    if int(holders[0][0]) != 1:
        return None
    return TotalRow(column=first.name, value=high, reason="sum")


def _excluding(total: TotalRow | None) -> tuple[str, list[Any]]:
    if total is None:
        return "", []
    return f" WHERE {quote_identifier(total.column)} IS DISTINCT FROM ?", [total.value]


def _histograms(queries: _Queries, where: str, params: list[Any]) -> dict[str, dict[str, list[float | int]]]:
    numbers = [c for c in queries.table.columns if c.kind == ColumnKind.number]
    if not numbers:
        return {}
    selects = ", ".join(
        f"min({q})::DOUBLE, max({q})::DOUBLE" for q in (quote_identifier(c.name) for c in numbers)
    )
    bounds = queries.rows(f"SELECT {selects} FROM {queries.view}{where}", params)[0]
    parts: list[str] = []
    part_params: list[Any] = []
    spans: dict[int, tuple[float, float]] = {}
    for i, column in enumerate(numbers):
        low, high = bounds[2 * i], bounds[2 * i + 1]
        if low is None or high is None:
            continue
        spans[i] = (low, high)
        width = (high - low) / BINS or 1.0
        name = quote_identifier(column.name)
        condition = f"{name} IS NOT NULL" + (f" AND {where[len(' WHERE ') :]}" if where else "")
        parts.append(
            f"SELECT {i} AS i, least(CAST(floor(({name} - ?) / ?) AS BIGINT), {BINS - 1}) AS b, "
            f"count(*) AS n FROM {queries.view} WHERE {condition} GROUP BY b"
        )
        part_params.extend([low, width, *params])
    if not parts:
        return {}
    counted = queries.rows(" UNION ALL ".join(parts), part_params, limit=len(parts) * BINS + 1)
    charts: dict[str, dict[str, list[float | int]]] = {}
    for i, (low, high) in spans.items():
        bins = BINS if high > low else 1
        counts: list[float | int] = [0] * bins
        for row_i, b, n in counted:
            if int(row_i) == i:
                counts[min(int(b), bins - 1)] += int(n)  # the maximum's own bin is the last
        width = (high - low) / bins
        edges: list[float | int] = [low + k * width for k in range(bins)] + [high]
        charts[numbers[i].name] = {"edges": edges, "counts": counts}
    return charts


def _top_values(queries: _Queries, where: str, params: list[Any]) -> dict[str, list[dict[str, Any]]]:
    columns = [c for c in queries.table.columns if c.kind in (ColumnKind.text, ColumnKind.bool)]
    if not columns:
        return {}
    parts = []
    all_params: list[Any] = []
    for i, column in enumerate(columns):
        name = quote_identifier(column.name)
        parts.append(
            f"SELECT * FROM (SELECT {i} AS i, CAST({name} AS VARCHAR) AS v, count(*) AS n FROM {queries.view}"
            f"{where} GROUP BY v ORDER BY n DESC, v LIMIT {TOP_VALUES})"
        )
        all_params.extend(params)
    found = queries.rows(" UNION ALL ".join(parts), all_params, limit=len(parts) * TOP_VALUES + 1)
    tops: dict[str, list[dict[str, Any]]] = {}
    for i, value, count in found:
        tops.setdefault(columns[int(i)].name, []).append({"value": value, "count": int(count)})
    for values in tops.values():
        values.sort(key=lambda v: (-v["count"], str(v["value"])))
    return tops


_CACHE: OrderedDict[tuple[Any, ...], TableSummary] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def summary_cache_clear() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def table_summary(table: ReadableTable, run: Runner, *, timeout_ms: int) -> TableSummary:
    """The charts of ``table``'s columns without its national-total row (module docstring),
    computed with ``run`` (a query worker pool's ``run``, or ``execute_task`` in this process)."""
    key = (table.query_table.paths, table.name)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    queries = _Queries(table, run, timeout_ms)
    total = find_total_row(queries)
    where, params = _excluding(total)
    histograms = _histograms(queries, where, params)
    tops = _top_values(queries, where, params)
    charts = {
        c.name: ColumnChart(
            name=c.name, kind=c.kind, histogram=histograms.get(c.name), top_values=tops.get(c.name)
        )
        for c in table.columns
    }
    summary = TableSummary(total_row=total, charts=charts)
    with _CACHE_LOCK:
        _CACHE[key] = summary
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return summary


def summarise_table(
    actor: Actor, table: ReadableTable, *, runtime: QueryRuntime, client: str | None = None
) -> TableSummary:
    """``table_summary`` in the query workers, within the caller's query slots."""
    with _CACHE_LOCK:
        if (table.query_table.paths, table.name) in _CACHE:  # kept: no query, no slot taken
            return _CACHE[(table.query_table.paths, table.name)]
    caller, anonymous = query_caller(actor, client)
    with runtime.gate.admit(caller, anonymous=anonymous):
        return table_summary(table, runtime.workers.run, timeout_ms=runtime.limits.timeout_ms)
