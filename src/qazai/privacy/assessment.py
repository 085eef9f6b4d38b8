"""Re-identification risk of a de-identified table: k-anonymity, l-diversity, risk, residuals.

Everything is accumulated batch by batch (``RiskAccumulator``), so an assessment of a table
larger than memory holds only its equivalence classes, never its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pyarrow as pa

from qazai.core.enums import AccessTier
from qazai.privacy.classify import as_polars, internal_name
from qazai.privacy.detectors import ColumnInput, detect_columns
from qazai.privacy.entities import PERSONAL_DIRECT

#: Distinct sensitive values kept per class; l is reported exactly up to this cap.
L_CAP = 64
_MERGE_EVERY = 32


@dataclass
class Assessment:
    """What a reviewer needs to decide whether a version may be published."""

    tier: AccessTier
    k_target: int
    rows_in: int = 0
    rows_out: int = 0
    records_suppressed: int = 0
    cells_suppressed: int = 0
    quasi_identifiers: list[str] = field(default_factory=list)
    k: int | None = None
    classes: int = 0
    share_below_k: float = 0.0
    average_risk: float = 0.0
    max_risk: float = 0.0
    l_diversity: dict[str, int] = field(default_factory=dict)
    residual_identifiers: dict[str, int] = field(default_factory=dict)
    dropped_columns: list[str] = field(default_factory=list)
    generalisation_levels: dict[str, int] = field(default_factory=dict)
    information_loss: float = 0.0
    violations: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier.value,
            "passed": self.passed,
            "violations": list(self.violations),
            "k_target": self.k_target,
            "k": self.k,
            "classes": self.classes,
            "share_below_k": round(self.share_below_k, 6),
            "average_risk": round(self.average_risk, 6),
            "max_risk": round(self.max_risk, 6),
            "l_diversity": dict(self.l_diversity),
            "quasi_identifiers": list(self.quasi_identifiers),
            "generalisation_levels": dict(self.generalisation_levels),
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "records_suppressed": self.records_suppressed,
            "cells_suppressed": self.cells_suppressed,
            "dropped_columns": list(self.dropped_columns),
            "information_loss": round(self.information_loss, 4),
            "residual_identifiers": dict(self.residual_identifiers),
        }


class RiskAccumulator:
    """Equivalence-class sizes over ``qi`` and capped distinct sensitive values per class,
    merged across batches; plus residual direct identifiers found by rescanning every batch."""

    def __init__(self, qi: list[str], sensitive: list[str], *, rescan: bool = True, min_score: float = 0.5):
        self.qi = qi
        self.sensitive = sensitive
        self.rescan = rescan
        self.min_score = min_score
        # the class-size and l columns sit next to the quasi-identifiers: names none of them has
        self._n = internal_name("n", qi)
        self._l = internal_name("l", qi)
        self._counts: list[pl.DataFrame] = []
        self._pairs: dict[str, list[pl.DataFrame]] = {s: [] for s in sensitive}
        self.rows = 0
        self.residual: dict[str, int] = {}

    def observe(self, frame: pl.DataFrame) -> None:
        self.rows += frame.height
        if frame.height == 0:
            return
        if self.qi:
            self._counts.append(frame.group_by(self.qi).len(self._n))
            for s in self.sensitive:
                self._pairs[s].append(frame.select([*self.qi, s]).unique())
            if len(self._counts) >= _MERGE_EVERY:
                self._merge()
        if self.rescan:
            texts = [frame[n] for n in frame.columns if frame[n].dtype in (pl.String, pl.Categorical)]
            scanned = detect_columns(
                [ColumnInput(t) for t in texts], entities=PERSONAL_DIRECT, min_score=self.min_score
            )
            for found in scanned:
                for entity, n in found.group_by("entity").len().iter_rows():
                    self.residual[entity] = self.residual.get(entity, 0) + int(n)

    def _merge(self) -> None:
        if self._counts:
            self._counts = [pl.concat(self._counts).group_by(self.qi).agg(pl.col(self._n).sum())]
        for s, parts in self._pairs.items():
            if parts:
                merged = pl.concat(parts).unique()
                # keep at most L_CAP distinct values per class: l beyond it changes no decision
                merged = merged.filter(pl.int_range(pl.len()).over(self.qi) < L_CAP)
                self._pairs[s] = [merged]

    def class_sizes(self) -> pl.DataFrame:
        """The size of each equivalence class, one row per class, in the column ``n``."""
        self._merge()
        if not self.qi or not self._counts:
            return pl.DataFrame({"n": pl.Series([], dtype=pl.UInt32)})
        return self._counts[0].select(pl.col(self._n).alias("n"))

    def fill(self, assessment: Assessment) -> Assessment:
        """Write k, risk, l and residuals into ``assessment`` and check the tier's rules."""
        sizes = self.class_sizes()
        assessment.rows_out = self.rows
        assessment.quasi_identifiers = list(self.qi)
        if self.qi and sizes.height:
            n = sizes["n"]
            assessment.k = int(n.min())  # type: ignore[arg-type]
            assessment.classes = sizes.height
            below = int(sizes.filter(pl.col("n") < assessment.k_target)["n"].sum())
            assessment.share_below_k = below / self.rows if self.rows else 0.0
            assessment.average_risk = sizes.height / self.rows if self.rows else 0.0
            assessment.max_risk = 1.0 / assessment.k
        for s, parts in self._pairs.items():
            if parts:
                per_class = parts[0].group_by(self.qi).agg(pl.col(s).n_unique().alias(self._l))
                assessment.l_diversity[s] = int(per_class[self._l].min())  # type: ignore[arg-type]
        assessment.residual_identifiers = dict(sorted(self.residual.items()))
        return assessment


def check_rules(assessment: Assessment, *, allow_residual: bool, l_target: int) -> Assessment:
    """Record every broken rule of the tier in ``assessment.violations``."""
    if not allow_residual and assessment.residual_identifiers:
        found = ", ".join(f"{e}={n}" for e, n in assessment.residual_identifiers.items())
        assessment.violations.append(f"residual direct identifiers in the output: {found}")
    if assessment.k is not None and assessment.k < assessment.k_target:
        assessment.violations.append(f"k={assessment.k} is below the target {assessment.k_target}")
    for s, lv in assessment.l_diversity.items():
        if lv < l_target:
            assessment.violations.append(f"l={lv} for '{s}' is below the target {l_target}")
    return assessment


def assess(
    table: pl.DataFrame | pa.Table,
    quasi_identifiers: list[str],
    sensitive: list[str] | None = None,
    *,
    k_target: int = 5,
    tier: AccessTier = AccessTier.open,
    rescan: bool = True,
) -> Assessment:
    """Assess a table as it is (no transform): k, l, risks and residual direct identifiers."""
    frame = as_polars(table)
    acc = RiskAccumulator(quasi_identifiers, sensitive or [], rescan=rescan)
    acc.observe(frame)
    result = acc.fill(Assessment(tier=tier, k_target=k_target, rows_in=frame.height))
    return result
