"""One source table through read → infer → privacy plan → convert + de-identify + profile → Parquet.

Memory stays bounded: a sample for inference and planning, the quasi-identifier combinations
for generalisation, one batch at a time for the rest.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from qazai.core.errors import InvalidInput
from qazai.libraries.ingest import (
    ColumnOverride,
    ConversionReport,
    SourceTable,
    TableSchema,
    apply_overrides,
    convert_batch,
    infer_schema,
)
from qazai.libraries.pipeline import privacy_step
from qazai.libraries.pipeline.overlap import BackgroundFold, BackgroundSink, in_background, read_ahead
from qazai.libraries.pipeline.profile import TableProfiler
from qazai.libraries.pipeline.residuals import ResidualScanner
from qazai.libraries.pipeline.writer import PART_ROWS, ROW_GROUP_ROWS, PartWriter, WrittenPart
from qazai.privacy import (
    Assessment,
    Plan,
    Policy,
    RiskAccumulator,
    finish_assessment,
    fit_generalisation,
    transform_batch,
)

Progress = Callable[[float, str | None], None]
OPTOUT_TEXTS_PER_COLUMN = 2_000
# Converted batches kept while the privacy plan of the sample is still being made (see pass 1)
PLAN_WAIT_BATCHES = 4


@dataclass
class TableOutcome:
    name: str
    stem: str
    source: SourceTable
    schema: TableSchema
    output_schema: pa.Schema
    parts: list[WrittenPart]
    rows_in: int
    conversion: ConversionReport
    profile: dict[str, Any]
    privacy: dict[str, Any]
    assessment: Assessment
    texts: list[str] = field(default_factory=list)


def _plain_schema(schema: pa.Schema) -> pa.Schema:
    """Large/view strings from Polars become plain strings in the published files."""
    fields = []
    for f in schema:
        kind = f.type
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            kind = pa.string()
        elif pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
            kind = pa.binary()
        elif pa.types.is_null(kind):
            kind = pa.string()
        fields.append(pa.field(f.name, kind))
    return pa.schema(fields)


def _to_batch(frame: pl.DataFrame, schema: pa.Schema) -> pa.RecordBatch:
    table = frame.to_arrow().cast(schema)
    return (
        table.combine_chunks().to_batches()[0]
        if table.num_rows
        else pa.RecordBatch.from_pylist([], schema=schema)
    )


def _sample(source: SourceTable, head: list[pa.RecordBatch], rows: int) -> pa.Table:
    if not head:
        return pa.Table.from_batches([], schema=pa.schema([(c, pa.string()) for c in source.columns]))
    return pa.Table.from_batches(head, schema=head[0].schema).slice(0, rows)


def _joined_head(head: list[pa.RecordBatch], rest: Iterator[pa.RecordBatch]) -> list[pa.RecordBatch]:
    """The sample's batches for pass 1, joined with the next batch when they are smaller than it
    (a CSV's first rows come in 1 MB batches, see ``csv_reader``): a batch has costs that do not
    shrink with its size (each profile merges its distinct values, for one), so pass 1 and 2 see
    as many batches as the source has big blocks."""
    if not head:
        return head
    following = next(rest, None)
    if following is None:
        return head
    if sum(b.num_rows for b in head) >= following.num_rows or following.schema != head[0].schema:
        return [*head, following]
    joined: list[pa.RecordBatch] = pa.Table.from_batches([*head, following]).combine_chunks().to_batches()
    return joined


def _sample_texts(batch: pa.RecordBatch, texts: dict[str, list[str]]) -> None:
    for name in batch.schema.names:
        bucket = texts.setdefault(name, [])
        room = OPTOUT_TEXTS_PER_COLUMN - len(bucket)
        if room <= 0:
            continue
        column = batch.column(name)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        bucket.extend(v for v in column.slice(0, room).to_pylist() if v)


def process_table(
    source: SourceTable,
    stem: str,
    *,
    overrides: dict[str, ColumnOverride],
    policy: Policy,
    secret: bytes,
    scope: str,
    directory: Path,
    sample_rows: int,
    progress: Progress,
    progress_span: tuple[float, float],
    source_bytes: int | None,
    row_group_rows: int = ROW_GROUP_ROWS,
    part_rows: int = PART_ROWS,
) -> TableOutcome:
    """Run one table through the pipeline into local Parquet parts (nothing published yet)."""
    # The sample is the start of the same stream that pass 1 reads: the source is parsed once.
    batches = read_ahead(source.batches())
    try:
        head: list[pa.RecordBatch] = []
        for batch in batches:
            head.append(batch)
            if sum(b.num_rows for b in head) >= sample_rows:
                break
        raw_sample = _sample(source, head, sample_rows)
        expected_rows = None
        if source_bytes and raw_sample.num_rows and raw_sample.nbytes:
            expected_rows = max(1, int(source_bytes / (raw_sample.nbytes / raw_sample.num_rows)))
        schema = apply_overrides(infer_schema(raw_sample), overrides, raw_sample)
        sample_batch = raw_sample.combine_chunks().to_batches()
        typed_sample = (
            convert_batch(sample_batch[0], schema).batch
            if sample_batch
            else pa.RecordBatch.from_pylist([], schema=schema.arrow_schema)
        )
        sample_frame = pl.from_arrow(typed_sample)
        assert isinstance(sample_frame, pl.DataFrame)
    except BaseException:
        batches.close()
        raise
    # The privacy plan of the sample is made on a thread while pass 1 reads and converts: pass 1
    # needs it only to feed the generalisation's fit, so converted batches wait for it (at most
    # PLAN_WAIT_BATCHES of them; then pass 1 waits). An error of the plan wins over pass 1's, as
    # when the plan was made first.
    planning = in_background(partial(privacy_step.plan, sample_frame, policy))
    planned: tuple[Plan, dict[str, Any]] | None = None
    waiting: list[pa.RecordBatch] = []
    fitting: BackgroundFold[pa.RecordBatch, Plan] | None = None

    def feed(converted: pa.RecordBatch | None) -> None:
        nonlocal planned, fitting
        if converted is not None:
            waiting.append(converted)
        if planned is None:
            if converted is not None and len(waiting) < PLAN_WAIT_BATCHES and not planning.done():
                return
            planned = planning.result()
            qi = planned[0].quasi_identifiers
            if qi:
                fitting = BackgroundFold(partial(fit_generalisation, planned[0], policy))
        if fitting is not None:
            qi = planned[0].quasi_identifiers
            for ready in waiting:
                fitting.put(ready.select(qi))
        waiting.clear()

    # Pass 1: read and type every row once, into a local Arrow file (the source is parsed once).
    # The generalisation is fitted on a thread from the same batches as they are converted.
    spool = directory / f"{stem}.arrow"
    conversion = ConversionReport()
    texts: dict[str, list[str]] = {}
    rows_in = 0
    last = 0.0
    start, end = progress_span
    middle = start + (end - start) * 0.6
    try:
        with (
            contextlib.closing(batches),
            pa.OSFile(str(spool), "wb") as sink,
            pa.ipc.new_file(sink, schema.arrow_schema) as typed,
        ):
            spooler = BackgroundSink(typed.write_batch)  # disk writes do not hold up converting
            try:
                for raw in itertools.chain(_joined_head(head, batches), batches):
                    _sample_texts(raw, texts)
                    converted = convert_batch(raw, schema)
                    conversion.add(converted)
                    feed(converted.batch)
                    spooler.put(converted.batch)
                    rows_in += raw.num_rows
                    now = time.monotonic()
                    if now - last > 0.5:
                        last = now
                        share = min(rows_in / expected_rows, 0.99) if expected_rows else 0.5
                        progress(start + (middle - start) * share, f"{source.name}: read {rows_in:,} rows")
            finally:
                spooler.close()
        feed(None)
    except BaseException:
        if fitting is not None:
            with contextlib.suppress(Exception):
                fitting.result()
        if planned is None and planning.exception() is not None:
            planning.result()  # raises the plan's error
        raise
    assert planned is not None
    plan, scan_report = planned
    if fitting is not None:
        plan = fitting.result()
    with pa.OSFile(str(spool), "rb") as spooled:  # read, not mapped: RSS stays one batch
        reader = pa.ipc.open_file(spooled)
        count = reader.num_record_batches
        # Pass 2: de-identify, assess, profile and write Parquet, one batch at a time.
        empty = transform_batch(sample_frame.head(0), plan, policy, secret, scope)
        output_schema = _plain_schema(empty.to_arrow().schema)
        writer = PartWriter(
            directory, stem, output_schema, row_group_rows=row_group_rows, part_rows=part_rows
        )
        accumulator = RiskAccumulator(plan.quasi_identifiers, plan.sensitive, rescan=False)
        residuals = ResidualScanner(
            policy.min_score,
            skip=privacy_step.derived_columns(plan),
            statistics=privacy_step.statistics_columns(plan),
        )
        profiler = TableProfiler()

        def observe(out: pl.DataFrame) -> None:
            accumulator.observe(out)
            residuals.observe(out)
            profiler.observe(out)

        # Parquet encoding, and assessing and profiling, overlap the next batch's de-identification
        sink = BackgroundSink(writer.write)
        observer = BackgroundSink(observe)
        try:
            for i in range(count):
                out = transform_batch(reader.get_batch(i), plan, policy, secret, scope)
                sink.put(_to_batch(out, output_schema))
                observer.put(out)
                now = time.monotonic()
                if now - last > 0.5:
                    last = now
                    progress(
                        middle + (end - middle) * (i + 1) / count,
                        f"{source.name}: de-identified {i + 1}/{count}",
                    )
        finally:
            try:
                sink.close()
            finally:
                observer.close()
    spool.unlink()
    accumulator.residual = residuals.residual
    parts = writer.close()
    assessment = finish_assessment(plan, policy, accumulator, rows_in)
    if rows_in == 0:
        raise InvalidInput(f"{source.name}: the table has a header but no rows", code="empty_table")
    return TableOutcome(
        name=source.name,
        stem=stem,
        source=source,
        schema=schema,
        output_schema=output_schema,
        parts=parts,
        rows_in=rows_in,
        conversion=conversion,
        profile=profiler.to_json(),
        privacy=scan_report,
        assessment=assessment,
        texts=[t for bucket in texts.values() for t in bucket],
    )
