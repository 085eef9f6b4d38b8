"""Background jobs: progress and results of the work a request started."""

from __future__ import annotations

from fastapi import APIRouter

from qazai.api.deps import SignedInActor, UowDep
from qazai.core.errors import NotFound
from qazai.identity.policy import can_read_job
from qazai.storage.jobs import JobRead, get_job

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=JobRead)
def show_job(job_id: str, uow: UowDep, actor: SignedInActor) -> JobRead:
    """State, progress (percent and message), and the result or error of a job."""
    job = get_job(uow.session, job_id)
    if not can_read_job(actor, job.payload.get("actor_id")):
        raise NotFound(f"no job {job_id!r}")
    return job
