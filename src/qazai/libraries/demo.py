"""Demo libraries for `qazai serve --demo`: the shared government files and a synthetic register.

Idempotent: a library that already has a version, or a publish job waiting, is left alone. The
jobs are only enqueued here; the server's in-process worker runs them after start.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from importlib import resources

from qazai.core.enums import AccessTier
from qazai.core.errors import NotFound
from qazai.core.text import LocalizedText
from qazai.identity.actor import Actor
from qazai.libraries import repo, service, uploads
from qazai.libraries.models import Contact, Frequency, LegalBasis, LibraryCreate, PublishRequest, Spatial
from qazai.libraries.synthetic import citizen_register_csv
from qazai.storage.db import Database
from qazai.storage.jobs import JobState, list_jobs
from qazai.storage.objects import ObjectStore


@dataclass(frozen=True)
class DemoLibrary:
    slug: str
    org: str
    file: str
    title: LocalizedText
    description: LocalizedText
    legal_basis: LegalBasis = LegalBasis.none
    tier: AccessTier = AccessTier.open
    themes: list[str] = field(default_factory=lambda: ["population"])


DEMO_LIBRARIES = (
    DemoLibrary(
        "population-by-region",
        "stat-gov",
        "stat-population-by-region.xlsx",
        LocalizedText(
            kk="Өңірлер бойынша халық саны", ru="Численность населения по регионам", en="Population by region"
        ),
        LocalizedText(
            ru="Численность населения Казахстана по регионам, 2000-2024",
            en="Population of Kazakhstan by region",
        ),
    ),
    DemoLibrary(
        "population-projections",
        "stat-gov",
        "population-projections-source.xlsx",
        LocalizedText(ru="Население: исходные данные прогноза", en="Population projections source"),
        LocalizedText(
            ru="Население, мужчины и женщины по регионам", en="Population, men and women by region"
        ),
    ),
    DemoLibrary(
        "employment-applicants",
        "stat-gov",
        "employment-authorities-applicants.xlsx",
        LocalizedText(ru="Обратившиеся в органы занятости", en="Applicants to employment authorities"),
        LocalizedText(ru="Число обратившихся по регионам и годам", en="Applicants by region and year"),
        themes=["employment"],
    ),
    DemoLibrary(
        "water-basins",
        "stat-gov",
        "water-basins.xlsx",
        LocalizedText(ru="Водные бассейны Казахстана", en="Water basins of Kazakhstan"),
        LocalizedText(en="Basins, lakes and water consumption"),
        themes=["environment"],
    ),
    DemoLibrary(
        "astana-complaints",
        "astana-akimat",
        "akimat-complaints.csv",
        LocalizedText(
            kk="Азаматтардың өтініштері", ru="Обращения граждан в акимат", en="Citizens' complaints"
        ),
        LocalizedText(
            ru="Тексты обращений на казахском и русском; адреса и имена скрыты",
            en="Complaint texts, redacted",
        ),
        legal_basis=LegalBasis.depersonalised,
        themes=["public services"],
    ),
    DemoLibrary(
        "citizen-register-synthetic",
        "astana-akimat",
        "",
        LocalizedText(
            ru="Синтетический регистр жителей (обезличен)", en="Synthetic citizen register (de-identified)"
        ),
        LocalizedText(
            en="An invented register full of personal data (IINs, names, phones, addresses), "
            "published de-identified"
        ),
        legal_basis=LegalBasis.depersonalised,
        themes=["demo"],
    ),
)


def _waiting(db: Database, library_id: str) -> bool:
    with db.uow(read_only=True) as uow:
        for state in (JobState.queued, JobState.running):
            for job in list_jobs(uow.session, state=state, kind=service.PUBLISH_JOB, limit=500):
                if job.payload.get("library_id") == library_id:
                    return True
    return False


def seed_demo_libraries(
    db: Database, objects: ObjectStore, actor: Actor, *, max_bytes: int, retention_days: int
) -> int:
    """Create the demo libraries and enqueue their first publication; returns jobs enqueued."""
    queued = 0
    data = resources.files("qazai.libraries.demo_data")
    for demo in DEMO_LIBRARIES:
        with db.uow() as uow:
            try:
                service.get_library(uow, actor, demo.slug)
            except NotFound:
                service.create_library(
                    uow,
                    actor,
                    LibraryCreate(
                        slug=demo.slug,
                        organisation=demo.org,
                        title=demo.title,
                        description=demo.description,
                        licence="CC-BY-4.0",
                        tier=demo.tier,
                        themes=demo.themes,
                        keywords=["demo", "Kazakhstan"],
                        spatial=Spatial(region="Kazakhstan"),
                        frequency=Frequency.annual,
                        legal_basis=demo.legal_basis,
                        source_systems=["QazAI demo data"],
                        contact=Contact(email="data@qazai.kz"),
                    ),
                )
        with db.uow(read_only=True) as uow:
            library = repo.get_library(uow.session, demo.slug)
            assert library is not None
            has_version = repo.max_version_number(uow.session, library.id) > 0
        if has_version or _waiting(db, library.id):
            continue
        body = citizen_register_csv(2000) if not demo.file else data.joinpath(demo.file).read_bytes()
        name = demo.file or "citizen-register.csv"
        upload = uploads.upload_file(
            db,
            objects,
            actor,
            demo.slug,
            name,
            io.BytesIO(body),
            len(body),
            max_bytes=max_bytes,
            retention_days=retention_days,
        )
        with db.uow() as uow:
            service.request_publish(uow, actor, demo.slug, PublishRequest(upload_id=upload.id))
        queued += 1
    return queued
