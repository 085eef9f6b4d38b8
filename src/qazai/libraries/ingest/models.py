"""The typed values that cross the boundary between the readers, inference and the pipeline."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import pyarrow as pa


class SourceFormat(enum.StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    xls = "xls"
    ods = "ods"
    json = "json"
    ndjson = "ndjson"
    parquet = "parquet"


class ColumnType(enum.StrEnum):
    """The types a published column can have; each maps to one Arrow type (see ``arrow_type``)."""

    string = "string"
    integer = "integer"
    float = "float"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self]


_ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.string: pa.string(),
    ColumnType.integer: pa.int64(),
    ColumnType.float: pa.float64(),
    ColumnType.boolean: pa.bool_(),
    ColumnType.date: pa.date32(),
    ColumnType.datetime: pa.timestamp("us"),
}


class RaggedRows(enum.StrEnum):
    """What a CSV reader does with a row whose field count differs from the header's."""

    error = "error"
    skip = "skip"


@dataclass(frozen=True)
class ReadLimits:
    """Settings that bound what a reader accepts; exceeding one raises ``PayloadTooLarge``."""

    max_columns: int = 10_000
    # An XLSX is a zip: these bound what opening it may cost before any cell is parsed.
    max_uncompressed_bytes: int = 1 << 30
    max_compression_ratio: float = 500.0
    max_zip_entries: int = 10_000
    max_cells: int = 50_000_000
    # A JSON array is parsed whole; bigger documents must come as NDJSON, which streams.
    max_json_bytes: int = 256 << 20
    # pyarrow needs a whole CSV row inside one block, so this is also the longest row accepted.
    csv_block_bytes: int = 16 << 20
    sniff_bytes: int = 1 << 20
    sample_rows: int = 10_000
    batch_rows: int = 65_536
    ragged_rows: RaggedRows = RaggedRows.error


@dataclass
class ReadStats:
    """Counters a reader fills while its batches are iterated (skipped rows are never silent)."""

    rows: int = 0
    skipped_rows: int = 0
    skipped_examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourceTable:
    """One table found in a source file: a CSV, a JSON document or one sheet of a workbook.

    ``batches()`` opens the source afresh on every call, so a caller can read a sample for
    inference and then stream the whole table. Columns are raw strings except for Parquet,
    whose typed columns pass through.
    """

    name: str
    columns: tuple[str, ...]
    source_columns: tuple[str, ...]
    format: SourceFormat
    header_row: int | None
    header_rows: int
    encoding: str | None
    delimiter: str | None
    notes: tuple[str, ...]
    stats: ReadStats
    _open: Callable[[], Iterator[pa.RecordBatch]] = field(repr=False, compare=False)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Stream the table as record batches whose column names are ``columns``."""
        return self._open()

    def head(self, rows: int) -> pa.Table:
        """The first ``rows`` rows (fewer if the table is shorter), reading only as far as needed."""
        taken: list[pa.RecordBatch] = []
        remaining = rows
        iterator = self.batches()
        try:
            for batch in iterator:
                if remaining <= 0:
                    break
                taken.append(batch.slice(0, remaining))
                remaining -= min(remaining, batch.num_rows)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        schema = taken[0].schema if taken else pa.schema([(c, pa.string()) for c in self.columns])
        table: pa.Table = pa.Table.from_batches(taken, schema=schema)
        return table


@dataclass(frozen=True)
class ColumnSchema:
    """How one source column becomes one published column."""

    source: str
    name: str
    type: ColumnType


@dataclass(frozen=True)
class TableSchema:
    columns: tuple[ColumnSchema, ...]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type.arrow_type) for c in self.columns])

    def column(self, name: str) -> ColumnSchema:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


@dataclass(frozen=True)
class ColumnOverride:
    """A producer's correction of one inferred column: a new name, a new type, or both."""

    name: str | None = None
    type: ColumnType | str | None = None


@dataclass(frozen=True)
class ConvertedBatch:
    """A typed batch and, per output column, the cells that did not parse and became null."""

    batch: pa.RecordBatch
    failed_cells: Mapping[str, int]
    failed_examples: Mapping[str, tuple[str, ...]]


@dataclass
class ConversionReport:
    """Totals over all batches of a table, for the version's report."""

    rows: int = 0
    failed_cells: dict[str, int] = field(default_factory=dict)
    failed_examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, converted: ConvertedBatch, *, max_examples: int = 5) -> None:
        self.rows += converted.batch.num_rows
        for name, count in converted.failed_cells.items():
            self.failed_cells[name] = self.failed_cells.get(name, 0) + count
            examples = self.failed_examples.setdefault(name, [])
            for value in converted.failed_examples.get(name, ()):
                if len(examples) < max_examples and value not in examples:
                    examples.append(value)

    @property
    def total_failed(self) -> int:
        return sum(self.failed_cells.values())
