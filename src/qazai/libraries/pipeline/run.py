"""The publish job: source upload → tables → assessment → objects → one publishing transaction.

Atomicity: Parquet parts are written to local temporary files, then to the object store
content-addressed (a rerun writes the same keys), and only then does ONE transaction create the
version row (with its manifest) and move ``latest``. A kill before that commit leaves no version
(at most unreferenced content-addressed objects); a kill after it leaves a whole one, which a
retried job finds by its dedupe key and returns instead of publishing again.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
from sqlalchemy.exc import IntegrityError

from qazai.core.clock import utcnow
from qazai.core.enums import AccessTier
from qazai.core.errors import AppError, DisclosureBlocked, InvalidInput
from qazai.core.ids import new_id
from qazai.identity.actor import Actor
from qazai.libraries import repo
from qazai.libraries.completeness import completeness_report
from qazai.libraries.ingest import DEFAULT_LIMITS, ColumnOverride, ReadLimits, open_source
from qazai.libraries.models import VersionStatus
from qazai.libraries.pipeline import privacy_step
from qazai.libraries.pipeline.optouts import check_optouts
from qazai.libraries.pipeline.report import advice_for, build_manifest, table_report
from qazai.libraries.pipeline.tables import Progress, TableOutcome, process_table
from qazai.libraries.pipeline.writer import PART_ROWS, ROW_GROUP_ROWS
from qazai.libraries.service import audit, library_metadata_dict, move_latest
from qazai.storage.db import Database
from qazai.storage.objects import LocalObjectStore, ObjectStore
from qazai.storage.scratch import scratch_folder
from qazai.storage.tables.libraries import LibraryVersionRow

PIPELINE_VERSION = "qazai-libraries-pipeline/1"
_TRANSLIT = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфхцчшыэюя", "abvgdeziyklmnoprstufhccsyeuy", strict=True)),
        "ё": "e",
        "ж": "zh",
        "щ": "sh",
        "ъ": "",
        "ь": "",
        "ә": "a",
        "ғ": "g",
        "қ": "k",
        "ң": "n",
        "ө": "o",
        "ұ": "u",
        "ү": "u",
        "һ": "h",
        "і": "i",
    }
)


@dataclass
class PipelineDeps:
    """What the pipeline needs from the platform. ``work_dir`` is the root of the scratch folders
    (``<data_dir>/tmp``, swept on start and by the purge job). ``before_publish`` is a test seam:
    called after every object is written and before the publishing transaction (a crash there must
    leave no version)."""

    db: Database
    objects: ObjectStore
    secret: bytes
    work_dir: Path
    limits: ReadLimits = DEFAULT_LIMITS
    row_group_rows: int = ROW_GROUP_ROWS
    part_rows: int = PART_ROWS
    before_publish: Callable[[], None] | None = None
    base_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def part_stem(name: str, taken: set[str]) -> str:
    """A URL-safe name for a table's parts (`Население 2024` → `naselenie-2024`)."""
    folded = unicodedata.normalize("NFKC", name).lower().translate(_TRANSLIT)
    stem = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:60] or "table"
    candidate, n = stem, 2
    while candidate in taken:
        candidate, n = f"{stem}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _overrides(raw: dict[str, Any] | None, table_names: list[str]) -> dict[str, dict[str, ColumnOverride]]:
    if not raw:
        return {}
    unknown = sorted(set(raw) - set(table_names))
    if unknown:
        raise InvalidInput(
            f"overrides name tables the file does not have: {unknown}; tables: {table_names}",
            code="unknown_table",
        )
    return {
        t: {c: ColumnOverride(name=o.get("name"), type=o.get("type")) for c, o in cols.items()}
        for t, cols in raw.items()
    }


def _actor(payload: dict[str, Any]) -> Actor:
    return Actor(
        user_id=payload.get("actor_id"), label=str(payload.get("actor_label") or "system"), is_system=True
    )


def run_publish(
    deps: PipelineDeps, payload: dict[str, Any], progress: Progress, *, job_id: str | None = None
) -> dict[str, Any]:
    """Run the pipeline for ``payload`` (see ``service.request_publish``). Returns the job result.
    Raises InvalidInput / PayloadTooLarge for bad input (no version), DisclosureBlocked after
    recording a rejected version."""
    dedupe_key = str(payload["dedupe_key"])
    with deps.db.uow(read_only=True) as uow:
        existing = repo.version_by_dedupe_key(uow.session, dedupe_key)
        if existing is not None:
            return _finished(existing, uow.session)
        library = repo.get_library(uow.session, str(payload["library_id"]))
        upload = repo.get_upload(uow.session, str(payload["upload_id"]))
        if library is None:
            raise InvalidInput("the library was deleted", code="library_not_found")
        if upload is None or upload.object_key is None or upload.deleted_at is not None:
            raise InvalidInput(
                "the upload is gone (deleted after the retention period?); upload again", code="upload_gone"
            )
        tier = AccessTier(library.tier)
        meta = library_metadata_dict(library)
        library_id, slug, org_id = library.id, library.slug, library.organisation_id
        upload_key, filename, sha256, size = (
            upload.object_key,
            upload.filename,
            upload.sha256 or "",
            upload.size or 0,
        )
    policy = privacy_step.policy_for(tier, payload.get("policy"), meta.get("legal_basis"))
    started = utcnow()
    progress(1.0, "reading the upload")
    # Everything derived from the raw upload (a copy of it if the store is remote, the spool of
    # typed rows, the Parquet parts) lives in one scratch folder: deleted when this block ends,
    # swept by the next start or purge if the process dies in it.
    with scratch_folder(deps.work_dir, "publish") as work:
        source_path = _source_file(deps.objects, upload_key, work)
        try:
            outcomes = _process(deps, payload, source_path, filename, size, policy, org_id, work, progress)
        except (pa.ArrowException, pl.exceptions.PolarsError) as exc:
            raise InvalidInput(
                f"{filename}: the data could not be read or converted: {exc}", code="unreadable_data"
            ) from None
        progress(92.0, "checking authors' opt-outs")
        texts = [t for o in outcomes for t in o.texts]
        with deps.db.uow() as uow:
            optouts = check_optouts(uow.session, [sha256], iter(texts))
        provenance = {
            "source": {
                "filename": filename,
                "sha256": sha256,
                "bytes": size,
                "format": outcomes[0].source.format.value,
                "sha256s": [sha256],
            },
            "pipeline_version": PIPELINE_VERSION,
            "policy": privacy_step.policy_json(policy),
            "policy_given": payload.get("policy") is not None,
            "optout_check": optouts,
            "job_id": job_id,
            "requested_by": payload.get("actor_label"),
            "started_at": started.isoformat(),
        }
        tables = [table_report(o) for o in outcomes]
        completeness = completeness_report(meta)
        violations = [f"{o.name}: {v}" for o in outcomes for v in o.assessment.violations]
        if optouts.get("matches"):
            titles = ", ".join(sorted({m["title"] for m in optouts["matches"]}))
            violations.append(f"the source contains works whose authors forbade AI training: {titles}")
        if violations:
            rejection = {
                "summary": "; ".join(violations),
                "violations": violations,
                "what_to_change": advice_for(outcomes, optouts, tier),
            }
            manifest = build_manifest(
                slug, tier, [], tables, provenance, completeness.model_dump(), rejection=rejection
            )
            version = _record(
                deps,
                library_id,
                dedupe_key,
                payload,
                manifest,
                sha256,
                VersionStatus.rejected,
                0,
                0,
                completeness.score,
            )
            raise DisclosureBlocked(
                f"version {version['version']} of {slug!r} was rejected: {rejection['summary']}. "
                f"What to change: {' '.join(rejection['what_to_change'])}",
                code="version_rejected",
                details=version,
            )
        progress(94.0, "storing the Parquet files")
        parts = _store_parts(deps, outcomes)
        rows = sum(o.assessment.rows_out for o in outcomes)
        total = sum(int(p["bytes"]) for p in parts)
        manifest = build_manifest(slug, tier, parts, tables, provenance, completeness.model_dump())
    if deps.before_publish is not None:
        deps.before_publish()
    progress(98.0, "publishing")
    return _record(
        deps,
        library_id,
        dedupe_key,
        payload,
        manifest,
        sha256,
        VersionStatus.published,
        rows,
        total,
        completeness.score,
    )


def _source_file(objects: ObjectStore, key: str, work: Path) -> Path:
    """The upload as a local file. A local store's own file is read in place: no copy or link of
    the raw bytes outlives the upload's retention (a purge meanwhile fails this run, which is then
    retried and finds the upload gone). A remote store's object is copied into ``work``."""
    if isinstance(objects, LocalObjectStore):
        return objects.local_path(key)
    target = work / "source"
    with target.open("wb") as out:
        for chunk in objects.open(key):
            out.write(chunk)
    return target


def _process(
    deps: PipelineDeps,
    payload: dict[str, Any],
    source_path: Path,
    filename: str,
    size: int,
    policy: Any,
    scope: str,
    work: Path,
    progress: Progress,
) -> list[TableOutcome]:
    sources = open_source(source_path, display_name=filename, sheet=payload.get("sheet"), limits=deps.limits)
    if not sources:
        raise InvalidInput(f"{filename}: no table with data was found", code="no_tables")
    overrides = _overrides(payload.get("overrides"), [s.name for s in sources])
    taken: set[str] = set()
    outcomes = []
    span = 88.0 / len(sources)
    for i, source in enumerate(sources):
        outcomes.append(
            process_table(
                source,
                part_stem(source.name, taken),
                overrides=overrides.get(source.name, {}),
                policy=policy,
                secret=deps.secret,
                scope=scope,
                directory=work,
                sample_rows=deps.limits.sample_rows,
                progress=progress,
                progress_span=(3.0 + i * span, 3.0 + (i + 1) * span),
                source_bytes=size if len(sources) == 1 else None,
                row_group_rows=deps.row_group_rows,
                part_rows=deps.part_rows,
            )
        )
    return outcomes


def _store_parts(deps: PipelineDeps, outcomes: list[TableOutcome]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for outcome in outcomes:
        several = len(outcome.parts) > 1
        for i, part in enumerate(outcome.parts):
            with part.path.open("rb") as handle:
                put = deps.objects.put(None, handle)
            name = f"{outcome.stem}-{i:05d}" if several else outcome.stem
            parts.append(
                {
                    "name": name,
                    "file": f"{name}.parquet",
                    "table": outcome.name,
                    "format": "parquet",
                    "key": put.key,
                    "sha256": put.sha256,
                    "bytes": put.size,
                    "rows": part.rows,
                    "row_groups": part.row_groups,
                }
            )
    return parts


def _record(
    deps: PipelineDeps,
    library_id: str,
    dedupe_key: str,
    payload: dict[str, Any],
    manifest: dict[str, Any],
    sha256: str,
    status: VersionStatus,
    rows: int,
    total: int,
    completeness: float,
) -> dict[str, Any]:
    """The one transaction that makes a version exist (published or rejected)."""
    for attempt in range(3):
        with deps.db.uow() as uow:
            existing = repo.version_by_dedupe_key(uow.session, dedupe_key)
            if existing is not None:
                return _finished(existing, uow.session, raise_rejected=False)
            library = repo.lock_library(uow.session, library_id)
            if library is None:
                raise InvalidInput("the library was deleted", code="library_not_found")
            number = repo.max_version_number(uow.session, library_id) + 1
            now = utcnow()
            row = LibraryVersionRow(
                id=new_id(),
                library_id=library_id,
                number=number,
                status=status.value,
                dedupe_key=dedupe_key,
                upload_id=payload.get("upload_id"),
                job_id=manifest["provenance"].get("job_id"),
                tier=library.tier,
                rows=rows,
                bytes=total,
                source_sha256=sha256 or None,
                manifest_key=None,
                manifest={**manifest, "version": number, "created_at": now.isoformat()},
                metadata_completeness=completeness,
                withdrawn_at=None,
                withdrawn_reason=None,
                withdrawn_by=None,
                optout_flagged=False,
                optout_reason=None,
                created_by=payload.get("actor_id"),
                created_at=now,
            )
            uow.session.add(row)
            try:
                uow.session.flush()
            except IntegrityError:
                uow.rollback()
                if attempt == 2:
                    raise
                time.sleep(0.05 * (attempt + 1))
                continue
            if status is VersionStatus.published:
                move_latest(uow.session, library)
            audit(
                uow.session,
                _actor(payload),
                f"library.version.{'publish' if status is VersionStatus.published else 'reject'}",
                "library_version",
                row.id,
                {
                    "library": library.slug,
                    "number": number,
                    "rows": rows,
                    "bytes": total,
                    "sha256": sha256,
                    "privacy_overrides": _privacy_overrides(manifest),
                },
                library.organisation_id,
            )
            uow.commit()
            return _summary(row, library.slug)
    raise AppError("could not record the version")  # pragma: no cover - loop always returns or raises


def _privacy_overrides(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The producer's per-column overrides of the privacy engine, with their reasons: they go
    into the audit event of the version, so a reviewer sees who kept what, and why."""
    found = []
    for table in manifest.get("tables", []):
        for column in table.get("privacy", {}).get("scan", {}).get("columns", []):
            if column.get("override"):
                found.append({"table": table.get("name"), "column": column["name"], **column["override"],
                              "action": column["action"]})  # fmt: skip
    return found


def _summary(row: LibraryVersionRow, slug: str) -> dict[str, Any]:
    return {
        "status": row.status,
        "library": slug,
        "version": row.number,
        "version_id": row.id,
        "rows": row.rows,
        "bytes": row.bytes,
        "parts": len(row.manifest.get("parts", [])),
    }


def _finished(row: LibraryVersionRow, session: Any, *, raise_rejected: bool = True) -> dict[str, Any]:
    library = repo.get_library(session, row.library_id)
    summary = _summary(row, library.slug if library else "")
    if raise_rejected and row.status == VersionStatus.rejected.value:
        rejection = row.manifest.get("rejection", {})
        raise DisclosureBlocked(
            f"version {row.number} was rejected: {rejection.get('summary', '')}",
            code="version_rejected",
            details=summary,
        )
    return summary
