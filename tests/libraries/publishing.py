"""Helpers for the data-library tests: make a library, upload a file, run the publish job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qazai.api.platform import Platform
from qazai.api.wiring import job_handlers
from qazai.core.enums import AccessTier
from qazai.core.text import LocalizedText
from qazai.identity.actor import SYSTEM, Actor
from qazai.libraries import service, uploads
from qazai.libraries.models import Contact, LegalBasis, LibraryCreate, PublishRequest
from qazai.storage.jobs import JobRead, Worker, get_job

FULL_META: dict[str, Any] = {
    "description": LocalizedText(en="Test data", ru="Тестовые данные"),
    "licence": "CC-BY-4.0",
    "legal_basis": LegalBasis.none,
    "source_systems": ["test"],
    "contact": Contact(email="data@example.kz"),
}


def make_library(
    platform: Platform,
    slug: str,
    *,
    tier: AccessTier = AccessTier.open,
    org: str = "stat-gov",
    actor: Actor = SYSTEM,
    **meta: Any,
) -> None:
    fields = {**FULL_META, **meta}
    with platform.db.uow() as uow:
        service.create_library(
            uow,
            actor,
            LibraryCreate(slug=slug, organisation=org, title=LocalizedText(en=slug), tier=tier, **fields),
        )


def upload(
    platform: Platform, slug: str, path: Path, *, actor: Actor = SYSTEM, name: str | None = None
) -> str:
    with path.open("rb") as handle:
        read = uploads.upload_file(
            platform.db,
            platform.objects,
            actor,
            slug,
            name or path.name,
            handle,
            path.stat().st_size,
            max_bytes=platform.settings.upload_max_bytes,
            retention_days=platform.settings.raw_retention_days,
        )
    return read.id


def run_jobs(platform: Platform) -> list[JobRead]:
    worker = Worker(platform.db, job_handlers(platform), lease_seconds=60, backoff_base_seconds=0.0)
    done = []
    while (job := worker.run_once()) is not None:
        done.append(job)
    return done


def publish(
    platform: Platform,
    slug: str,
    path: Path,
    *,
    actor: Actor = SYSTEM,
    name: str | None = None,
    **options: Any,
) -> JobRead:
    upload_id = upload(platform, slug, path, actor=actor, name=name)
    with platform.db.uow() as uow:
        accepted = service.request_publish(uow, actor, slug, PublishRequest(upload_id=upload_id, **options))
    run_jobs(platform)
    with platform.db.uow(read_only=True) as uow:
        return get_job(uow.session, accepted.job_id)
