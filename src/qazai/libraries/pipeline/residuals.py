"""Residual direct identifiers in the output, counted per cell but detected per distinct value.

The privacy engine's accumulator can rescan every output cell; published columns repeat their
values a lot (regions, categories, generalised dates), so scanning each distinct value once and
remembering the clean ones gives the same counts for a fraction of the time. Adapter kept in
this package (reported to the privacy engine's owner). Columns the engine derived (``skip``:
pseudonyms, generalised values) are not scanned.
"""

from __future__ import annotations

import polars as pl

from qazai.privacy import PERSONAL_DIRECT, detect_column

CLEAN_CACHE = 200_000  # distinct clean values remembered per column


class ResidualScanner:
    def __init__(self, min_score: float, skip: set[str] | frozenset[str] = frozenset()) -> None:
        self.min_score = min_score
        self.skip = skip
        self.residual: dict[str, int] = {}
        self._clean: dict[str, set[str]] = {}

    def observe(self, frame: pl.DataFrame) -> None:
        for name in frame.columns:
            if name in self.skip or frame[name].dtype not in (pl.String, pl.Categorical):
                continue
            counts = frame[name].cast(pl.String).drop_nulls().value_counts()
            if counts.height == 0:
                continue
            clean = self._clean.setdefault(name, set())
            if clean:
                counts = counts.filter(~pl.col(name).is_in(list(clean)))
            if counts.height == 0:
                continue
            found = detect_column(counts[name], entities=PERSONAL_DIRECT, min_score=self.min_score)
            hit_rows = set(found["row"].to_list())
            for entity, rows in found.group_by("entity").agg(pl.col("row").unique()).iter_rows():
                cells = int(counts[name].len() and counts["count"].gather(rows).sum())
                self.residual[str(entity)] = self.residual.get(str(entity), 0) + cells
            if len(clean) < CLEAN_CACHE:
                values = counts[name].to_list()
                clean.update(v for i, v in enumerate(values) if i not in hit_rows)
