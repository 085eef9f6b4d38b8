"""The one entry point: open any supported file and get its tables."""

from __future__ import annotations

import os
from pathlib import Path

from qazai.core.errors import InvalidInput
from qazai.libraries.ingest.csv_reader import read_csv
from qazai.libraries.ingest.json_reader import read_json, read_ndjson
from qazai.libraries.ingest.models import ReadLimits, SourceFormat, SourceTable
from qazai.libraries.ingest.parquet_reader import read_parquet
from qazai.libraries.ingest.sniff import detect_format
from qazai.libraries.ingest.xlsx_reader import read_workbook

DEFAULT_LIMITS = ReadLimits()


def open_source(
    path: str | os.PathLike[str],
    *,
    display_name: str | None = None,
    declared_encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> list[SourceTable]:
    """The tables in the file at ``path``, recognised by content, not by name.

    ``display_name`` is the name the producer uploaded (the stored file may be named by hash);
    errors and table names use it. ``declared_encoding`` is checked against the bytes; ``sheet``
    picks one sheet of a workbook; ``header_row`` (0-based) forces the header position.
    Nothing is read beyond a sample until a table's ``batches()`` is iterated.
    Raises InvalidInput (bad or unsupported content) or PayloadTooLarge (a limit exceeded).
    """
    file = Path(path)
    label = Path(display_name).name if display_name else file.name
    if not file.is_file():
        raise InvalidInput(f"{label}: no such file")
    source_format = detect_format(file, label)
    if sheet is not None and source_format not in (SourceFormat.xlsx, SourceFormat.xls, SourceFormat.ods):
        raise InvalidInput(f"{label}: a sheet was named, but this is a {source_format.value} file")
    if source_format in (SourceFormat.xlsx, SourceFormat.xls, SourceFormat.ods):
        return read_workbook(
            file, label=label, source_format=source_format, limits=limits, sheet=sheet, header_row=header_row
        )
    if source_format is SourceFormat.parquet:
        return [read_parquet(file, label=label, limits=limits)]
    if source_format is SourceFormat.json:
        return [read_json(file, label=label, limits=limits)]
    if source_format is SourceFormat.ndjson:
        return [read_ndjson(file, label=label, limits=limits)]
    return [
        read_csv(
            file,
            label=label,
            limits=limits,
            declared_encoding=declared_encoding,
            delimiter=delimiter,
            header_row=header_row,
        )
    ]
