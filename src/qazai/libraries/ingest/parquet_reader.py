"""Parquet: typed columns pass through; only names are cleaned."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from qazai.core.errors import InvalidInput, PayloadTooLarge
from qazai.libraries.ingest.infer import type_of_arrow
from qazai.libraries.ingest.models import ReadLimits, ReadStats, SourceFormat, SourceTable
from qazai.libraries.ingest.names import clean_column_names, safe_table_name


def read_parquet(path: Path, *, label: str, limits: ReadLimits) -> SourceTable:
    """One table; raises InvalidInput for a damaged file or a nested column type."""
    try:
        schema = pq.ParquetFile(path).schema_arrow
    except (pa.ArrowException, OSError) as error:
        raise InvalidInput(f"{label}: a damaged or truncated Parquet file ({error})") from error
    if len(schema) > limits.max_columns:
        raise PayloadTooLarge(f"{label}: {len(schema)} columns, more than the limit of {limits.max_columns}")
    for field in schema:
        type_of_arrow(field.type, field.name)
    columns = clean_column_names(schema.names)
    stats = ReadStats()

    def open_batches() -> Iterator[pa.RecordBatch]:
        stats.rows = 0
        try:
            parquet = pq.ParquetFile(path)
            for batch in parquet.iter_batches(batch_size=limits.batch_rows):
                stats.rows += batch.num_rows
                yield pa.RecordBatch.from_arrays(batch.columns, names=list(columns))
        except (pa.ArrowException, OSError) as error:
            raise InvalidInput(f"{label}: cannot read the Parquet data ({error})") from error

    return SourceTable(
        name=safe_table_name(Path(label).stem),
        columns=columns,
        source_columns=tuple(schema.names),
        format=SourceFormat.parquet,
        header_row=None,
        header_rows=0,
        encoding=None,
        delimiter=None,
        notes=(),
        stats=stats,
        _open=open_batches,
    )
