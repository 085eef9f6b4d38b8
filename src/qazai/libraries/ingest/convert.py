"""Raw batches to typed batches, column by column with vectorised Polars expressions."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from qazai.core.errors import InvalidInput
from qazai.libraries.ingest.infer import PARSERS, is_text, text_series
from qazai.libraries.ingest.models import ColumnSchema, ColumnType, ConvertedBatch, TableSchema

_MAX_EXAMPLES = 5
_POLARS_TYPES: dict[ColumnType, pl.DataType] = {
    ColumnType.string: pl.String(),
    ColumnType.integer: pl.Int64(),
    ColumnType.float: pl.Float64(),
    ColumnType.boolean: pl.Boolean(),
    ColumnType.date: pl.Date(),
    ColumnType.datetime: pl.Datetime("us"),
}


def _convert_text(
    column: ColumnSchema, data: pa.Array | pa.ChunkedArray
) -> tuple[pa.Array, int, tuple[str, ...]]:
    series = text_series(column.source, data)
    values, failed = PARSERS[column.type](series)
    count = int(failed.sum())
    examples: tuple[str, ...] = ()
    if count:
        examples = tuple(
            str(v) for v in series.filter(failed).unique(maintain_order=True).head(_MAX_EXAMPLES)
        )
    array = values.to_arrow()
    return _to_type(array, column.type.arrow_type), count, examples


def _to_type(array: pa.Array | pa.ChunkedArray, target: pa.DataType) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type == target:
        return array
    converted: pa.Array = pc.cast(array, target)
    return converted


def _convert_typed(
    column: ColumnSchema, data: pa.Array | pa.ChunkedArray
) -> tuple[pa.Array, int, tuple[str, ...]]:
    """A typed (Parquet) column cast to its target; values that cannot be cast are counted."""
    target = column.type.arrow_type
    if column.type is ColumnType.string:
        return _convert_text(column, pc.cast(data, pa.string()))
    series = pl.from_arrow(data)
    if not isinstance(series, pl.Series):  # pragma: no cover
        raise TypeError("expected a Series")
    cast = series.cast(_POLARS_TYPES[column.type], strict=False)
    if column.type is ColumnType.integer and series.dtype.is_float():
        # A float becomes an integer only when it is whole; 2.5 is a failure, not 2.
        cast = pl.select(pl.when(series == series.round(0)).then(cast).otherwise(None)).to_series()
    failed = cast.is_null() & series.is_not_null()
    count = int(failed.sum())
    examples = tuple(str(v) for v in series.filter(failed).head(_MAX_EXAMPLES).to_list()) if count else ()
    return _to_type(cast.to_arrow(), target), count, examples


def convert_batch(batch: pa.RecordBatch, schema: TableSchema) -> ConvertedBatch:
    """The batch typed by ``schema``: one column per schema column, named and typed as it says.

    Cells that cannot be read as their column's type become null and are counted (with a few
    examples) in ``failed_cells``. Raises InvalidInput if a source column is missing.
    """
    arrays: list[pa.Array] = []
    failed: dict[str, int] = {}
    examples: dict[str, tuple[str, ...]] = {}
    names = set(batch.schema.names)
    for column in schema.columns:
        if column.source not in names:
            raise InvalidInput(f"the data has no column {column.source!r}")
        data = batch.column(column.source)
        if is_text(data.type):
            array, count, sample = _convert_text(column, data)
        else:
            array, count, sample = _convert_typed(column, data)
        arrays.append(array)
        if count:
            failed[column.name] = count
            examples[column.name] = sample
    typed = pa.RecordBatch.from_arrays(arrays, schema=schema.arrow_schema)
    return ConvertedBatch(batch=typed, failed_cells=failed, failed_examples=examples)
