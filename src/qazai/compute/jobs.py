"""Compute jobs: submit a script to run next to the data, follow it, cancel it, read its log.

A job's life (states in ``states.py``):

1. ``submit_job`` checks everything it can before anything runs — membership, the project's right
   to run (not closed, its pilot not ended), the script (a Python file that compiles, or a valid
   notebook), every input (in the project, published, its grant approved and unexpired), the
   organisation's quota — stores the script, records the job ``queued`` with the audit event,
   commits, and only then hands the run to the executor.
2. ``refresh_job`` (called by the durable queue's ``compute.watch`` job, and when a job is read)
   polls the executor and moves the job through the table. At each poll it checks the right to
   run again: a project closed, a pilot ended, a grant expired or revoked since submission cancels
   the run. A backend that does not answer leaves the job as it was, with a message.
3. When the run has ended: a succeeded run's files are copied into the object store and handed to
   the airlock (``awaiting_review``); a failed, cancelled or timed-out run's files are never copied
   (a run killed mid-write offers nothing). The log is kept in the object store; the run folder is
   removed.

Every step is idempotent: it may run again after a crash, from another worker.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from qazai.audit.service import record_action as audit
from qazai.compute import policy, repo
from qazai.compute.environment import NOTEBOOK_RUNNER, check_environment_through, check_job_environment
from qazai.compute.executors import build_executor
from qazai.compute.executors.base import Executor, FailureReason, RunLimits, RunSpec, RunState, RunStatus
from qazai.compute.models import (
    INPUT_REFERENCE,
    JobCancel,
    JobInputRead,
    JobRead,
    JobSubmit,
    LogRead,
    OutputRead,
)
from qazai.compute.projects import input_problem, load_project, membership_of, run_problem
from qazai.compute.quotas import limits_within_quota
from qazai.compute.states import ENDED_STATES, FROM_RUN_STATE, JobState, check_transition, path_to
from qazai.config import Settings
from qazai.core.clock import utcnow
from qazai.core.enums import AccessTier
from qazai.core.errors import (
    AppError,
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from qazai.core.ids import new_id
from qazai.core.pagination import Page, check_limit, decode_text_cursor, encode_cursor
from qazai.identity.actor import Actor
from qazai.libraries.service import load_library, load_version
from qazai.registry import infosec
from qazai.storage.db import Database, UnitOfWork
from qazai.storage.jobs import JobContext, enqueue
from qazai.storage.objects import ObjectStore
from qazai.storage.tables.compute import ComputeJobOutputRow, ComputeJobRow, ComputeProjectRow

log = logging.getLogger("qazai.compute")

WATCH_JOB = "compute.watch"
NOTEBOOK_RUNNER_PATH = ".qazai/run_notebook.py"
_SCRIPT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.(py|ipynb)$")


@dataclass(frozen=True)
class ComputeRuntime:
    """What job operations need besides the database: settings, object store, executor."""

    settings: Settings
    objects: ObjectStore
    executor: Executor


def compute_runtime(
    settings: Settings, objects: ObjectStore, executor: Executor | None = None
) -> ComputeRuntime:
    return ComputeRuntime(settings, objects, executor or build_executor(settings))


# -- reading ------------------------------------------------------------------------------------


def to_read(session: Session, row: ComputeJobRow) -> JobRead:
    project = session.get(ComputeProjectRow, row.project_id)
    state = JobState(row.state)
    return JobRead(
        id=row.id,
        project_id=row.project_id,
        project_slug=project.slug if project else "",
        organisation_id=row.organisation_id,
        submitted_by=row.submitted_by,
        script_name=row.script_name,
        script_kind=row.script_kind,
        inputs=[
            JobInputRead(
                reference=i["reference"], tier=AccessTier(i["tier"]), path=i["path"], bytes=i["bytes"]
            )
            for i in row.inputs
        ],
        limits=dict(row.limits),
        backend=row.backend,
        state=state,
        reason=FailureReason(row.reason) if row.reason else None,
        message=row.message,
        exit_code=row.exit_code,
        cpu_seconds=row.cpu_seconds,
        output_bytes=row.output_bytes,
        outputs=[
            OutputRead(path=o.path, size=o.size, sha256=o.sha256) for o in repo.outputs(session, row.id)
        ],
        submitted_at=row.submitted_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        cancel_reason=row.cancel_reason,
        final=state in ENDED_STATES,
    )


def _load_job(uow: UnitOfWork, actor: Actor, job_id: str) -> ComputeJobRow:
    """The job if the actor may see its project (NotFound otherwise)."""
    row = repo.get_job(uow.session, job_id)
    if row is None:
        raise NotFound(f"no job {job_id!r}", code="job_not_found")
    try:
        load_project(uow, actor, row.project_id)
    except NotFound:
        raise NotFound(f"no job {job_id!r}", code="job_not_found") from None
    return row


def get_job(uow: UnitOfWork, actor: Actor, job_id: str) -> JobRead:
    return to_read(uow.session, _load_job(uow, actor, job_id))


def list_jobs(
    uow: UnitOfWork, actor: Actor, project: str, *, cursor: str | None = None, limit: int = 50
) -> Page[JobRead]:
    check_limit(limit)
    row, _ = load_project(uow, actor, project)
    rows = repo.list_jobs(uow.session, project_id=row.id, before=decode_text_cursor(cursor), limit=limit + 1)
    items = [to_read(uow.session, r) for r in rows[:limit]]
    return Page(items=items, next=encode_cursor(items[-1].id) if len(rows) > limit else None)


def job_logs(
    uow: UnitOfWork,
    actor: Actor,
    runtime: ComputeRuntime,
    job_id: str,
    offset: int = 0,
    limit: int = 64 * 1024,
) -> LogRead:
    """The job's log from byte ``offset`` (live while it runs). Active members of the project, its
    organisation's admins and operators; a revoked member reads nothing more."""
    row = _load_job(uow, actor, job_id)
    offset, limit = max(0, offset), max(1, min(limit, 1024 * 1024))
    if row.log_key is not None:
        size = row.log_bytes or 0
        data = b""
        if offset < size:
            from qazai.storage.objects import ByteRange

            data = b"".join(runtime.objects.open(row.log_key, ByteRange(offset, offset + limit - 1)))
        text = data.decode("utf-8", "replace")
        return LogRead(
            job_id=row.id,
            state=JobState(row.state),
            text=text,
            offset=offset,
            next_offset=offset + len(data),
            complete=offset + len(data) >= size,
        )
    try:
        chunk = runtime.executor.logs(row.id, offset, limit)
    except Unavailable:
        chunk = None
    if chunk is None:
        return LogRead(
            job_id=row.id,
            state=JobState(row.state),
            text="",
            offset=offset,
            next_offset=offset,
            complete=False,
        )
    return LogRead(
        job_id=row.id,
        state=JobState(row.state),
        text=chunk.text,
        offset=chunk.offset,
        next_offset=chunk.next_offset,
        complete=chunk.complete and JobState(row.state) in ENDED_STATES,
    )


# -- submitting ---------------------------------------------------------------------------------


def check_script(name: str, data: bytes, max_bytes: int) -> str:
    """The script's kind (``python`` or ``notebook``) if it can run; InvalidInput saying why not
    (a syntax error names its line), PayloadTooLarge over ``max_bytes``."""
    if not _SCRIPT_NAME.match(name):
        raise InvalidInput(
            f"{name!r}: a script is a .py or .ipynb file whose name has letters, digits, '.', '_' and '-'",
            code="script_name_invalid",
        )
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the script has {len(data)} bytes; at most {max_bytes} are accepted")
    if not data.strip():
        raise InvalidInput(f"{name} is empty", code="script_empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name} is not UTF-8 text (byte {exc.start})", code="script_not_utf8") from None
    if name.endswith(".py"):
        _compile(text, name)
        return "python"
    import nbformat

    try:
        notebook = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
        nbformat.validate(notebook)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise InvalidInput(f"{name} is not a valid notebook: {first}", code="notebook_invalid") from None
    for index, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "code" and not any(
            line.lstrip().startswith(("%", "!")) for line in cell.source.splitlines()
        ):
            _compile(cell.source, f"{name}, cell {index}")
    return "notebook"


def _compile(source: str, where: str) -> None:
    try:
        compile(source, where, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise InvalidInput(
            f"{where}: syntax error on line {exc.lineno}: {exc.msg}",
            code="script_syntax_error",
            details={"line": exc.lineno, "column": exc.offset, "error": exc.msg},
        ) from None
    except ValueError as exc:  # e.g. a NUL byte
        raise InvalidInput(f"{where}: {exc}", code="script_syntax_error") from None


def _resolve_inputs(
    uow: UnitOfWork, project: ComputeProjectRow, references: list[str]
) -> list[dict[str, Any]]:
    """Each ``library@version`` the project may read now, as the job's input records."""
    resolved: list[dict[str, Any]] = []
    for reference in references:
        match = INPUT_REFERENCE.match(reference)
        assert match is not None
        try:
            library = load_library(uow.session, match["slug"])
            version = load_version(uow.session, library, int(match["number"]))
        except NotFound as exc:
            raise NotFound(f"input {reference}: {exc.message}", code="input_not_found") from None
        row = repo.input_for_version(uow.session, project.id, version.id)
        if row is None or row.removed_at is not None:
            raise PermissionDenied(
                f"project {project.slug} may not read {reference}; its lead adds it first "
                f"(POST /api/v1/projects/{project.slug}/inputs)",
                code="input_not_in_project",
            )
        problem, _, _ = input_problem(uow.session, project.id, row)
        if problem is not None:
            raise PermissionDenied(
                f"input {problem}", code="input_not_readable", details={"input": reference}
            )
        parts = [p for p in version.manifest.get("parts", []) if str(p.get("file", "")).endswith(".parquet")]
        for part in parts:
            resolved.append(
                {
                    "reference": reference,
                    "tier": version.tier,
                    "version_id": version.id,
                    "path": f"inputs/{library.slug}/{version.number}/{part['file']}",
                    "key": str(part["key"]),
                    "bytes": int(part.get("bytes", 0)),
                }
            )
    return resolved


def submit_job(
    uow: UnitOfWork, actor: Actor, runtime: ComputeRuntime, cmd: JobSubmit, script: bytes
) -> JobRead:
    """Submit ``script`` to run in ``cmd.project`` with ``cmd.inputs`` (step 1 of the module's
    docstring). Raises PermissionDenied (not an active member; an input not in the project or
    not readable now), Conflict (the project may not run: closed, pilot ended), QuotaExceeded,
    InvalidInput (script), NotFound (project, input)."""
    if not actor.is_authenticated:
        raise Unauthenticated("sign in to submit jobs", code="authentication_required")
    project, membership = load_project(uow, actor, cmd.project)
    if not policy.can_submit_job(actor, membership):
        raise PermissionDenied(
            f"only active members of project {project.slug} submit its jobs", code="not_a_project_member"
        )
    problem = run_problem(uow.session, project)
    if problem is not None:
        raise Conflict(f"project {project.slug} may not run jobs: {problem}", code="project_cannot_run")
    if (
        project.system_id is not None
        and runtime.settings.compute_external_infrastructure
        and infosec.requires_platform_infrastructure(uow.session, project.system_id)
    ):
        raise Conflict(
            f"project {project.slug} serves an AI system under the state information-security regime: its "
            f"jobs run only on the platform's own infrastructure, and the {runtime.executor.name} backend "
            "is outside it",
            code="infosec_external_infrastructure",
        )
    kind = check_script(cmd.script_name, script, runtime.settings.compute_script_max_bytes)
    inputs = _resolve_inputs(uow, project, cmd.inputs)
    limits = limits_within_quota(uow, runtime.settings, project.organisation_id, cmd.limits)
    confidential = any(AccessTier(i["tier"]) in (AccessTier.restricted, AccessTier.enclave) for i in inputs)
    if confidential and not getattr(runtime.executor, "confined", True):
        reason = getattr(runtime.executor, "sandbox_reason", "the backend cannot confine a run")
        raise PermissionDenied(
            f"this job reads restricted or enclave data and the {runtime.executor.name} backend has no "
            f"working sandbox ({reason}); it is not run unconfined",
            code="sandbox_unavailable",
        )
    if runtime.executor.name == "local":
        check_job_environment(runtime.settings.compute_python or _platform_python())
    else:
        with contextlib.suppress(Unavailable):  # the job waits queued, checked again before it runs
            _check_nodes_environment(runtime)
    stored = runtime.objects.put(None, io.BytesIO(script))
    row = ComputeJobRow(
        id=new_id(),
        project_id=project.id,
        organisation_id=project.organisation_id,
        submitted_by=actor.user_id,
        script_name=cmd.script_name,
        script_kind=kind,
        script_key=stored.key,
        script_sha256=stored.sha256,
        inputs=inputs,
        limits=limits,
        confidential=confidential,
        backend=runtime.executor.name,
        backend_ref=None,
        state=JobState.queued.value,
        output_bytes=0,
        submitted_at=utcnow(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit(
        uow.session,
        actor,
        action="compute.job.submit",
        object_type="compute_job",
        object_id=row.id,
        organisation_id=row.organisation_id,
        summary={
            "project": project.slug,
            "script": cmd.script_name,
            "script_sha256": stored.sha256,
            "inputs": sorted({i["reference"] for i in inputs}),
            "limits": limits,
        },
    )
    _schedule_watch(uow.session, row.id, 0)
    uow.commit()
    job_id = row.id
    _start_run(uow, runtime, row)
    fresh = repo.get_job(uow.session, job_id)
    assert fresh is not None
    return to_read(uow.session, fresh)


def _check_nodes_environment(runtime: ComputeRuntime) -> None:
    """Before a backend other than ``local`` runs a job: its nodes' job environment, checked by a
    tiny job through it (once per process; see ``check_environment_through``). Raises ConfigError
    (``job_environment_incomplete``, ``job_environment_broken``) or Unavailable."""
    python = getattr(runtime.executor, "python", None)
    if python is None:
        return
    check_environment_through(
        runtime.executor,
        python,
        where=f" on the {runtime.executor.name} nodes",
        wait_seconds=runtime.settings.compute_environment_check_seconds,
    )


def _platform_python() -> str:
    import sys

    return sys.executable


def run_spec(runtime: ComputeRuntime, row: ComputeJobRow) -> RunSpec:
    """The executor's spec of a job: its script, its exact input files, its limits."""
    inputs = {item["path"]: _local_source(runtime, item["key"]) for item in row.inputs}
    inputs[row.script_name] = _local_source(runtime, row.script_key)
    if row.script_kind == "notebook":
        inputs[NOTEBOOK_RUNNER_PATH] = str(NOTEBOOK_RUNNER)
        command: tuple[str, ...] = ("python", NOTEBOOK_RUNNER_PATH, row.script_name)
    else:
        command = ("python", "-u", row.script_name)
    return RunSpec(
        job_id=row.id,
        command=command,
        inputs=inputs,
        limits=RunLimits(**row.limits),
        confidential=row.confidential,
    )


def _local_source(runtime: ComputeRuntime, key: str) -> str:
    """A host path holding the object ``key``: the object store's own file where it is a local
    folder, else a copy staged (once, by content) under the compute folder."""
    local_path = getattr(runtime.objects, "local_path", None)
    if local_path is not None:
        return str(local_path(key))
    staged = runtime.settings.effective_compute_dir / "staged" / key.replace("/", "_")
    if not staged.exists():
        staged.parent.mkdir(parents=True, exist_ok=True)
        partial = staged.with_name(f".{staged.name}.{new_id()}.part")
        with open(partial, "wb") as handle:
            for chunk in runtime.objects.open(key):
                handle.write(chunk)
        partial.replace(staged)
    return str(staged)


def _start_run(uow: UnitOfWork, runtime: ComputeRuntime, row: ComputeJobRow) -> None:
    """Hand a queued job to the executor; a refusal fails the job, an unreachable backend leaves
    it queued (the watch job submits again)."""
    job_id = row.id
    try:
        if runtime.executor.name != "local":
            _check_nodes_environment(runtime)
        status = runtime.executor.submit(run_spec(runtime, row))
    except Unavailable as exc:
        _note(
            uow,
            job_id,
            f"the compute backend does not answer ({exc.message}); the job waits and is submitted again",
        )
        return
    except AppError as exc:
        _finish_without_run(uow, job_id, JobState.failed, "backend", exc.message)
        return
    _apply_status(uow, runtime, job_id, status)


def _schedule_watch(session: Session, job_id: str, polls: int) -> None:
    delay = min(30.0, 0.5 + polls * 0.5)
    enqueue(
        session,
        WATCH_JOB,
        {"job_id": job_id, "polls": polls},
        dedupe_key=f"{WATCH_JOB}:{job_id}:{polls}",
        run_after=utcnow() + timedelta(seconds=delay),
        max_attempts=20,
    )


# -- following ------------------------------------------------------------------------------------


def refresh_job(uow: UnitOfWork, runtime: ComputeRuntime, job_id: str) -> JobRead:
    """Bring a job up to date with its run (step 2 and 3 of the module's docstring)."""
    row = repo.get_job(uow.session, job_id, for_update=True)
    if row is None:
        raise NotFound(f"no job {job_id!r}", code="job_not_found")
    if JobState(row.state) in ENDED_STATES:
        uow.rollback()
        return to_read(uow.session, row)
    problem = _right_to_run_problem(uow.session, row)
    if problem is not None and row.cancel_requested_at is None:
        row.cancel_requested_at, row.cancel_reason = utcnow(), problem
        audit(
            uow.session,
            _SYSTEM_ACTOR,
            action="compute.job.cancel",
            object_type="compute_job",
            object_id=row.id,
            organisation_id=row.organisation_id,
            summary={"reason": problem, "by": "platform"},
        )
        uow.commit()
    if row.cancel_requested_at is not None:
        with contextlib.suppress(Unavailable):  # the poll below says the backend is away
            runtime.executor.cancel(job_id)
    try:
        status = runtime.executor.poll(job_id)
    except Unavailable as exc:
        _note(
            uow,
            job_id,
            f"the compute backend does not answer ({exc.message}); the job's last known state is kept",
        )
        return to_read(uow.session, _row(uow, job_id))
    if status.state == RunState.unknown:
        current = _row(uow, job_id)
        if current.state == JobState.queued.value and current.cancel_requested_at is None:
            _start_run(uow, runtime, current)
        elif current.state == JobState.queued.value:
            _finish_without_run(
                uow, job_id, JobState.cancelled, "cancelled", current.cancel_reason or "cancelled"
            )
        else:
            _finish_without_run(uow, job_id, JobState.failed, "backend", "the compute backend lost the run")
        return to_read(uow.session, _row(uow, job_id))
    _apply_status(uow, runtime, job_id, status)
    return to_read(uow.session, _row(uow, job_id))


_SYSTEM_ACTOR = Actor(user_id=None, label="compute", is_system=True)


def _row(uow: UnitOfWork, job_id: str) -> ComputeJobRow:
    row = repo.get_job(uow.session, job_id)
    assert row is not None
    return row


def _right_to_run_problem(session: Session, row: ComputeJobRow) -> str | None:
    project = session.get(ComputeProjectRow, row.project_id)
    assert project is not None
    problem = run_problem(session, project)
    if problem is not None:
        return problem
    for version_id in sorted({i["version_id"] for i in row.inputs}):
        project_input = repo.input_for_version(session, project.id, version_id)
        if project_input is None or project_input.removed_at is not None:
            return "an input was removed from the project"
        input_issue, _, _ = input_problem(session, project.id, project_input)
        if input_issue is not None:
            return f"input {input_issue}"
    return None


def _note(uow: UnitOfWork, job_id: str, message: str) -> None:
    row = _row(uow, job_id)
    row.message, row.polled_at = message, utcnow()
    uow.commit()


def _move(row: ComputeJobRow, target: JobState) -> None:
    for step in path_to(JobState(row.state), target) if target != JobState(row.state) else []:
        check_transition(JobState(row.state), step)
        row.state = step.value


def _finish_without_run(uow: UnitOfWork, job_id: str, state: JobState, reason: str, message: str) -> None:
    row = _row(uow, job_id)
    if JobState(row.state) in ENDED_STATES:
        return
    _move(row, state)
    row.reason, row.message, row.finished_at, row.polled_at = reason, message, utcnow(), utcnow()
    row.cpu_seconds = row.cpu_seconds or 0.0
    _audit_end(uow.session, row)
    uow.commit()


def _audit_end(session: Session, row: ComputeJobRow) -> None:
    audit(
        session,
        _SYSTEM_ACTOR,
        action=f"compute.job.{row.state}",
        object_type="compute_job",
        object_id=row.id,
        organisation_id=row.organisation_id,
        summary={
            "reason": row.reason,
            "exit_code": row.exit_code,
            "cpu_seconds": row.cpu_seconds,
            "outputs": row.output_bytes,
        },
    )


def _apply_status(uow: UnitOfWork, runtime: ComputeRuntime, job_id: str, status: RunStatus) -> None:
    row = _row(uow, job_id)
    target = FROM_RUN_STATE[status.state]
    if target is None or JobState(row.state) in ENDED_STATES:
        return
    row.polled_at = utcnow()
    row.backend_ref = status.backend_ref or row.backend_ref
    row.started_at = row.started_at or status.started_at
    if target == JobState(row.state):
        row.message = None if target == JobState.running else row.message
        uow.commit()
        return
    _move(row, target)
    if not status.final:
        row.message = None
        uow.commit()
        return
    row.exit_code = status.exit_code
    row.reason = status.reason.value if status.reason else None
    row.message = row.cancel_reason if target == JobState.cancelled and row.cancel_reason else status.message
    row.cpu_seconds = status.cpu_seconds if status.cpu_seconds is not None else 0.0
    row.finished_at = status.finished_at or utcnow()
    if target == JobState.succeeded:
        _keep_outputs(uow, runtime, row)
    _keep_log(runtime, row)
    _audit_end(uow.session, row)
    uow.commit()
    try:
        runtime.executor.discard(job_id)
    except AppError as exc:  # the run folder stays; nothing is offered from it
        log.warning("could not discard the run of job %s: %s", job_id, exc)


def _keep_outputs(uow: UnitOfWork, runtime: ComputeRuntime, row: ComputeJobRow) -> None:
    """Copy a succeeded run's files into the object store and hand them to the airlock."""
    files = runtime.executor.collect(row.id)
    existing = {o.path: o for o in repo.outputs(uow.session, row.id)}
    held: list[ComputeJobOutputRow] = []
    for output in files:
        kept = existing.get(output.path)
        if kept is None:
            with open(output.source, "rb") as handle:
                stored = runtime.objects.put(None, handle)
            if stored.sha256 != output.sha256:
                raise Conflict(f"output {output.path} changed while it was collected", code="output_changed")
            kept = ComputeJobOutputRow(
                id=new_id(),
                job_id=row.id,
                path=output.path,
                size=stored.size,
                sha256=stored.sha256,
                object_key=stored.key,
                created_at=utcnow(),
            )
            uow.session.add(kept)
        held.append(kept)
    uow.session.flush()
    row.output_bytes = sum(o.size for o in held)
    if held:
        check_transition(JobState(row.state), JobState.awaiting_review)
        row.state = JobState.awaiting_review.value
        _hand_to_airlock(uow, runtime, row, held)


def _hand_to_airlock(
    uow: UnitOfWork, runtime: ComputeRuntime, row: ComputeJobRow, held: list[ComputeJobOutputRow]
) -> None:
    from qazai.compute import airlock
    from qazai.compute.airlock_models import HeldFileIn, HoldOutputs

    airlock.hold_outputs(
        uow,
        runtime.objects,
        HoldOutputs(
            job_id=row.id,
            project_id=row.project_id,
            organisation_id=row.organisation_id,
            requested_by=row.submitted_by,
            job_state=JobState.succeeded.value,
            files=[
                HeldFileIn(name=o.path, object_key=o.object_key, size=o.size, sha256=o.sha256) for o in held
            ],
        ),
        settings=airlock.disclosure_settings(runtime.settings),
        on_review_done=record_review_done,
    )


def _keep_log(runtime: ComputeRuntime, row: ComputeJobRow) -> None:
    chunks: list[bytes] = []
    offset = 0
    while True:
        chunk = runtime.executor.logs(row.id, offset, 1024 * 1024)
        chunks.append(chunk.text.encode("utf-8"))
        if chunk.next_offset == offset or chunk.complete:
            break
        offset = chunk.next_offset
    data = b"".join(chunks)
    stored = runtime.objects.put(None, io.BytesIO(data))
    row.log_key, row.log_bytes = stored.key, stored.size


def record_review_done(uow: UnitOfWork, job_id: str) -> None:
    """The airlock decided every held file of the job: ``awaiting_review -> reviewed``. No commit
    (the airlock's transaction commits)."""
    row = repo.get_job(uow.session, job_id)
    if row is None or row.state == JobState.reviewed.value:
        return
    check_transition(JobState(row.state), JobState.reviewed)
    row.state = JobState.reviewed.value


def cancel_job(
    uow: UnitOfWork, actor: Actor, runtime: ComputeRuntime, job_id: str, cmd: JobCancel
) -> JobRead:
    """Stop a queued or running job; its partial outputs are never offered. The submitter, the
    project's lead, the organisation's admins. Conflict for a job that has ended."""
    row = _load_job(uow, actor, job_id)
    membership = membership_of(uow.session, row.project_id, actor)
    if not policy.can_cancel_job(actor, row.organisation_id, membership, row.submitted_by):
        raise PermissionDenied("only the job's submitter or the project's lead cancels a job")
    if JobState(row.state) in ENDED_STATES:
        raise Conflict(
            f"the job has already ended ({row.state})", code="job_ended", details={"state": row.state}
        )
    if row.cancel_requested_at is None:
        row.cancel_requested_at = utcnow()
        row.cancel_reason = cmd.reason or f"cancelled by {actor.label}"
        audit(
            uow.session,
            actor,
            action="compute.job.cancel",
            object_type="compute_job",
            object_id=row.id,
            organisation_id=row.organisation_id,
            summary={"reason": row.cancel_reason},
        )
        uow.commit()
    return refresh_job(uow, runtime, job_id)


def cancel_project_jobs(db: Database, runtime: ComputeRuntime, project_id: str) -> int:
    """Refresh every active job of a project (after it was closed or its pilot ended): each is
    cancelled by its right-to-run check. Returns how many were active."""
    with db.uow(read_only=True) as uow:
        ids = repo.active_job_ids(uow.session, project_id=project_id)
    for job_id in ids:
        with db.uow() as uow:
            refresh_job(uow, runtime, job_id)
    return len(ids)


def refresh_active_jobs(db: Database, runtime: ComputeRuntime) -> int:
    """Refresh every queued or running job (the sweep behind the watch jobs: a job whose watch
    chain broke, a pilot that ended, a grant that expired are all caught within a sweep)."""
    with db.uow(read_only=True) as uow:
        ids = repo.active_job_ids(uow.session)
    for job_id in ids:
        try:
            with db.uow() as uow:
                refresh_job(uow, runtime, job_id)
        except AppError as exc:  # one job's trouble does not stop the sweep
            log.warning("could not refresh job %s: %s", job_id, exc)
    return len(ids)


SWEEP_JOB = "compute.sweep"
SWEEP_SECONDS = 60


def schedule_sweep(db: Database, interval_seconds: int = SWEEP_SECONDS) -> None:
    """Queue the next sweep (one per time slot, whatever the number of processes)."""
    if interval_seconds <= 0:
        return
    slot = int(utcnow().timestamp()) // interval_seconds + 1
    with db.uow() as uow:
        enqueue(
            uow.session,
            SWEEP_JOB,
            {"interval_seconds": interval_seconds},
            dedupe_key=f"{SWEEP_JOB}:{interval_seconds}:{slot}",
            run_after=datetime.fromtimestamp(slot * interval_seconds, tz=UTC),
            max_attempts=3,
        )
        uow.commit()


def sweep_job_handler(runtime: ComputeRuntime) -> Any:
    """The durable queue's ``compute.sweep`` handler: refresh every active job, schedule the next."""

    def handle(context: JobContext) -> dict[str, Any]:
        refreshed = refresh_active_jobs(context.db, runtime)
        schedule_sweep(context.db, int(context.payload.get("interval_seconds", SWEEP_SECONDS)))
        return {"refreshed": refreshed}

    return handle


def watch_job_handler(runtime: ComputeRuntime) -> Any:
    """The durable queue's ``compute.watch`` handler: refresh one job, and watch it again later
    while it has not ended."""

    def handle(context: JobContext) -> dict[str, Any]:
        job_id = str(context.payload["job_id"])
        polls = int(context.payload.get("polls", 0))
        with context.db.uow() as uow:
            read = refresh_job(uow, runtime, job_id)
            if not read.final:
                _schedule_watch(uow.session, job_id, polls + 1)
                uow.commit()
        return {"state": read.state.value}

    return handle
