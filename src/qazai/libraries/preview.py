"""Preview an upload before publishing: tables, header, inferred types, privacy findings and a
de-identified sample, exactly as the publish pipeline would compute them on its sample.

Nothing is written and nothing is published. The raw file is read from the quarantine area on a
bounded sample: a text file (CSV, NDJSON) larger than ``PREFIX_BYTES`` is read only up to its last
line break within that prefix; workbooks, Parquet and JSON documents need their whole bytes (a
zip or a footer is read at random), which are copied to a temporary file and parsed only as far
as the sample. Rows in the response are de-identified by the same plan as the pipeline's (the
tier's default policy, or the producer's), so for the open tier no raw personal data leaves the
service; for restricted and enclave libraries the sample shows what those tiers keep, and only the
producers of the organisation (who uploaded it) and operators may call this.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from qazai.core.enums import AccessTier
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.identity.actor import Actor
from qazai.libraries import policy, repo
from qazai.libraries.ingest import (
    DEFAULT_LIMITS,
    ColumnOverride,
    ReadLimits,
    SourceFormat,
    SourceTable,
    apply_overrides,
    convert_batch,
    infer_schema,
    open_source,
)
from qazai.libraries.ingest.sniff import detect_format
from qazai.libraries.models import (
    ColumnEvidenceRead,
    PreviewColumn,
    PreviewTable,
    UploadPreview,
    UploadStatus,
)
from qazai.libraries.pipeline import privacy_step
from qazai.libraries.service import library_metadata_dict, load_library
from qazai.privacy import (
    Action,
    Policy,
    classify_table,
    fit_generalisation,
    plan_deidentification,
    transform_batch,
)
from qazai.storage.db import UnitOfWork
from qazai.storage.objects import ObjectStore
from qazai.storage.scratch import scratch_folder

PREFIX_BYTES = 8 << 20
MAX_SAMPLE_ROWS = 200
EXAMPLES = 3
_STREAMED = (SourceFormat.csv, SourceFormat.ndjson)


def _copy(objects: ObjectStore, key: str, target: Path, label: str) -> bool:
    """Copy the upload to ``target``; a large text file only up to its last line break within
    ``PREFIX_BYTES``. True when only a prefix was copied."""
    chunks = objects.open(key)
    written = 0
    cut = False
    with target.open("wb") as out:
        try:
            for chunk in chunks:
                out.write(chunk)
                written += len(chunk)
                if written >= PREFIX_BYTES:
                    cut = True
                    break
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
    if not cut:
        return False
    if detect_format(target, label) in _STREAMED:
        with target.open("r+b") as handle:
            handle.seek(max(0, written - (1 << 20)))
            tail = handle.read()
            end = tail.rfind(b"\n")
            if end >= 0:
                handle.truncate(written - len(tail) + end + 1)
                return True
    _copy_all(objects, key, target)  # not a line format (or one huge line): the whole file
    return False


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _text(value: Any) -> str:
    cell = _cell(value)
    return cell if isinstance(cell, str) else str(cell).lower() if isinstance(cell, bool) else str(cell)


def _preview_table(
    source: SourceTable,
    overrides: dict[str, ColumnOverride],
    policy_: Policy,
    default: Policy,
    *,
    sample_rows: int,
    limits: ReadLimits,
    scope: str,
) -> PreviewTable:
    raw = source.head(limits.sample_rows)
    schema = apply_overrides(infer_schema(raw), overrides, raw)
    batches = raw.combine_chunks().to_batches()
    typed = (
        convert_batch(batches[0], schema).batch
        if batches
        else pa.RecordBatch.from_pylist([], schema=schema.arrow_schema)
    )
    frame = pl.from_arrow(typed)
    assert isinstance(frame, pl.DataFrame)
    report = classify_table(frame, min_score=policy_.min_score)
    plan = plan_deidentification(frame, policy_)
    defaults = {
        c.name: c.rule.action.value
        for c in (plan if default is policy_ else plan_deidentification(frame, default)).columns
    }
    if plan.quasi_identifiers:
        plan = fit_generalisation(plan, policy_, [frame.select(plan.quasi_identifiers)])
    shown = frame.head(sample_rows)
    # A throwaway key: the preview's pseudonyms are not the ones the published version will carry.
    out = transform_batch(shown, plan, policy_, os.urandom(32), scope)
    # A producer's keep override of a column with personal findings, in a tier that allows no
    # residual identifiers: the publish's rescan decides, and the preview does not show the values.
    withheld = {
        c.name
        for c in plan.columns
        if c.engine_action is not None
        and c.rule.action is Action.keep
        and not policy_.allow_residual_identifiers
        and c.evidence is not None
        and c.evidence.matched
    }
    if withheld & set(out.columns):
        out = out.with_columns(pl.lit(None).alias(name) for name in withheld & set(out.columns))
    found = {c.name: c for c in report.columns}
    headers = dict(zip(source.columns, source.source_columns, strict=False))
    columns: list[PreviewColumn] = []
    for column, planned in zip(schema.columns, plan.columns, strict=True):
        finding = found[column.name]
        nulls = frame[column.name].null_count() / frame.height if frame.height else 0.0
        examples: list[str] = []
        if column.name in out.columns:
            for value in out[column.name].drop_nulls().to_list():
                text = _text(value)
                if text.strip() and text not in examples:
                    examples.append(text[:80])
                if len(examples) >= EXAMPLES:
                    break
        columns.append(
            PreviewColumn(
                source=headers.get(column.source, column.source),
                name=column.name,
                type=column.type.value,
                null_share=round(nulls, 4),
                examples=examples,
                kind=planned.kind.value,
                entities=dict(finding.entities),
                match_ratio=round(finding.match_ratio, 4),
                qi_type=planned.qi_type,
                action=planned.rule.action.value,
                default_action=defaults.get(column.name, planned.rule.action.value),
                evidence=ColumnEvidenceRead.model_validate(planned.evidence.to_json())
                if planned.evidence
                else None,
                override_reason=planned.rule.reason if planned.engine_action is not None else None,
                sample_withheld=column.name in withheld,
            )
        )
    return PreviewTable(
        name=source.name,
        format=source.format.value,
        header_row=source.header_row,
        header_rows=source.header_rows,
        encoding=source.encoding,
        delimiter=source.delimiter,
        notes=list(source.notes),
        rows_sampled=frame.height,
        aggregate=plan.aggregate,
        columns=columns,
        sample_columns=list(out.columns),
        sample_rows=[[_cell(v) for v in row] for row in out.iter_rows()],
        sample_suppressed=shown.height - out.height,
    )


def preview_upload(
    uow: UnitOfWork,
    objects: ObjectStore,
    actor: Actor,
    library_slug: str,
    upload_id: str,
    *,
    sheet: str | None = None,
    sample_rows: int = 20,
    overrides: dict[str, dict[str, dict[str, str]]] | None = None,
    policy_data: dict[str, Any] | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    work_dir: Path | None = None,
) -> UploadPreview:
    """What publishing ``upload_id`` as the library's next version would produce, on a sample.

    Authorised like publishing (producers of the library's organisation, operators). ``overrides``
    and ``policy_data`` take the same shape as ``PublishRequest``'s. Raises NotFound (library or
    upload), PermissionDenied, Conflict (upload incomplete or deleted), InvalidInput (the readers'
    message for a bad file, a bad override or policy). The sample is copied into a scratch folder
    under ``work_dir`` (``<data_dir>/tmp``, swept on start; the system's temporary folder if None)."""
    from qazai.libraries.pipeline.run import _overrides

    if not 1 <= sample_rows <= MAX_SAMPLE_ROWS:
        raise InvalidInput(f"sample_rows must be 1..{MAX_SAMPLE_ROWS}", code="invalid_sample_rows")
    library = load_library(uow.session, library_slug)
    if not policy.can_publish_version(actor, library.organisation_id):
        raise PermissionDenied("only producers of the library's organisation can preview its uploads")
    upload = repo.get_upload(uow.session, upload_id)
    if upload is None or upload.library_id != library.id:
        raise NotFound(f"no upload {upload_id!r} for library {library.slug!r}", code="upload_not_found")
    if upload.status != UploadStatus.complete.value or upload.object_key is None or upload.deleted_at:
        raise Conflict(
            f"upload {upload.id} is {upload.status}; only a complete upload can be previewed",
            code="upload_incomplete",
        )
    tier = AccessTier(library.tier)
    legal_basis = library_metadata_dict(library).get("legal_basis")
    default = privacy_step.policy_for(tier, None, legal_basis)
    chosen = default if policy_data is None else privacy_step.policy_for(tier, policy_data, legal_basis)
    filename = upload.filename

    def read(path: Path) -> list[PreviewTable]:
        sources = open_source(path, display_name=filename, sheet=sheet, limits=limits)
        if not sources:
            raise InvalidInput(f"{filename}: no table with data was found", code="no_tables")
        given = _overrides(overrides, [s.name for s in sources])
        return [
            _preview_table(
                s,
                given.get(s.name, {}),
                chosen,
                default,
                sample_rows=sample_rows,
                limits=limits,
                scope=library.organisation_id,
            )
            for s in sources
        ]

    with scratch_folder(work_dir or Path(tempfile.gettempdir()), "preview") as tmp:
        path = tmp / "source"
        truncated = _copy(objects, upload.object_key, path, filename)
        try:
            try:
                tables = read(path)
            except InvalidInput:
                if not truncated:
                    raise
                # the cut may have split a quoted multi-line field: read the whole file
                truncated = False
                _copy_all(objects, upload.object_key, path)
                tables = read(path)
        except (pa.ArrowException, pl.exceptions.PolarsError) as exc:
            raise InvalidInput(
                f"{filename}: the data could not be read or converted: {exc}", code="unreadable_data"
            ) from None
    return UploadPreview(
        library_slug=library.slug,
        upload_id=upload.id,
        filename=filename,
        tier=tier,
        policy_given=policy_data is not None,
        sheet=sheet,
        truncated=truncated,
        tables=tables,
    )


def _copy_all(objects: ObjectStore, key: str, target: Path) -> None:
    with target.open("wb") as out:
        for chunk in objects.open(key):
            out.write(chunk)
