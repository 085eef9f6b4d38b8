"""Compute projects and jobs next to the data (docs/compute.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from qazai.api.deps import CurrentActor, PlatformDep, SignedInActor, UowDep
from qazai.api.wiring import compute_runtime_of
from qazai.compute import jobs, projects, quotas
from qazai.compute.environment import JobEnvironment, inspect_job_environment
from qazai.compute.models import (
    InputAdd,
    JobCancel,
    JobLimits,
    JobRead,
    JobSubmit,
    LogRead,
    MemberAdd,
    ProjectClose,
    ProjectCreate,
    ProjectRead,
    QuotaRead,
    QuotaSet,
    UsageReport,
)
from qazai.core.errors import InvalidInput, PayloadTooLarge
from qazai.core.pagination import Page

router = APIRouter(tags=["compute"])

ProjectKey = Annotated[str, Path(max_length=80, description="the project's slug or id")]
JobId = Annotated[str, Path(max_length=26, description="the job's id")]


# -- projects -------------------------------------------------------------------------------------


@router.post("/projects", response_model=ProjectRead, status_code=status.HTTP_201_CREATED)
def create_project(cmd: ProjectCreate, uow: UowDep, actor: SignedInActor) -> ProjectRead:
    """A compute project of your organisation (you become its lead): purpose, legal basis and,
    optionally, the registered AI system and pilot it serves (the pilot's end ends its right to run)."""
    return projects.create_project(uow, actor, cmd)


@router.get("/projects", response_model=list[ProjectRead])
def list_projects(uow: UowDep, actor: SignedInActor) -> list[ProjectRead]:
    """Projects you are a member of (and your organisations' projects if you administer them)."""
    return projects.list_projects(uow, actor)


@router.get("/projects/{project}", response_model=ProjectRead)
def get_project(project: ProjectKey, uow: UowDep, actor: CurrentActor) -> ProjectRead:
    """A project with its members, inputs (and whether each is readable now) and right to run."""
    return projects.get_project(uow, actor, project)


@router.post("/projects/{project}/members", response_model=ProjectRead, status_code=status.HTTP_201_CREATED)
def add_member(project: ProjectKey, cmd: MemberAdd, uow: UowDep, actor: SignedInActor) -> ProjectRead:
    return projects.add_member(uow, actor, project, cmd)


@router.delete("/projects/{project}/members/{user}", response_model=ProjectRead)
def revoke_member(
    project: ProjectKey,
    user: Annotated[str, Path(max_length=255, description="e-mail or id")],
    uow: UowDep,
    actor: SignedInActor,
) -> ProjectRead:
    """Revoke a member: they submit nothing more and read no log or output of the project."""
    return projects.revoke_member(uow, actor, project, user)


@router.post("/projects/{project}/inputs", response_model=ProjectRead, status_code=status.HTTP_201_CREATED)
def add_input(project: ProjectKey, cmd: InputAdd, uow: UowDep, actor: SignedInActor) -> ProjectRead:
    """Let the project read `library@version`; restricted and enclave versions through a member's
    approved, unexpired grant (enclave: a `compute_only` grant)."""
    return projects.add_input(uow, actor, project, cmd)


@router.delete("/projects/{project}/inputs/{reference}", response_model=ProjectRead)
def remove_input(
    project: ProjectKey,
    reference: Annotated[str, Path(max_length=200, description="library@version")],
    uow: UowDep,
    actor: SignedInActor,
) -> ProjectRead:
    """Stop the project reading `library@version`; running jobs reading it are cancelled."""
    return projects.remove_input(uow, actor, project, reference)


@router.post("/projects/{project}/close", response_model=ProjectRead)
def close_project(project: ProjectKey, cmd: ProjectClose, uow: UowDep, actor: SignedInActor) -> ProjectRead:
    """Close the project: new jobs are refused, running ones cancelled."""
    return projects.close_project(uow, actor, project, cmd)


@router.get("/projects/{project}/jobs", response_model=Page[JobRead])
def list_project_jobs(
    project: ProjectKey,
    uow: UowDep,
    actor: SignedInActor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(alias="next")] = None,
) -> Page[JobRead]:
    return jobs.list_jobs(uow, actor, project, cursor=cursor, limit=limit)


# -- jobs -----------------------------------------------------------------------------------------


def _read_script(upload: UploadFile, limit: int) -> bytes:
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"the script is larger than {limit:,} bytes", details={"limit": limit})
    return data


@router.post("/compute/jobs", response_model=JobRead, status_code=status.HTTP_201_CREATED)
def submit_job(
    uow: UowDep,
    actor: SignedInActor,
    platform: PlatformDep,
    script: Annotated[UploadFile, File(description="analysis.py, or a notebook analysis.ipynb")],
    project: Annotated[str, Form(max_length=80, description="the project's slug or id")],
    inputs: Annotated[
        list[str] | None, Form(description="library@version, once per input (or comma-separated)")
    ] = None,
    cpu_seconds: Annotated[int | None, Form(ge=1)] = None,
    memory_mib: Annotated[int | None, Form(ge=64)] = None,
    wall_seconds: Annotated[int | None, Form(ge=1)] = None,
    processes: Annotated[int | None, Form(ge=1)] = None,
    output_bytes: Annotated[int | None, Form(ge=0)] = None,
) -> JobRead:
    """Run a script next to the data. Its inputs appear read-only under
    `inputs/<library>/<version>/`; it writes only to `outputs/` (`$QAZAI_OUTPUT_DIR`), whose files
    are held for output checking. No network.

    Example: `curl -H "Authorization: Bearer $T" -F project=regions -F inputs=population-by-region@1
    -F script=@analysis.py https://qazai.kz/api/v1/compute/jobs`"""
    references = [part.strip() for item in inputs or [] for part in item.split(",") if part.strip()]
    name = (script.filename or "").rsplit("/", 1)[-1]
    if not name:
        raise InvalidInput("send the script as a file with its name", code="script_name_invalid")
    try:
        cmd = JobSubmit(
            project=project,
            inputs=references,
            script_name=name,
            limits=JobLimits(
                cpu_seconds=cpu_seconds,
                memory_mib=memory_mib,
                wall_seconds=wall_seconds,
                processes=processes,
                output_bytes=output_bytes,
            ),
        )
    except ValidationError as exc:  # a bad form field: the same envelope as a bad JSON body
        raise RequestValidationError(exc.errors()) from None
    data = _read_script(script, platform.settings.compute_script_max_bytes)
    return jobs.submit_job(uow, actor, compute_runtime_of(platform), cmd, data)


@router.get("/compute/jobs/{job_id}", response_model=JobRead)
def get_job(job_id: JobId, uow: UowDep, actor: SignedInActor, platform: PlatformDep) -> JobRead:
    """The job's state (brought up to date with its run)."""
    read = jobs.get_job(uow, actor, job_id)
    if read.final:
        return read
    with platform.db.uow() as writer:
        jobs.refresh_job(writer, compute_runtime_of(platform), job_id)
    uow.session.expire_all()
    return jobs.get_job(uow, actor, job_id)


@router.get("/compute/jobs/{job_id}/logs", response_model=LogRead)
def job_logs(
    job_id: JobId,
    uow: UowDep,
    actor: SignedInActor,
    platform: PlatformDep,
    offset: Annotated[int, Query(ge=0, description="byte offset: the `next_offset` of the last read")] = 0,
    limit: Annotated[int, Query(ge=1, le=1024 * 1024)] = 64 * 1024,
) -> LogRead:
    """The job's stdout and stderr from `offset`, readable while it runs; poll again with
    `next_offset` until `complete`."""
    return jobs.job_logs(uow, actor, compute_runtime_of(platform), job_id, offset, limit)


@router.post("/compute/jobs/{job_id}/cancel", response_model=JobRead)
def cancel_job(
    job_id: JobId, uow: UowDep, actor: SignedInActor, platform: PlatformDep, cmd: JobCancel | None = None
) -> JobRead:
    """Stop a queued or running job; its partial outputs are never offered for release."""
    return jobs.cancel_job(uow, actor, compute_runtime_of(platform), job_id, cmd or JobCancel())


@router.get("/compute/environment", response_model=JobEnvironment)
def job_environment(platform: PlatformDep, actor: SignedInActor) -> JobEnvironment:
    """The job environment's Python and package versions (what scripts can import)."""
    import sys

    return inspect_job_environment(platform.settings.compute_python or sys.executable)


# -- quotas and usage -----------------------------------------------------------------------------


@router.get("/compute/quotas/{organisation}", response_model=QuotaRead)
def get_quota(
    organisation: Annotated[str, Path(max_length=80)],
    uow: UowDep,
    actor: SignedInActor,
    platform: PlatformDep,
) -> QuotaRead:
    return quotas.usage_report(uow, actor, platform.settings, organisation).quota


@router.put("/compute/quotas/{organisation}", response_model=QuotaRead)
def set_quota(
    organisation: Annotated[str, Path(max_length=80)],
    cmd: QuotaSet,
    uow: UowDep,
    actor: SignedInActor,
    platform: PlatformDep,
) -> QuotaRead:
    """Operators set an organisation's CPU-seconds per period, jobs at once and output storage."""
    return quotas.set_quota(uow, actor, platform.settings, organisation, cmd)


@router.get("/compute/usage/{organisation}", response_model=UsageReport)
def usage(
    organisation: Annotated[str, Path(max_length=80)],
    uow: UowDep,
    actor: SignedInActor,
    platform: PlatformDep,
) -> UsageReport:
    """CPU-seconds, jobs and kept outputs of the organisation's projects in the current period."""
    return quotas.usage_report(uow, actor, platform.settings, organisation)
