"""The airlock: nothing a job writes leaves before it is checked (docs/compute.md, "Airlock").

1. When a job succeeds, compute hands every output file to :func:`hold_outputs`. Tables get the
   disclosure checks (:mod:`qazai.compute.disclosure`) and a proposed safe version; other files
   wait for a reviewer's written justification; declarations and contributions are evidence, never
   released; files of a job that did not succeed, and damaged files, are withheld for good.
2. Output checkers (the platform role ``output_checker``) review each file: never the requester,
   each checker once. Two approvals of the same version release the file; one refusal ends it.
3. A released file is downloadable (with ranges) by the project's members; before that, only output
   checkers may read a held file, to review it. Every step is an audit event.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from qazai.audit.service import record_event
from qazai.compute.airlock_models import (
    MIN_JUSTIFICATION,
    Decision,
    FileState,
    HeldFileFilter,
    HeldFileRead,
    HoldOutputs,
    ReviewCreate,
    ReviewRead,
    TablePreview,
    Variant,
)
from qazai.compute.disclosure import DisclosureSettings, Finding, Severity
from qazai.compute.disclosure_files import FileCheck, FileRole, TableUnreadable, check_outputs, read_table
from qazai.compute.disclosure_findings import redacted
from qazai.config import Settings
from qazai.core.clock import utcnow
from qazai.core.enums import PlatformRole
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.core.pagination import Page, decode_cursor, encode_cursor
from qazai.identity.actor import SYSTEM, Actor
from qazai.storage.db import Database, UnitOfWork
from qazai.storage.objects.base import ObjectStore
from qazai.storage.scratch import scratch_folder
from qazai.storage.tables.airlock import AirlockFileRow, AirlockReviewRow
from qazai.storage.tables.compute import ComputeProjectMemberRow
from qazai.storage.tables.identity import UserRow

APPROVALS_TO_RELEASE = 2

# Called with (uow, job_id) when no file of a job waits for review any more (compute wires it).
ReviewDoneHook = Callable[[UnitOfWork, str], None]


# --- policy -------------------------------------------------------------------------------------


def can_review_outputs(actor: Actor) -> bool:
    """Output checkers, signed in as a person (the system itself reviews nothing)."""
    return (
        actor.user_id is not None
        and PlatformRole.output_checker in actor.platform_roles
        and actor.allows_scope("write")
    )


def _is_project_member(uow: UnitOfWork, project_id: str, user_id: str | None) -> bool:
    if user_id is None:
        return False
    from qazai.compute.projects import is_project_member

    return is_project_member(uow.session, project_id, user_id)


def can_read_held_file(uow: UnitOfWork, actor: Actor, row: AirlockFileRow) -> bool:
    """See a file's record and findings: its project's members and output checkers (not its bytes)."""
    if not actor.allows_scope("read"):
        return False
    return (
        can_review_outputs(actor)
        or actor.has_platform_role(PlatformRole.operator)
        or _is_project_member(uow, row.project_id, actor.user_id)
    )


# --- reading rows -------------------------------------------------------------------------------


def disclosure_settings(settings: Settings) -> DisclosureSettings:
    """The checks' thresholds from the platform's settings (``QAZAI_AIRLOCK_*``)."""
    return DisclosureSettings(
        min_count=settings.airlock_min_count,
        dominance_k=settings.airlock_dominance_k,
        p_percent=settings.airlock_p_percent,
        round_to=settings.airlock_round_to,
    )


def _original_releasable(row: AirlockFileRow) -> bool:
    return row.role != FileRole.evidence and not any(f["severity"] == Severity.blocking for f in row.findings)


def _needs_justification(row: AirlockFileRow) -> bool:
    """Releasing the original needs words: nothing cleared it automatically."""
    return (
        row.role == FileRole.other
        or row.safe_object_key is None
        or any(
            f["severity"] in (Severity.suppress, Severity.secondary, Severity.review) for f in row.findings
        )
    )


def _sees_figures(actor: Actor, row: AirlockFileRow) -> bool:
    """Only an output checker (not the requester) sees the figures behind the findings: the
    requester and the project's members see where the problems are, not the small counts."""
    return can_review_outputs(actor) and row.requested_by != actor.user_id


def _read(
    uow: UnitOfWork, row: AirlockFileRow, *, with_reviews: bool = False, actor: Actor | None = None
) -> HeldFileRead:
    reviews: list[ReviewRead] = []
    if with_reviews:
        found = uow.session.execute(
            select(AirlockReviewRow, UserRow.name)
            .join(UserRow, UserRow.id == AirlockReviewRow.reviewer_id)
            .where(AirlockReviewRow.file_id == row.id)
            .order_by(AirlockReviewRow.created_at, AirlockReviewRow.id)
        ).all()
        reviews = [
            ReviewRead.model_validate(review).model_copy(update={"reviewer_name": name})
            for review, name in found
        ]
    return HeldFileRead(
        id=row.id,
        job_id=row.job_id,
        project_id=row.project_id,
        organisation_id=row.organisation_id,
        requested_by=row.requested_by,
        name=row.name,
        size=row.size,
        sha256=row.sha256,
        role=FileRole(row.role),
        table_kind=row.table_kind,
        state=FileState(row.state),
        released_variant=Variant(row.released_variant) if row.released_variant else None,
        findings=[
            item if actor is None or _sees_figures(actor, row) else redacted(item)
            for item in (Finding.model_validate(f) for f in row.findings)
        ],
        cells=row.cells,
        suppressed=row.suppressed,
        secondary=row.secondary,
        has_safe_version=row.safe_object_key is not None,
        safe_size=row.safe_size,
        needs_justification=_needs_justification(row),
        original_releasable=_original_releasable(row),
        reviews=reviews,
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


def held_file_row(uow: UnitOfWork, file_id: str, *, for_update: bool = False) -> AirlockFileRow:
    query = select(AirlockFileRow).where(AirlockFileRow.id == file_id)
    if for_update:
        query = query.with_for_update()
    row = uow.session.scalars(query).one_or_none()
    if row is None:
        raise NotFound(f"no held output {file_id!r}", code="output_not_found")
    return row


def audit_held_file(
    uow: UnitOfWork, actor: Actor, action: str, row: AirlockFileRow, summary: dict[str, Any]
) -> None:
    record_event(
        uow.session,
        action=action,
        object_type="airlock_file",
        object_id=row.id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        organisation_id=row.organisation_id,
        summary={"job_id": row.job_id, "project_id": row.project_id, "name": row.name, **summary},
        request_id=uow.request_id,
    )


# --- holding ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _scratch(root: Path | None) -> Iterator[Path]:
    if root is None:
        with tempfile.TemporaryDirectory(prefix="qazai-airlock-") as folder:
            yield Path(folder)
    else:
        with scratch_folder(root, "airlock") as folder:
            yield folder


def _initial_state(check: FileCheck) -> FileState:
    if check.role is FileRole.evidence:
        return FileState.evidence
    blocking = any(f.severity is Severity.blocking for f in check.findings)
    if blocking and check.safe_path is None:  # damaged, half written, or wrongly declared
        return FileState.withheld
    return FileState.pending


def hold_outputs(
    uow: UnitOfWork,
    store: ObjectStore,
    command: HoldOutputs,
    *,
    settings: DisclosureSettings | None = None,
    scratch: Path | None = None,
    on_review_done: ReviewDoneHook | None = None,
) -> list[HeldFileRead]:
    """Hold every output of an exited job (in the caller's transaction; the caller commits).

    Runs the disclosure checks, stores each table's safe version in ``store`` and records one row
    per file plus one audit event. A job that did not succeed has every file withheld, unchecked.
    Calling it again for the same job returns the rows already held (a retried hand-over).
    """
    existing = uow.session.scalars(
        select(AirlockFileRow).where(AirlockFileRow.job_id == command.job_id).order_by(AirlockFileRow.name)
    ).all()
    if existing:
        return [_read(uow, row) for row in existing]
    now = utcnow()
    succeeded = command.job_state == "succeeded"
    checks: dict[str, FileCheck] = {}
    safe_objects: dict[str, tuple[str, int, str]] = {}
    if succeeded and command.files:
        with _scratch(scratch) as folder:
            local: dict[str, Path] = {}
            for index, held in enumerate(command.files):
                path = folder / "in" / str(index) / Path(held.name).name
                path.parent.mkdir(parents=True)
                with path.open("wb") as out:
                    for chunk in store.open(held.object_key):
                        out.write(chunk)
                local[held.name] = path
            checks = check_outputs(local, settings or DisclosureSettings(), folder / "safe")
            for name, checked in checks.items():
                if checked.safe_path is not None:
                    with checked.safe_path.open("rb") as source:
                        put = store.put(None, source)
                    safe_objects[name] = (put.key, put.size, put.sha256)
    rows = []
    for held in command.files:
        check = checks.get(held.name)
        state = _initial_state(check) if check is not None else FileState.withheld
        safe = safe_objects.get(held.name)
        row = AirlockFileRow(
            id=new_id(),
            job_id=command.job_id,
            project_id=command.project_id,
            organisation_id=command.organisation_id,
            requested_by=command.requested_by,
            name=held.name,
            object_key=held.object_key,
            size=held.size,
            sha256=held.sha256,
            role=(check.role if check is not None else FileRole.other).value,
            table_kind=check.kind.value if check is not None and check.kind is not None else None,
            findings=[f.model_dump(mode="json") for f in check.findings] if check is not None else [],
            cells=check.cells if check is not None else 0,
            suppressed=check.suppressed if check is not None else 0,
            secondary=check.secondary if check is not None else 0,
            safe_object_key=safe[0] if safe else None,
            safe_size=safe[1] if safe else None,
            safe_sha256=safe[2] if safe else None,
            state=state.value,
            created_at=now,
            decided_at=None if state is FileState.pending else now,
        )
        uow.session.add(row)
        rows.append(row)
    uow.session.flush()
    states = [r.state for r in rows]
    record_event(
        uow.session,
        action="airlock.hold",
        object_type="compute_job",
        object_id=command.job_id,
        actor_id=None,
        actor_label=SYSTEM.label,
        organisation_id=command.organisation_id,
        summary={
            "project_id": command.project_id,
            "job_state": command.job_state,
            "files": len(rows),
            **{state.value: states.count(state.value) for state in FileState if state.value in states},
        },
        request_id=uow.request_id,
    )
    if on_review_done is not None and FileState.pending.value not in states:
        on_review_done(uow, command.job_id)
    return [_read(uow, row) for row in rows]


# --- listing and reading ------------------------------------------------------------------------


def list_held_files(uow: UnitOfWork, actor: Actor, query: HeldFileFilter) -> Page[HeldFileRead]:
    """Output checkers (and operators) see every file; others the files of a project they belong to
    (``project_id``), or by default the files of their own jobs. Newest first."""
    if not actor.is_authenticated or not actor.allows_scope("read"):
        raise PermissionDenied("sign in to see held outputs", code="permission_denied")
    statement = select(AirlockFileRow)
    sees_all = can_review_outputs(actor) or actor.has_platform_role(PlatformRole.operator)
    if not sees_all:
        if query.project_id is not None:
            if not _is_project_member(uow, query.project_id, actor.user_id):
                raise PermissionDenied("you are not a member of this project", code="not_project_member")
        else:
            statement = statement.where(AirlockFileRow.requested_by == actor.user_id)
    if query.project_id is not None:
        statement = statement.where(AirlockFileRow.project_id == query.project_id)
    if query.job_id is not None:
        statement = statement.where(AirlockFileRow.job_id == query.job_id)
    if query.state is not None:
        statement = statement.where(AirlockFileRow.state == query.state.value)
    after = decode_cursor(query.cursor)
    if after is not None:
        if not (isinstance(after, list) and len(after) == 2 and all(isinstance(v, str) for v in after)):
            raise InvalidInput("the cursor is not one this list gave", code="invalid_cursor")
        try:
            at = datetime.fromisoformat(after[0])
        except ValueError:
            raise InvalidInput("the cursor is not one this list gave", code="invalid_cursor") from None
        statement = statement.where(
            or_(
                AirlockFileRow.created_at < at,
                (AirlockFileRow.created_at == at) & (AirlockFileRow.id < after[1]),
            )
        )
    rows = uow.session.scalars(
        statement.order_by(AirlockFileRow.created_at.desc(), AirlockFileRow.id.desc()).limit(query.limit + 1)
    ).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = encode_cursor([rows[-1].created_at.isoformat(), rows[-1].id]) if more and rows else None
    return Page(items=[_read(uow, row, actor=actor) for row in rows], next=cursor)


def list_released_files(uow: UnitOfWork, actor: Actor, *, limit: int = 200) -> list[HeldFileRead]:
    """The released files of every project ``actor`` is an active member of, newest decision first."""
    if actor.user_id is None or not actor.allows_scope("read"):
        return []
    memberships = select(ComputeProjectMemberRow.project_id).where(
        ComputeProjectMemberRow.user_id == actor.user_id, ComputeProjectMemberRow.revoked_at.is_(None)
    )
    rows = uow.session.scalars(
        select(AirlockFileRow)
        .where(AirlockFileRow.state == FileState.released.value, AirlockFileRow.project_id.in_(memberships))
        .order_by(AirlockFileRow.decided_at.desc(), AirlockFileRow.id.desc())
        .limit(limit)
    ).all()
    return [_read(uow, row, actor=actor) for row in rows]


def get_held_file(uow: UnitOfWork, actor: Actor, file_id: str) -> HeldFileRead:
    row = held_file_row(uow, file_id)
    if not can_read_held_file(uow, actor, row):
        raise PermissionDenied(
            "only the project's members and output checkers see this output", code="not_project_member"
        )
    return _read(uow, row, with_reviews=True, actor=actor)


def _readable_variant(uow: UnitOfWork, actor: Actor, row: AirlockFileRow, variant: Variant) -> str:
    """The object key ``actor`` may read for ``variant`` of ``row``, and the audit action; raises."""
    key = row.object_key if variant is Variant.original else row.safe_object_key
    if key is None:
        raise NotFound(f"{row.name} has no safe version", code="no_safe_version")
    released = row.state == FileState.released and row.released_variant == variant.value
    if released and (can_review_outputs(actor) or _is_project_member(uow, row.project_id, actor.user_id)):
        return key
    if can_review_outputs(actor) and row.requested_by != actor.user_id:
        return key  # an output checker reads held files to review them (never their own job's)
    if not _is_project_member(uow, row.project_id, actor.user_id):
        raise PermissionDenied(
            "only the project's members may download its released outputs", code="not_project_member"
        )
    raise PermissionDenied(
        f"{row.name} ({variant.value}) is not released: it stays in the airlock until two output checkers "
        "release it",
        code="output_not_released",
        details={"state": row.state, "released_variant": row.released_variant},
    )


@dataclass(frozen=True)
class ServedOutput:
    """A held file one actor may read now: which object, and whether it is a released download."""

    file: HeldFileRead
    variant: Variant
    key: str
    size: int
    sha256: str
    released: bool


def resolve_held_file(uow: UnitOfWork, actor: Actor, file_id: str, variant: Variant) -> ServedOutput:
    """The bytes ``actor`` may read: a released file for a project member, or any held file for an
    output checker (to review it). Raises PermissionDenied otherwise (``not_project_member``,
    ``output_not_released``). Record the read with :func:`record_output_read`."""
    if not actor.allows_scope("read"):
        raise PermissionDenied("this credential cannot read", code="insufficient_scope")
    row = held_file_row(uow, file_id)
    key = _readable_variant(uow, actor, row, variant)
    original = variant is Variant.original
    return ServedOutput(
        file=_read(uow, row, actor=actor),
        variant=variant,
        key=key,
        size=row.size if original else (row.safe_size or 0),
        sha256=row.sha256 if original else (row.safe_sha256 or ""),
        released=row.state == FileState.released and row.released_variant == variant.value,
    )


def audit_output_read(
    uow: UnitOfWork,
    actor: Actor,
    served: ServedOutput,
    *,
    byte_range: str | None = None,
    preview: bool = False,
) -> None:
    """Audit one read in ``uow`` (no commit): ``airlock.download`` of a released file by a member,
    ``airlock.inspect`` of a held one by an output checker."""
    row = held_file_row(uow, served.file.id)
    summary: dict[str, Any] = {"variant": served.variant.value}
    if byte_range:
        summary["range"] = byte_range
    if preview:
        summary["preview"] = True
    audit_held_file(uow, actor, "airlock.download" if served.released else "airlock.inspect", row, summary)


def record_output_read(
    db: Database, actor: Actor, served: ServedOutput, *, byte_range: str | None = None, preview: bool = False
) -> None:
    """:func:`audit_output_read` in its own transaction (reads are served from read-only ones)."""
    with db.uow() as uow:
        audit_output_read(uow, actor, served, byte_range=byte_range, preview=preview)
        uow.commit()


def preview_held_table(store: ObjectStore, served: ServedOutput, *, max_rows: int = 200) -> TablePreview:
    """The first ``max_rows`` rows of a held table with its findings placed on their cells (review page).

    ``served`` comes from :func:`resolve_held_file`; record the read with :func:`record_output_read`."""
    if served.file.role is not FileRole.table:
        raise InvalidInput(f"{served.file.name} is not a table", code="not_a_table")
    with tempfile.TemporaryDirectory(prefix="qazai-airlock-") as folder:
        path = Path(folder) / Path(served.file.name).name
        with path.open("wb") as out:
            for chunk in store.open(served.key):
                out.write(chunk)
        try:
            frame = read_table(path, served.file.name)
        except TableUnreadable as error:
            raise InvalidInput(
                f"{served.file.name} cannot be shown: {error}", code="unreadable_output"
            ) from error
    rank = {Severity.review: 1, Severity.secondary: 2, Severity.suppress: 3, Severity.blocking: 4}
    marks: dict[str, str] = {}
    for item in served.file.findings:
        if item.row is None or item.column is None:
            continue
        place = f"{item.row}:{item.column}"
        if place not in marks or rank[Severity(marks[place])] < rank[item.severity]:
            marks[place] = item.severity.value
    head = frame.head(max_rows)
    rows = [[None if v is None else str(v) for v in record] for record in head.iter_rows()]
    return TablePreview(
        name=served.file.name,
        variant=served.variant,
        columns=frame.columns,
        rows=rows,
        total_rows=frame.height,
        marks=marks,
    )


# --- reviewing ----------------------------------------------------------------------------------


def _check_reviewer(row: AirlockFileRow, actor: Actor) -> None:
    if not can_review_outputs(actor):
        raise PermissionDenied("only output checkers review held outputs", code="not_output_checker")
    if row.requested_by is not None and row.requested_by == actor.user_id:
        raise PermissionDenied(
            "you ran this job: its outputs are reviewed by two other output checkers", code="own_output"
        )
    if row.state != FileState.pending:
        why = {
            FileState.withheld: "it is withheld (the job did not succeed, or the file is damaged)",
            FileState.evidence: "it is evidence for the checks (a declaration or contributions)",
        }.get(FileState(row.state), f"it is already {row.state}")
        raise Conflict(
            f"{row.name} cannot be reviewed: {why}", code="not_reviewable", details={"state": row.state}
        )


def _check_decision(row: AirlockFileRow, command: ReviewCreate) -> None:
    words = (command.justification or "").strip()
    if command.decision is Decision.reject:
        if len(words) < MIN_JUSTIFICATION:
            raise InvalidInput(
                f"say why the output is refused (at least {MIN_JUSTIFICATION} characters)",
                code="output_justification_required",
            )
        return
    if command.variant is None:
        raise InvalidInput("say which version to release: original or safe", code="variant_required")
    if command.variant is Variant.safe and row.safe_object_key is None:
        raise InvalidInput(
            f"{row.name} has no safe version; only the original can be reviewed", code="no_safe_version"
        )
    if command.variant is Variant.original:
        if not _original_releasable(row):
            raise Conflict(
                f"the original of {row.name} cannot be released: a blocking finding forbids it"
                + (" (release the safe version)" if row.safe_object_key else ""),
                code="original_blocked",
            )
        if _needs_justification(row) and len(words) < MIN_JUSTIFICATION:
            raise InvalidInput(
                f"releasing the original of {row.name} needs a written justification (at least "
                f"{MIN_JUSTIFICATION} characters): the checks did not clear it",
                code="output_justification_required",
            )


def review_held_file(
    uow: UnitOfWork,
    actor: Actor,
    file_id: str,
    command: ReviewCreate,
    *,
    on_review_done: ReviewDoneHook | None = None,
) -> HeldFileRead:
    """Record one output checker's decision on one file, and release or refuse it when decided.

    Raises PermissionDenied (not an output checker; the requester), Conflict (not pending, already
    reviewed by this checker, a blocked original), InvalidInput (no variant, no justification).
    Commits.
    """
    row = held_file_row(uow, file_id, for_update=True)
    _check_reviewer(row, actor)
    assert actor.user_id is not None
    earlier = uow.session.scalars(select(AirlockReviewRow).where(AirlockReviewRow.file_id == row.id)).all()
    if any(r.reviewer_id == actor.user_id for r in earlier):
        raise Conflict(
            f"you have already reviewed {row.name}: a second output checker must decide",
            code="already_reviewed",
        )
    _check_decision(row, command)
    now = utcnow()
    review = AirlockReviewRow(
        id=new_id(),
        file_id=row.id,
        reviewer_id=actor.user_id,
        decision=command.decision.value,
        variant=command.variant.value if command.decision is Decision.approve and command.variant else None,
        justification=(command.justification or "").strip() or None,
        created_at=now,
    )
    uow.session.add(review)
    outcome = None
    if command.decision is Decision.reject:
        row.state, row.decided_at, outcome = FileState.rejected.value, now, "airlock.reject"
    else:
        same = [r for r in earlier if r.decision == Decision.approve and r.variant == review.variant]
        if len(same) + 1 >= APPROVALS_TO_RELEASE:
            row.state, row.released_variant, row.decided_at = FileState.released.value, review.variant, now
            outcome = "airlock.release"
    summary = {
        "decision": review.decision,
        "variant": review.variant,
        "justified": review.justification is not None,
    }
    audit_held_file(uow, actor, "airlock.review", row, summary)
    if outcome is not None:
        reviewers = sorted({*(r.reviewer_id for r in earlier), actor.user_id})
        audit_held_file(uow, actor, outcome, row, {"variant": row.released_variant, "reviewers": reviewers})
    uow.session.flush()
    if outcome is not None:
        if on_review_done is None:  # by default the job moves to reviewed
            from qazai.compute.jobs import record_review_done

            on_review_done = record_review_done
        waiting = uow.session.scalars(
            select(AirlockFileRow.id).where(
                AirlockFileRow.job_id == row.job_id, AirlockFileRow.state == FileState.pending.value
            )
        ).first()
        if waiting is None:
            on_review_done(uow, row.job_id)
    uow.commit()
    return _read(uow, row, with_reviews=True, actor=actor)
