"""Whole files read and typed the way the publish pipeline types them, for tools and tests."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa

from qazai.libraries.ingest.convert import convert_batch
from qazai.libraries.ingest.infer import infer_schema
from qazai.libraries.ingest.source import open_source


def read_typed_tables(path: Path, *, sample_rows: int = 10_000) -> list[tuple[str, pl.DataFrame]]:
    """Every table of a file, read whole and typed as the pipeline types it (schema inferred on the
    first ``sample_rows``). It holds each table in memory, where the pipeline streams: for small
    files (the real government files of the benches and tests)."""
    tables = []
    for table in open_source(path):
        schema = infer_schema(table.head(sample_rows))
        batches = [convert_batch(b, schema).batch for b in table.batches()]
        frame = pl.from_arrow(pa.Table.from_batches(batches, schema=schema.arrow_schema))
        assert isinstance(frame, pl.DataFrame)
        tables.append((table.name, frame))
    return tables
