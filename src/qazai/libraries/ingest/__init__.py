"""Readers and type inference for the publish pipeline.

Typical use by the pipeline::

    for table in open_source(path, display_name="report.xlsx"):
        sample = table.head(limits.sample_rows)
        schema = apply_overrides(infer_schema(sample), overrides, sample)
        report = ConversionReport()
        for batch in table.batches():
            converted = convert_batch(batch, schema)
            report.add(converted)
            write(converted.batch)

Only ``qazai.core`` is imported from the rest of the platform. See docs/ingest.md.
"""

from qazai.libraries.ingest.convert import convert_batch
from qazai.libraries.ingest.infer import apply_overrides, infer_column_type, infer_schema
from qazai.libraries.ingest.models import (
    ColumnOverride,
    ColumnSchema,
    ColumnType,
    ConversionReport,
    ConvertedBatch,
    RaggedRows,
    ReadLimits,
    ReadStats,
    SourceFormat,
    SourceTable,
    TableSchema,
)
from qazai.libraries.ingest.source import DEFAULT_LIMITS, open_source

__all__ = [
    "DEFAULT_LIMITS",
    "ColumnOverride",
    "ColumnSchema",
    "ColumnType",
    "ConversionReport",
    "ConvertedBatch",
    "RaggedRows",
    "ReadLimits",
    "ReadStats",
    "SourceFormat",
    "SourceTable",
    "TableSchema",
    "apply_overrides",
    "convert_batch",
    "infer_column_type",
    "infer_schema",
    "open_source",
]
