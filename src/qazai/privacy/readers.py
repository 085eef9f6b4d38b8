"""Reading the files a user asks to scan or de-identify: CSV in any common encoding, XLSX,
JSON/NDJSON, Parquet and plain text. Bad input gives InvalidInput, never a traceback or a hang.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from qazai.core import textfiles
from qazai.core.errors import InvalidInput

# PyArrow (and the numpy it loads, ~0.25 s of CPU in a fresh process) is imported by the streaming
# readers of `qazai deidentify` only: `qazai scan` reads with Polars alone.
if TYPE_CHECKING:
    import pyarrow as pa

TABLE_FORMATS = ("csv", "xlsx", "json", "ndjson", "parquet")
#: A scan reads at most this many bytes of a delimited file (the report says how many rows).
MAX_SCAN_BYTES = 256 * 1024 * 1024
#: Plain-text lines longer than this are scanned in segments (offsets stay relative to the line).
SEGMENT_CHARS = 1 << 20
_HEAD = 64 * 1024
# C0 control bytes that text (any 8-bit encoding or UTF-8) does not contain; a few NULs are tolerated
_CONTROL_BYTES = [*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)]


def detect_format(path: Path) -> str:
    """The format from the suffix, falling back to sniffing the first bytes."""
    if not path.exists() or not path.is_file():
        raise InvalidInput(f"no such file: {path}")
    suffix = path.suffix.lower().lstrip(".")
    mapping = {"csv": "csv", "tsv": "csv", "xlsx": "xlsx", "json": "json", "ndjson": "ndjson",
               "jsonl": "ndjson", "parquet": "parquet", "pq": "parquet", "txt": "text", "log": "text",
               "md": "text"}  # fmt: skip
    head = read_head(path)
    if suffix in mapping:
        fmt = mapping[suffix]
    elif head.startswith(b"PAR1"):
        fmt = "parquet"
    elif head.startswith(b"PK\x03\x04"):
        fmt = "xlsx"
    else:
        fmt = "text"
    if fmt in ("csv", "json", "ndjson", "text"):
        check_not_binary(head, path)
    return fmt


def read_head(path: Path) -> bytes:
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    if not head.strip():
        raise InvalidInput(f"{path} is empty")
    return head


def check_not_binary(head: bytes, path: Path) -> None:
    utf16 = textfiles.bom_encoding(head) or textfiles.looks_like_utf16_without_bom(head)
    if utf16 and utf16.startswith("utf-16"):  # UTF-16 text has many NULs: judge its characters
        text = head[: len(head) // 2 * 2].decode(utf16, errors="replace")
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r") + text.count("\ufffd")
        if controls > max(8, len(text) // 50):
            raise InvalidInput(f"{path} looks like a binary file, not text")
        return
    controls = sum(head.count(bytes([c])) for c in _CONTROL_BYTES)
    if controls > max(16, len(head) // 50) or head.startswith(
        (b"\x7fELF", b"%PDF", b"\x89PNG", b"PK\x03\x04")
    ):
        raise InvalidInput(f"{path} looks like a binary file, not text")


def detect_encoding(head: bytes) -> str:
    """The encoding the publish pipeline's readers would find (``qazai.core.textfiles``): a BOM,
    UTF-16 without one, UTF-8, else the likeliest legacy Cyrillic code page (cp1251, kz1048...).
    UTF-16/32 with a BOM are named so that Python's codec reads and drops the BOM."""
    encoding = textfiles.detect_encoding(head, None, "the file")
    if textfiles.bom_encoding(head) and encoding.startswith(("utf-16", "utf-32")):
        return encoding[:6]
    return encoding


def _decoded(path: Path, limit: int) -> tuple[str, bool]:
    with path.open("rb") as fh:
        raw = fh.read(limit + 1)
    truncated = len(raw) > limit
    raw = raw[:limit]
    text = raw.decode(detect_encoding(raw[:_HEAD]), errors="replace")
    if truncated:  # drop the partial last line
        text = text[: text.rfind("\n") + 1] if "\n" in text else text
    return text.replace("\x00", " "), truncated


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the sample's rows most consistently (as the publish readers do)."""
    return textfiles.detect_delimiter(sample[:_HEAD])


def _all_strings(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.rename({c: (c.strip() or f"column_{i}") for i, c in enumerate(frame.columns)})
    return frame.with_columns(pl.all().cast(pl.String, strict=False))


def _cell_text(value: object) -> str:
    """A cell as its text; whole numbers without ``.0`` (an IIN typed as a number is still an IIN)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, n_rows: int | None) -> pl.DataFrame:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    except CalamineError as exc:
        raise InvalidInput(f"cannot read {path} as XLSX: {exc}") from exc
    # the header is the first row with at least half of the widest row's cells filled
    width = max((len(r) for r in rows), default=0)
    start = next((i for i, r in enumerate(rows) if sum(1 for v in r if v not in ("", None)) * 2 >= width), 0)
    if not rows:
        raise InvalidInput(f"{path}: the first sheet is empty")
    header = [str(v).strip() or f"column_{i}" for i, v in enumerate(rows[start])]
    body = rows[start + 1 :][: n_rows if n_rows is not None else None]
    data = {
        h: [None if i >= len(r) or r[i] in ("", None) else _cell_text(r[i]) for r in body]
        for i, h in enumerate(header)
    }
    return pl.DataFrame(data, schema=dict.fromkeys(header, pl.String))


def _read_errors() -> tuple[type[Exception], ...]:
    """What a reader raises on a bad file; PyArrow's errors only when PyArrow is loaded (nothing
    raises one otherwise)."""
    errors: tuple[type[Exception], ...] = (
        pl.exceptions.PolarsError,
        json.JSONDecodeError,
        OSError,
        ValueError,
    )
    pyarrow = sys.modules.get("pyarrow")
    return (*errors, pyarrow.ArrowException) if pyarrow is not None else errors


def read_table(path: Path, fmt: str, *, n_rows: int | None = None) -> pl.DataFrame:
    """The table (all columns as strings), at most ``n_rows`` data rows."""
    try:
        if fmt == "csv":
            text, _ = _decoded(path, MAX_SCAN_BYTES)
            frame = pl.read_csv(
                io.StringIO(text).read().encode("utf-8"),
                separator=sniff_delimiter(text),
                infer_schema=False,
                truncate_ragged_lines=True,
                n_rows=n_rows,
                quote_char='"',
            )
        elif fmt == "parquet":
            frame = pl.read_parquet(path, n_rows=n_rows)
        elif fmt == "xlsx":
            frame = _read_xlsx(path, n_rows)
        elif fmt == "ndjson":
            frame = pl.read_ndjson(path, n_rows=n_rows, infer_schema_length=None)
        elif fmt == "json":
            text, _ = _decoded(path, MAX_SCAN_BYTES)
            data = json.loads(text)
            if isinstance(data, dict):
                data = next((v for v in data.values() if isinstance(v, list)), [data])
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise InvalidInput(f"{path}: JSON must be a list of objects")
            frame = pl.from_dicts(
                [
                    {
                        k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)
                        for k, v in r.items()
                    }
                    for r in data
                ],
                infer_schema_length=None,
            )
        else:
            raise InvalidInput(f"{path}: not a table format")
    except InvalidInput:
        raise
    except _read_errors() as exc:
        raise InvalidInput(f"cannot read {path} as {fmt}: {str(exc).splitlines()[0][:200]}") from exc
    if n_rows is not None:
        frame = frame.head(n_rows)
    return _all_strings(frame)


def iter_text_segments(path: Path, *, max_lines: int | None = None) -> Iterator[tuple[int, int, str]]:
    """``(line_number, offset_in_line, segment)`` over a text file of any size, decoding
    incrementally; lines longer than ``SEGMENT_CHARS`` come in several segments."""
    with path.open("rb") as fh:
        encoding = detect_encoding(fh.read(_HEAD))
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    line, offset, pending = 0, 0, ""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(SEGMENT_CHARS)
            pending += decoder.decode(chunk, final=not chunk)
            parts = pending.split("\n")
            pending = parts.pop()
            for part in parts:
                yield line, offset, part.replace("\x00", " ").rstrip("\r")
                line, offset = line + 1, 0
                if max_lines is not None and line >= max_lines:
                    return
            while len(pending) > SEGMENT_CHARS:
                cut = pending.rfind(" ", 0, SEGMENT_CHARS)
                cut = cut if cut > SEGMENT_CHARS // 2 else SEGMENT_CHARS
                yield line, offset, pending[:cut].replace("\x00", " ")
                offset += cut
                pending = pending[cut:]
            if not chunk:
                break
    if pending:
        yield line, offset, pending.replace("\x00", " ").rstrip("\r")


def open_csv_batches(
    path: Path, columns: list[str] | None, block_size: int = 16 << 20
) -> Iterator[pa.RecordBatch]:
    """Stream a CSV as record batches of strings, reading only ``columns`` when given."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    head = read_head(path)
    encoding = detect_encoding(head)
    delimiter = sniff_delimiter(head.decode(encoding, errors="replace"))
    with path.open("rb") as fh:
        first = fh.readline().decode(encoding, errors="replace").lstrip("\ufeff")
    names = next(csv.reader([first], delimiter=delimiter))
    names = [n.strip() or f"column_{i}" for i, n in enumerate(names)]
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                block_size=block_size,
                encoding="utf8" if encoding.startswith("utf-8") else encoding,
                skip_rows=1,
                column_names=names,
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=lambda _row: "skip"),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=columns,
                strings_can_be_null=True,
            ),
        )
        yield from reader
    except pa.ArrowException as exc:
        raise InvalidInput(f"cannot read {path} as CSV: {str(exc).splitlines()[0][:200]}") from exc


def open_parquet_batches(path: Path, columns: list[str] | None) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        yield from pq.ParquetFile(path).iter_batches(batch_size=200_000, columns=columns)
    except pa.ArrowException as exc:
        raise InvalidInput(f"cannot read {path} as Parquet: {exc}") from exc
