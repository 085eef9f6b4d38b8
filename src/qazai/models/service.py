"""Model repository operations: every surface (API, web, CLI, jobs) calls these.

Each function authorises with ``policy``, validates, writes rows and one audit event in one
transaction. Pushing a version streams each file from its upload (the libraries' resumable
uploads, in quarantine) through the safety checks into the content-addressed store, then
writes the version and its files in one transaction: a version appears whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qazai.audit.service import record_event
from qazai.core.clock import utcnow
from qazai.core.enums import AccessTier
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.libraries import lineage as library_lineage
from qazai.libraries import uploads
from qazai.libraries.models import UploadRead, UploadStatus
from qazai.models import cards, policy, reads, repo, safety
from qazai.models.models import (
    MODEL_TIERS,
    ModelCard,
    ModelRepoCreate,
    ModelRepoRead,
    ModelRepoUpdate,
    ModelUploadCreate,
    ModelVersionRead,
    VersionPush,
    VersionStatus,
)
from qazai.storage.db import Database, UnitOfWork
from qazai.storage.objects import ObjectStore
from qazai.storage.tables.models import (
    ModelFileRow,
    ModelRepoRow,
    ModelTrainingDataRow,
    ModelVersionRow,
)

log = logging.getLogger("qazai.models")
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+=@-]*$")
_LIBRARY_VERSION = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]*)(?:@|/v)(?P<number>\d{1,9})$")


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


def create_model_repo(uow: UnitOfWork, actor: Actor, cmd: ModelRepoCreate) -> ModelRepoRead:
    """A new repository ``org/name``. NotFound ``organisation_not_found`` for an unknown
    organisation, PermissionDenied unless a producer of it, InvalidInput for the enclave tier,
    Conflict if the name is taken."""
    org = identity_repo.get_organisation(uow.session, cmd.organisation)
    if org is None:
        raise NotFound(f"no organisation {cmd.organisation!r}", code="organisation_not_found")
    if not policy.can_create_model_repo(actor, org.id):
        raise PermissionDenied("only producers of the organisation can create its model repositories")
    if cmd.tier not in MODEL_TIERS:
        raise InvalidInput(
            "models are open, registered or restricted (an enclave model cannot be handed out)",
            code="invalid_tier",
        )
    repo_id = f"{org.slug}/{cmd.name}"
    reads.parse_repo_id(repo_id)
    if repo.get_repo(uow.session, repo_id) is not None:
        raise Conflict(f"the model repository {repo_id!r} already exists", code="model_exists")
    now = utcnow()
    row = ModelRepoRow(
        id=new_id(),
        repo_id=repo_id,
        organisation_id=org.id,
        name=cmd.name,
        title=cmd.title.model_dump() if cmd.title else None,
        summary=cmd.summary.model_dump() if cmd.summary else None,
        tier=cmd.tier.value,
        licence=cmd.licence,
        task=cmd.task,
        languages=[str(x) for x in cmd.languages],
        tags=cmd.tags,
        latest_version_id=None,
        latest_revision=None,
        latest_tag=None,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    try:
        with uow.session.begin_nested():
            uow.session.add(row)
            uow.session.flush()
    except IntegrityError:
        raise Conflict(f"the model repository {repo_id!r} already exists", code="model_exists") from None
    audit(
        uow.session,
        actor,
        "model.repo.create",
        "model_repo",
        row.id,
        {"repo": repo_id, "tier": row.tier, "licence": row.licence},
        org.id,
    )
    uow.commit()
    return reads.repo_read(uow.session, row)


def update_model_repo(uow: UnitOfWork, actor: Actor, repo_id: str, cmd: ModelRepoUpdate) -> ModelRepoRead:
    """Change a repository's metadata (only the fields given; versions never change). Producers
    of the organisation; InvalidInput for the enclave tier. A tier change applies to every version
    at once (as for a library), and is audited with the old and new tier."""
    row = reads.load_repo(uow.session, repo_id)
    if not policy.can_create_model_repo(actor, row.organisation_id):
        raise PermissionDenied("only producers of the repository's organisation can change it")
    given = cmd.model_dump(mode="json", exclude_unset=True)
    if "tier" in given and (cmd.tier is None or cmd.tier not in MODEL_TIERS):
        raise InvalidInput("models are open, registered or restricted", code="invalid_tier")
    changed: dict[str, Any] = {}
    for name, value in given.items():
        if value is None and name in ("licence", "task", "languages", "tags"):
            raise InvalidInput(f"{name} cannot be emptied", code="field_required")
        if getattr(row, name) != value:
            changed[name] = {"from": getattr(row, name), "to": value}
            setattr(row, name, value)
    if changed:
        row.updated_at = utcnow()
        uow.session.flush()
        summary = {"repo": repo_id, **changed}
        audit(uow.session, actor, "model.repo.update", "model_repo", row.id, summary, row.organisation_id)
        uow.commit()
    return reads.repo_read(uow.session, row)


def create_model_upload(
    uow: UnitOfWork,
    actor: Actor,
    repo_id: str,
    cmd: ModelUploadCreate,
    *,
    max_bytes: int,
    retention_days: int,
) -> UploadRead:
    """Open a resumable upload for a file of ``repo_id`` (producers of its organisation); send the
    bytes with the uploads API (`PATCH /api/v1/uploads/{id}`), then name it in a push."""
    row = reads.load_repo(uow.session, repo_id)
    if not policy.can_push_model_version(actor, row.organisation_id):
        raise PermissionDenied("only producers of the repository's organisation can upload to it")
    return uploads.create_organisation_upload(
        uow,
        actor,
        row.organisation_id,
        cmd.filename,
        cmd.size,
        cmd.sha256,
        max_bytes=max_bytes,
        retention_days=retention_days,
    )


def check_file_path(path: str) -> str:
    """A file path inside a repo: `/`-separated safe segments, no `..`, no leading dot."""
    segments = path.split("/")
    if len(segments) > 10 or not all(_PATH_SEGMENT.match(s) for s in segments) or ".." in path:
        raise InvalidInput(
            f"{path[:200]!r} is not a usable file path in a repository: '/'-separated names of "
            "letters, digits and ._+=@-, not starting with a dot, no '..'",
            code="invalid_file_path",
        )
    return path


def parse_library_version(text: str) -> tuple[str, int]:
    match = _LIBRARY_VERSION.match(text.strip())
    if match is None:
        raise InvalidInput(
            f"{text[:100]!r} does not name a library version: write `slug@N` (e.g. population@3)",
            code="invalid_library_version",
        )
    return match["slug"], int(match["number"])


def _training_refs(session: Session, card: ModelCard) -> list[library_lineage.VersionRef]:
    refs: list[library_lineage.VersionRef] = []
    for text in card.training_data.library_versions if card.training_data else []:
        slug, number = parse_library_version(text)
        ref = library_lineage.find_version_ref(session, slug, number)
        if ref is None:
            raise NotFound(f"no library version {slug}@{number}", code="library_version_not_found")
        if ref.status != "published":
            raise Conflict(
                f"library version {slug}@{number} is {ref.status} and cannot be linked "
                f"({ref.withdrawn_reason or 'not published'})",
                code="library_version_not_published",
            )
        if ref.id not in {r.id for r in refs}:
            refs.append(ref)
    return refs


def revision_id(
    repo_id: str, parent: str | None, tag: str, number: int, files: list[list[Any]], card: dict[str, Any]
) -> str:
    """A commit-like id (40 hex, as git's): the SHA-1 of what the version is and where it sits."""
    body = json.dumps(
        {"repo": repo_id, "parent": parent, "tag": tag, "number": number, "files": files, "card": card},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha1(body.encode(), usedforsecurity=False).hexdigest()


def push_model_version(
    db: Database, objects: ObjectStore, actor: Actor, repo_id: str, cmd: VersionPush
) -> ModelVersionRead:
    """Publish a new immutable version from completed uploads.

    Checks, before anything is written: the actor is a producer of the owner organisation; the
    card has every mandatory field and no raw HTML; every path is safe and unique; every linked
    library version exists and is published; every upload is complete (a truncated upload is
    refused with what arrived), non-empty and passes the safety checks of its format (see
    :mod:`qazai.models.safety`). Then the files are copied into the content-addressed store and
    the version written in one transaction with one audit event. Conflict if the tag is taken.
    """
    with db.uow(read_only=True) as uow:
        repo_row = reads.load_repo(uow.session, repo_id)
        if not policy.can_push_model_version(actor, repo_row.organisation_id):
            raise PermissionDenied("only producers of the repository's organisation can push versions")
        cards.check_card(cmd.card)
        tier = AccessTier(repo_row.tier)
        paths = [check_file_path(f.path) for f in cmd.files]
        duplicates = sorted({p for p in paths if paths.count(p) > 1})
        if duplicates:
            raise InvalidInput(f"the file {duplicates[0]!r} is given twice", code="duplicate_file_path")
        if cmd.tag and repo.get_version_by_tag(uow.session, repo_row.id, cmd.tag) is not None:
            raise Conflict(f"{repo_id} already has a version tagged {cmd.tag!r}", code="tag_exists")
        refs = _training_refs(uow.session, cmd.card)
        received: list[UploadRead] = []
        for source in cmd.files:
            upload = uploads.get_upload(uow, actor, source.upload_id)
            if upload.status != UploadStatus.complete:
                raise Conflict(
                    f"{source.path}: the upload {upload.id} is {upload.status.value} "
                    f"({upload.offset} of {upload.size} bytes received); finish it first",
                    code="upload_incomplete",
                    details={"path": source.path, "offset": upload.offset, "size": upload.size},
                )
            received.append(upload)
    stored: list[dict[str, Any]] = []
    for source, upload in zip(cmd.files, received, strict=True):
        key = f"{uploads.quarantine_prefix(upload.id)}data"
        size = int(upload.size or 0)
        inspection = safety.inspect_file(objects, key, source.path, size, tier)
        put = objects.put(None, objects.open(key), max_bytes=size)
        if put.sha256 != upload.sha256 or put.size != size:
            raise Conflict(f"{source.path}: the upload changed while it was read", code="upload_changed")
        stored.append(
            {
                "path": source.path,
                "size": put.size,
                "sha256": put.sha256,
                "key": put.key,
                "format": inspection.format.value,
                "preferred": inspection.preferred,
                "details": {"tensors": inspection.tensors, "scan": inspection.findings},
            }
        )
    result = _write_version(db, actor, repo_id, cmd, stored, refs)
    for upload in received:
        try:
            uploads.purge_upload(db, objects, upload.id)
        except Exception:  # the version is published; the upload's purge job deletes it later
            log.warning("could not purge upload %s after publishing %s", upload.id, repo_id, exc_info=True)
    return result


def _write_version(
    db: Database,
    actor: Actor,
    repo_id: str,
    cmd: VersionPush,
    stored: list[dict[str, Any]],
    refs: list[library_lineage.VersionRef],
) -> ModelVersionRead:
    with db.uow() as uow:
        repo_row = reads.load_repo(uow.session, repo_id)
        number = repo.max_version_number(uow.session, repo_row.id) + 1
        tag = cmd.tag or f"v{number}"
        card = cmd.card.model_dump(mode="json", exclude_none=True)
        files = sorted([[f["path"], f["sha256"], f["size"]] for f in stored])
        revision = revision_id(repo_id, repo_row.latest_revision, tag, number, files, card)
        now = utcnow()
        version = ModelVersionRow(
            id=new_id(),
            repo_id=repo_row.id,
            number=number,
            revision=revision,
            tag=tag,
            parent_revision=repo_row.latest_revision,
            status=VersionStatus.published.value,
            card=card,
            total_size=sum(int(f["size"]) for f in stored),
            file_count=len(stored),
            trained_on_platform=bool(cmd.card.training_data and cmd.card.training_data.trained_on_platform),
            flag_reason=None,
            flagged_at=None,
            withdrawn_at=None,
            withdrawn_reason=None,
            created_by=actor.user_id,
            created_at=now,
        )
        try:
            with uow.session.begin_nested():
                uow.session.add(version)
                uow.session.flush()
        except IntegrityError:
            raise Conflict(
                f"{repo_id} already has a version tagged {tag!r} (another push finished first)",
                code="tag_exists",
            ) from None
        for f in stored:
            uow.session.add(
                ModelFileRow(
                    id=new_id(),
                    version_id=version.id,
                    path=f["path"],
                    size=f["size"],
                    sha256=f["sha256"],
                    object_key=f["key"],
                    format=f["format"],
                    preferred=f["preferred"],
                    details=f["details"],
                )
            )
        for ref in refs:
            uow.session.add(
                ModelTrainingDataRow(
                    id=new_id(),
                    model_version_id=version.id,
                    library_version_id=ref.id,
                    source="declared",
                    job_id=None,
                    created_at=now,
                )
            )
        repo_row.latest_version_id = version.id
        repo_row.latest_revision = revision
        repo_row.latest_tag = tag
        repo_row.updated_at = now
        uow.session.flush()
        audit(
            uow.session,
            actor,
            "model.version.push",
            "model_version",
            version.id,
            {
                "repo": repo_id,
                "revision": revision,
                "tag": tag,
                "files": [[f["path"], f["sha256"]] for f in stored],
                "trained_on": [f"{r.library_slug}@{r.number}" for r in refs],
            },
            repo_row.organisation_id,
        )
        uow.commit()
        return reads.version_read(uow.session, repo_row, version)


def push_model_files(
    db: Database,
    objects: ObjectStore,
    actor: Actor,
    repo_id: str,
    files: list[tuple[str, Path]],
    *,
    card: ModelCard,
    tag: str | None,
    max_bytes: int,
    retention_days: int,
) -> ModelVersionRead:
    """Push local files (the CLI, the demo, tests): each streamed into an upload in one chunk,
    then :func:`push_model_version`."""
    from qazai.models.models import FileSource

    sources: list[FileSource] = []
    for path, local in files:
        check_file_path(path)
        size = local.stat().st_size
        with db.uow() as uow:
            created = create_model_upload(
                uow,
                actor,
                repo_id,
                ModelUploadCreate(filename=Path(path).name, size=size),
                max_bytes=max_bytes,
                retention_days=retention_days,
            )
        with local.open("rb") as stream:
            uploads.fill_upload(db, objects, actor, created.id, stream, size)
        sources.append(FileSource(path=path, upload_id=created.id))
    return push_model_version(db, objects, actor, repo_id, VersionPush(tag=tag, card=card, files=sources))


def withdraw_model_version(
    uow: UnitOfWork, actor: Actor, repo_id: str, revision: str, reason: str
) -> ModelVersionRead:
    """Withdraw a version (its files answer 410 with the reason; ``main`` moves back). Producers of
    the owner organisation. Conflict if already withdrawn."""
    repo_row = reads.load_repo(uow.session, repo_id)
    if not policy.can_withdraw_model_version(actor, repo_row.organisation_id):
        raise PermissionDenied("only producers of the repository's organisation can withdraw its versions")
    if len(reason.strip()) < 5:
        raise InvalidInput("give the reason for withdrawing (at least 5 characters)", code="reason_required")
    version = reads.find_version(uow.session, repo_row, revision)
    if version.status == VersionStatus.withdrawn.value:
        raise Conflict(f"{repo_id}@{version.tag} is already withdrawn", code="already_withdrawn")
    version.status = VersionStatus.withdrawn.value
    version.withdrawn_at = utcnow()
    version.withdrawn_reason = reason.strip()
    uow.session.flush()
    newest = repo.newest_published(uow.session, repo_row.id)
    repo_row.latest_version_id = newest.id if newest else None
    repo_row.latest_revision = newest.revision if newest else None
    repo_row.latest_tag = newest.tag if newest else None
    repo_row.updated_at = utcnow()
    audit(
        uow.session,
        actor,
        "model.version.withdraw",
        "model_version",
        version.id,
        {"repo": repo_id, "revision": version.revision, "reason": version.withdrawn_reason},
        repo_row.organisation_id,
    )
    uow.commit()
    return reads.version_read(uow.session, repo_row, version)
