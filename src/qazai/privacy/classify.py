"""Scanning tables and text, and classifying every column of a table.

A column's kind comes from two sources of evidence: what its header says (``headers``) and what
its values are (the share of cells with findings, per entity, from ``detectors``). Everything is
computed per column with Polars expressions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import polars as pl

from qazai.privacy.detectors import MIN_SCORE, SPECIFICITY, ColumnInput, detect_column, detect_columns
from qazai.privacy.entities import PERSONAL_DIRECT, ColumnKind, Entity, Finding
from qazai.privacy.headers import HeaderHint, read_header

if TYPE_CHECKING:  # a caller that hands in Arrow data has PyArrow loaded; a scan does not need it
    import pyarrow as pa

#: A column is an identifier column when at least this share of its non-empty cells hold one
#: (``Policy.direct_ratio``).
DIRECT_RATIO = 0.5
FREE_TEXT_WORDS = 3.0
#: A short-text column with identifiers embedded in this share of its cells is redacted like
#: free text (``Policy.embedded_ratio``).
EMBEDDED_RATIO = 0.02

#: Entities whose findings are validated by a checksum or a strict format (not by a word list or
#: a capital letter): the strong evidence.
VALIDATED: frozenset[Entity] = frozenset(
    {Entity.IIN, Entity.BIN, Entity.IBAN_KZ, Entity.CARD, Entity.PHONE_KZ, Entity.EMAIL, Entity.IP}
)


@dataclass(frozen=True)
class Thresholds:
    """The shares of cells a decision needs (from the policy)."""

    direct_ratio: float = DIRECT_RATIO
    embedded_ratio: float = EMBEDDED_RATIO


class Rule(StrEnum):
    """Why a column got its kind: the stable code a report, the preview and the portal explain."""

    identifier_cells = "identifier_cells"  # identifiers fill most of its cells
    identifier_cells_header = "identifier_cells_header"  # the header names them and many cells hold them
    free_text_findings = "free_text_findings"  # prose with personal data found in it
    embedded_identifiers = "embedded_identifiers"  # short text with identifiers in some cells
    birth_dates = "birth_dates"  # dates of birth by their values and context
    quasi_identifier_values = "quasi_identifier_values"  # a QI header and values of that type
    sensitive_header = "sensitive_header"  # the header names a sensitive attribute
    company_ids = "company_ids"  # BINs: public register data
    aggregate_table = "aggregate_table"  # a table of statistics: nothing in it is about one person
    no_person_table = "no_person_table"  # no column of the table is about a person
    header_only = "header_only"  # the header suggests personal data, the cells do not hold it
    free_text_clean = "free_text_clean"  # prose, but no personal data found in it
    no_evidence = "no_evidence"  # nothing personal found
    empty = "empty"


@dataclass(frozen=True)
class ColumnEvidence:
    """What a decision rests on: cells scanned, cells per entity, whether those findings are
    validated (checksum/format) or heuristic, the entities the header suggests, the rule."""

    cells: int
    matched: dict[str, int]
    header: tuple[str, ...]
    rule: Rule
    threshold: float | None = None
    attention: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "cells": self.cells,
            "findings": [
                {
                    "entity": entity,
                    "cells": count,
                    "share": round(count / self.cells, 4) if self.cells else 0.0,
                    "validated": Entity(entity) in VALIDATED,
                }
                for entity, count in sorted(self.matched.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "header": list(self.header),
            "rule": self.rule.value,
            "threshold": self.threshold,
            "attention": self.attention,
        }


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
    evidence: ColumnEvidence | None = None

    def holds_validated(self) -> bool:
        """Some cell holds an entity checked by a checksum or a strict format."""
        return any(Entity(e) in VALIDATED for e in self.entities)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind.value,
            "entities": dict(self.entities),
            "match_ratio": round(self.match_ratio, 4),
        }
        if self.evidence is not None:
            doc["evidence"] = self.evidence.to_json()
        return doc


@dataclass
class TableReport:
    """Column verdicts and cell findings (``row, column, start, end, entity, score``)."""

    rows_scanned: int
    columns: list[ColumnReport]
    findings: pl.DataFrame = field(repr=False)
    #: a table of statistics (counts, rates, sums by category, region or period)
    aggregate: bool = False

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
            "aggregate": self.aggregate,
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


def internal_name(base: str, taken: Iterable[str]) -> str:
    """``base``, or ``base`` with underscores added, so it is none of ``taken``: a helper column
    next to the user's own never shares a name with one of them (a column called "n" or "count")."""
    names = set(taken)
    while base in names:
        base += "_"
    return base


def _non_empty_text(values: pl.Series) -> pl.Series:
    text = values.cast(pl.String, strict=False).drop_nulls()
    return text.filter(text.str.strip_chars() != "")


def _mean_chars(text: pl.Series) -> float:
    return float(text.str.len_chars().mean() or 0.0) if text.len() else 0.0  # type: ignore[arg-type]


def _mean_words(text: pl.Series) -> float:
    """Words per non-empty cell (a Unicode regex pass: computed only when the decision needs it)."""
    return float(text.str.count_matches(r"\S+").mean() or 0.0) if text.len() else 0.0  # type: ignore[arg-type]


_SEXES = ["м", "ж", "m", "f", "male", "female", "ер", "әйел", "муж", "жен", "мужской", "женский", "еркек"]


def _value_qi_type(values: pl.Series) -> str | None:
    text = values.cast(pl.String, strict=False).drop_nulls().str.strip_chars()
    if text.len() == 0:
        return None
    if text.str.to_lowercase().is_in(pl.Series(_SEXES).implode()).sum() > 0.9 * text.len():
        return "sex"
    return None


#: A cell of a statistics column: a number (spaces, commas, a footnote mark, a percent sign) or
#: a mark for a suppressed or missing value (``-``, ``х``, ``...``, ``н/д``).
_MEASURE_CELL = (
    r"^\s*(?:[+\-−]?\d[\d\s\u00a0.,]*\s*(?:\*{1,3}|%|\)|\([\d\s]*\))?|[\-–—хxХX]|\.{2,3}|…|н/д|n/a|:|\*)\s*$"
)
_DATE_CELL = r"^\s*(?:\d{1,2}[./\-]\d{1,2}[./\-](?:\d{2}|\d{4})|\d{4}[./\-]\d{1,2}[./\-]\d{1,2})(?:[ T].*)?$"
_AGE_BAND = r"^\s*\d{1,3}\s*(?:[-–]\s*\d{1,3}|\+)\s*$"


def _share(values: pl.Series, pattern: str) -> float:
    text = values.cast(pl.String, strict=False).drop_nulls()
    return float(text.str.contains(pattern).mean() or 0.0) if text.len() else 0.0  # type: ignore[arg-type]


def _in_range(values: pl.Series, low: float, high: float) -> float:
    numbers = values.drop_nulls()
    if numbers.len() == 0:
        return 0.0
    return float(((numbers >= low) & (numbers <= high)).mean() or 0.0)  # type: ignore[arg-type]


def qi_values_match(values: pl.Series, qi_type: str | None) -> bool:
    """Do the cells hold values of the quasi-identifier type a header names? (A header alone
    never makes a column a quasi-identifier: ``Количество ... зарегистрированных`` holds counts,
    not dates; ``Average_annual_water_consumption`` holds flows, not ages.)"""
    dtype = values.dtype
    if values.drop_nulls().len() == 0:
        return False
    if qi_type == "date":
        if dtype.is_temporal():
            return True
        if dtype.is_integer():
            return _in_range(values, 1900, 2100) >= 0.9  # years
        return dtype == pl.String and _share(values, _DATE_CELL) >= 0.6
    if qi_type == "age":
        if dtype.is_integer():
            return _in_range(values, 0, 120) >= 0.9
        return dtype == pl.String and _share(values, _AGE_BAND) >= 0.6
    if qi_type == "sex":
        return values.drop_nulls().n_unique() <= 3
    if qi_type == "kato":
        return _share(values, r"^\s*\d{9}\s*$") >= 0.8
    if qi_type == "postcode":
        return _share(values, r"^\s*(?:\d{6}|[A-Za-z]\d{2}\s?[A-Za-z]\d[A-Za-z]\d)\s*$") >= 0.8
    # categorical (region, occupation, employer, nationality): words, not numbers
    return dtype == pl.String and _share(values, _MEASURE_CELL) < 0.5


def classify_column(
    name: str,
    values: pl.Series,
    findings: pl.DataFrame,
    hint: HeaderHint,
    thresholds: Thresholds = Thresholds(),
) -> ColumnReport:
    """Decide the kind of one column from its cells' findings; the header raises attention, and
    names the type of a quasi-identifier whose values bear it out, but never decides alone."""
    text = _non_empty_text(values)
    non_empty, chars = text.len(), _mean_chars(text)
    reasons = list(hint.reasons)
    cells = findings.group_by("entity").agg(pl.len().alias("n"), pl.col("row").n_unique().alias("cells"))
    counts = dict(zip(cells["entity"].to_list(), cells["n"].to_list(), strict=True))
    cell_counts = dict(zip(cells["entity"].to_list(), cells["cells"].to_list(), strict=True))
    matched = findings["row"].n_unique() if findings.height else 0
    ratio = matched / non_empty if non_empty else 0.0
    # Polars' group_by keeps no order: a tie goes to the more specific entity (the order that
    # resolves overlapping findings), then the name, so the same column is always read the same way
    dominant = (
        min(cell_counts, key=lambda e: (-cell_counts[e], SPECIFICITY.get(e, len(SPECIFICITY)), e))
        if cell_counts
        else None
    )
    dom_ratio = cell_counts[dominant] / non_empty if dominant and non_empty else 0.0
    entities = dict(sorted(counts.items()))
    header = tuple(sorted(e.value for e in hint.entities))
    if dominant:
        reasons.append(f"{dom_ratio:.0%} of non-empty cells hold {dominant}")

    def report(
        kind: ColumnKind,
        rule: Rule,
        qi_type: str | None = None,
        threshold: float | None = None,
        attention: bool = False,
    ) -> ColumnReport:
        return ColumnReport(
            name=name,
            kind=kind,
            entities=entities,
            match_ratio=ratio,
            reasons=tuple(reasons),
            qi_type=qi_type,
            dominant=Entity(dominant) if dominant else None,
            evidence=ColumnEvidence(non_empty, dict(cell_counts), header, rule, threshold, attention),
        )

    if non_empty == 0:
        reasons.append("column is empty")
        return report(ColumnKind.non_personal, Rule.empty)
    if hint.kind is ColumnKind.sensitive:
        return report(ColumnKind.sensitive, Rule.sensitive_header)
    covered = (
        float((findings["end"] - findings["start"]).sum()) / (chars * non_empty) if findings.height else 0.0
    )
    header_direct = bool(hint.entities & PERSONAL_DIRECT)
    personal = {e: c for e, c in cell_counts.items() if Entity(e) in PERSONAL_DIRECT}
    personal_cells = findings.filter(pl.col("entity").is_in(list(personal)))["row"].n_unique()
    personal_ratio = personal_cells / non_empty
    direct = thresholds.direct_ratio
    if personal_ratio >= direct and covered >= 0.6:
        reasons.append(f"identifiers cover {min(covered, 1.0):.0%} of the text")
        return report(ColumnKind.direct_identifier, Rule.identifier_cells, threshold=direct)
    words = _mean_words(text)
    if words >= FREE_TEXT_WORDS or (chars >= 60 and words >= 3):
        reasons.append(f"free text: {words:.1f} words per cell on average")
        if personal_cells:
            return report(ColumnKind.free_text, Rule.free_text_findings)
        reasons.append("no personal data found in its cells")
        return report(ColumnKind.non_personal, Rule.free_text_clean, attention=header_direct)
    if dominant == Entity.DATE_OF_BIRTH.value and dom_ratio >= direct:
        return report(ColumnKind.quasi_identifier, Rule.birth_dates, "date", threshold=direct)
    if personal_ratio >= direct or (header_direct and personal_ratio >= 0.2):
        return report(
            ColumnKind.direct_identifier,
            Rule.identifier_cells if personal_ratio >= direct else Rule.identifier_cells_header,
            threshold=direct if personal_ratio >= direct else 0.2,
        )
    embedded = thresholds.embedded_ratio
    if personal_ratio >= embedded and not (dominant == Entity.BIN.value and dom_ratio >= direct):
        reasons.append(f"{personal_ratio:.0%} of cells embed personal identifiers: treated as free text")
        return report(ColumnKind.free_text, Rule.embedded_identifiers, threshold=embedded)
    if dominant == Entity.BIN.value and dom_ratio >= direct:
        reasons.append("company identifiers (BIN) are public register data")
        return report(ColumnKind.non_personal, Rule.company_ids)
    if hint.kind is ColumnKind.quasi_identifier and qi_values_match(values, hint.qi_type):
        return report(ColumnKind.quasi_identifier, Rule.quasi_identifier_values, hint.qi_type)
    value_qi = _value_qi_type(values)
    if value_qi:
        reasons.append(f"values look like {value_qi}")
        return report(ColumnKind.quasi_identifier, Rule.quasi_identifier_values, value_qi)
    if header_direct or hint.kind is ColumnKind.quasi_identifier:
        reasons.append("the header suggests personal data; the cells do not hold it")
        return report(ColumnKind.non_personal, Rule.header_only, attention=True)
    return report(ColumnKind.non_personal, Rule.no_evidence)


#: Rules that show a table is about persons (one row per person or per event of a person).
_PERSON_RULES = frozenset(
    {
        Rule.identifier_cells,
        Rule.identifier_cells_header,
        Rule.free_text_findings,
        Rule.embedded_identifiers,
        Rule.birth_dates,
        Rule.sensitive_header,
    }
)


def _measure_column(values: pl.Series) -> bool:
    """Counts, rates, sums: a numeric column, or numbers written as text (spaces, commas,
    footnote marks, ``-``/``х``/``...`` for suppressed values)."""
    if values.dtype.is_numeric():
        return True
    if values.dtype != pl.String:
        return False
    text = values.drop_nulls().str.strip_chars()
    text = text.filter(text != "")
    return text.len() > 0 and float(text.str.contains(_MEASURE_CELL).mean() or 0.0) >= 0.8  # type: ignore[arg-type]


def aggregate_table(frame: pl.DataFrame, columns: list[ColumnReport]) -> tuple[bool, str]:
    """Is ``frame`` a table of statistics? Measures (counts, rates, sums) at least as many as the
    label columns, labels in words that together name each row once (one row per category,
    region or period: the rows of a table about persons repeat their categories), and no
    column about persons. Returns the verdict and the reason."""
    if frame.height == 0:
        return False, "empty"
    for c in columns:
        rule = c.evidence.rule if c.evidence is not None else None
        if c.kind is ColumnKind.direct_identifier or rule is Rule.birth_dates:
            return False, f"column '{c.name}' is about persons"
        if c.kind is ColumnKind.free_text and c.holds_validated():
            return False, f"column '{c.name}' holds validated identifiers"
    present = [c for c in frame.columns if frame[c].null_count() < frame.height]
    measures = [c for c in present if _measure_column(frame[c])]
    labels = [c for c in present if c not in measures and frame[c].dtype == pl.String]
    if not measures or len(measures) < len(labels):
        return False, f"{len(measures)} measure columns, {len(labels)} label columns"
    wordy = [c for c in labels if _share(frame[c], r"\p{L}{3}") >= 0.6]
    if not wordy:
        return False, "no label column in words"
    rows = frame.select(labels).filter(pl.any_horizontal(pl.col(labels).is_not_null()))
    distinct = rows.n_unique() / rows.height if rows.height else 0.0
    # hierarchical row labels ("из них", "в том числе") repeat under different parents: a form
    # that shows it is statistics (a totals row, a column-number row) may repeat some
    marked = _statistics_marks(frame, labels)
    if distinct < (0.5 if marked else 0.9):
        return False, f"label combinations repeat ({distinct:.0%} distinct)"
    return True, (
        f"a table of statistics: {len(measures)} measure columns by {len(labels)} label columns "
        f"naming each row once"
    )


_TOTALS = (
    r"(?i)^\s*(?:всего|итого|барлығы|барлыгы|жиыны|жиыны|total|grand total|республика казахстан|"
    r"қазақстан республикасы|казахстан республикасы|по республике|республика бойынша|"
    r"republic of kazakhstan|kazakhstan)\b"
)


def _statistics_marks(frame: pl.DataFrame, labels: list[str]) -> bool:
    """A totals row (``Всего``, ``Барлығы``, ``Республика Казахстан``) or a column-number row
    (``А Б 1 2 3``) among the first rows: the layout of a statistical form."""
    for name in labels:
        values = frame[name].drop_nulls().str.strip_chars()
        if values.str.contains(_TOTALS).any():
            return True
        if values.head(3).str.contains(r"^[АБВГA-D]$").any():
            return True
    return False


def _about_persons(columns: list[ColumnReport]) -> bool:
    """Does any column show the rows are about persons? (A region, a date or an occupation is a
    quasi-identifier only of somebody.)"""
    for c in columns:
        if c.evidence is not None and c.evidence.rule in _PERSON_RULES:
            return True
        if c.kind is ColumnKind.quasi_identifier and c.qi_type in {"sex", "age"}:
            return True
    return False


def _settle(frame: pl.DataFrame, columns: list[ColumnReport]) -> tuple[list[ColumnReport], bool]:
    """Table-level evidence: in a table of statistics, or a table with nothing about persons,
    quasi-identifiers are just categories; in statistics, labels with a stray heuristic finding
    (a PERSON-like capital) are labels."""
    aggregate, why = aggregate_table(frame, columns)
    persons = not aggregate and _about_persons(columns)
    settled = []
    for column in columns:
        if aggregate and (
            column.kind in (ColumnKind.quasi_identifier, ColumnKind.sensitive)
            or (column.kind is ColumnKind.free_text and not column.holds_validated())
        ):
            settled.append(_relabel(column, Rule.aggregate_table, why))
        elif not persons and column.kind is ColumnKind.quasi_identifier:
            settled.append(_relabel(column, Rule.no_person_table, "no column of the table is about a person"))
        else:
            settled.append(column)
    return settled, aggregate


def _relabel(column: ColumnReport, rule: Rule, why: str) -> ColumnReport:
    assert column.evidence is not None
    return replace(
        column,
        kind=ColumnKind.non_personal,
        qi_type=None,
        reasons=(*column.reasons, why),
        evidence=replace(column.evidence, rule=rule),
    )


def scan_table(
    table: pl.DataFrame | pa.Table | pa.RecordBatch,
    *,
    min_score: float = MIN_SCORE,
    row_offset: int = 0,
    thresholds: Thresholds = Thresholds(),
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
        columns.append(classify_column(name, series, found, hint, thresholds))
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
    columns, aggregate = _settle(frame, columns)
    return TableReport(rows_scanned=frame.height, columns=columns, findings=findings, aggregate=aggregate)


def classify_table(
    table: pl.DataFrame | pa.Table | pa.RecordBatch,
    *,
    min_score: float = MIN_SCORE,
    thresholds: Thresholds = Thresholds(),
) -> TableReport:
    """Alias of :func:`scan_table` named for what the publish pipeline asks of it."""
    return scan_table(table, min_score=min_score, thresholds=thresholds)


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
