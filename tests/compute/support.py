"""Helpers for the compute service tests: a published library, a project, a job followed to its end."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.libraries.publishing import make_library, publish

from qazai.api.platform import Platform
from qazai.compute import jobs, projects
from qazai.compute.jobs import ComputeRuntime, compute_runtime
from qazai.compute.models import InputAdd, JobRead, JobSubmit, MemberAdd, ProjectCreate, ProjectRead
from qazai.core.enums import AccessTier
from qazai.identity.actor import SYSTEM, Actor
from qazai.identity.service import load_actor
from qazai.libraries import access
from qazai.libraries.models import GrantCreate, GrantDecision, GrantKind

REGIONS = ["Astana", "Almaty", "Shymkent", "Karaganda"]


def population_csv(path: Path, rows: int = 400) -> Path:
    lines = ["region,age_band,people"]
    for index in range(rows):
        lines.append(
            f"{REGIONS[index % 4]},{(index // 4) % 8 * 10}-{(index // 4) % 8 * 10 + 9},{100 + index}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def published(platform: Platform, tmp_path: Path, slug: str, tier: AccessTier) -> None:
    make_library(platform, slug, tier=tier)
    job = publish(platform, slug, population_csv(tmp_path / f"{slug}.csv"))
    assert job.state.value == "succeeded", job


def actor(platform: Platform, user_id: str) -> Actor:
    with platform.db.uow(read_only=True) as uow:
        return load_actor(uow, user_id)


def granted(platform: Platform, user: Actor, slug: str, kind: GrantKind, days: int = 30) -> str:
    with platform.db.uow() as uow:
        grant = access.request_grant(
            uow, user, slug, GrantCreate(purpose="regional statistics for a model", kind=kind)
        )
    with platform.db.uow() as uow:
        access.decide_grant(
            uow, SYSTEM, grant.id, GrantDecision(approve=True, expires_on=date.today() + timedelta(days=days))
        )
    return grant.id


def project(platform: Platform, lead: Actor, slug: str = "regions", **fields: Any) -> ProjectRead:
    with platform.db.uow() as uow:
        return projects.create_project(
            uow,
            lead,
            ProjectCreate(
                slug=slug,
                organisation="stat-gov",
                title="Population by region",
                purpose="Aggregate the population by region and age band for a forecasting model",
                legal_basis="Law on AI, article 11; data sharing agreement No. 7",
                **fields,
            ),
        )


def add_input(platform: Platform, lead: Actor, project_slug: str, reference: str) -> ProjectRead:
    with platform.db.uow() as uow:
        return projects.add_input(uow, lead, project_slug, InputAdd(input=reference))


def add_member(platform: Platform, lead: Actor, project_slug: str, user: str) -> ProjectRead:
    with platform.db.uow() as uow:
        return projects.add_member(uow, lead, project_slug, MemberAdd(user=user))


def runtime(platform: Platform) -> ComputeRuntime:
    return compute_runtime(platform.settings, platform.objects)


def submit(
    platform: Platform,
    user: Actor,
    script: str,
    *,
    project_slug: str = "regions",
    inputs: list[str] | None = None,
    name: str = "analysis.py",
    **limits: int,
) -> JobRead:
    with platform.db.uow() as uow:
        return jobs.submit_job(
            uow,
            user,
            runtime(platform),
            JobSubmit(project=project_slug, inputs=inputs or [], script_name=name, limits=limits),  # type: ignore[arg-type]
            script.encode("utf-8"),
        )


def follow(platform: Platform, job_id: str, timeout: float = 60.0) -> JobRead:
    deadline = time.monotonic() + timeout
    run = runtime(platform)
    while True:
        with platform.db.uow() as uow:
            read = jobs.refresh_job(uow, run, job_id)
        if read.final:
            return read
        assert time.monotonic() < deadline, f"job {job_id} still {read.state}"
        time.sleep(0.1)


def wait_running(platform: Platform, job_id: str, timeout: float = 30.0) -> JobRead:
    deadline = time.monotonic() + timeout
    run = runtime(platform)
    while True:
        with platform.db.uow() as uow:
            read = jobs.refresh_job(uow, run, job_id)
        if read.state.value == "running" or read.final:
            return read
        assert time.monotonic() < deadline
        time.sleep(0.05)
