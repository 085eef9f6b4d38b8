"""Commands and read models of the airlock (docs/compute.md, "Airlock")."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qazai.compute.airlock_states import Decision as Decision  # noqa: PLC0414 - re-exported
from qazai.compute.airlock_states import FileState as FileState  # noqa: PLC0414 - re-exported
from qazai.compute.airlock_states import Variant as Variant  # noqa: PLC0414 - re-exported
from qazai.compute.disclosure import Finding
from qazai.compute.disclosure_files import FileRole

MIN_JUSTIFICATION = 20  # characters: "ok" is not a justification
MAX_JUSTIFICATION = 4000


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class HeldFileIn(Command):
    """One file a job wrote, already copied into the object store."""

    name: str = Field(
        min_length=1, max_length=1024, description="path under the job's outputs, '/'-separated"
    )
    object_key: str = Field(min_length=1, max_length=1024)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("name")
    @classmethod
    def _relative(cls, value: str) -> str:
        parts = value.split("/")
        if (
            value.startswith("/")
            or any(p in ("", ".", "..") for p in parts)
            or "\\" in value
            or "\x00" in value
        ):
            raise ValueError("an output's name is a relative path without '.', '..' or empty parts")
        return value


class HoldOutputs(Command):
    """What compute hands the airlock when a job exits (see compute-interface in docs/compute.md)."""

    job_id: str = Field(min_length=1, max_length=26)
    project_id: str = Field(min_length=1, max_length=26)
    organisation_id: str = Field(min_length=1, max_length=26)
    requested_by: str | None = Field(default=None, max_length=26)
    job_state: str = Field(default="succeeded", description="the job's final state")
    files: list[HeldFileIn] = Field(default_factory=list)

    @field_validator("files")
    @classmethod
    def _unique(cls, value: list[HeldFileIn]) -> list[HeldFileIn]:
        names = [f.name for f in value]
        if len(set(names)) != len(names):
            raise ValueError("two outputs with the same name")
        return value


class ReviewCreate(Command):
    decision: Decision
    variant: Variant | None = Field(default=None, description="approve: which version to release")
    justification: str | None = Field(
        default=None,
        max_length=MAX_JUSTIFICATION,
        description="why it is safe (needed for files the checks could not clear) or why it is refused",
    )


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    reviewer_id: str
    reviewer_name: str | None = None
    decision: Decision
    variant: Variant | None
    justification: str | None
    created_at: datetime


class HeldFileRead(BaseModel):
    id: str
    job_id: str
    project_id: str
    organisation_id: str
    requested_by: str | None
    name: str
    size: int
    sha256: str
    role: FileRole
    table_kind: str | None
    state: FileState
    released_variant: Variant | None
    findings: list[Finding]
    cells: int
    suppressed: int
    secondary: int
    has_safe_version: bool
    safe_size: int | None
    needs_justification: bool = Field(description="a reviewer must justify releasing the original in writing")
    original_releasable: bool = Field(description="false when a blocking finding forbids the original")
    reviews: list[ReviewRead] = Field(default_factory=list)
    created_at: datetime
    decided_at: datetime | None


class HeldFileFilter(Command):
    state: FileState | None = None
    job_id: str | None = Field(default=None, max_length=26)
    project_id: str | None = Field(default=None, max_length=26)
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=512)


class TablePreview(BaseModel):
    """The first rows of a held table for the review page, with the findings placed on their cells."""

    name: str
    variant: Variant
    columns: list[str]
    rows: list[list[str | None]]
    total_rows: int
    marks: dict[str, str] = Field(
        default_factory=dict, description="'row:column' -> the severity of the worst finding on that cell"
    )
