"""Data-library operations: every surface (API, web, CLI, demo, jobs) calls these.

Each function authorises with ``policy``, validates, changes rows and writes one audit event in
the same transaction, then commits. Access (terms, grants, file reads) is in ``access.py``,
uploads in ``uploads.py``, the publish pipeline in ``pipeline/``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.orm import Session

from qazai.audit.service import record_event
from qazai.core.clock import utcnow
from qazai.core.enums import AccessTier
from qazai.core.errors import AppError, Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.core.pagination import Page, check_limit, decode_int_cursor, decode_text_cursor, encode_cursor
from qazai.identity.actor import Actor
from qazai.libraries import hooks, policy, repo
from qazai.libraries.completeness import completeness_report
from qazai.libraries.models import (
    LibraryCreate,
    LibraryMetadata,
    LibraryRead,
    LibraryUpdate,
    PublishAccepted,
    PublishRequest,
    UploadStatus,
    VersionRead,
    VersionStatus,
    VersionWithdraw,
)
from qazai.storage.db import UnitOfWork
from qazai.storage.jobs import enqueue
from qazai.storage.tables.libraries import LibraryRow, LibraryVersionRow

PUBLISH_JOB = "libraries.publish"
_DETAIL_FIELDS = (
    "themes",
    "keywords",
    "spatial",
    "temporal",
    "frequency",
    "legal_basis",
    "source_systems",
    "contact",
    "terms",
    "dictionary",
)


class VersionGone(AppError):
    """A withdrawn (or rejected) version: its files are no longer served; the reason says why."""

    code = "version_withdrawn"
    status = 410


def audit(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None,
    summary: dict[str, Any],
    organisation_id: str | None,
) -> None:
    record_event(
        session,
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        organisation_id=organisation_id,
        summary=summary,
    )


# -- libraries ---------------------------------------------------------------------------------


def library_metadata_dict(row: LibraryRow) -> dict[str, Any]:
    """The library's metadata as the completeness rules and the manifests read it."""
    return {
        "title": row.title,
        "description": row.description,
        "producer": row.organisation_id,
        "licence": row.licence,
        "tier": row.tier,
        **{name: row.details.get(name) for name in _DETAIL_FIELDS},
    }


def command_metadata_dict(cmd: LibraryMetadata, producer: str | None) -> dict[str, Any]:
    """A create or update command's fields as the completeness rules read them (``producer``:
    the organisation it is for), to ask for mandatory metadata before a row exists."""
    return {**cmd.model_dump(mode="json"), "producer": producer}


def library_read(session: Session, row: LibraryRow) -> LibraryRead:
    meta = library_metadata_dict(row)
    org_slug = repo.organisation_slugs(session, {row.organisation_id}).get(row.organisation_id, "")
    return LibraryRead(
        id=row.id,
        slug=row.slug,
        organisation_id=row.organisation_id,
        organisation_slug=org_slug,
        title=row.title,
        description=row.description,
        licence=row.licence,
        tier=AccessTier(row.tier),
        themes=meta["themes"] or [],
        keywords=meta["keywords"] or [],
        spatial=meta["spatial"],
        temporal=meta["temporal"],
        frequency=meta["frequency"],
        legal_basis=meta["legal_basis"],
        source_systems=meta["source_systems"] or [],
        contact=meta["contact"],
        terms=meta["terms"],
        dictionary=meta["dictionary"] or {},
        latest_version=row.latest_number,
        completeness=completeness_report(meta),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _apply_metadata(row: LibraryRow, cmd: LibraryMetadata, *, only_set: bool) -> list[str]:
    given = cmd.model_dump(mode="json", exclude_unset=only_set)
    changed: list[str] = []
    details = dict(row.details or {})
    for name, value in given.items():
        if name in ("slug", "organisation"):
            continue
        if name in ("title", "description", "licence", "tier"):
            if name == "title" and value is None:
                raise InvalidInput("a library must keep a title", code="title_required")
            if getattr(row, name) != value:
                setattr(row, name, value if name != "tier" else (value or AccessTier.open.value))
                changed.append(name)
        elif details.get(name) != value:
            details[name] = value
            changed.append(name)
    row.details = details
    return changed


def load_library(session: Session, key: str) -> LibraryRow:
    row = repo.get_library(session, key)
    if row is None:
        raise NotFound(f"no library {key!r}", code="library_not_found")
    return row


def create_library(uow: UnitOfWork, actor: Actor, cmd: LibraryCreate) -> LibraryRead:
    """Create a library for an organisation. Needs producer role there (or operator).
    Raises NotFound (organisation), PermissionDenied, Conflict (slug taken)."""
    org = repo.get_organisation(uow.session, cmd.organisation)
    if org is None:
        raise NotFound(f"no organisation {cmd.organisation!r}", code="organisation_not_found")
    if not policy.can_create_library(actor, org.id):
        raise PermissionDenied(f"only producers of {org.slug} can create its libraries")
    if repo.get_library(uow.session, cmd.slug) is not None:
        raise Conflict(f"a library with slug {cmd.slug!r} already exists", code="slug_taken")
    now = utcnow()
    row = LibraryRow(
        id=new_id(),
        slug=cmd.slug,
        organisation_id=org.id,
        title=cmd.title.model_dump(exclude_none=True),
        description=None,
        licence=None,
        tier=(cmd.tier or AccessTier.open).value,
        details={},
        latest_version_id=None,
        latest_number=None,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    _apply_metadata(row, cmd, only_set=False)
    if row.tier is None:
        row.tier = AccessTier.open.value
    uow.session.add(row)
    uow.session.flush()
    audit(
        uow.session, actor, "library.create", "library", row.id, {"slug": row.slug, "tier": row.tier}, org.id
    )
    uow.commit()
    return library_read(uow.session, row)


def update_library(uow: UnitOfWork, actor: Actor, key: str, cmd: LibraryUpdate) -> LibraryRead:
    """Change a library's metadata (only the fields given). Published versions keep the
    metadata they were published with; the tier applies to versions published afterwards."""
    row = load_library(uow.session, key)
    if not policy.can_update_library(actor, row.organisation_id):
        raise PermissionDenied("only the library's producers can change it")
    changed = _apply_metadata(row, cmd, only_set=True)
    if changed:
        row.updated_at = utcnow()
        uow.session.flush()
        audit(
            uow.session, actor, "library.update", "library", row.id, {"fields": changed}, row.organisation_id
        )
        uow.commit()
    return library_read(uow.session, row)


def get_library(uow: UnitOfWork, actor: Actor, key: str) -> LibraryRead:
    """A library's metadata; public for every tier (the catalogue shows enclave libraries too)."""
    return library_read(uow.session, load_library(uow.session, key))


def list_libraries(
    uow: UnitOfWork,
    actor: Actor,
    *,
    organisation: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[LibraryRead]:
    check_limit(limit)
    org_id = None
    if organisation:
        org = repo.get_organisation(uow.session, organisation)
        if org is None:
            raise NotFound(f"no organisation {organisation!r}", code="organisation_not_found")
        org_id = org.id
    rows = repo.list_libraries(uow.session, decode_text_cursor(cursor), limit + 1, org_id)
    items = [library_read(uow.session, r) for r in rows[:limit]]
    return Page(items=items, next=encode_cursor(items[-1].slug) if len(rows) > limit else None)


# -- versions ----------------------------------------------------------------------------------


_PRIVATE_PROFILE_KEYS = ("top_values", "min", "max", "histogram")


def public_manifest(manifest: dict[str, Any], tier: str) -> dict[str, Any]:
    """The manifest as anyone may read it. For data not open to all, column values (top values,
    min/max, histograms) stay out of the public metadata: they could show personal data."""
    if tier == AccessTier.open.value:
        return manifest
    copy = json.loads(json.dumps(manifest))
    for table in copy.get("tables", []):
        for column in table.get("profile", {}).get("columns", []):
            for key in _PRIVATE_PROFILE_KEYS:
                column.pop(key, None)
    return dict(copy)


def version_read(row: LibraryVersionRow, library_slug: str) -> VersionRead:
    return VersionRead(
        id=row.id,
        library_slug=library_slug,
        number=row.number,
        status=VersionStatus(row.status),
        tier=AccessTier(row.tier),
        rows=row.rows,
        bytes=row.bytes,
        source_sha256=row.source_sha256,
        created_at=row.created_at,
        withdrawn_at=row.withdrawn_at,
        withdrawn_reason=row.withdrawn_reason,
        optout_flagged=row.optout_flagged,
        optout_reason=row.optout_reason,
        manifest=public_manifest(row.manifest, row.tier),
    )


def load_version(session: Session, library: LibraryRow, number: int) -> LibraryVersionRow:
    row = repo.get_version(session, library.id, number)
    if row is None:
        raise NotFound(f"library {library.slug!r} has no version {number}", code="version_not_found")
    return row


def list_versions(
    uow: UnitOfWork, actor: Actor, key: str, *, cursor: str | None = None, limit: int = 50
) -> Page[VersionRead]:
    """Versions newest first, rejected and withdrawn ones included (their reports say why)."""
    check_limit(limit)
    library = load_library(uow.session, key)
    before = decode_int_cursor(cursor)
    rows = repo.list_versions(uow.session, library.id, before, limit + 1)
    items = [version_read(r, library.slug) for r in rows[:limit]]
    return Page(items=items, next=encode_cursor(items[-1].number) if len(rows) > limit else None)


def get_version(uow: UnitOfWork, actor: Actor, key: str, number: int) -> VersionRead:
    library = load_library(uow.session, key)
    return version_read(load_version(uow.session, library, number), library.slug)


def withdraw_version(
    uow: UnitOfWork, actor: Actor, key: str, number: int, cmd: VersionWithdraw
) -> VersionRead:
    """Withdraw a published version: its files stop being served (410) and its metadata says
    why; ``latest`` moves to the newest version still published. Conflict if not published."""
    library = load_library(uow.session, key)
    if not policy.can_withdraw_version(actor, library.organisation_id):
        raise PermissionDenied("only the library's producers can withdraw its versions")
    row = load_version(uow.session, library, number)
    if row.status != VersionStatus.published.value:
        raise Conflict(f"version {number} is {row.status}, not published", code="version_not_published")
    withdraw_row(uow.session, actor, library, row, cmd.reason)
    uow.commit()
    return version_read(row, library.slug)


def withdraw_row(
    session: Session, actor: Actor, library: LibraryRow, row: LibraryVersionRow, reason: str, **why: Any
) -> None:
    """The withdrawal itself, in the caller's transaction (no authorisation, no commit): the
    status, the reason, ``latest`` moved back, one audit event (``why`` adds to its summary)."""
    row.status = VersionStatus.withdrawn.value
    row.withdrawn_at = utcnow()
    row.withdrawn_reason = reason
    row.withdrawn_by = actor.user_id
    session.flush()
    move_latest(session, library)
    audit(
        session,
        actor,
        "library.version.withdraw",
        "library_version",
        row.id,
        {"library": library.slug, "number": row.number, "reason": reason, **why},
        library.organisation_id,
    )
    hooks.version_withdrawn(session, actor, row.id, reason)


def move_latest(session: Session, library: LibraryRow) -> None:
    newest = repo.newest_published(session, library.id)
    library.latest_version_id = newest.id if newest else None
    library.latest_number = newest.number if newest else None


# -- publishing --------------------------------------------------------------------------------


def publish_dedupe_key(library_id: str, upload_id: str, options: dict[str, Any]) -> str:
    """One job and at most one version per (library, upload, options): a retry finds them."""
    digest = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"publish:{library_id}:{upload_id}:{digest}"


def request_publish(uow: UnitOfWork, actor: Actor, key: str, cmd: PublishRequest) -> PublishAccepted:
    """Start publishing an upload as the library's next version: checks the mandatory metadata,
    the upload and the policy, then enqueues the pipeline job (in the same transaction) and
    returns its id. InvalidInput lists missing metadata; Conflict if the upload is incomplete."""
    from qazai.libraries.pipeline.privacy_step import parse_policy

    library = load_library(uow.session, key)
    if not policy.can_publish_version(actor, library.organisation_id):
        raise PermissionDenied("only producers of the library's organisation can publish it")
    report = completeness_report(library_metadata_dict(library))
    if report.required_missing:
        missing = ", ".join(report.required_missing)
        raise InvalidInput(
            f"library {library.slug!r} lacks mandatory metadata: {missing}; add it before publishing",
            code="metadata_incomplete",
            details={"missing": report.required_missing},
        )
    upload = repo.get_upload(uow.session, cmd.upload_id)
    if upload is None or upload.library_id != library.id:
        raise NotFound(f"no upload {cmd.upload_id!r} for library {library.slug!r}", code="upload_not_found")
    if upload.status != UploadStatus.complete.value:
        raise Conflict(
            f"upload {upload.id} is {upload.status} "
            f"({upload.received_bytes} of {upload.declared_size} bytes)",
            code="upload_incomplete",
        )
    if cmd.policy is not None:
        parse_policy(cmd.policy)  # refuse a bad policy now rather than in the job
    options = {"policy": cmd.policy, "overrides": cmd.overrides, "sheet": cmd.sheet}
    dedupe_key = publish_dedupe_key(library.id, upload.id, options)
    job = enqueue(
        uow.session,
        PUBLISH_JOB,
        {
            "library_id": library.id,
            "upload_id": upload.id,
            "actor_id": actor.user_id,
            "actor_label": actor.label,
            "dedupe_key": dedupe_key,
            **options,
        },
        dedupe_key=dedupe_key,
        max_attempts=3,
    )
    audit(
        uow.session,
        actor,
        "library.publish_request",
        "library",
        library.id,
        {"slug": library.slug, "upload": upload.id, "job": job.id, "sha256": upload.sha256},
        library.organisation_id,
    )
    uow.commit()
    return PublishAccepted(
        job_id=job.id, library_slug=library.slug, upload_id=upload.id, status_url=f"/api/v1/jobs/{job.id}"
    )
