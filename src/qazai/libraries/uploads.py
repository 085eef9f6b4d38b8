"""Uploads into the quarantine area of the object store, resumable in chunks (tus-like).

Layout (owned by this module): ``quarantine/uploads/<upload id>/chunk-<offset>`` while receiving,
``quarantine/uploads/<upload id>/data`` once complete. Nothing under ``quarantine/`` is ever
served; a job deletes each upload ``raw_retention_days`` after it was created.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import PurePosixPath
from typing import BinaryIO

from qazai.core.clock import utcnow
from qazai.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, PermissionDenied
from qazai.core.ids import new_id
from qazai.identity.actor import Actor
from qazai.libraries import policy, repo
from qazai.libraries.models import UploadCreate, UploadRead, UploadStatus
from qazai.libraries.service import audit, load_library
from qazai.storage.db import Database, UnitOfWork
from qazai.storage.jobs import enqueue
from qazai.storage.objects import ObjectStore, PutResult
from qazai.storage.tables.libraries import LibraryUploadRow

PURGE_JOB = "libraries.purge_upload"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\\/:*?\"<>|]")


def quarantine_prefix(upload_id: str) -> str:
    return f"quarantine/uploads/{upload_id}/"


def safe_filename(name: str) -> str:
    """The last path segment, without control characters or leading dots (`../x.csv` → `x.csv`)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = _UNSAFE_NAME.sub("_", base).lstrip(". ").strip()
    if not base:
        raise InvalidInput(f"{name!r} is not a usable file name", code="invalid_filename")
    return base[:255]


def upload_read(row: LibraryUploadRow, library_slug: str | None) -> UploadRead:
    return UploadRead(
        id=row.id,
        library_slug=library_slug,
        filename=row.filename,
        size=row.declared_size,
        offset=row.received_bytes,
        status=UploadStatus(row.status),
        sha256=row.sha256,
        created_at=row.created_at,
        completed_at=row.completed_at,
    )


def create_upload(
    uow: UnitOfWork, actor: Actor, cmd: UploadCreate, *, max_bytes: int, retention_days: int
) -> UploadRead:
    """Open an upload of ``cmd.size`` bytes for a library (producers only). PayloadTooLarge over
    ``max_bytes``. Schedules the raw file's deletion after ``retention_days``."""
    library = load_library(uow.session, cmd.library)
    if not policy.can_publish_version(actor, library.organisation_id):
        raise PermissionDenied("only producers of the library's organisation can upload to it")
    return _open_upload(
        uow,
        actor,
        cmd.filename,
        cmd.size,
        cmd.sha256,
        organisation_id=library.organisation_id,
        library=library.slug,
        library_id=library.id,
        max_bytes=max_bytes,
        retention_days=retention_days,
    )


def create_organisation_upload(
    uow: UnitOfWork,
    actor: Actor,
    organisation_id: str,
    filename: str,
    size: int,
    sha256: str | None = None,
    *,
    max_bytes: int,
    retention_days: int,
) -> UploadRead:
    """Open an upload for an organisation, not tied to a library (a model's files): the same
    quarantine, resumable chunks, checks and purge. Producers of the organisation only."""
    if not policy.can_publish_version(actor, organisation_id):
        raise PermissionDenied("only producers of the organisation can upload for it")
    return _open_upload(
        uow,
        actor,
        filename,
        size,
        sha256,
        organisation_id=organisation_id,
        library=None,
        library_id=None,
        max_bytes=max_bytes,
        retention_days=retention_days,
    )


def _open_upload(
    uow: UnitOfWork,
    actor: Actor,
    filename: str,
    size: int,
    sha256: str | None,
    *,
    organisation_id: str,
    library: str | None,
    library_id: str | None,
    max_bytes: int,
    retention_days: int,
) -> UploadRead:
    if size < 1:
        raise InvalidInput("the file is empty (0 bytes)", code="empty_file")
    if size > max_bytes:
        raise PayloadTooLarge(
            f"{size} bytes is more than the upload limit of {max_bytes} bytes",
            details={"limit": max_bytes},
        )
    now = utcnow()
    row = LibraryUploadRow(
        id=new_id(),
        library_id=library_id,
        organisation_id=organisation_id,
        filename=safe_filename(filename),
        declared_size=size,
        received_bytes=0,
        chunks=[],
        status=UploadStatus.receiving.value,
        object_key=None,
        sha256=sha256,  # the expected hash until completion, then the real one
        size=None,
        created_by=actor.user_id,
        created_at=now,
        completed_at=None,
        deleted_at=None,
    )
    uow.session.add(row)
    uow.session.flush()
    enqueue(
        uow.session,
        PURGE_JOB,
        {"upload_id": row.id},
        dedupe_key=f"purge-upload:{row.id}",
        run_after=now + timedelta(days=retention_days),
    )
    audit(
        uow.session,
        actor,
        "library.upload.create",
        "library_upload",
        row.id,
        {"library": library, "filename": row.filename, "size": size},
        organisation_id,
    )
    uow.commit()
    return upload_read(row, library)


def _load_for_writer(uow: UnitOfWork, actor: Actor, upload_id: str) -> LibraryUploadRow:
    row = repo.get_upload(uow.session, upload_id)
    if row is None or (
        row.created_by != actor.user_id
        and not actor.is_system
        and not (row.organisation_id and policy.can_publish_version(actor, row.organisation_id))
    ):
        raise NotFound(f"no upload {upload_id!r}", code="upload_not_found")
    return row


def get_upload(uow: UnitOfWork, actor: Actor, upload_id: str) -> UploadRead:
    """The upload's state and offset (``HEAD``): visible to its uploader and the organisation's producers."""
    row = _load_for_writer(uow, actor, upload_id)
    library = repo.get_library(uow.session, row.library_id or "")
    return upload_read(row, library.slug if library else None)


def append_chunk(
    db: Database,
    objects: ObjectStore,
    actor: Actor,
    upload_id: str,
    offset: int,
    data: BinaryIO | Iterable[bytes],
) -> UploadRead:
    """Append bytes at ``offset`` (must equal the bytes received so far, else Conflict with the
    current offset). The chunk is stored first, then the offset advances in one compare-and-set;
    a chunk cut off mid-way leaves the offset unchanged, so the client resends from there. The
    last chunk assembles the file, checks size and sha256, and marks the upload complete."""
    with db.uow() as uow:
        row = _load_for_writer(uow, actor, upload_id)
        if row.status != UploadStatus.receiving.value:
            raise Conflict(f"upload {upload_id} is already {row.status}", code="upload_not_receiving")
        if offset != row.received_bytes:
            raise Conflict(
                f"Upload-Offset {offset} does not match the {row.received_bytes} bytes received",
                code="offset_mismatch",
                details={"offset": row.received_bytes},
            )
        declared = int(row.declared_size or 0)
        chunks = list(row.chunks)
    key = f"{quarantine_prefix(upload_id)}chunk-{offset:015d}"
    put = objects.put(key, data, max_bytes=declared - offset)
    if put.size == 0:
        objects.delete(key)
        raise InvalidInput("the chunk is empty", code="empty_chunk")
    with db.uow() as uow:
        if not repo.advance_upload(
            uow.session, upload_id, offset, offset + put.size, [*chunks, [offset, put.size, key]]
        ):
            raise Conflict(
                "another request appended to this upload at the same time; ask for the offset again",
                code="offset_mismatch",
            )
        uow.commit()
    if offset + put.size == declared:
        return _complete(db, objects, actor, upload_id)
    with db.uow(read_only=True) as uow:
        return get_upload(uow, actor, upload_id)


def _chunk_stream(objects: ObjectStore, keys: list[str]) -> Iterator[bytes]:
    for key in keys:
        yield from objects.open(key)


def _complete(
    db: Database, objects: ObjectStore, actor: Actor, upload_id: str, *, assembled: PutResult | None = None
) -> UploadRead:
    """Assemble the chunks into ``.../data`` (or take ``assembled``, already written there)."""
    with db.uow(read_only=True) as uow:
        row = _load_for_writer(uow, actor, upload_id)
        keys = [str(c[2]) for c in sorted(row.chunks, key=lambda c: int(c[0]))]
        expected = row.sha256
        declared = int(row.declared_size or 0)
    data_key = f"{quarantine_prefix(upload_id)}data"
    if assembled is not None:
        put, keys = assembled, [key for key in keys if key != data_key]
    else:
        put = objects.put(data_key, _chunk_stream(objects, keys), max_bytes=declared)
    if expected and put.sha256 != expected:
        objects.delete(data_key)
        with db.uow() as uow:
            row = _load_for_writer(uow, actor, upload_id)
            row.status = UploadStatus.deleted.value
            row.deleted_at = utcnow()
            uow.commit()
        for key in keys:
            objects.delete(key)
        raise InvalidInput(
            f"the file's sha256 is {put.sha256}, not the declared {expected}; upload it again",
            code="checksum_mismatch",
        )
    with db.uow() as uow:
        row = _load_for_writer(uow, actor, upload_id)
        row.status = UploadStatus.complete.value
        row.object_key = data_key
        row.sha256 = put.sha256
        row.size = put.size
        row.completed_at = utcnow()
        row.chunks = []
        library = repo.get_library(uow.session, row.library_id or "")
        audit(
            uow.session,
            actor,
            "library.upload.complete",
            "library_upload",
            row.id,
            {"sha256": put.sha256, "size": put.size},
            row.organisation_id,
        )
        uow.commit()
        result = upload_read(row, library.slug if library else None)
    for key in keys:
        objects.delete(key)
    return result


def upload_file(
    db: Database,
    objects: ObjectStore,
    actor: Actor,
    library: str,
    filename: str,
    stream: BinaryIO,
    size: int,
    *,
    max_bytes: int,
    retention_days: int,
) -> UploadRead:
    """Create and fill an upload in one go (CLI, demo): one chunk, same checks."""
    with db.uow() as uow:
        created = create_upload(
            uow,
            actor,
            UploadCreate(library=library, filename=filename, size=size),
            max_bytes=max_bytes,
            retention_days=retention_days,
        )
    return fill_upload(db, objects, actor, created.id, stream, size)


def fill_upload(
    db: Database, objects: ObjectStore, actor: Actor, upload_id: str, stream: BinaryIO, size: int
) -> UploadRead:
    """Send a new upload's ``size`` bytes in one chunk and complete it (size and sha256 checked)."""
    # One shot: write the file straight to its final key (hashing on the way) instead of a
    # chunk that _complete would copy again; the same size and checksum checks apply.
    data_key = f"{quarantine_prefix(upload_id)}data"
    put = objects.put(data_key, stream, max_bytes=size)
    if put.size == 0:
        objects.delete(data_key)
        raise InvalidInput("the chunk is empty", code="empty_chunk")
    if put.size != size:
        objects.delete(data_key)
        raise InvalidInput(f"received {put.size} bytes, not the declared {size}", code="size_mismatch")
    with db.uow() as uow:
        if not repo.advance_upload(uow.session, upload_id, 0, put.size, [[0, put.size, data_key]]):
            raise Conflict("another request appended to this upload at the same time", code="offset_mismatch")
        uow.commit()
    return _complete(db, objects, actor, upload_id, assembled=put)


def purge_upload(db: Database, objects: ObjectStore, upload_id: str) -> bool:
    """Delete an upload's raw bytes (idempotent). True if something was deleted."""
    with db.uow() as uow:
        row = repo.get_upload(uow.session, upload_id)
        if row is None or row.deleted_at is not None:
            return False
    for key in list(objects.list(quarantine_prefix(upload_id))):
        with contextlib.suppress(NotFound):
            objects.delete(key)
    with db.uow() as uow:
        row = repo.get_upload(uow.session, upload_id)
        if row is not None and row.deleted_at is None:
            row.deleted_at = utcnow()
            row.status = UploadStatus.deleted.value
            uow.commit()
    return True
