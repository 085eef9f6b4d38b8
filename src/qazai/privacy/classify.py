"""Scanning tables and text, and classifying every column of a table.

A column's kind comes from two sources of evidence: what its header says (``headers``) and what
its values are (the share of cells with findings, per entity, from ``detectors``). Everything is
computed per column with Polars expressions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pyarrow as pa

from qazai.privacy.detectors import MIN_SCORE, ColumnInput, detect_column, detect_columns
from qazai.privacy.entities import PERSONAL_DIRECT, ColumnKind, Entity, Finding
from qazai.privacy.headers import HeaderHint, read_header

#: A column is an identifier column when at least this share of its non-empty cells hold one.
DIRECT_RATIO = 0.5
FREE_TEXT_WORDS = 3.0
#: A column with identifiers embedded in this share of its cells is redacted like free text.
EMBEDDED_RATIO = 0.02

TABLE_FINDING_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.UInt32(),
    "column": pl.String(),
    "start": pl.Int64(),
    "end": pl.Int64(),
    "entity": pl.String(),
    "score": pl.Float64(),
}


@dataclass(frozen=True)
class ColumnReport:
    """The verdict on one column."""

    name: str
    kind: ColumnKind
    entities: dict[str, int]
    match_ratio: float
    reasons: tuple[str, ...]
    qi_type: str | None = None
    dominant: Entity | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "entities": dict(self.entities),
            "match_ratio": round(self.match_ratio, 4),
        }


@dataclass
class TableReport:
    """Column verdicts and cell findings (``row, column, start, end, entity, score``)."""

    rows_scanned: int
    columns: list[ColumnReport]
    findings: pl.DataFrame = field(repr=False)

    def column(self, name: str) -> ColumnReport:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def entity_counts(self) -> dict[str, int]:
        counts = self.findings.group_by("entity").len()
        return dict(zip(counts["entity"].to_list(), counts["len"].to_list(), strict=True))

    def to_json(self) -> dict[str, Any]:
        """The document ``qazai scan --json`` prints."""
        return {
            "rows_scanned": self.rows_scanned,
            "columns": [c.to_json() for c in self.columns],
            "findings": [
                {
                    "row": r["row"],
                    "column": r["column"],
                    "start": r["start"],
                    "end": r["end"],
                    "entity": r["entity"],
                    "score": round(r["score"], 3),
                }
                for r in self.findings.iter_rows(named=True)
            ],
        }


def as_polars(table: pl.DataFrame | pa.Table | pa.RecordBatch) -> pl.DataFrame:
    if isinstance(table, pl.DataFrame):
        return table
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a Table always gives a frame
        raise TypeError("expected a table")
    return frame


def _non_empty_text(values: pl.Series) -> pl.Series:
    text = values.cast(pl.String, strict=False).drop_nulls()
    return text.filter(text.str.strip_chars() != "")


def _mean_chars(text: pl.Series) -> float:
    return float(text.str.len_chars().mean() or 0.0) if text.len() else 0.0  # type: ignore[arg-type]


def _mean_words(text: pl.Series) -> float:
    """Words per non-empty cell (a Unicode regex pass: computed only when the decision needs it)."""
    return float(text.str.count_matches(r"\S+").mean() or 0.0) if text.len() else 0.0  # type: ignore[arg-type]


def _value_qi_type(values: pl.Series) -> str | None:
    text = values.cast(pl.String, strict=False).drop_nulls().str.strip_chars()
    if text.len() == 0:
        return None
    sexes = pl.Series(["м", "ж", "m", "f", "male", "female", "ер", "әйел", "муж", "жен"]).implode()
    if text.str.to_lowercase().is_in(sexes).sum() > 0.9 * text.len():
        return "sex"
    return None


def classify_column(name: str, values: pl.Series, findings: pl.DataFrame, hint: HeaderHint) -> ColumnReport:
    """Decide the kind of one column from its header hint, its values and its findings."""
    text = _non_empty_text(values)
    non_empty, chars = text.len(), _mean_chars(text)
    reasons = list(hint.reasons)
    cells = findings.group_by("entity").agg(pl.len().alias("n"), pl.col("row").n_unique().alias("cells"))
    counts = dict(zip(cells["entity"].to_list(), cells["n"].to_list(), strict=True))
    cell_counts = dict(zip(cells["entity"].to_list(), cells["cells"].to_list(), strict=True))
    matched = findings["row"].n_unique() if findings.height else 0
    ratio = matched / non_empty if non_empty else 0.0
    dominant = max(cell_counts, key=lambda e: cell_counts[e]) if cell_counts else None
    dom_ratio = cell_counts[dominant] / non_empty if dominant and non_empty else 0.0
    entities = dict(sorted(counts.items()))
    if dominant:
        reasons.append(f"{dom_ratio:.0%} of non-empty cells hold {dominant}")

    def report(kind: ColumnKind, qi_type: str | None = None) -> ColumnReport:
        return ColumnReport(
            name=name,
            kind=kind,
            entities=entities,
            match_ratio=ratio,
            reasons=tuple(reasons),
            qi_type=qi_type,
            dominant=Entity(dominant) if dominant else None,
        )

    if non_empty == 0:
        reasons.append("column is empty")
        return report(hint.kind or ColumnKind.non_personal, hint.qi_type)
    if hint.kind is ColumnKind.sensitive:
        return report(ColumnKind.sensitive)
    covered = (
        float((findings["end"] - findings["start"]).sum()) / (chars * non_empty) if findings.height else 0.0
    )
    header_direct = bool(hint.entities & PERSONAL_DIRECT)
    personal = {e: c for e, c in cell_counts.items() if Entity(e) in PERSONAL_DIRECT}
    personal_ratio = findings.filter(pl.col("entity").is_in(list(personal)))["row"].n_unique() / non_empty
    if personal_ratio >= DIRECT_RATIO and covered >= 0.6:
        reasons.append(f"identifiers cover {min(covered, 1.0):.0%} of the text")
        return report(ColumnKind.direct_identifier)
    words = _mean_words(text)
    if words >= FREE_TEXT_WORDS or (chars >= 60 and words >= 3):
        reasons.append(f"free text: {words:.1f} words per cell on average")
        return report(ColumnKind.free_text)
    if dominant == Entity.DATE_OF_BIRTH.value and dom_ratio >= DIRECT_RATIO:
        return report(ColumnKind.quasi_identifier, "date")
    if personal_ratio >= DIRECT_RATIO or (header_direct and personal_ratio >= 0.2):
        return report(ColumnKind.direct_identifier)
    if personal_ratio >= EMBEDDED_RATIO and not (dominant == Entity.BIN.value and dom_ratio >= DIRECT_RATIO):
        reasons.append(f"{personal_ratio:.0%} of cells embed personal identifiers: treated as free text")
        return report(ColumnKind.free_text)
    if dominant == Entity.BIN.value and dom_ratio >= DIRECT_RATIO:
        reasons.append("company identifiers (BIN) are public register data")
        return report(ColumnKind.non_personal)
    if hint.kind is ColumnKind.quasi_identifier:
        return report(ColumnKind.quasi_identifier, hint.qi_type)
    value_qi = _value_qi_type(values)
    if value_qi:
        reasons.append(f"values look like {value_qi}")
        return report(ColumnKind.quasi_identifier, value_qi)
    if header_direct and not hint.entities <= {Entity.PERSON}:
        # an identifier header over values we cannot read is still treated as identifying
        reasons.append("header names an identifier; values not recognised")
        return report(ColumnKind.direct_identifier)
    return report(ColumnKind.non_personal)


def scan_table(
    table: pl.DataFrame | pa.Table | pa.RecordBatch,
    *,
    min_score: float = MIN_SCORE,
    row_offset: int = 0,
) -> TableReport:
    """Scan every column of ``table`` and classify it. Rows are numbered from ``row_offset``."""
    frame = as_polars(table)
    columns: list[ColumnReport] = []
    parts: list[pl.DataFrame] = []
    # findings are ordered by row, column name, offset; the name's rank is the sort key (sorting
    # a million strings is slow)
    rank = {c: i for i, c in enumerate(sorted(frame.columns))}
    hints = {name: read_header(name) for name in frame.columns}
    # float columns hold no identifiers (an IIN read as a number comes as an integer)
    inputs = [
        ColumnInput(pl.Series([], dtype=pl.String))
        if frame[name].dtype.is_numeric() and not frame[name].dtype.is_integer()
        else ColumnInput(frame[name], frozenset(hints[name].entities), hints[name].place)
        for name in frame.columns
    ]
    for name, found in zip(frame.columns, detect_columns(inputs, min_score=min_score), strict=True):
        series = frame[name]
        hint = hints[name]
        columns.append(classify_column(name, series, found, hint))
        if found.height:
            parts.append(
                found.with_columns(
                    (pl.col("row") + row_offset).cast(pl.UInt32),
                    pl.lit(name).alias("column"),
                    pl.lit(rank[name], dtype=pl.UInt32).alias("_order"),
                ).select([*TABLE_FINDING_SCHEMA, "_order"])
            )
    findings = (
        pl.concat(parts).sort("row", "_order", "start").drop("_order")
        if parts
        else pl.DataFrame(schema=TABLE_FINDING_SCHEMA)
    )
    return TableReport(rows_scanned=frame.height, columns=columns, findings=findings)


def classify_table(
    table: pl.DataFrame | pa.Table | pa.RecordBatch, *, min_score: float = MIN_SCORE
) -> TableReport:
    """Alias of :func:`scan_table` named for what the publish pipeline asks of it."""
    return scan_table(table, min_score=min_score)


def scan_lines(lines: pl.Series, *, min_score: float = MIN_SCORE, row_offset: int = 0) -> pl.DataFrame:
    """Findings in plain-text lines (``row`` = line number from ``row_offset``, offsets inside the line)."""
    found = detect_column(lines, min_score=min_score)
    return found.with_columns(
        (pl.col("row") + row_offset).cast(pl.UInt32), pl.lit(None, dtype=pl.String).alias("column")
    ).select(list(TABLE_FINDING_SCHEMA))


def scan_text(text: str, *, min_score: float = MIN_SCORE) -> list[Finding]:
    """Findings in a piece of text; ``row`` is the line number, offsets are inside the line."""
    found = scan_lines(pl.Series("text", text.split("\n"), dtype=pl.String), min_score=min_score)
    return [
        Finding(
            row=r["row"],
            column=None,
            start=r["start"],
            end=r["end"],
            entity=Entity(r["entity"]),
            score=r["score"],
        )
        for r in found.iter_rows(named=True)
    ]
