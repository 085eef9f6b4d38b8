"""Workbooks (XLSX, and XLS/ODS/XLSB which calamine also reads): one table per non-empty sheet."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum

from qazai.core.errors import InvalidInput, PayloadTooLarge
from qazai.libraries.ingest.grid import MergedRange, find_table
from qazai.libraries.ingest.models import ReadLimits, ReadStats, SourceFormat, SourceTable
from qazai.libraries.ingest.names import clean_column_names, safe_table_name
from qazai.libraries.ingest.zip_guard import ZipReport, check_workbook_zip


def cell_text(value: object) -> str:
    """A cell as the text a person sees: 14901641.0 -> "14901641", a midnight datetime -> a date."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def read_workbook(
    path: Path,
    *,
    label: str,
    source_format: SourceFormat,
    limits: ReadLimits,
    sheet: str | None = None,
    header_row: int | None = None,
) -> list[SourceTable]:
    """Every non-empty worksheet as a table (or only ``sheet``). Raises InvalidInput / PayloadTooLarge."""
    report = _guard(path, label, source_format, limits)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except PasswordError as error:
        raise InvalidInput(f"{label}: the workbook is password-protected; remove the password") from error
    except Exception as error:
        # calamine raises several unrelated types (XmlError, ZipError, CalamineError, ValueError).
        raise InvalidInput(f"{label}: cannot read the workbook: {error}") from error
    try:
        worksheets = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        if sheet is not None and sheet not in worksheets:
            raise InvalidInput(f"{label}: no sheet {sheet!r}; the sheets are {', '.join(worksheets)}")
        tables = [
            table
            for name in ([sheet] if sheet is not None else worksheets)
            if (
                table := _read_sheet(
                    workbook,
                    name,
                    label=label,
                    limits=limits,
                    report=report,
                    source_format=source_format,
                    header_row=header_row,
                )
            )
        ]
    finally:
        workbook.close()
    if not tables:
        raise InvalidInput(f"{label}: the workbook has no sheet with data")
    return tables


def _guard(path: Path, label: str, source_format: SourceFormat, limits: ReadLimits) -> ZipReport | None:
    if source_format in (SourceFormat.xlsx, SourceFormat.ods):
        return check_workbook_zip(path, label, limits)
    if path.stat().st_size > limits.max_uncompressed_bytes:
        raise PayloadTooLarge(f"{label}: the workbook is larger than {limits.max_uncompressed_bytes} bytes")
    return None


def _read_sheet(
    workbook: CalamineWorkbook,
    name: str,
    *,
    label: str,
    limits: ReadLimits,
    report: ZipReport | None,
    source_format: SourceFormat,
    header_row: int | None,
) -> SourceTable | None:
    where = f"{label}, sheet {name!r}"
    try:
        sheet = workbook.get_sheet_by_name(name)
        if sheet.width > limits.max_columns:
            raise PayloadTooLarge(
                f"{where}: {sheet.width} columns, more than the limit of {limits.max_columns} "
                "(setting max_columns)"
            )
        if sheet.width * sheet.height > limits.max_cells:
            raise PayloadTooLarge(
                f"{where}: {sheet.width * sheet.height} cells, more than {limits.max_cells}"
            )
        rows = sheet.to_python(skip_empty_area=False)
        merged: list[MergedRange] = list(sheet.merged_cell_ranges or [])
    except (InvalidInput, PayloadTooLarge):
        raise
    except Exception as error:
        raise InvalidInput(f"{where}: cannot read the sheet: {error}") from error
    grid = [[cell_text(value) for value in row] for row in rows]
    layout = find_table(grid, merged, header_row=header_row)
    if not layout.header or (not any(cell.strip() for cell in layout.header) and not layout.data):
        return None
    if len(layout.header) > limits.max_columns:
        raise PayloadTooLarge(
            f"{where}: {len(layout.header)} columns, more than the limit of {limits.max_columns}"
        )
    notes = list(layout.notes)
    formulas = _formula_count(report, name)
    if formulas:
        notes.append(
            f"{formulas} cell(s) hold formulas; their values as last saved by Excel were used "
            "(a formula never recalculated reads as empty)"
        )
    columns = clean_column_names(layout.header)
    data = layout.data
    stats = ReadStats()

    def open_batches() -> Iterator[pa.RecordBatch]:
        return _batches(columns, data, limits.batch_rows, stats)

    return SourceTable(
        name=safe_table_name(name, fallback="sheet"),
        columns=columns,
        source_columns=tuple(layout.header),
        format=source_format,
        header_row=layout.header_row,
        header_rows=layout.header_rows,
        encoding=None,
        delimiter=None,
        notes=tuple(notes),
        stats=stats,
        _open=open_batches,
    )


def _formula_count(report: ZipReport | None, sheet: str) -> int:
    if report is None:
        return 0
    entry = report.sheet_entries.get(sheet)
    return report.formulas_by_entry.get(entry, 0) if entry else 0


def _batches(
    columns: tuple[str, ...], data: list[list[str]], batch_rows: int, stats: ReadStats
) -> Iterator[pa.RecordBatch]:
    schema = pa.schema([(name, pa.string()) for name in columns])
    stats.rows = 0
    for start in range(0, max(len(data), 1), batch_rows):
        chunk = data[start : start + batch_rows]
        arrays = [pa.array([row[i] for row in chunk], type=pa.string()) for i in range(len(columns))]
        stats.rows += len(chunk)
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)
