"""Quotas and accounting: CPU-seconds per organisation per period, jobs at once, output storage.

An organisation's quota is the operator's row in ``compute_quotas`` or, without one, the
settings' defaults. A submission over a quota is refused with the figures (``QuotaExceeded``);
one within it gets limits no larger than what is left.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from qazai.audit.service import record_action as audit
from qazai.compute import policy, repo
from qazai.compute.models import JobLimits, ProjectUsage, QuotaRead, QuotaSet, UsageReport
from qazai.compute.states import ACTIVE_STATES
from qazai.config import Settings
from qazai.core.clock import utcnow
from qazai.core.errors import Conflict, NotFound, PermissionDenied
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.compute import ComputeQuotaRow


class QuotaExceeded(Conflict):
    """A submission over the organisation's quota; ``details`` carry the figures."""

    code = "quota_exceeded"


def quota_of(uow: UnitOfWork, settings: Settings, organisation_id: str) -> QuotaRead:
    row = repo.get_quota(uow.session, organisation_id)
    if row is None:
        return QuotaRead(
            organisation_id=organisation_id,
            cpu_seconds_per_period=settings.compute_quota_cpu_seconds,
            period_days=settings.compute_quota_period_days,
            concurrent_jobs=settings.compute_quota_concurrent_jobs,
            output_bytes=settings.compute_quota_output_bytes,
            is_default=True,
        )
    return QuotaRead(
        organisation_id=organisation_id,
        cpu_seconds_per_period=row.cpu_seconds_per_period,
        period_days=row.period_days,
        concurrent_jobs=row.concurrent_jobs,
        output_bytes=row.output_bytes,
        is_default=False,
    )


def set_quota(
    uow: UnitOfWork, actor: Actor, settings: Settings, organisation: str, cmd: QuotaSet
) -> QuotaRead:
    """An operator sets an organisation's quota (audited)."""
    if not policy.can_set_quota(actor):
        raise PermissionDenied("only operators set compute quotas")
    org = identity_repo.get_organisation(uow.session, organisation)
    if org is None:
        raise NotFound(f"no organisation {organisation!r}", code="organisation_not_found")
    row = repo.get_quota(uow.session, org.id)
    if row is None:
        row = ComputeQuotaRow(organisation_id=org.id, updated_at=utcnow())
        uow.session.add(row)
    row.cpu_seconds_per_period = cmd.cpu_seconds_per_period
    row.period_days = cmd.period_days
    row.concurrent_jobs = cmd.concurrent_jobs
    row.output_bytes = cmd.output_bytes
    row.updated_by, row.updated_at = actor.user_id, utcnow()
    uow.session.flush()
    audit(
        uow.session,
        actor,
        action="compute.quota.set",
        object_type="organisation",
        object_id=org.id,
        organisation_id=org.id,
        summary=cmd.model_dump(),
    )
    uow.commit()
    return quota_of(uow, settings, org.id)


def limits_within_quota(
    uow: UnitOfWork, settings: Settings, organisation_id: str, asked: JobLimits
) -> dict[str, int]:
    """The job's limits: what it asked for, capped by the platform's maxima and what is left of
    the organisation's quota. QuotaExceeded (naming the figure) when nothing is left."""
    quota = quota_of(uow, settings, organisation_id)
    running = repo.count_active_jobs(uow.session, organisation_id)
    if running >= quota.concurrent_jobs:
        raise QuotaExceeded(
            f"your organisation has {running} jobs queued or running and its quota is "
            f"{quota.concurrent_jobs} at once; wait for one to end",
            details={"quota": "concurrent_jobs", "used": running, "limit": quota.concurrent_jobs},
        )
    since = utcnow() - timedelta(days=quota.period_days)
    used = repo.cpu_seconds_since(uow.session, organisation_id, since)
    left_cpu = quota.cpu_seconds_per_period - used
    if left_cpu < 1:
        raise QuotaExceeded(
            f"your organisation used {used:.0f} of its {quota.cpu_seconds_per_period} CPU-seconds "
            f"in the last {quota.period_days} days",
            details={"quota": "cpu_seconds", "used": round(used, 3), "limit": quota.cpu_seconds_per_period},
        )
    stored = repo.output_bytes_of(uow.session, organisation_id)
    left_bytes = quota.output_bytes - stored
    if left_bytes <= 0:
        raise QuotaExceeded(
            f"your organisation keeps {stored} bytes of job outputs and its quota is "
            f"{quota.output_bytes} bytes",
            details={"quota": "output_bytes", "used": stored, "limit": quota.output_bytes},
        )
    platform = {
        "cpu_seconds": settings.compute_job_cpu_seconds,
        "memory_mib": settings.compute_job_memory_mib,
        "wall_seconds": settings.compute_job_wall_seconds,
        "processes": settings.compute_job_processes,
        "output_bytes": settings.compute_job_output_bytes,
    }
    limits = {name: min(value, getattr(asked, name) or value) for name, value in platform.items()}
    limits["cpu_seconds"] = max(1, min(limits["cpu_seconds"], int(left_cpu)))
    limits["output_bytes"] = min(limits["output_bytes"], left_bytes)
    return limits


def usage_report(uow: UnitOfWork, actor: Actor, settings: Settings, organisation: str) -> UsageReport:
    """CPU-seconds, jobs and stored outputs of an organisation's projects in the current period."""
    org = identity_repo.get_organisation(uow.session, organisation)
    if org is None:
        raise NotFound(f"no organisation {organisation!r}", code="organisation_not_found")
    if not policy.can_see_usage(actor, org.id):
        raise PermissionDenied("an organisation's usage is for its admins and operators")
    quota = quota_of(uow, settings, org.id)
    end = utcnow()
    start = end - timedelta(days=quota.period_days)
    by_project: dict[str, ProjectUsage] = {}
    states: dict[str, dict[str, int]] = defaultdict(dict)
    running = 0
    for project_id, state, jobs, cpu, output in repo.usage_by_project(uow.session, org.id, start):
        project = repo.get_project(uow.session, project_id)
        usage = by_project.setdefault(
            project_id,
            ProjectUsage(
                project_id=project_id,
                project_slug=project.slug if project else "",
                jobs=0,
                jobs_by_state={},
                cpu_seconds=0.0,
                output_bytes=0,
            ),
        )
        usage.jobs += jobs
        usage.cpu_seconds += cpu
        usage.output_bytes += output
        states[project_id][state] = jobs
        if state in {s.value for s in ACTIVE_STATES}:
            running += jobs
    for project_id, usage in by_project.items():
        usage.jobs_by_state = dict(sorted(states[project_id].items()))
        usage.cpu_seconds = round(usage.cpu_seconds, 3)
    cpu_total = round(sum(u.cpu_seconds for u in by_project.values()), 3)
    return UsageReport(
        organisation_id=org.id,
        organisation_slug=org.slug,
        period_start=start,
        period_end=end,
        quota=quota,
        cpu_seconds=cpu_total,
        cpu_seconds_left=max(0.0, quota.cpu_seconds_per_period - cpu_total),
        running_jobs=running,
        output_bytes=repo.output_bytes_of(uow.session, org.id),
        projects=sorted(by_project.values(), key=lambda u: u.project_slug),
    )
