"""Statistical disclosure control of a job's tabular outputs: the airlock's automatic checks.

A pure module (no database, no web): it takes a table (a Polars frame and how the job declared
it) and returns typed :class:`Finding` values and a proposed safe version of the table.

Rules, each with its threshold in :class:`DisclosureSettings`:

- **minimum cell count** — a cell with fewer than ``min_count`` contributors is suppressed;
  a zero cell too when ``zeros_are_disclosive`` (it tells that nobody in a group has an attribute);
- **dominance** ((n, k) rule) — a magnitude cell whose ``dominance_n`` largest contributions make
  more than ``dominance_k`` of its total is suppressed;
- **p % rule** — a magnitude cell whose contributions other than the two largest make less than
  ``p_percent`` of the largest is suppressed (the second largest contributor could estimate the
  largest to within p %);
- **secondary suppression** — in a table with totals, every line (row or column, or the same along
  any dimension) that has exactly one suppressed cell gets a second one, the smallest other cell,
  until no total gives a suppressed cell back;
- **flags for the reviewer** — zero magnitudes, negative contributions (dominance undefined),
  missing values, totals that differ from the sum of their cells by less than ``min_count``.

How a table is declared (frequency vs magnitude, which columns are dimensions, counts, values and
contributions) is in :class:`TableDeclaration`; reading files and sidecars is in
:mod:`qazai.compute.disclosure_files`. docs/compute.md, "Airlock", documents both for job authors.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from qazai.compute.disclosure_findings import Finding, FindingCode, Severity, finding

__all__ = [
    "Cell",
    "DisclosureSettings",
    "Finding",
    "FindingCode",
    "Severity",
    "TableCheck",
    "TableDeclaration",
    "TableKind",
    "TableLayout",
    "check_table",
    "cross_differences",
    "finding",
    "infer_declaration",
    "table_cells",
]

# Labels (compared case-insensitively, trimmed) that mark a total in a dimension column or a column
# header: pandas' margins ("All"), and Kazakh and Russian statistical tables.
DEFAULT_TOTAL_LABELS = frozenset(
    {"total", "all", "итого", "всего", "итог", "барлығы", "барлыгы", "жиыны", "жалпы", "қорытынды"}
)
# Column names that the header convention reads as the number of contributors of a cell.
COUNT_NAMES = frozenset({"n", "count", "counts", "freq", "frequency", "количество", "число", "саны"})
TOP_SUFFIX = re.compile(r"^(?P<measure>.+)__top(?P<rank>[1-9])$")


class DisclosureSettings(BaseModel):
    """Every threshold of the checks in one place (the platform's settings build one)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_count: int = Field(default=10, ge=1, description="a cell needs at least this many contributors")
    dominance_n: int = Field(default=2, ge=1, le=9, description="the n of the (n, k) dominance rule")
    dominance_k: float = Field(default=0.9, gt=0, le=1, description="the k of the (n, k) rule, a share")
    p_percent: float = Field(default=0.10, ge=0, le=1, description="the p of the p % rule, a share")
    zeros_are_disclosive: bool = Field(default=True, description="suppress frequency cells of zero")
    round_to: int | None = Field(default=None, ge=2, description="round counts in the safe version")
    total_labels: frozenset[str] = DEFAULT_TOTAL_LABELS
    max_cells: int = Field(default=2_000_000, ge=1, description="larger tables are not checked")

    def is_total(self, label: str) -> bool:
        return label.strip().casefold() in self.total_labels


class TableKind(StrEnum):
    frequency = "frequency"  # each cell counts contributors (people, firms)
    magnitude = "magnitude"  # each cell sums (or averages) a value over its contributors


class TableLayout(StrEnum):
    long = "long"  # one row per cell: dimension columns, then the count and value columns
    wide = "wide"  # a cross table: row-label columns, then one column per category (frequency only)


class TableDeclaration(BaseModel):
    """How a job declares an output table: the sidecar ``<file>.sdc.json`` next to it, or the header
    convention (see :func:`infer_declaration`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: TableKind = TableKind.frequency
    layout: TableLayout = TableLayout.long
    dimensions: list[str] = Field(default_factory=list, description="columns that name a cell")
    count: str | None = Field(default=None, description="column with the number of contributors")
    value: str | None = Field(default=None, description="magnitude: the column with the cell's value")
    largest: list[str] = Field(
        default_factory=list, description="magnitude: columns with the largest contributions, largest first"
    )
    contributions: str | None = Field(
        default=None, description="magnitude: an output file with one row per contributor (never released)"
    )
    contribution_value: str | None = Field(
        default=None, description="the column of the contributions file with each contributor's value"
    )
    total_labels: list[str] = Field(default_factory=list, description="labels of totals besides the usual")

    @model_validator(mode="after")
    def _consistent(self) -> TableDeclaration:
        if self.layout is TableLayout.wide:
            if self.kind is TableKind.magnitude:
                raise ValueError("a wide (cross) table can only be a frequency table; write magnitudes long")
            if not self.dimensions:
                raise ValueError("a wide table names its row-label columns in 'dimensions'")
            return self
        if self.count is None:
            raise ValueError("a long table names its count column in 'count'")
        if self.kind is TableKind.magnitude:
            if self.value is None:
                raise ValueError("a magnitude table names its value column in 'value'")
            if self.contributions is None and len(self.largest) < 2:
                raise ValueError(
                    "a magnitude table needs its contributions: a 'contributions' file, or the two "
                    "largest contributions of each cell as 'largest' columns"
                )
            if self.contributions is not None and self.contribution_value is None:
                raise ValueError("name the contributions file's value column in 'contribution_value'")
        elif self.value is not None or self.largest or self.contributions is not None:
            raise ValueError("'value', 'largest' and 'contributions' belong to a magnitude table")
        return self


def _share(value: float) -> str:
    return f"{value * 100:.1f} %"


# --- declarations -------------------------------------------------------------------------------


class DeclarationError(ValueError):
    """The table does not match its declaration (or none could be inferred)."""


def _is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric()


def _is_integral(series: pl.Series) -> bool:
    if series.dtype.is_integer():
        return True
    if not series.dtype.is_float():
        return False
    values = series.drop_nulls()
    return values.len() > 0 and bool((values == values.round(0)).all())


def infer_declaration(frame: pl.DataFrame) -> TableDeclaration | None:
    """The declaration the header convention gives, or None when the table does not follow it.

    - a long frequency table: text columns (the dimensions) and one count column named ``n``,
      ``count``, ``freq``, ``frequency`` (or Russian/Kazakh ``количество``, ``число``, ``саны``);
    - a long magnitude table: the same, plus a value column ``<v>`` with ``<v>__top1`` and
      ``<v>__top2`` columns holding each cell's two largest contributions;
    - a wide frequency table (a cross table): text row-label columns first, then whole numbers only.
    """
    columns = frame.columns
    count = next((c for c in columns if c.strip().casefold() in COUNT_NAMES and _is_integral(frame[c])), None)
    if count is not None:
        tops: dict[str, dict[int, str]] = defaultdict(dict)
        for column in columns:
            match = TOP_SUFFIX.match(column)
            if match and match["measure"] in columns:
                tops[match["measure"]][int(match["rank"])] = column
        measured = {c for measure, ranks in tops.items() for c in (measure, *ranks.values())}
        dimensions = [
            c for c in columns if c != count and c not in measured and not _is_numeric(frame[c].dtype)
        ]
        if not dimensions:
            return None
        if len(tops) == 1:
            value, ranks = next(iter(tops.items()))
            if {1, 2} <= set(ranks):
                largest = [ranks[rank] for rank in sorted(ranks)]
                return TableDeclaration(
                    kind=TableKind.magnitude, dimensions=dimensions, count=count, value=value, largest=largest
                )
        if tops:
            return None
        return TableDeclaration(kind=TableKind.frequency, dimensions=dimensions, count=count)
    labels: list[str] = []
    for column in columns:
        if _is_numeric(frame[column].dtype):
            break
        labels.append(column)
    cells = columns[len(labels) :]
    if (
        labels
        and cells
        and all(_is_integral(frame[c]) or frame[c].null_count() == frame.height for c in cells)
    ):
        return TableDeclaration(layout=TableLayout.wide, dimensions=labels)
    return None


# --- cells --------------------------------------------------------------------------------------


@dataclass(eq=False)
class Cell:
    """One cell of a table: where it is in the file, which categories name it, what it is made of."""

    row: int
    column: str
    key: tuple[str, ...]
    count: float | None
    total: float | None = None
    largest: tuple[float, ...] = ()
    negative: bool = False
    totals_at: frozenset[int] = frozenset()  # positions of the key that hold a total label
    measures: tuple[str, ...] = ()  # columns hidden with the cell in the safe version


@dataclass
class TableCheck:
    """What the checks of one table found, and the safe version they propose."""

    findings: list[Finding]
    safe: pl.DataFrame | None
    cells: int = 0
    suppressed: int = 0
    secondary: int = 0
    primary_cells: set[tuple[int, str]] = field(default_factory=set)
    # the counts the safe version shows, by dimension names and cell key (for differencing between
    # the outputs of one job): {(dimension names, key): (row, column, count)}
    shown: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[int, str, float]] = field(default_factory=dict)


def _label(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _require(frame: pl.DataFrame, columns: Iterable[str | None], what: str) -> None:
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise DeclarationError(f"{what}: no column {', '.join(repr(c) for c in missing)} in the table")


def _contribution_stats(
    contributions: pl.DataFrame, declaration: TableDeclaration, masks: set[frozenset[int]], n: int
) -> dict[tuple[frozenset[int], tuple[str, ...]], tuple[int, float, tuple[float, ...], bool]]:
    """(count, total, largest n, any negative) per cell key, for every pattern of totals in the table."""
    value = declaration.contribution_value
    assert value is not None
    _require(contributions, [*declaration.dimensions, value], "the contributions file")
    frame = contributions.select(
        *(pl.col(d).cast(pl.String).fill_null("").alias(d) for d in declaration.dimensions),
        pl.col(value).cast(pl.Float64).alias("__v"),
    )
    stats: dict[tuple[frozenset[int], tuple[str, ...]], tuple[int, float, tuple[float, ...], bool]] = {}
    for mask in masks:
        by = [d for i, d in enumerate(declaration.dimensions) if i not in mask]
        aggregations = (
            pl.len().alias("__n"),
            pl.col("__v").sum().alias("__sum"),
            pl.col("__v").top_k(n).alias("__top"),
            (pl.col("__v") < 0).any().alias("__neg"),
        )
        # the grand total groups by a constant, so that top_k gives a list as in every other group
        grouped = frame.with_columns(pl.lit(0).alias("__all")).group_by(by or ["__all"]).agg(*aggregations)
        for record in grouped.iter_rows(named=True):
            key = tuple("" if i in mask else str(record[d]) for i, d in enumerate(declaration.dimensions))
            largest = tuple(sorted((float(v) for v in record["__top"]), reverse=True))
            stats[(mask, key)] = (int(record["__n"]), float(record["__sum"]), largest, bool(record["__neg"]))
    return stats


def table_cells(
    frame: pl.DataFrame,
    declaration: TableDeclaration,
    settings: DisclosureSettings,
    contributions: pl.DataFrame | None = None,
) -> list[Cell]:
    """The cells of ``frame`` as ``declaration`` describes them; DeclarationError when they disagree."""
    labels = settings.total_labels | {t.strip().casefold() for t in declaration.total_labels}
    settings = settings.model_copy(update={"total_labels": frozenset(labels)})
    _require(frame, declaration.dimensions, "a dimension")
    if declaration.layout is TableLayout.wide:
        cell_columns = [c for c in frame.columns if c not in declaration.dimensions]
        if not cell_columns:
            raise DeclarationError("a wide table needs at least one category column besides its row labels")
        cells = []
        for row, record in enumerate(frame.iter_rows(named=True)):
            row_key = tuple(_label(record[d]) for d in declaration.dimensions)
            for column in cell_columns:
                key = (*row_key, column)
                cells.append(
                    Cell(
                        row=row,
                        column=column,
                        key=key,
                        count=_number(record[column]),
                        totals_at=frozenset(i for i, k in enumerate(key) if settings.is_total(k)),
                        measures=(column,),
                    )
                )
        return cells
    _require(frame, [declaration.count, declaration.value, *declaration.largest], "a declared column")
    count_column = declaration.count
    assert count_column is not None
    bad_count = frame[count_column]
    if not (bad_count.dtype.is_numeric() or bad_count.null_count() == frame.height):
        raise DeclarationError(f"the count column {count_column!r} holds text, not numbers")
    declared = {*declaration.dimensions, count_column, *declaration.largest}
    if declaration.value is not None:
        declared.add(declaration.value)
    extra = [c for c in frame.columns if c not in declared]
    measures = tuple(c for c in (count_column, declaration.value, *extra) if c is not None)
    keys = [tuple(_label(v) for v in values) for values in frame.select(declaration.dimensions).iter_rows()]
    if len(set(keys)) != len(keys):
        duplicate = next(k for k in keys if keys.count(k) > 1)
        raise DeclarationError(f"two rows for the same cell {', '.join(duplicate)}")
    masks = {frozenset(i for i, k in enumerate(key) if settings.is_total(k)) for key in keys}
    stats = None
    if declaration.kind is TableKind.magnitude and declaration.contributions is not None:
        if contributions is None:
            raise DeclarationError(
                f"the contributions file {declaration.contributions!r} is not among the outputs"
            )
        stats = _contribution_stats(contributions, declaration, masks, max(settings.dominance_n, 2))
    cells = []
    value_column = declaration.value or count_column
    for row, (key, record) in enumerate(zip(keys, frame.iter_rows(named=True), strict=True)):
        totals_at = frozenset(i for i, k in enumerate(key) if settings.is_total(k))
        cell = Cell(
            row=row,
            column=value_column,
            key=key,
            count=_number(record[count_column]),
            totals_at=totals_at,
            measures=measures,
        )
        if declaration.kind is TableKind.magnitude:
            if stats is not None:
                lookup = tuple("" if i in totals_at else k for i, k in enumerate(key))
                n, total, largest, negative = stats.get((totals_at, lookup), (0, 0.0, (), False))
                cell.count, cell.total, cell.largest, cell.negative = float(n), total, largest, negative
            else:
                cell.total = _number(record[value_column])
                cell.largest = tuple(
                    v for v in (_number(record[c]) for c in declaration.largest) if v is not None
                )
                cell.negative = any(v < 0 for v in cell.largest) or (
                    cell.total is not None and cell.total < 0
                )
        cells.append(cell)
    return cells


# --- the rules ----------------------------------------------------------------------------------


def primary_findings(
    cells: Sequence[Cell], kind: TableKind, settings: DisclosureSettings, path: str
) -> list[Finding]:
    """Minimum count, dominance and p % findings for each cell, plus the flags for the reviewer."""
    found: list[Finding] = []
    for cell in cells:
        if cell.count is None:
            found.append(
                finding(FindingCode.missing_value, Severity.review, path, row=cell.row, column=cell.column)
            )
            continue
        if cell.count == 0 and kind is TableKind.frequency:
            if settings.zeros_are_disclosive:
                found.append(
                    finding(
                        FindingCode.threshold,
                        Severity.suppress,
                        path,
                        row=cell.row,
                        column=cell.column,
                        count=0,
                        min=settings.min_count,
                    )
                )
            else:
                found.append(
                    finding(FindingCode.zero, Severity.review, path, row=cell.row, column=cell.column)
                )
            continue
        if cell.count < settings.min_count:
            found.append(
                finding(
                    FindingCode.threshold,
                    Severity.suppress,
                    path,
                    row=cell.row,
                    column=cell.column,
                    count=_label(cell.count),
                    min=settings.min_count,
                )
            )
        if kind is not TableKind.magnitude or cell.count == 0:
            continue
        if cell.total is None:
            found.append(
                finding(FindingCode.missing_value, Severity.review, path, row=cell.row, column=cell.column)
            )
            continue
        if cell.negative:
            found.append(
                finding(FindingCode.negative, Severity.review, path, row=cell.row, column=cell.column)
            )
            continue
        if cell.total == 0:
            found.append(finding(FindingCode.zero, Severity.review, path, row=cell.row, column=cell.column))
            continue
        largest = sorted(cell.largest, reverse=True)
        top = sum(largest[: settings.dominance_n])
        if top / cell.total > settings.dominance_k:
            found.append(
                finding(
                    FindingCode.dominance,
                    Severity.suppress,
                    path,
                    row=cell.row,
                    column=cell.column,
                    n=settings.dominance_n,
                    share=_share(top / cell.total),
                    k=_share(settings.dominance_k),
                )
            )
        first = largest[0] if largest else 0.0
        second = largest[1] if len(largest) > 1 else 0.0
        rest = cell.total - first - second
        if first > 0 and rest < settings.p_percent * first:
            found.append(
                finding(
                    FindingCode.p_percent,
                    Severity.suppress,
                    path,
                    row=cell.row,
                    column=cell.column,
                    rest=_share(max(rest, 0.0) / first),
                    p=_share(settings.p_percent),
                )
            )
    return found


def _lines(cells: Sequence[Cell], dimensions: Sequence[str]) -> list[tuple[str, list[Cell], Cell]]:
    """Every line with a total: (the dimension it runs along, its cells, its total cell)."""
    lines = []
    for position in sorted({p for c in cells for p in c.totals_at}):
        groups: dict[tuple[str, ...], list[Cell]] = defaultdict(list)
        for cell in cells:
            groups[cell.key[:position] + cell.key[position + 1 :]].append(cell)
        for members in groups.values():
            total = next((c for c in members if position in c.totals_at), None)
            if total is not None and len(members) > 1:
                lines.append((dimensions[position], members, total))
    return lines


def secondary_findings(
    cells: Sequence[Cell], hidden: set[Cell], dimensions: Sequence[str], path: str
) -> list[Finding]:
    """Hide more cells until no line with a total has exactly one hidden cell (adds to ``hidden``).

    The classic heuristic for tables with margins: in each line that would give a hidden cell back
    (total minus the cells shown), hide the smallest other cell, preferring inner cells to totals,
    and repeat until stable. Tables without totals need none; totals published in another output
    are the reviewer's to see (the differencing flag).
    """
    found: list[Finding] = []
    lines = _lines(cells, dimensions)
    changed = True
    while changed:
        changed = False
        for dimension, members, total in lines:
            if sum(1 for c in members if c in hidden) != 1:
                continue
            shown = [c for c in members if c not in hidden]
            if not shown:
                continue
            pick = min(
                shown,
                key=lambda c: (c is total, c.count if c.count is not None else math.inf, c.row, c.column),
            )
            hidden.add(pick)
            found.append(
                finding(
                    FindingCode.secondary,
                    Severity.secondary,
                    path,
                    row=pick.row,
                    column=pick.column,
                    dimension=dimension,
                )
            )
            changed = True
    return found


def difference_findings(
    cells: Sequence[Cell], dimensions: Sequence[str], settings: DisclosureSettings, path: str
) -> list[Finding]:
    """Totals that exceed the sum of their line's cells by fewer than ``min_count`` contributors."""
    found = []
    seen: set[tuple[int, str, int]] = set()
    for _dimension, members, total in _lines(cells, dimensions):
        inner = [c for c in members if c is not total]
        if total.count is None or any(c.count is None for c in inner):
            continue
        difference = total.count - sum(c.count or 0 for c in inner)
        if 0 < difference < settings.min_count and (total.row, total.column, int(difference)) not in seen:
            seen.add((total.row, total.column, int(difference)))
            found.append(
                finding(
                    FindingCode.small_difference,
                    Severity.review,
                    path,
                    row=total.row,
                    column=total.column,
                    difference=_label(difference),
                    min=settings.min_count,
                )
            )
    return found


def _safe_frame(
    frame: pl.DataFrame, declaration: TableDeclaration, hidden: set[Cell], settings: DisclosureSettings
) -> pl.DataFrame:
    by_column: dict[str, set[int]] = defaultdict(set)
    for cell in hidden:
        for column in cell.measures:
            by_column[column].add(cell.row)
    index = pl.int_range(pl.len())
    safe = frame.with_columns(
        pl.when(index.is_in(sorted(rows))).then(None).otherwise(pl.col(column)).alias(column)
        for column, rows in by_column.items()
    )
    if settings.round_to is not None:
        if declaration.layout is TableLayout.wide:
            counts = [c for c in frame.columns if c not in declaration.dimensions]
        else:
            counts = [declaration.count] if declaration.count else []
        base = settings.round_to
        safe = safe.with_columns(((pl.col(c) / base).round(0) * base).cast(frame[c].dtype) for c in counts)
    return safe.drop(declaration.largest)


def cross_differences(
    tables: dict[str, TableCheck], settings: DisclosureSettings
) -> dict[str, list[Finding]]:
    """Cells of two tables of the same job with the same dimensions whose shown counts differ by
    fewer than ``min_count``: together they disclose a small group (e.g. "all" and "all but one
    category"). Flags for the reviewer on both cells."""
    found: dict[str, list[Finding]] = {name: [] for name in tables}
    names = sorted(tables)
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            theirs = tables[second].shown
            for place, (row, column, count) in tables[first].shown.items():
                other = theirs.get(place)
                if other is None:
                    continue
                difference = abs(count - other[2])
                if 0 < difference < settings.min_count:
                    for name, at, peer in ((first, (row, column), second), (second, other[:2], first)):
                        found[name].append(
                            finding(
                                FindingCode.cross_difference,
                                Severity.review,
                                name,
                                row=int(at[0]),
                                column=str(at[1]),
                                other=peer,
                                difference=_label(difference),
                                min=settings.min_count,
                            )
                        )
    return found


def check_table(
    frame: pl.DataFrame,
    declaration: TableDeclaration,
    settings: DisclosureSettings,
    path: str,
    contributions: pl.DataFrame | None = None,
) -> TableCheck:
    """Run every rule over one declared table. A table that does not match its declaration gives one
    blocking ``declaration_invalid`` finding and no safe version (nothing is guessed)."""
    size = frame.height * max(frame.width, 1)
    if size > settings.max_cells:
        return TableCheck(
            [finding(FindingCode.too_large, Severity.review, path, cells=size, max=settings.max_cells)],
            None,
        )
    try:
        cells = table_cells(frame, declaration, settings, contributions)
    except DeclarationError as error:
        return TableCheck(
            [finding(FindingCode.declaration_invalid, Severity.blocking, path, reason=str(error))], None
        )
    dimensions = (
        [*declaration.dimensions, "column"]
        if declaration.layout is TableLayout.wide
        else declaration.dimensions
    )
    found = primary_findings(cells, declaration.kind, settings, path)
    by_place = {(c.row, c.column): c for c in cells}
    primary = {
        by_place[(f.row, f.column or "")]
        for f in found
        if f.severity is Severity.suppress and f.row is not None
    }
    hidden = set(primary)
    found += secondary_findings(cells, hidden, dimensions, path)
    found += difference_findings(cells, dimensions, settings, path)
    if declaration.layout is TableLayout.long:
        declared = {*declaration.dimensions, declaration.count, declaration.value, *declaration.largest}
        for column in frame.columns:
            if column not in declared:
                found.append(finding(FindingCode.unchecked_measure, Severity.review, path, column=column))
        for column in declaration.largest:
            found.append(finding(FindingCode.contributions_in_table, Severity.blocking, path, column=column))
    return TableCheck(
        findings=found,
        safe=_safe_frame(frame, declaration, hidden, settings),
        cells=len(cells),
        suppressed=len(primary),
        secondary=len(hidden) - len(primary),
        primary_cells={(c.row, c.column) for c in primary},
        shown={
            (tuple(dimensions), c.key): (c.row, c.column, c.count)
            for c in cells
            if c not in hidden and c.count is not None
        },
    )
