"""Finding the table in a sheet: title rows, placeholder headers, two-row headers, footnotes.

Works on a grid of cell texts ("" for an empty cell). Agencies' sheets put a title and units
above the header, sometimes a generated ``Column1, Column2...`` row, a year row over a
"total / urban / rural" row, and footnotes below the data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from qazai.libraries.ingest.sections import fold_group_rows, tidy_labels

_PLACEHOLDER = re.compile(r"^(column|столбец|колонка|бағана|unnamed:?|field|f)\s*_?\d+$", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?[\d\s\u00a0.,]+$")
MergedRange = tuple[tuple[int, int], tuple[int, int]]


@dataclass
class TableLayout:
    header: list[str]
    header_row: int
    header_rows: int
    data: list[list[str]]
    notes: list[str] = field(default_factory=list)


def _filled(row: list[str]) -> int:
    return sum(1 for cell in row if cell.strip())


def _is_placeholder_row(row: list[str]) -> bool:
    cells = [cell.strip() for cell in row if cell.strip()]
    return len(cells) >= 2 and all(_PLACEHOLDER.match(cell) for cell in cells)


def _fill_merged(grid: list[list[str]], merged: list[MergedRange], rows: range) -> None:
    """Copy a merged range's value into all its cells, within the header rows only."""
    for (top, left), (bottom, right) in merged:
        # A range starting in the header, or one merged down into it from above (A4:A6 over a
        # header in row 6 names that column).
        if top >= len(grid) or not (top in rows or top < rows.start <= bottom):
            continue
        value = grid[top][left] if left < len(grid[top]) else ""
        for r in range(max(top, rows.start), min(bottom, rows.stop - 1) + 1):
            for c in range(left, min(right, len(grid[r]) - 1) + 1):
                if not grid[r][c].strip():
                    grid[r][c] = value


def _find_header(grid: list[list[str]]) -> int:
    """The first row, below any titles, filled at least half as wide as the widest row.

    A sparse row counts too when the row under it completes it as a two-row header (years
    over "total / urban / rural").
    """
    widest = max((_filled(row) for row in grid), default=0)
    needed = max(2, math.ceil(widest * 0.5)) if widest > 1 else 1
    for index, row in enumerate(grid[:100]):
        if _is_placeholder_row(row):
            continue
        if _filled(row) >= needed:
            return index
        if _filled(row) >= 2 and index + 1 < len(grid) and _is_sub_header(row, grid[index + 1]):
            combined = sum(1 for a, b in zip(row, grid[index + 1], strict=True) if a.strip() or b.strip())
            if combined >= needed:
                return index
    return 0


def _is_sub_header(top: list[str], below: list[str]) -> bool:
    """Whether ``below`` continues a header that ``top`` started (a year row over total/urban/rural).

    It does when ``below`` is all text (no numbers) in at least two cells, and ``top`` leaves
    gaps after its first label that ``below`` fills.
    """
    cells = [cell.strip() for cell in below if cell.strip()]
    if len(cells) < 2 or any(_NUMBER.match(cell) for cell in cells):
        return False
    first = next((i for i, cell in enumerate(top) if cell.strip()), len(top))
    return any(not top[i].strip() and below[i].strip() for i in range(first + 1, len(top)))


def _merge_header(top: list[str], below: list[str]) -> list[str]:
    names: list[str] = []
    carried = ""
    for upper, lower in zip(top, below, strict=True):
        if upper.strip():
            carried = upper.strip()
        label = upper.strip() or (carried if lower.strip() else "")
        # A label merged down over both rows (A3:A4) appears in both; name it once.
        parts = (label, lower.strip()) if lower.strip() != label else (label,)
        names.append(" ".join(part for part in parts if part))
    return names


def _drop_empty_columns(header: list[str], data: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    keep = [i for i in range(len(header)) if header[i].strip() or any(row[i].strip() for row in data)]
    if len(keep) == len(header):
        return header, data
    return [header[i] for i in keep], [[row[i] for i in keep] for row in data]


def find_table(
    grid: list[list[str]], merged: list[MergedRange], *, header_row: int | None = None
) -> TableLayout:
    """Locate header and data in a sheet's grid; ``header_row`` (0-based) forces the header position."""
    width = max((len(row) for row in grid), default=0)
    grid = [row + [""] * (width - len(row)) for row in grid]
    notes: list[str] = []
    index = _find_header(grid) if header_row is None else header_row
    if index >= len(grid):
        return TableLayout(header=[], header_row=index, header_rows=1, data=[], notes=notes)
    if index and header_row is None:
        notes.append(f"skipped {index} row(s) above the header (titles, units or placeholders)")
        titles = [
            " ".join(cell.strip() for cell in row if cell.strip())
            for row in grid[:index]
            if _filled(row) and not _is_placeholder_row(row)
        ]
        if titles:
            notes.append("above the header: " + "; ".join(repr(t[:120]) for t in titles))
    # Decide on a second header row before filling merged cells: the gaps a merged year cell
    # leaves above "total / urban / rural" are the evidence.
    rows_in_header = 2 if index + 1 < len(grid) and _is_sub_header(grid[index], grid[index + 1]) else 1
    _fill_merged(grid, merged, range(index, index + rows_in_header))
    header = grid[index]
    if rows_in_header == 2:
        header = _merge_header(header, grid[index + 1])
        notes.append("merged a two-row header")
    data = [row for row in grid[index + rows_in_header :] if _filled(row)]
    footnotes: list[str] = []
    while len(data) > 1 and width >= 3 and _filled(data[-1]) == 1 and data[-1][0].strip():
        footnotes.insert(0, data[-1][0].strip())
        notes.append(f"dropped a footnote row at the end: {data[-1][0].strip()[:200]!r}")
        data.pop()
    header, data = _drop_empty_columns(header, data)
    header, data = fold_group_rows(header, data, notes)
    header = tidy_labels(header, data, footnotes, notes)
    return TableLayout(header=header, header_row=index, header_rows=rows_in_header, data=data, notes=notes)
