"""Per-column profile of the published (de-identified) data, accumulated batch by batch.

Per column: type, rows, nulls, distinct count, min/max, top values (while the column has few
distinct values) and a histogram for numbers. Everything is computed with vectorised Polars and
NumPy operations in the same pass as the rest of pass 2:

- distinct values are counted exactly (with each value's count, which gives exact top values)
  up to ``DISTINCT_CAP``; past it the column switches to a HyperLogLog sketch (2^14 registers,
  about 0.8 % standard error) and the figure is marked ``distinct_approx: true``
  (``distinct_exact: false``); top values are then left out;
- the histogram's edges come from the first batch's range; values outside fall in
  `below` / `above`, so counts stay exact without a second pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl

DISTINCT_CAP = 100_000
TOP_VALUES = 10
BINS = 20
HLL_BITS = 14  # 16,384 registers: standard error 1.04 / sqrt(2^14) ≈ 0.8 %
_HLL_M = 1 << HLL_BITS


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


class DistinctSketch:
    """HyperLogLog over Polars' 64-bit value hashes: mergeable batch by batch, fixed memory."""

    def __init__(self) -> None:
        self.registers = np.zeros(_HLL_M, dtype=np.uint8)

    def add(self, values: pl.Series) -> None:
        if values.is_empty():
            return
        hashes = values.hash(seed=0).to_numpy()
        index = (hashes >> np.uint64(64 - HLL_BITS)).astype(np.intp)
        rest = hashes & np.uint64((1 << (64 - HLL_BITS)) - 1)
        # rank = leading zeros of the remaining 50 bits + 1; frexp's exponent is the bit length
        # (exact: the values are below 2^53)
        rank = (64 - HLL_BITS + 1 - np.frexp(rest.astype(np.float64))[1]).astype(np.uint8)
        np.maximum.at(self.registers, index, rank)

    def estimate(self) -> int:
        registers = self.registers.astype(np.float64)
        alpha = 0.7213 / (1 + 1.079 / _HLL_M)
        raw = alpha * _HLL_M * _HLL_M / float(np.sum(np.exp2(-registers)))
        zeros = int((self.registers == 0).sum())
        if raw <= 2.5 * _HLL_M and zeros:
            return round(_HLL_M * float(np.log(_HLL_M / zeros)))  # linear counting for small counts
        return round(raw)


@dataclass
class ColumnProfile:
    name: str
    type: str
    rows: int = 0
    nulls: int = 0
    counts: pl.DataFrame | None = None  # value, count: exact while distinct <= DISTINCT_CAP
    sketch: DistinctSketch | None = None
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
        self._distinct(values)
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

    def _distinct(self, values: pl.Series) -> None:
        if self.sketch is not None:
            self.sketch.add(values)
            return
        batch = values.rename("value").value_counts(name="count")
        merged = batch if self.counts is None else pl.concat([self.counts, batch])
        if self.counts is not None:
            merged = merged.group_by("value").agg(pl.col("count").sum())
        if merged.height > DISTINCT_CAP:
            self.sketch = DistinctSketch()
            self.sketch.add(merged["value"])
            self.counts = None
            return
        self.counts = merged

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
        low, high = self.edges[0], self.edges[-1]
        self.below += int((numbers < low).sum())
        self.above += int((numbers > high).sum())
        # equal-width bins over (low, high): NumPy's fast path, the same counts as with the edges
        counts, _ = np.histogram(numbers, bins=BINS, range=(low, high))
        self.histogram = [a + int(b) for a, b in zip(self.histogram, counts, strict=True)]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "rows": self.rows, "nulls": self.nulls}
        if self.sketch is not None:
            out["distinct"] = self.sketch.estimate()
            out["distinct_exact"] = False
            out["distinct_approx"] = True
        else:
            out["distinct"] = 0 if self.counts is None else self.counts.height
            out["distinct_exact"] = True
        if self.minimum is not None:
            out["min"] = _json_value(self.minimum)
            out["max"] = _json_value(self.maximum)
        if self.min_length is not None:
            out["min_length"] = self.min_length
            out["max_length"] = self.max_length
        if self.counts is not None and self.counts.height:
            # most frequent first; ties in a stable order (by value) so reruns agree
            top = self.counts.sort(["count", "value"], descending=[True, False], nulls_last=True).head(
                TOP_VALUES
            )
            out["top_values"] = [{"value": _json_value(v), "count": int(c)} for v, c in top.iter_rows()]
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
