"""JSON (an array of objects or of rows, or an object wrapping one) and NDJSON (streamed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from qazai.core.errors import InvalidInput, PayloadTooLarge
from qazai.core.textfiles import bom_encoding
from qazai.libraries.ingest.models import ReadLimits, ReadStats, SourceFormat, SourceTable
from qazai.libraries.ingest.names import clean_column_names, safe_table_name


def value_text(value: Any) -> str | None:
    """A JSON value as raw text for inference: nested values stay JSON, null stays null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _records_to_batch(
    keys: list[str], columns: tuple[str, ...], records: list[dict[str, Any]]
) -> pa.RecordBatch:
    arrays = [pa.array([value_text(r.get(k)) for r in records], type=pa.string()) for k in keys]
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema([(c, pa.string()) for c in columns]))


def _table(
    label: str,
    *,
    source_format: SourceFormat,
    keys: list[str],
    limits: ReadLimits,
    stats: ReadStats,
    opener: Any,
    notes: tuple[str, ...] = (),
) -> SourceTable:
    if len(keys) > limits.max_columns:
        raise PayloadTooLarge(
            f"{label}: {len(keys)} keys, more than the limit of {limits.max_columns} columns"
        )
    return SourceTable(
        name=safe_table_name(Path(label).stem),
        columns=clean_column_names(keys),
        source_columns=tuple(keys),
        format=source_format,
        header_row=None,
        header_rows=0,
        encoding="utf-8",
        delimiter=None,
        notes=notes,
        stats=stats,
        _open=opener,
    )


def read_json(path: Path, *, label: str, limits: ReadLimits) -> SourceTable:
    """A JSON document holding one table. Parsed whole, so its size is limited (use NDJSON for more)."""
    size = path.stat().st_size
    if size > limits.max_json_bytes:
        raise PayloadTooLarge(
            f"{label}: a JSON document of {size} bytes is over the limit of {limits.max_json_bytes}; "
            "send large data as NDJSON (one object per line), which is streamed"
        )
    raw = path.read_bytes()
    try:
        document = json.loads(raw.decode(bom_encoding(raw) or "utf-8"))
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{label}: JSON must be UTF-8 (bad byte at offset {error.start})") from error
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"{label}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg} (truncated?)"
        ) from error
    notes: tuple[str, ...] = ()
    if isinstance(document, dict):
        lists = [key for key, value in document.items() if isinstance(value, list)]
        if len(lists) != 1:
            raise InvalidInput(f"{label}: a JSON object must hold exactly one array of records")
        notes = (f"records read from the key {lists[0]!r}",)
        document = document[lists[0]]
    if not isinstance(document, list):
        raise InvalidInput(f"{label}: JSON must be an array of objects")
    if document and all(isinstance(item, list) for item in document):
        header = [str(value) for value in document[0]]
        document = [dict(zip(header, row, strict=False)) for row in document[1:]]
    bad = next((i for i, item in enumerate(document) if not isinstance(item, dict)), None)
    if bad is not None:
        raise InvalidInput(f"{label}: item {bad + 1} of the JSON array is not an object")
    records: list[dict[str, Any]] = document
    keys = list(dict.fromkeys(key for record in records for key in record))
    stats = ReadStats()
    columns = clean_column_names(keys)

    def open_batches() -> Iterator[pa.RecordBatch]:
        stats.rows = 0
        for start in range(0, max(len(records), 1), limits.batch_rows):
            chunk = records[start : start + limits.batch_rows]
            stats.rows += len(chunk)
            yield _records_to_batch(keys, columns, chunk)

    return _table(
        label,
        source_format=SourceFormat.json,
        keys=keys,
        limits=limits,
        stats=stats,
        opener=open_batches,
        notes=notes,
    )


def _ndjson_records(path: Path, label: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if number == 1:
                text = text.removeprefix(b"\xef\xbb\xbf")
            if not text:
                continue
            try:
                record = json.loads(text)
            except UnicodeDecodeError as error:
                raise InvalidInput(f"{label}: line {number} is not UTF-8") from error
            except json.JSONDecodeError as error:
                raise InvalidInput(
                    f"{label}: line {number} is not valid JSON ({error.msg}); truncated or damaged?"
                ) from error
            if not isinstance(record, dict):
                raise InvalidInput(f"{label}: line {number} is not a JSON object")
            yield number, record


def read_ndjson(path: Path, *, label: str, limits: ReadLimits) -> SourceTable:
    """Newline-delimited JSON, streamed. The columns are the keys seen in the first
    ``sample_rows`` records; a key first seen later is an error, never silently dropped."""
    keys: dict[str, None] = {}
    for index, (_, record) in enumerate(_ndjson_records(path, label)):
        if index >= limits.sample_rows:
            break
        keys.update(dict.fromkeys(record))
        if len(keys) > limits.max_columns:
            break
    if not keys:
        raise InvalidInput(f"{label}: no records")
    ordered = list(keys)
    known = set(ordered)
    stats = ReadStats()
    columns = clean_column_names(ordered)

    def open_batches() -> Iterator[pa.RecordBatch]:
        stats.rows = 0
        chunk: list[dict[str, Any]] = []
        for number, record in _ndjson_records(path, label):
            unknown = next((key for key in record if key not in known), None)
            if unknown is not None:
                raise InvalidInput(
                    f"{label}: line {number} has the key {unknown!r}, not seen in the first "
                    f"{limits.sample_rows} records (setting sample_rows)"
                )
            chunk.append(record)
            if len(chunk) >= limits.batch_rows:
                stats.rows += len(chunk)
                yield _records_to_batch(ordered, columns, chunk)
                chunk = []
        stats.rows += len(chunk)
        yield _records_to_batch(ordered, columns, chunk)

    return _table(
        label,
        source_format=SourceFormat.ndjson,
        keys=ordered,
        limits=limits,
        stats=stats,
        opener=open_batches,
    )
