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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.enums import AccessTier
from qazai.core.errors import AppError, Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.libraries import lineage as library_lineage
from qazai.libraries import uploads
from qazai.libraries.models import UploadRead, UploadStatus
from qazai.libraries.service import audit
from qazai.models import cards, policy, reads, repo, safety
from qazai.models.models import (
    MODEL_TIERS,
    FileSource,
    ModelCard,
    ModelPushRead,
    ModelRepoCreate,
    ModelRepoRead,
    ModelRepoUpdate,
    ModelUploadCreate,
    ModelVersionRead,
    PushState,
    VersionPush,
    VersionStatus,
)
from qazai.storage.db import Database, UnitOfWork
from qazai.storage.jobs import JobContext, enqueue, get_job
from qazai.storage.objects import ObjectStore, content_key
from qazai.storage.tables import Base  # every table: referenced_object_keys scans them all
from qazai.storage.tables.model_pushes import ModelPushRow
from qazai.storage.tables.models import (
    ModelFileRow,
    ModelRepoRow,
    ModelTrainingDataRow,
    ModelVersionRow,
)

log = logging.getLogger("qazai.models")
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+=@-]*$")
_LIBRARY_VERSION = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]*)(?:@|/v)(?P<number>\d{1,9})$")


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


PUSH_JOB = "models.push"
PUSH_MAX_ATTEMPTS = 3
_PG_OBJECTS_LOCK = 0x6D6F64656C6F626A  # "modelobj": version writes and object clean-up take turns


def push_model_version(
    db: Database, objects: ObjectStore, actor: Actor, repo_id: str, cmd: VersionPush
) -> ModelVersionRead:
    """Publish a new version in this process (demo, tests, jobs): :func:`start_model_push`
    without a job, then :func:`run_model_push`. Raises what the push is refused with."""
    accepted = start_model_push(db, actor, repo_id, cmd, enqueue_job=False)
    return run_model_push(db, objects, accepted.push_id)


def start_model_push(
    db: Database, actor: Actor, repo_id: str, cmd: VersionPush, *, enqueue_job: bool = True
) -> ModelPushRead:
    """Accept a push: check what is cheap, record it ``processing`` and queue its job.

    Checks, before anything is written: the actor is a producer of the owner organisation; the
    card has every mandatory field and no raw HTML; every path is safe and unique; the tag is
    free (no version and no push in progress holds it); every linked library version exists and
    is published; every upload is complete (a truncated upload is refused with what arrived).
    The job (:data:`PUSH_JOB`, :func:`run_model_push`) then copies, hashes and scans the files.
    A push is not a version: no reader, Hugging Face route or listing sees it.
    """
    with db.uow(read_only=True) as uow:
        repo_row = reads.load_repo(uow.session, repo_id)
        if not policy.can_push_model_version(actor, repo_row.organisation_id):
            raise PermissionDenied("only producers of the repository's organisation can push versions")
        cards.check_card(cmd.card)
        paths = [check_file_path(f.path) for f in cmd.files]
        duplicates = sorted({p for p in paths if paths.count(p) > 1})
        if duplicates:
            raise InvalidInput(f"the file {duplicates[0]!r} is given twice", code="duplicate_file_path")
        _training_refs(uow.session, cmd.card)
        files: list[dict[str, Any]] = []
        for source in cmd.files:
            upload = uploads.get_upload(uow, actor, source.upload_id)
            if upload.status != UploadStatus.complete:
                raise Conflict(
                    f"{source.path}: the upload {upload.id} is {upload.status.value} "
                    f"({upload.offset} of {upload.size} bytes received); finish it first",
                    code="upload_incomplete",
                    details={"path": source.path, "offset": upload.offset, "size": upload.size},
                )
            files.append(
                {"path": source.path, "upload_id": upload.id, "sha256": upload.sha256, "size": upload.size}
            )
    with db.uow() as uow:
        repo_row = reads.load_repo(uow.session, repo_id)
        if cmd.tag and (
            repo.get_version_by_tag(uow.session, repo_row.id, cmd.tag) is not None
            or _processing_push_with_tag(uow.session, repo_row.id, cmd.tag)
        ):
            raise Conflict(f"{repo_id} already has a version tagged {cmd.tag!r}", code="tag_exists")
        row = ModelPushRow(
            id=new_id(),
            repo_id=repo_row.id,
            tag=cmd.tag,
            state=PushState.processing.value,
            request={"card": cmd.card.model_dump(mode="json", exclude_none=True), "files": files},
            created_keys=[],
            job_id=None,
            version_id=None,
            error=None,
            actor_id=actor.user_id,
            actor_label=actor.label[:200],
            created_at=utcnow(),
            finished_at=None,
        )
        uow.session.add(row)
        uow.session.flush()
        if enqueue_job:
            job = enqueue(
                uow.session,
                PUSH_JOB,
                {"push_id": row.id},
                dedupe_key=f"{PUSH_JOB}:{row.id}",
                max_attempts=PUSH_MAX_ATTEMPTS,
            )
            row.job_id = job.id
        audit(
            uow.session,
            actor,
            "model.version.push_start",
            "model_push",
            row.id,
            {"repo": repo_id, "tag": cmd.tag, "files": [[f["path"], f["sha256"]] for f in files]},
            repo_row.organisation_id,
        )
        uow.commit()
        return _push_read(uow.session, row)


def _processing_push_with_tag(session: Session, repo_pk: str, tag: str) -> bool:
    query = select(ModelPushRow.id).where(
        ModelPushRow.repo_id == repo_pk,
        ModelPushRow.tag == tag,
        ModelPushRow.state == PushState.processing.value,
    )
    return session.scalars(query.limit(1)).first() is not None


def _push_read(session: Session, row: ModelPushRow) -> ModelPushRead:
    repo_row = session.get(ModelRepoRow, row.repo_id)
    assert repo_row is not None  # a push is deleted with its repository
    job = get_job(session, row.job_id) if row.job_id else None
    version = None
    if row.version_id is not None:
        version_row = session.get(ModelVersionRow, row.version_id)
        if version_row is not None:
            version = reads.version_read(session, repo_row, version_row)
    return ModelPushRead(
        push_id=row.id,
        repo_id=repo_row.repo_id,
        tag=row.tag,
        state=PushState(row.state),
        job_id=row.job_id,
        job_state=job.state.value if job else None,
        progress_percent=job.progress_percent if job else None,
        progress_message=job.progress_message if job else None,
        version=version,
        error=row.error,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def get_model_push(uow: UnitOfWork, actor: Actor, repo_id: str, push_id: str) -> ModelPushRead:
    """A push's state, progress and outcome: its pusher and the organisation's producers."""
    repo_row = reads.load_repo(uow.session, repo_id)
    row = uow.session.get(ModelPushRow, push_id)
    allowed = actor.user_id is not None and row is not None and row.actor_id == actor.user_id
    if row is None or row.repo_id != repo_row.id:
        raise NotFound(f"{repo_id} has no push {push_id!r}", code="push_not_found")
    if not (allowed or policy.can_push_model_version(actor, repo_row.organisation_id)):
        raise PermissionDenied("only the pusher and producers of the organisation can follow a push")
    return _push_read(uow.session, row)


def _stored_error(row: ModelPushRow) -> AppError:
    """The error a push was refused with, raised again (same class, code, message and details)."""
    error = row.error or {}
    kinds: dict[str, type[AppError]] = {
        k.__name__: k for k in (InvalidInput, Conflict, NotFound, PermissionDenied)
    }
    kind = kinds.get(str(error.get("kind")), Conflict)
    return kind(
        str(error.get("message", "the push was refused")),
        code=str(error.get("code", "push_refused")),
        details=error.get("details") or {},
    )


def run_model_push(
    db: Database,
    objects: ObjectStore,
    push_id: str,
    progress: Callable[[float, str | None], None] | None = None,
) -> ModelVersionRead:
    """The push job: scan each file, copy it into the content-addressed store (checking its
    SHA-256 against the upload's), then write the version and mark the push published in one
    transaction. Refused (AppError): the push is marked refused with the error and the findings
    and the copies nothing else references are removed, then the error is raised.

    Safe to run again after a crash: a published push returns its version, a refused one raises
    its error again, a push in progress is redone (storing the same bytes again is a no-op).
    """
    report = progress or (lambda _percent, _message: None)
    with db.uow(read_only=True) as uow:
        row = uow.session.get(ModelPushRow, push_id)
        if row is None:
            raise NotFound(f"no model push {push_id!r}", code="push_not_found")
        repo_row = uow.session.get(ModelRepoRow, row.repo_id)
        assert repo_row is not None
        if row.state == PushState.refused.value:
            raise _stored_error(row)
        if row.state == PushState.published.value:
            result = _push_read(uow.session, row).version
            assert result is not None
            files = list(row.request["files"])
            _purge_uploads(db, objects, files, repo_row.repo_id)
            return result
        repo_id, tier = repo_row.repo_id, AccessTier(repo_row.tier)
        card = ModelCard.model_validate(row.request["card"])
        files = list(row.request["files"])
        actor = Actor(user_id=row.actor_id, label=row.actor_label)
        tag = row.tag
    try:
        with db.uow(read_only=True) as uow:
            refs = _training_refs(uow.session, card)
        stored: list[dict[str, Any]] = []
        total = max(1, sum(int(f["size"] or 0) for f in files))
        done = 0
        for f in files:
            path, size = str(f["path"]), int(f["size"] or 0)
            key = f"{uploads.quarantine_prefix(str(f['upload_id']))}data"
            report(90.0 * done / total, f"scanning {path}")
            inspection = safety.inspect_file(objects, key, path, size, tier)
            report(90.0 * done / total, f"storing {path}")
            target = content_key(str(f["sha256"]))
            if not objects.exists(target):
                _remember_key(db, push_id, target)
            put = objects.put(None, objects.open(key), max_bytes=size)
            if put.sha256 != f["sha256"] or put.size != size:
                raise Conflict(f"{path}: the upload changed while it was read", code="upload_changed")
            done += size
            stored.append(
                {
                    "path": path,
                    "size": put.size,
                    "sha256": put.sha256,
                    "key": put.key,
                    "format": inspection.format.value,
                    "preferred": inspection.preferred,
                    "details": {"tensors": inspection.tensors, "scan": inspection.findings},
                }
            )
        report(95.0, "publishing")
        result = _write_version(
            db,
            objects,
            actor,
            repo_id,
            VersionPush.model_construct(tag=tag, card=card, files=[]),
            stored,
            refs,
            push_id,
        )
    except AppError as exc:
        refuse_model_push(db, objects, push_id, exc)
        raise
    _purge_uploads(db, objects, files, repo_id)
    return result


def _purge_uploads(db: Database, objects: ObjectStore, files: list[dict[str, Any]], repo_id: str) -> None:
    for f in files:
        try:
            uploads.purge_upload(db, objects, str(f["upload_id"]))
        except Exception:  # the version is published; the upload's purge job deletes it later
            log.warning(
                "could not purge upload %s after publishing %s", f["upload_id"], repo_id, exc_info=True
            )


def _remember_key(db: Database, push_id: str, key: str) -> None:
    """Note, before storing it, an object this push is about to create (what a refusal removes)."""
    with db.uow() as uow:
        row = uow.session.get(ModelPushRow, push_id)
        if row is not None and key not in row.created_keys:
            row.created_keys = [*row.created_keys, key]
            uow.commit()


def _lock_objects(session: Session, push: ModelPushRow) -> None:
    """Serialise version writes with object clean-up: on PostgreSQL a transaction-scoped advisory
    lock; on SQLite the write to the push row takes the database's one write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_OBJECTS_LOCK})
    push.finished_at = utcnow()
    session.flush()


def referenced_object_keys(session: Session, keys: list[str], *, except_push: str | None = None) -> set[str]:
    """Which of ``keys`` something still needs: any table's ``object_key``/``safe_object_key``
    column (model files, libraries, compute, registry, airlock share the content-addressed store)
    and the files of every push in progress other than ``except_push``."""
    wanted = set(keys)
    found: set[str] = set()
    if not wanted:
        return found
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if column.name in ("object_key", "safe_object_key"):
                found.update(session.scalars(select(column).where(column.in_(wanted))))
    pending = select(ModelPushRow.id, ModelPushRow.request).where(
        ModelPushRow.state == PushState.processing.value
    )
    for push_pk, request in session.execute(pending):
        if push_pk == except_push:
            continue
        for f in request.get("files", []):
            if f.get("sha256") and content_key(str(f["sha256"])) in wanted:
                found.add(content_key(str(f["sha256"])))
    return found


def refuse_model_push(db: Database, objects: ObjectStore, push_id: str, exc: AppError) -> None:
    """Mark a push refused with the error (and its findings) and delete the objects it created
    that nothing references (another version, another repo, another capability, a push in
    progress); taken in turn with version writes, so a push never loses an object it needs."""
    with db.uow() as uow:
        row = uow.session.get(ModelPushRow, push_id)
        if row is None or row.state != PushState.processing.value:
            return
        _lock_objects(uow.session, row)
        row.state = PushState.refused.value
        row.error = json.loads(
            json.dumps(
                {
                    "kind": type(exc).__name__,
                    "code": exc.code,
                    "message": exc.message,
                    "details": exc.details,
                },
                default=str,
            )
        )
        uow.session.flush()
        keep = referenced_object_keys(uow.session, list(row.created_keys), except_push=row.id)
        removed = [k for k in row.created_keys if k not in keep]
        for key in removed:
            objects.delete(key)
        repo_row = uow.session.get(ModelRepoRow, row.repo_id)
        actor = Actor(user_id=row.actor_id, label=row.actor_label)
        audit(
            uow.session,
            actor,
            "model.version.refuse",
            "model_push",
            row.id,
            {"repo": repo_row.repo_id if repo_row else None, "code": exc.code, "removed": len(removed)},
            repo_row.organisation_id if repo_row else None,
        )
        uow.commit()


def model_push_handler(db: Database, objects: ObjectStore) -> Callable[[JobContext], dict[str, Any]]:
    """The :data:`PUSH_JOB` handler (registered in ``qazai.api.wiring``)."""

    def handle(context: JobContext) -> dict[str, Any]:
        push_id = str(context.payload["push_id"])
        try:
            version = run_model_push(db, objects, push_id, context.progress)
        except AppError:
            raise
        except Exception as exc:  # retried; the last attempt refuses the push so it never hangs
            if context.attempt >= context.job.max_attempts:
                refuse_model_push(
                    db,
                    objects,
                    push_id,
                    Conflict(f"the push failed: {type(exc).__name__}", code="push_failed"),
                )
            raise
        return {"push_id": push_id, "repo": version.repo_id, "revision": version.revision, "tag": version.tag}

    return handle


def _write_version(
    db: Database,
    objects: ObjectStore,
    actor: Actor,
    repo_id: str,
    cmd: VersionPush,
    stored: list[dict[str, Any]],
    refs: list[library_lineage.VersionRef],
    push_id: str,
) -> ModelVersionRead:
    with db.uow() as uow:
        push = uow.session.get(ModelPushRow, push_id)
        if push is None:
            raise NotFound(f"no model push {push_id!r}", code="push_not_found")
        _lock_objects(uow.session, push)
        uow.session.refresh(push)
        if push.state != PushState.processing.value:
            raise Conflict(f"the push {push_id} is already {push.state}", code="push_finished")
        missing = [f["path"] for f in stored if not objects.exists(f["key"])]
        if missing:  # removed by a clean-up that ran before this push noted it: store it again
            raise RuntimeError(f"{missing[0]}: its stored copy was removed; the push is retried")
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
        push.state = PushState.published.value
        push.version_id = version.id
        push.finished_at = now
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
    """Push local files in this process (the demo, tests): :func:`upload_model_files`, then
    :func:`push_model_version`."""
    sources = upload_model_files(
        db, objects, actor, repo_id, files, max_bytes=max_bytes, retention_days=retention_days
    )
    return push_model_version(db, objects, actor, repo_id, VersionPush(tag=tag, card=card, files=sources))


def upload_model_files(
    db: Database,
    objects: ObjectStore,
    actor: Actor,
    repo_id: str,
    files: list[tuple[str, Path]],
    *,
    max_bytes: int,
    retention_days: int,
) -> list[FileSource]:
    """Stream local files into uploads of ``repo_id`` (one chunk each), ready to name in a push."""
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
    return sources


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
