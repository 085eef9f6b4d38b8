"""CSV and TSV: encoding and delimiter sniffing, title rows, and streaming through pyarrow.

The file is never read whole: pyarrow parses it block by block, from the file itself when it
is UTF-8 (the fast path) or from a stream that transcodes a legacy encoding on the fly. The
first rows come from a reader of small blocks, so a sample is ready before the first big block
is parsed; the full reader then parses from the start and drops the rows already given. Two
things pyarrow accepts silently are checked by counting bytes as the data goes by: NUL bytes,
and a file that ends inside a quoted field (escaped quotes come in pairs, so a well-formed file
has an even number of them).
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from qazai.core.errors import InvalidInput, PayloadTooLarge
from qazai.core.textfiles import detect_delimiter, detect_encoding
from qazai.libraries.ingest.models import RaggedRows, ReadLimits, ReadStats, SourceFormat, SourceTable
from qazai.libraries.ingest.names import clean_column_names, safe_table_name

_PASS_THROUGH = {"utf-8", "utf-8-sig"}
_CHUNK = 1 << 20
_HEAD_BLOCK = 1 << 20  # block size of the reader of a file's first rows (see _first_rows)


class _PacedStream(io.RawIOBase):
    """A read-only byte stream that keeps pyarrow's streaming CSV reader from reading far ahead.

    The reader fetches blocks on Arrow's I/O thread up to 32 ahead of the batches taken, whatever
    its consumer does: for a 557 MB file, ~0.5 GB of raw blocks at 16 MB, and the memory churn
    cost more CPU than the parsing (standalone: peak 505-509 MB and 2.4-2.8 s of CPU; paced 309
    MB and 1.8 s, pyarrow 26). A read here waits while ``ahead`` bytes more than the blocks of
    the batches taken (``took_batch``) have been read. A wait ends after 0.25 s regardless: a
    reader that needs more than that (a block of skipped rows gives no batch) slows, never hangs.

    A read never ends on a carriage return: it is kept for the next read. pyarrow turns a CRLF
    inside a quoted value into a lone CR when a block ends between the two bytes (pyarrow 26: a
    note's "...; CR LF см. письмо..." came out "...; CR см. письмо..."), with 1 MB blocks
    and 16 MB blocks alike.
    """

    def __init__(self, block: int, ahead_blocks: int = 3) -> None:
        super().__init__()
        self._block = block
        self._room = threading.Condition()
        self._allowed = block * ahead_blocks
        self._given = 0
        self._carried = b""
        self._reading = 0  # reads in progress on Arrow's I/O thread (see close)
        self.quotes = 0  # quote characters read so far: a file ending inside a quote is odd

    def readable(self) -> bool:
        return True

    def took_batch(self) -> None:
        with self._room:
            self._allowed += self._block
            self._room.notify_all()

    def _pace(self) -> bool:
        """Wait for room; False once the stream is closed (the read then answers end of file)."""
        with self._room:
            if self.closed:
                return False
            while self._given >= self._allowed and not self.closed:
                if not self._room.wait(timeout=0.25):
                    break
            self._reading += 1
            return not self.closed

    def _done(self) -> None:
        with self._room:
            self._reading -= 1
            self._room.notify_all()

    def _wanted(self, size: int | None) -> int:
        """How many bytes to read for a read of ``size``, the kept carriage return counted."""
        return -1 if size is None or size < 0 else size - len(self._carried)

    def _handed(self, data: bytes) -> bytes:
        """``data`` with the carriage return kept from the last read in front and a final one
        kept back (see the class)."""
        if self._carried:
            data, self._carried = self._carried + data, b""
        if len(data) > 1 and data.endswith(b"\r"):
            data, self._carried = data[:-1], data[-1:]
        self._given += len(data)
        return data

    def close(self) -> None:
        """Close, after the reads in progress on Arrow's I/O thread have returned (at most 1 s):
        a reader dropped early still has reads in flight, and a read that runs Python code while
        the interpreter shuts down makes pyarrow abort the process. Later reads answer end of
        file at once, so the reader stops asking."""
        with self._room:
            super().close()
            self._room.notify_all()
            self._room.wait_for(lambda: self._reading <= 0, timeout=1.0)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _FileStream(_PacedStream):
    """A UTF-8 file as it is. Its quotes are counted and its first NUL byte noted as the bytes
    go by, so the file is not read a second time for the checks (``_stream``)."""

    def __init__(self, path: Path, block: int) -> None:
        super().__init__(block)
        self._raw = path.open("rb", buffering=0)
        self._offset = 0
        self.nul_at: int | None = None

    def close(self) -> None:
        super().close()
        self._raw.close()

    def read(self, size: int | None = -1) -> bytes:
        if not self._pace():
            return b""
        try:
            wanted = self._wanted(size)
            data = self._raw.read(wanted) or b"" if wanted else b""
            if self.nul_at is None and b"\x00" in data:
                self.nul_at = self._offset + data.index(b"\x00")
            self.quotes += data.count(b'"')
            self._offset += len(data)
            return self._handed(data)
        finally:
            self._done()


class _TranscodingStream(_PacedStream):
    """A read-only byte stream of a legacy-encoded file as UTF-8, checked as it goes."""

    def __init__(self, path: Path, encoding: str, label: str, block: int, *, utf8_prefix: int = 0) -> None:
        super().__init__(block)
        self._raw = path.open("rb")
        self._label = label
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        self._encoding = encoding
        # the first `utf8_prefix` bytes (whole lines up to a UTF-8 header) pass through as they are
        self._pending = self._raw.read(utf8_prefix)
        self._offset = len(self._pending)
        self._eof = False
        self.quotes = 0

    def close(self) -> None:
        super().close()
        self._raw.close()

    def _next_chunk(self, size: int) -> bytes:
        raw = self._raw.read(size)
        start = self._offset
        self._offset += len(raw)
        try:
            text = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as error:
            raise InvalidInput(
                f"{self._label}: the file is not valid {self._encoding} "
                f"(undecodable byte at offset {start + error.start})"
            ) from error
        if "\x00" in text:
            raise InvalidInput(f"{self._label}: NUL character in the text; this is not a text CSV file")
        self._eof = not raw
        return text.encode("utf-8")

    def read(self, size: int | None = -1) -> bytes:
        if not self._pace():
            return b""
        try:
            size = self._wanted(size)
            if size < 0:
                size = 1 << 62
            while len(self._pending) < size and not self._eof:
                self._pending += self._next_chunk(max(_CHUNK, min(size, 1 << 26)))
            data, self._pending = self._pending[:size], self._pending[size:]
            self.quotes += data.count(b'"')
            return self._handed(data)
        finally:
            self._done()


def _sample_rows(text: str, delimiter: str, complete: bool) -> list[tuple[list[str], int]]:
    """Rows of the sample with the physical line count after each (pyarrow skips by lines)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[list[str], int]] = []
    try:
        for row in reader:
            rows.append((row, reader.line_num))
            if len(rows) >= 1000:
                return rows
    except csv.Error:
        pass
    # The sample ends mid-file, so its last row may be cut short.
    return rows if complete else rows[:-1]


def _find_header(rows: list[tuple[list[str], int]]) -> int:
    """The first row with two or more non-empty fields: rows above it are titles and units.

    Deliberately not "the first row as wide as the data": a header shorter than its rows is a
    ragged file to report, not a title to skip.
    """
    widest = max((sum(1 for cell in row if cell.strip()) for row, _ in rows[:50]), default=0)
    needed = 2 if widest >= 2 else 1
    for index, (row, _) in enumerate(rows[:50]):
        if sum(1 for cell in row if cell.strip()) >= needed:
            return index
    return 0


def _utf8_header(
    head: bytes, encoding: str, delimiter: str, index: int, skip_lines: int
) -> tuple[list[str] | None, int]:
    """The header row read as UTF-8 when the rows are in a legacy code page but the lines up to
    the header are valid UTF-8 with letters beyond ASCII (a UTF-8 header pasted above cp1251 data):
    read as the rows' code page they would come out garbled (`Р¤РРћ` for `ФИО`). Returns it
    with the length in bytes of those lines, or (None, 0)."""
    if codecs.lookup(encoding).name in _PASS_THROUGH or encoding.startswith("utf-16"):
        return None, 0
    top = b"".join(head.splitlines(keepends=True)[:skip_lines])
    if top.isascii():
        return None, 0
    try:
        text = top.decode("utf-8")
    except UnicodeDecodeError:
        return None, 0
    rows = _sample_rows(text.lstrip("\ufeff"), delimiter, complete=True)
    return (rows[index][0], len(top)) if index < len(rows) else (None, 0)


def read_csv(
    path: Path,
    *,
    label: str,
    limits: ReadLimits,
    declared_encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
) -> SourceTable:
    """One table from a delimited text file. Raises InvalidInput / PayloadTooLarge naming the problem."""
    with path.open("rb") as handle:
        head = handle.read(limits.sniff_bytes)
        complete = not handle.read(1)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InvalidInput(f"{label}: the file is empty")
    encoding = detect_encoding(head, declared_encoding, label)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(head, final=complete).lstrip("\ufeff")
    if "\x00" in text:
        raise InvalidInput(f"{label}: NUL character in the text; this is not a text CSV file")
    if not complete and "\n" not in text:
        raise PayloadTooLarge(
            f"{label}: the first line is longer than {limits.sniff_bytes} bytes; "
            "too many columns, or not a CSV file"
        )
    chosen = delimiter or detect_delimiter(text)
    rows = _sample_rows(text, chosen, complete)
    if not rows:
        raise InvalidInput(f"{label}: no rows could be read")
    index = _find_header(rows) if header_row is None else header_row
    if index >= len(rows):
        raise InvalidInput(f"{label}: header row {index + 1} is past the end of the sample")
    header, skip_lines = rows[index]
    utf8_header, utf8_prefix = _utf8_header(head, encoding, chosen, index, skip_lines)
    if utf8_header is not None:
        header = utf8_header
    if len(header) > limits.max_columns:
        raise PayloadTooLarge(
            f"{label}: {len(header)} columns, more than the limit of {limits.max_columns} "
            "(setting max_columns)"
        )
    columns = clean_column_names(header)
    stats = ReadStats()
    notes = [f"skipped {index} title row(s) above the header"] if index else []
    if utf8_header is not None:
        notes.append(
            f"the header is in UTF-8 but the rows are in {encoding}: the header was read as UTF-8 "
            "and the rows as " + encoding + "; save the whole file in one encoding to be sure"
        )

    def open_batches() -> Iterator[pa.RecordBatch]:
        return _stream(
            path,
            label=label,
            encoding=encoding,
            delimiter=chosen,
            columns=columns,
            skip_lines=skip_lines,
            limits=limits,
            stats=stats,
            utf8_prefix=utf8_prefix,
        )

    return SourceTable(
        name=safe_table_name(Path(label).stem),
        columns=columns,
        source_columns=tuple(header),
        format=SourceFormat.csv,
        header_row=index,
        header_rows=1,
        encoding=encoding,
        delimiter=chosen,
        notes=tuple(notes),
        stats=stats,
        _open=open_batches,
    )


def _reader(
    stream: _PacedStream,
    *,
    delimiter: str,
    columns: tuple[str, ...],
    skip_lines: int,
    block_size: int,
    on_invalid_row: Callable[[Any], str],
) -> pa_csv.CSVStreamingReader:
    return pa_csv.open_csv(
        stream,
        # use_threads=False: the streaming reader parses on one thread either way; with threads
        # it also reads blocks ahead on Arrow's I/O pool, which made the first batch of a 111 MB
        # file take 0.47 s instead of 0.12 s and the whole read 0.68 s instead of 0.29 (pyarrow
        # 26, 16 MB blocks). The pipeline's own read-ahead thread overlaps reading with work.
        read_options=pa_csv.ReadOptions(
            column_names=list(columns), skip_rows=skip_lines, block_size=block_size, use_threads=False
        ),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid_row
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(columns, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _first_rows(
    open_stream: Callable[[int], _PacedStream],
    open_reader: Callable[..., pa_csv.CSVStreamingReader],
    limits: ReadLimits,
) -> Iterator[pa.RecordBatch]:
    """The first ``limits.sample_rows`` rows or more, from a reader of small blocks, so a caller
    has its sample after parsing ~1 MB instead of a whole ``csv_block_bytes`` block (0.12 s for
    16 MB). It stops quietly on any error, and after ``csv_block_bytes / 2``: the full reader
    that follows parses the file from its start with the same options, drops the rows given
    here and counts or reports every skipped and bad row itself."""
    decision = "skip" if limits.ragged_rows is RaggedRows.skip else "error"
    stream = open_stream(_HEAD_BLOCK)
    reader: pa_csv.CSVStreamingReader | None = None
    try:
        reader = open_reader(stream, block_size=_HEAD_BLOCK, on_invalid_row=lambda _row: decision)
        rows = 0
        for _ in range(max(1, limits.csv_block_bytes // (2 * _HEAD_BLOCK))):
            batch = reader.read_next_batch()
            stream.took_batch()
            rows += batch.num_rows
            yield batch
            if rows >= limits.sample_rows:
                return
    except (StopIteration, pa.ArrowInvalid, InvalidInput):
        return
    finally:
        stream.close()
        reader = None  # see _stream


def _stream(
    path: Path,
    *,
    label: str,
    encoding: str,
    delimiter: str,
    columns: tuple[str, ...],
    skip_lines: int,
    limits: ReadLimits,
    stats: ReadStats,
    utf8_prefix: int = 0,
) -> Iterator[pa.RecordBatch]:
    stats.rows = stats.skipped_rows = 0
    stats.skipped_examples.clear()
    ragged: list[str] = []

    def on_invalid_row(row: Any) -> str:
        described = (
            f"a row has {row.actual_columns} fields where the header has {row.expected_columns}: "
            f"{str(row.text)[:80]!r}"
        )
        if limits.ragged_rows is RaggedRows.skip:
            stats.skipped_rows += 1
            if len(stats.skipped_examples) < 5:
                stats.skipped_examples.append(described)
            return "skip"
        ragged.append(described)
        return "error"

    native = encoding in _PASS_THROUGH

    def open_stream(block: int) -> _PacedStream:
        if native:
            return _FileStream(path, block)
        return _TranscodingStream(path, encoding, label, block, utf8_prefix=utf8_prefix)

    open_reader = functools.partial(_reader, delimiter=delimiter, columns=columns, skip_lines=skip_lines)
    given = 0
    if limits.sample_rows > 0 and limits.csv_block_bytes > _HEAD_BLOCK:
        for batch in _first_rows(open_stream, open_reader, limits):
            given += batch.num_rows
            stats.rows += batch.num_rows
            yield batch
    stream = open_stream(limits.csv_block_bytes)
    reader: pa_csv.CSVStreamingReader | None = None
    try:
        reader = open_reader(stream, block_size=limits.csv_block_bytes, on_invalid_row=on_invalid_row)
        for parsed in reader:
            stream.took_batch()
            batch = parsed
            if given:  # rows _first_rows gave already
                if parsed.num_rows <= given:
                    given -= parsed.num_rows
                    continue
                batch, given = parsed.slice(given), 0
            stats.rows += batch.num_rows
            yield batch
    except pa.ArrowInvalid as error:
        if ragged:
            raise InvalidInput(
                f"{label}: {ragged[0]} (rows must all have the same number of fields)"
            ) from error
        message = str(error)
        if "straddling" in message or "block" in message:
            raise PayloadTooLarge(
                f"{label}: a row is longer than {limits.csv_block_bytes} bytes "
                "(often an unclosed quote); setting csv_block_bytes"
            ) from error
        if "UTF8" in message or "utf8" in message.lower():
            raise InvalidInput(f"{label}: invalid UTF-8 text after the sampled start of the file") from error
        raise InvalidInput(f"{label}: cannot parse as CSV: {message}") from error
    finally:
        stream.close()
        # The reader goes now, not when a traceback that holds this frame is collected: its
        # I/O thread calls the stream's Python code, which must not happen once the
        # interpreter is shutting down (pyarrow then aborts the process).
        reader = None
    if isinstance(stream, _FileStream) and stream.nul_at is not None:
        raise InvalidInput(f"{label}: NUL byte at offset {stream.nul_at}; this is not a text CSV file")
    quotes = stream.quotes
    if quotes % 2:
        raise InvalidInput(
            f"{label}: the file ends inside a quoted field (an unclosed quote); it is truncated or damaged"
        )
