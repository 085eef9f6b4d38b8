"""Type inference from a sample of raw text, and the producer's overrides of names and types."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping

import polars as pl
import pyarrow as pa

from qazai.core.errors import InvalidInput
from qazai.libraries.ingest.models import ColumnOverride, ColumnSchema, ColumnType, TableSchema
from qazai.libraries.ingest.parse import (
    LEADING_ZERO,
    null_mask,
    parse_boolean,
    parse_date,
    parse_datetime,
    parse_float,
    parse_integer,
    parse_string,
    trimmed,
)

Parser = Callable[[pl.Series], tuple[pl.Series, pl.Series]]
_HEAD = 256

PARSERS: dict[ColumnType, Parser] = {
    ColumnType.string: parse_string,
    ColumnType.integer: parse_integer,
    ColumnType.float: parse_float,
    ColumnType.boolean: parse_boolean,
    ColumnType.date: parse_date,
    ColumnType.datetime: parse_datetime,
}

# Casts a typed (Parquet) column may take; anything may become text.
_TYPED_CASTS: dict[ColumnType, frozenset[ColumnType]] = {
    ColumnType.integer: frozenset({ColumnType.integer, ColumnType.float}),
    ColumnType.float: frozenset({ColumnType.float, ColumnType.integer}),
    ColumnType.boolean: frozenset({ColumnType.boolean, ColumnType.integer}),
    ColumnType.date: frozenset({ColumnType.date, ColumnType.datetime}),
    ColumnType.datetime: frozenset({ColumnType.datetime, ColumnType.date}),
    ColumnType.string: frozenset(ColumnType),
}


def is_text(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type)) or str(data_type) in {
        "string_view",
        "utf8_view",
    }


def type_of_arrow(data_type: pa.DataType, column: str) -> ColumnType | None:
    """The column type of a typed Arrow column; None for text, which is inferred from its values."""
    types = pa.types
    if is_text(data_type) or types.is_null(data_type):
        return None
    if types.is_integer(data_type):
        return ColumnType.integer
    if types.is_floating(data_type) or types.is_decimal(data_type):
        return ColumnType.float
    if types.is_boolean(data_type):
        return ColumnType.boolean
    if types.is_date(data_type):
        return ColumnType.date
    if types.is_timestamp(data_type):
        return ColumnType.datetime
    if types.is_time(data_type) or types.is_duration(data_type) or types.is_dictionary(data_type):
        return ColumnType.string
    raise InvalidInput(
        f"column {column!r} has the type {data_type}, which cannot be published as a table column; "
        "flatten nested values or convert binary data to text first"
    )


def infer_column_type(values: pl.Series) -> ColumnType:
    """The narrowest type that reads every non-null sample value; string when in doubt.

    Order: boolean, integer, float, date, datetime, string. A column with only empty cells and
    null markers is string, as is a number column where any value has a leading zero.
    """
    present = ~null_mask(values)
    if not present.any():
        return ColumnType.string
    sample = values.filter(present)
    head = sample.head(_HEAD)

    def reads(parser: Parser) -> bool:
        # a failure among the first values settles it without parsing the whole sample
        return not parser(head)[1].any() and (sample.len() <= _HEAD or not parser(sample)[1].any())

    if reads(parse_boolean):
        return ColumnType.boolean
    if not trimmed(sample).str.contains(LEADING_ZERO).any():
        if reads(parse_integer):
            return ColumnType.integer
        if reads(parse_float):
            return ColumnType.float
    if reads(parse_date):
        return ColumnType.date
    if reads(parse_datetime):
        return ColumnType.datetime
    return ColumnType.string


def infer_schema(sample: pa.Table | pa.RecordBatch) -> TableSchema:
    """A schema for the sample's columns: text columns inferred, typed columns kept."""
    columns: list[ColumnSchema] = []
    for field in sample.schema:
        typed = type_of_arrow(field.type, field.name)
        if typed is None:
            series = text_series(field.name, sample.column(field.name))
            typed = infer_column_type(series)
        columns.append(ColumnSchema(source=field.name, name=field.name, type=typed))
    return TableSchema(columns=tuple(columns))


def text_series(name: str, data: pa.Array | pa.ChunkedArray) -> pl.Series:
    """A Polars string Series over an Arrow text column (large, small or view)."""
    series = pl.from_arrow(data)
    if not isinstance(series, pl.Series):  # pragma: no cover - from_arrow of an array is a Series
        raise TypeError("expected a Series")
    return series.cast(pl.String).alias(name)


def _column_type(value: ColumnType | str, column: str) -> ColumnType:
    try:
        return ColumnType(value)
    except ValueError:
        allowed = ", ".join(t.value for t in ColumnType)
        raise InvalidInput(f"column {column!r}: unknown type {value!r}; use one of {allowed}") from None


def apply_overrides(
    schema: TableSchema,
    overrides: Mapping[str, ColumnOverride],
    sample: pa.Table | pa.RecordBatch,
) -> TableSchema:
    """The schema with the producer's renames and retypes applied, checked against the sample.

    Keys are the columns' current names. Raises InvalidInput for an unknown column, an unknown
    type, an empty or clashing new name, or a type that no sample value can be read as.
    """
    by_name = {column.name: column for column in schema.columns}
    for key in overrides:
        if key not in by_name:
            close = difflib.get_close_matches(key, list(by_name), n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise InvalidInput(f"override for unknown column {key!r}{hint}")
    result: list[ColumnSchema] = []
    for column in schema.columns:
        override = overrides.get(column.name)
        if override is None:
            result.append(column)
            continue
        name = column.name if override.name is None else override.name.strip()
        if not name:
            raise InvalidInput(f"column {column.name!r}: the new name is empty")
        new_type = column.type if override.type is None else _column_type(override.type, column.name)
        _check_type(column, new_type, sample)
        result.append(ColumnSchema(source=column.source, name=name, type=new_type))
    seen: dict[str, str] = {}
    for column in result:
        other = seen.get(column.name.casefold())
        if other is not None:
            raise InvalidInput(
                f"two columns would be named {column.name!r} (from {other!r} and {column.source!r})"
            )
        seen[column.name.casefold()] = column.source
    return TableSchema(columns=tuple(result))


def _check_type(column: ColumnSchema, new_type: ColumnType, sample: pa.Table | pa.RecordBatch) -> None:
    data = sample.column(column.source)
    source_type = type_of_arrow(data.type, column.source)
    if source_type is not None:
        if new_type is not ColumnType.string and new_type not in _TYPED_CASTS[source_type]:
            raise InvalidInput(
                f"column {column.name!r} holds {source_type.value} values and cannot become {new_type.value}"
            )
        return
    series = text_series(column.source, data)
    present = ~null_mask(series)
    if not present.any():
        return
    _, failed = PARSERS[new_type](series.filter(present))
    if failed.all():
        examples = ", ".join(repr(v) for v in series.filter(present).head(3).to_list())
        raise InvalidInput(
            f"column {column.name!r} cannot be read as {new_type.value}: none of the "
            f"{int(present.sum())} sample values parse (for example {examples})"
        )
