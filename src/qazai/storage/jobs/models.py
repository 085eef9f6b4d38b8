"""Read models of the job queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from qazai.storage.tables.jobs import FINAL_STATES, JobRow, JobState


class JobError(BaseModel):
    """Why a job failed (or why its last attempt failed, while it waits for a retry)."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class JobRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    payload: dict[str, Any]
    state: JobState
    attempts: int
    max_attempts: int
    run_after: datetime
    lease_owner: str | None
    lease_expires_at: datetime | None
    progress_percent: float
    progress_message: str | None
    result: dict[str, Any] | None
    error: JobError | None
    dedupe_key: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @classmethod
    def from_row(cls, row: JobRow) -> JobRead:
        error = None
        if row.error_code is not None:
            error = JobError(code=row.error_code, message=row.error_message or "")
        return cls(
            id=row.id,
            kind=row.kind,
            payload=row.payload,
            state=row.state,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            run_after=row.run_after,
            lease_owner=row.lease_owner,
            lease_expires_at=row.lease_expires_at,
            progress_percent=row.progress_percent,
            progress_message=row.progress_message,
            result=row.result,
            error=error,
            dedupe_key=row.dedupe_key,
            created_at=row.created_at,
            updated_at=row.updated_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )
