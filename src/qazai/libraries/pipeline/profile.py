"""Per-column profile of the published (de-identified) data, accumulated batch by batch.

Per column: type, rows, nulls, distinct count (exact up to ``DISTINCT_CAP``, then a lower bound),
min/max, top values (while the column has few distinct values) and a histogram for numbers. The
histogram's edges come from the first batch's range; values outside fall in `below` / `above`,
so counts stay exact without a second pass.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl

DISTINCT_CAP = 100_000
TOP_VALUES = 10
BINS = 20


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@dataclass
class ColumnProfile:
    name: str
    type: str
    rows: int = 0
    nulls: int = 0
    distinct: set[Any] | None = field(default_factory=set)
    distinct_floor: int = 0
    counts: Counter[Any] | None = field(default_factory=Counter)
    minimum: Any = None
    maximum: Any = None
    edges: list[float] | None = None
    histogram: list[int] | None = None
    below: int = 0
    above: int = 0
    min_length: int | None = None
    max_length: int | None = None

    def observe(self, series: pl.Series) -> None:
        self.rows += series.len()
        self.nulls += series.null_count()
        values = series.drop_nulls()
        if values.is_empty():
            return
        if self.distinct is not None:
            uniques = values.unique()
            if len(self.distinct) + uniques.len() > DISTINCT_CAP:
                self.distinct_floor = max(len(self.distinct), uniques.len())
                self.distinct = None
                self.counts = None
            else:
                self.distinct.update(uniques.to_list())
                if self.counts is not None:
                    vc = values.value_counts(sort=True).head(1000)
                    self.counts.update(
                        dict(zip(vc[series.name].to_list(), vc["count"].to_list(), strict=True))
                    )
                    if len(self.counts) > 5 * DISTINCT_CAP // 10:
                        self.counts = Counter(dict(self.counts.most_common(1000)))
        else:
            self.distinct_floor = max(self.distinct_floor, values.n_unique())
        if values.dtype == pl.String:
            lengths = values.str.len_chars()
            lo, hi = lengths.min(), lengths.max()
            self.min_length = int(lo) if self.min_length is None else min(self.min_length, int(lo))  # type: ignore[arg-type]
            self.max_length = int(hi) if self.max_length is None else max(self.max_length, int(hi))  # type: ignore[arg-type]
            return
        if values.dtype == pl.Boolean:
            return
        lo, hi = values.min(), values.max()
        self.minimum = lo if self.minimum is None else min(self.minimum, lo)
        self.maximum = hi if self.maximum is None else max(self.maximum, hi)
        if values.dtype.is_numeric():
            self._histogram(values.cast(pl.Float64).to_numpy())

    def _histogram(self, numbers: np.ndarray[Any, Any]) -> None:
        numbers = numbers[np.isfinite(numbers)]
        if numbers.size == 0:
            return
        if self.edges is None:
            lo, hi = float(numbers.min()), float(numbers.max())
            if hi == lo:
                hi = lo + 1.0
            self.edges = [float(x) for x in np.linspace(lo, hi, BINS + 1)]
            self.histogram = [0] * BINS
        assert self.histogram is not None
        edges = np.asarray(self.edges)
        self.below += int((numbers < edges[0]).sum())
        self.above += int((numbers > edges[-1]).sum())
        counts, _ = np.histogram(numbers, bins=edges)
        self.histogram = [a + int(b) for a, b in zip(self.histogram, counts, strict=True)]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "rows": self.rows, "nulls": self.nulls}
        if self.distinct is not None:
            out["distinct"] = len(self.distinct)
            out["distinct_exact"] = True
        else:
            out["distinct"] = self.distinct_floor
            out["distinct_exact"] = False
        if self.minimum is not None:
            out["min"] = _json_value(self.minimum)
            out["max"] = _json_value(self.maximum)
        if self.min_length is not None:
            out["min_length"] = self.min_length
            out["max_length"] = self.max_length
        if self.counts is not None and self.distinct is not None and self.counts:
            out["top_values"] = [
                {"value": _json_value(v), "count": int(c)} for v, c in self.counts.most_common(TOP_VALUES)
            ]
        if self.edges is not None and self.histogram is not None:
            out["histogram"] = {
                "edges": self.edges,
                "counts": self.histogram,
                "below": self.below,
                "above": self.above,
            }
        return out


class TableProfiler:
    """Profiles every column of the frames it observes (they must share one schema)."""

    def __init__(self) -> None:
        self.columns: dict[str, ColumnProfile] = {}
        self.rows = 0

    def observe(self, frame: pl.DataFrame) -> None:
        self.rows += frame.height
        for name in frame.columns:
            series = frame[name]
            profile = self.columns.get(name)
            if profile is None:
                profile = self.columns[name] = ColumnProfile(name=name, type=str(series.dtype).lower())
            profile.observe(series)

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "columns": [c.to_json() for c in self.columns.values()]}
