"""Commands and read models of compute projects, jobs and quotas."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qazai.compute.executors.base import FailureReason
from qazai.compute.states import JobState
from qazai.core.enums import AccessTier

SLUG = r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$"
# ``population-by-region@1``: a library slug and a version number
INPUT_REFERENCE = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]*[a-z0-9])@(?P<number>[1-9][0-9]{0,8})$")


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProjectState(StrEnum):
    active = "active"
    closed = "closed"


class MemberRole(StrEnum):
    lead = "lead"  # manages members and inputs
    member = "member"  # submits jobs, reads logs and released outputs


class ProjectCreate(Command):
    slug: str = Field(pattern=SLUG, description="lower-case letters, digits and hyphens")
    organisation: str = Field(min_length=1, max_length=80, description="slug or id")
    title: str = Field(min_length=3, max_length=255)
    purpose: str = Field(min_length=10, max_length=4000, description="what the project computes and why")
    legal_basis: str = Field(min_length=3, max_length=2000, description="e.g. a law's article or a contract")
    system_id: str | None = Field(
        default=None, max_length=26, description="the registered AI system it serves"
    )
    pilot_id: str | None = Field(
        default=None, max_length=26, description="the pilot whose end ends the project"
    )


class ProjectClose(Command):
    reason: str = Field(min_length=3, max_length=2000)


class MemberAdd(Command):
    user: str = Field(min_length=1, max_length=255, description="e-mail or id of a user")
    role: MemberRole = MemberRole.member


class InputAdd(Command):
    input: str = Field(description="library@version, e.g. population-by-region@1")
    grant_id: str | None = Field(
        default=None, max_length=26, description="the grant it is read through (restricted, enclave)"
    )

    @field_validator("input")
    @classmethod
    def _reference(cls, value: str) -> str:
        if not INPUT_REFERENCE.match(value):
            raise ValueError("write an input as library@version, e.g. population-by-region@1")
        return value


class MemberRead(BaseModel):
    user_id: str
    email: str | None
    name: str | None
    role: MemberRole
    added_at: datetime
    revoked_at: datetime | None
    active: bool


class InputRead(BaseModel):
    reference: str  # library@version
    library_slug: str
    version: int
    tier: AccessTier
    grant_id: str | None
    grant_expires_at: datetime | None
    readable: bool  # the version is published and its grant (if needed) is active now
    problem: str | None  # why not, in one line


class ProjectRead(BaseModel):
    id: str
    slug: str
    organisation_id: str
    organisation_slug: str
    title: str
    purpose: str
    legal_basis: str
    system_id: str | None
    pilot_id: str | None
    pilot_ends_at: datetime | None
    state: ProjectState
    may_run: bool
    run_problem: str | None  # why jobs are refused, in one line (pilot ended, closed)
    closed_at: datetime | None
    closed_reason: str | None
    created_at: datetime
    members: list[MemberRead] = []
    inputs: list[InputRead] = []


class JobLimits(Command):
    """Limits a submission may ask for; each at most the platform's (and within the quota)."""

    cpu_seconds: int | None = Field(default=None, ge=1)
    memory_mib: int | None = Field(default=None, ge=64)
    wall_seconds: int | None = Field(default=None, ge=1)
    processes: int | None = Field(default=None, ge=1)
    output_bytes: int | None = Field(default=None, ge=0)


class JobSubmit(Command):
    project: str = Field(min_length=1, max_length=80, description="slug or id")
    inputs: list[str] = Field(default_factory=list, max_length=50, description="library@version, each")
    script_name: str = Field(min_length=4, max_length=255, description="analysis.py or analysis.ipynb")
    limits: JobLimits = Field(default_factory=JobLimits)

    @field_validator("inputs")
    @classmethod
    def _references(cls, value: list[str]) -> list[str]:
        for item in value:
            if not INPUT_REFERENCE.match(item):
                raise ValueError(f"{item!r}: write an input as library@version, e.g. population-by-region@1")
        if len(set(value)) != len(value):
            raise ValueError("an input is named twice")
        return value


class JobInputRead(BaseModel):
    reference: str
    tier: AccessTier
    path: str  # where the job reads it, relative to its working folder
    bytes: int


class OutputRead(BaseModel):
    path: str
    size: int
    sha256: str


class JobRead(BaseModel):
    id: str
    project_id: str
    project_slug: str
    organisation_id: str
    submitted_by: str | None
    script_name: str
    script_kind: str
    inputs: list[JobInputRead]
    limits: dict[str, int]
    backend: str
    state: JobState
    reason: FailureReason | None
    message: str | None
    exit_code: int | None
    cpu_seconds: float | None
    output_bytes: int
    outputs: list[OutputRead]
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_reason: str | None
    final: bool


class LogRead(BaseModel):
    job_id: str
    state: JobState
    text: str
    offset: int
    next_offset: int
    complete: bool


class JobCancel(Command):
    reason: str | None = Field(default=None, max_length=2000)


class QuotaSet(Command):
    cpu_seconds_per_period: int = Field(ge=0)
    period_days: int = Field(ge=1, le=366)
    concurrent_jobs: int = Field(ge=0, le=10_000)
    output_bytes: int = Field(ge=0)


class QuotaRead(BaseModel):
    organisation_id: str
    cpu_seconds_per_period: int
    period_days: int
    concurrent_jobs: int
    output_bytes: int
    is_default: bool


class ProjectUsage(BaseModel):
    project_id: str
    project_slug: str
    jobs: int
    jobs_by_state: dict[str, int]
    cpu_seconds: float
    output_bytes: int


class UsageReport(BaseModel):
    organisation_id: str
    organisation_slug: str
    period_start: datetime
    period_end: datetime
    quota: QuotaRead
    cpu_seconds: float
    cpu_seconds_left: float
    running_jobs: int
    output_bytes: int
    projects: list[ProjectUsage]
