"""Residual direct identifiers in the output, counted per cell but detected per distinct value.

The privacy engine's accumulator can rescan every output cell; published columns repeat their
values a lot (regions, categories, generalised dates), so scanning each distinct value once and
remembering the clean ones across batches gives the same counts for a fraction of the time.
Columns the engine derived (``skip``: pseudonyms, generalised values) are not scanned. In
columns the engine kept as statistics after weighing their findings (``statistics``: the table
is aggregate, or nothing in it is about a person) name and address look-alikes are the chance
findings classification already set aside ("Инспекторов" reads like a surname); only the
structured identifiers (IIN, phone, IBAN...) still count there. All columns of a batch go to the
engine's ``detect_columns`` in one sweep.
"""

from __future__ import annotations

import polars as pl

from qazai.privacy import PERSONAL_DIRECT, ColumnInput, Entity, detect_columns

CLEAN_CACHE = 200_000  # distinct clean values remembered per column
#: heuristic entities: in a column classification settled as statistics they are chance findings
LOOK_ALIKES = frozenset({Entity.PERSON.value, Entity.ADDRESS.value})


class ResidualScanner:
    def __init__(
        self,
        min_score: float,
        skip: set[str] | frozenset[str] = frozenset(),
        statistics: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.min_score = min_score
        self.skip = skip
        self.statistics = statistics
        self.residual: dict[str, int] = {}
        self._clean: dict[str, set[str]] = {}

    def observe(self, frame: pl.DataFrame) -> None:
        pending: list[tuple[str, pl.DataFrame]] = []  # column, its distinct values not known clean
        for name in frame.columns:
            if name in self.skip or frame[name].dtype not in (pl.String, pl.Categorical):
                continue
            # fixed internal names: a user column may itself be called "count" or "value"
            counts = frame[name].cast(pl.String).drop_nulls().rename("value").value_counts(name="count")
            clean = self._clean.get(name)
            if clean:
                counts = counts.filter(~pl.col("value").is_in(list(clean)))
            if counts.height:
                pending.append((name, counts))
        scanned = detect_columns(
            [ColumnInput(counts["value"].rename(name)) for name, counts in pending],
            entities=PERSONAL_DIRECT,
            min_score=self.min_score,
        )
        for (name, counts), hits in zip(pending, scanned, strict=True):
            found = hits
            if name in self.statistics:
                found = hits.filter(~pl.col("entity").is_in(list(LOOK_ALIKES)))
            for entity, rows in found.group_by("entity").agg(pl.col("row").unique()).iter_rows():
                cells = int(counts["count"].gather(rows).sum())
                self.residual[str(entity)] = self.residual.get(str(entity), 0) + cells
            clean = self._clean.setdefault(name, set())
            if len(clean) < CLEAN_CACHE:
                hit_rows = set(found["row"].to_list())
                clean.update(v for i, v in enumerate(counts["value"].to_list()) if i not in hit_rows)
