"""SQL for compute projects, jobs and quotas (no rules here: see policy.py and the services)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from qazai.compute.states import ACTIVE_STATES
from qazai.storage.tables.compute import (
    ComputeJobOutputRow,
    ComputeJobRow,
    ComputeProjectInputRow,
    ComputeProjectMemberRow,
    ComputeProjectRow,
    ComputeQuotaRow,
)


def get_project(session: Session, key: str) -> ComputeProjectRow | None:
    """By slug or id."""
    return session.scalars(
        select(ComputeProjectRow).where(or_(ComputeProjectRow.slug == key, ComputeProjectRow.id == key))
    ).first()


def project_slug_taken(session: Session, slug: str) -> bool:
    return session.scalar(select(func.count()).where(ComputeProjectRow.slug == slug)) != 0


def list_projects(
    session: Session, *, user_id: str | None, organisation_ids: Sequence[str] | None, everything: bool
) -> list[ComputeProjectRow]:
    query = select(ComputeProjectRow).order_by(ComputeProjectRow.created_at.desc(), ComputeProjectRow.id)
    if not everything:
        member_of = select(ComputeProjectMemberRow.project_id).where(
            ComputeProjectMemberRow.user_id == (user_id or ""), ComputeProjectMemberRow.revoked_at.is_(None)
        )
        conditions = [ComputeProjectRow.id.in_(member_of)]
        if organisation_ids:
            conditions.append(ComputeProjectRow.organisation_id.in_(list(organisation_ids)))
        query = query.where(or_(*conditions))
    return list(session.scalars(query))


def members(session: Session, project_id: str) -> list[ComputeProjectMemberRow]:
    return list(
        session.scalars(
            select(ComputeProjectMemberRow)
            .where(ComputeProjectMemberRow.project_id == project_id)
            .order_by(ComputeProjectMemberRow.added_at, ComputeProjectMemberRow.id)
        )
    )


def member(session: Session, project_id: str, user_id: str) -> ComputeProjectMemberRow | None:
    return session.scalars(
        select(ComputeProjectMemberRow).where(
            ComputeProjectMemberRow.project_id == project_id, ComputeProjectMemberRow.user_id == user_id
        )
    ).first()


def inputs(session: Session, project_id: str) -> list[ComputeProjectInputRow]:
    return list(
        session.scalars(
            select(ComputeProjectInputRow)
            .where(
                ComputeProjectInputRow.project_id == project_id, ComputeProjectInputRow.removed_at.is_(None)
            )
            .order_by(ComputeProjectInputRow.added_at, ComputeProjectInputRow.id)
        )
    )


def input_for_version(session: Session, project_id: str, version_id: str) -> ComputeProjectInputRow | None:
    return session.scalars(
        select(ComputeProjectInputRow).where(
            ComputeProjectInputRow.project_id == project_id, ComputeProjectInputRow.version_id == version_id
        )
    ).first()


def get_job(session: Session, job_id: str, *, for_update: bool = False) -> ComputeJobRow | None:
    query = select(ComputeJobRow).where(ComputeJobRow.id == job_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def list_jobs(
    session: Session,
    *,
    project_id: str | None,
    before: str | None,
    limit: int,
    states: Sequence[str] | None = None,
) -> list[ComputeJobRow]:
    query = select(ComputeJobRow).order_by(ComputeJobRow.id.desc()).limit(limit)
    if project_id is not None:
        query = query.where(ComputeJobRow.project_id == project_id)
    if before:
        query = query.where(ComputeJobRow.id < before)
    if states is not None:
        query = query.where(ComputeJobRow.state.in_(list(states)))
    return list(session.scalars(query))


def active_job_ids(session: Session, *, project_id: str | None = None) -> list[str]:
    query = select(ComputeJobRow.id).where(ComputeJobRow.state.in_([s.value for s in ACTIVE_STATES]))
    if project_id is not None:
        query = query.where(ComputeJobRow.project_id == project_id)
    return list(session.scalars(query.order_by(ComputeJobRow.id)))


def count_active_jobs(session: Session, organisation_id: str) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                ComputeJobRow.organisation_id == organisation_id,
                ComputeJobRow.state.in_([s.value for s in ACTIVE_STATES]),
            )
        )
        or 0
    )


def cpu_seconds_since(session: Session, organisation_id: str, since: datetime) -> float:
    return float(
        session.scalar(
            select(func.coalesce(func.sum(ComputeJobRow.cpu_seconds), 0.0)).where(
                ComputeJobRow.organisation_id == organisation_id, ComputeJobRow.submitted_at >= since
            )
        )
        or 0.0
    )


def output_bytes_of(session: Session, organisation_id: str) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(ComputeJobRow.output_bytes), 0)).where(
                ComputeJobRow.organisation_id == organisation_id
            )
        )
        or 0
    )


def usage_by_project(
    session: Session, organisation_id: str, since: datetime
) -> list[tuple[str, str, int, float, int]]:
    """(project id, state, jobs, cpu seconds, output bytes) for the jobs submitted since ``since``."""
    rows = session.execute(
        select(
            ComputeJobRow.project_id,
            ComputeJobRow.state,
            func.count(),
            func.coalesce(func.sum(ComputeJobRow.cpu_seconds), 0.0),
            func.coalesce(func.sum(ComputeJobRow.output_bytes), 0),
        )
        .where(ComputeJobRow.organisation_id == organisation_id, ComputeJobRow.submitted_at >= since)
        .group_by(ComputeJobRow.project_id, ComputeJobRow.state)
    )
    return [(str(p), str(s), int(n), float(c or 0.0), int(b or 0)) for p, s, n, c, b in rows]


def outputs(session: Session, job_id: str) -> list[ComputeJobOutputRow]:
    return list(
        session.scalars(
            select(ComputeJobOutputRow)
            .where(ComputeJobOutputRow.job_id == job_id)
            .order_by(ComputeJobOutputRow.path)
        )
    )


def get_quota(session: Session, organisation_id: str) -> ComputeQuotaRow | None:
    return session.get(ComputeQuotaRow, organisation_id)
