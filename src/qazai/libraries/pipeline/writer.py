"""Parquet parts: zstd, row groups of ~128k rows, a new part every ``part_rows`` rows.

Dictionary encoding only for columns with few distinct values (decided on the first row group).

Parts are written to local temporary files first; nothing reaches the object store until the
version has passed its assessment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 128 * 1024
PART_ROWS = 64 * ROW_GROUP_ROWS  # ~8.4 M rows
PART_BYTES = 512 * 1024 * 1024
DICTIONARY_SHARE = 10


def dictionary_columns(group: pa.Table) -> list[str]:
    """Columns worth dictionary encoding: at most one distinct value in ``DICTIONARY_SHARE``
    rows of the first row group. Trying a dictionary on mostly distinct columns (ids, amounts)
    costs encoding time and is then abandoned by the writer anyway."""
    return [
        name
        for name in group.column_names
        if pc.count_distinct(group.column(name), mode="all").as_py() * DICTIONARY_SHARE <= group.num_rows
    ]


@dataclass(frozen=True)
class WrittenPart:
    path: Path
    rows: int
    row_groups: int


class PartWriter:
    """Buffers batches into row groups and rolls over to a new file when a part is full."""

    def __init__(
        self,
        directory: Path,
        stem: str,
        schema: pa.Schema,
        *,
        row_group_rows: int = ROW_GROUP_ROWS,
        part_rows: int = PART_ROWS,
        part_bytes: int = PART_BYTES,
    ) -> None:
        self.directory = directory
        self.stem = stem
        self.schema = schema
        self.row_group_rows = row_group_rows
        self.part_rows = part_rows
        self.part_bytes = part_bytes
        self.parts: list[WrittenPart] = []
        self._buffer: list[pa.RecordBatch] = []
        self._buffered = 0
        self._writer: pq.ParquetWriter | None = None
        self._path: Path | None = None
        self._rows = 0
        self._groups = 0
        self._dictionary: list[str] | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        self._buffer.append(batch)
        self._buffered += batch.num_rows
        while self._buffered >= self.row_group_rows:
            self._flush(self.row_group_rows)

    def _flush(self, rows: int) -> None:
        table = pa.Table.from_batches(self._buffer, schema=self.schema)
        group, rest = table.slice(0, rows), table.slice(rows)
        self._buffer = rest.to_batches()
        self._buffered = rest.num_rows
        if self._writer is None:
            if self._dictionary is None:
                self._dictionary = dictionary_columns(group)
            self._path = self.directory / f"{self.stem}-{len(self.parts):05d}.parquet"
            self._writer = pq.ParquetWriter(
                self._path,
                self.schema,
                compression="zstd",
                compression_level=3,
                use_dictionary=self._dictionary,
                write_statistics=True,
                store_schema=True,
            )
        self._writer.write_table(group, row_group_size=rows)
        self._rows += group.num_rows
        self._groups += 1
        assert self._path is not None
        if self._rows >= self.part_rows or os.path.getsize(self._path) >= self.part_bytes:
            self._close_part()

    def _close_part(self) -> None:
        if self._writer is None or self._path is None:
            return
        self._writer.close()
        self.parts.append(WrittenPart(self._path, self._rows, self._groups))
        self._writer = None
        self._path = None
        self._rows = 0
        self._groups = 0

    def close(self) -> list[WrittenPart]:
        """Flush what is buffered and close; a table with no rows still gets one (empty) part."""
        if self._buffered:
            self._flush(self._buffered)
        if self._writer is None and not self.parts:
            path = self.directory / f"{self.stem}-{0:05d}.parquet"
            pq.write_table(pa.Table.from_batches([], schema=self.schema), path, compression="zstd")
            self.parts.append(WrittenPart(path, 0, 0))
        self._close_part()
        return self.parts
