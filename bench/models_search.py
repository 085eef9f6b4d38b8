# ruff: noqa: E501
"""Model search with 10,000 repositories: p50/p95 of the service and of the API, beside a plain
SQL LIKE scan of the same table measured in the same run.

    .venv/bin/python bench/models_search.py [--repos 10000] [--searches 300] [--database-url URL]

1. 20 organisations (identity service) and ``--repos`` model repositories bulk-inserted with
   varied kk/ru/en titles, tasks, languages, licences and tiers (a real SQLite file, or the
   PostgreSQL URL given).
2. Queries cycle through Cyrillic Kazakh and Russian words, Latin-script Kazakh, English, filters
   alone, words with filters and a second page; each is timed through
   ``qazai.models.reads.list_model_repos`` (in process, a read-only unit of work per query, as a
   request has) and through ``GET /api/v1/models`` on the real app (in-process ASGI client).
3. Reference: the same words as ``lower(...) LIKE '%word%'`` over repo id, title and task.

Target (issue 14): search p95 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import bench_settings

WORDS = [
    ("аударма", "перевод", "translation"),
    ("сөйлеу", "речь", "speech"),
    ("мәтін", "текст", "text"),
    ("жіктеуіш", "классификатор", "classifier"),
    ("сурет", "изображение", "image"),
    ("халық", "население", "population"),
    ("денсаулық", "здоровье", "health"),
    ("ауыл шаруашылығы", "сельское хозяйство", "agriculture"),
    ("заң", "право", "law"),
    ("білім", "образование", "education"),
]
TASKS = [
    "translation",
    "text-classification",
    "token-classification",
    "automatic-speech-recognition",
    "image-classification",
    "text-generation",
    "summarization",
    "question-answering",
]
LICENCES = ["Apache-2.0", "MIT", "CC-BY-4.0", "CC-BY-SA-4.0", "OpenRAIL", "KZ-OPEN-DATA"]
LANGS = [["kk"], ["ru"], ["kk", "ru"], ["kk", "ru", "en"], ["en"]]
TIERS = ["open", "open", "open", "registered", "restricted"]
QUERIES: list[dict[str, Any]] = [
    {"q": "аударма"},
    {"q": "perevod"},
    {"q": "audarma"},
    {"q": "speech recognition"},
    {"q": "денсаулық сақтау"},
    {"q": "классификатор текста"},
    {"task": "translation"},
    {"language": "kk", "licence": "MIT"},
    {"q": "halyq", "tier": "open"},
    {"q": "model", "sort": "name"},
    {"q": "білім", "task": "summarization", "language": "ru"},
]


def _setup(database_url: str, repos: int) -> list[str]:
    from qazai.core.clock import utcnow
    from qazai.core.enums import OrgKind
    from qazai.core.ids import new_id
    from qazai.core.text import LocalizedText
    from qazai.identity import service as identity
    from qazai.identity.actor import SYSTEM
    from qazai.identity.models import OrganisationCreate
    from qazai.storage.db import Database
    from qazai.storage.migrate import upgrade_database
    from qazai.storage.tables.models import ModelRepoRow

    upgrade_database(database_url)
    db = Database(database_url)
    orgs: list[tuple[str, str]] = []
    for i in range(20):
        with db.uow() as uow:
            org = identity.create_organisation(
                uow,
                SYSTEM,
                OrganisationCreate(
                    slug=f"org-{i:02d}", kind=OrgKind.university, name=LocalizedText(en=f"Org {i}")
                ),
            )
            orgs.append((org.id, org.slug))
    rng = random.Random(14)
    now = utcnow()
    rows = []
    for i in range(repos):
        org_id, org_slug = orgs[i % len(orgs)]
        kk, ru, en = rng.choice(WORDS)
        kk2, ru2, en2 = rng.choice(WORDS)
        name = f"{en.replace(' ', '-')}-{en2.replace(' ', '-')}-{i}"
        rows.append(
            ModelRepoRow(
                id=new_id(),
                repo_id=f"{org_slug}/{name}",
                organisation_id=org_id,
                name=name,
                title={"kk": f"{kk} {kk2} моделі", "ru": f"Модель: {ru}, {ru2}", "en": f"{en} {en2} model"},
                summary={"en": f"A model for {en} and {en2}."},
                tier=rng.choice(TIERS),
                licence=rng.choice(LICENCES),
                task=rng.choice(TASKS),
                languages=rng.choice(LANGS),
                tags=[en2],
                latest_version_id=None,
                latest_revision=None,
                latest_tag=None,
                created_by=None,
                created_at=now - timedelta(minutes=i),
                updated_at=now - timedelta(minutes=i),
            )
        )
    with db.uow() as uow:
        uow.session.add_all(rows)
        uow.commit()
    db.dispose()
    return [slug for _id, slug in orgs]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=int, default=10_000)
    ap.add_argument("--searches", type=int, default=300)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="qazai-models-bench-"))
    database_url = args.database_url or f"sqlite:///{tmp / 'qazai.db'}"
    t0 = time.perf_counter()
    _setup(database_url, args.repos)
    print(f"{args.repos} model repositories in {database_url} ({time.perf_counter() - t0:.1f} s to set up)")

    from fastapi.testclient import TestClient
    from sqlalchemy import or_, select

    from qazai.api.app import create_app
    from qazai.api.wiring import build_platform
    from qazai.identity.actor import ANONYMOUS
    from qazai.models import reads
    from qazai.models.models import ModelSearch
    from qazai.storage.tables.models import ModelRepoRow

    settings = bench_settings(tmp / "data", database_url)
    platform = build_platform(settings, start_workers=False)
    logging.getLogger("qazai.access").setLevel(logging.WARNING)
    queries = [QUERIES[i % len(QUERIES)] for i in range(args.searches)]
    # the first search builds the process's index (as the first request after a change does)
    with platform.db.uow(read_only=True) as uow:
        t0 = time.perf_counter()
        first = reads.list_model_repos(uow, ANONYMOUS, ModelSearch(q="аударма"))
        build = time.perf_counter() - t0
    service_times: list[float] = []
    hits = 0
    for query in queries:
        t0 = time.perf_counter()
        with platform.db.uow(read_only=True) as uow:
            page = reads.list_model_repos(uow, ANONYMOUS, ModelSearch(**query, limit=20))
            if page.next and query.get("sort") == "name":
                reads.list_model_repos(uow, ANONYMOUS, ModelSearch(**query, limit=20, cursor=page.next))
        service_times.append(time.perf_counter() - t0)
        hits += len(page.items)
    api_times: list[float] = []
    with TestClient(create_app(platform)) as client:
        for query in queries:
            t0 = time.perf_counter()
            response = client.get("/api/v1/models", params={**query, "limit": 20})
            api_times.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.text
    like_times: list[float] = []
    for query in queries:
        words = str(query.get("q") or "").lower().split()
        t0 = time.perf_counter()
        with platform.db.uow(read_only=True) as uow:
            statement = select(ModelRepoRow)
            for word in words:
                pattern = f"%{word}%"
                statement = statement.where(
                    or_(
                        ModelRepoRow.repo_id.ilike(pattern),
                        ModelRepoRow.task.ilike(pattern),
                        ModelRepoRow.title.cast(ModelRepoRow.task.type).ilike(pattern),
                    )
                )
            for key in ("task", "licence", "tier"):
                if key in query:
                    statement = statement.where(getattr(ModelRepoRow, key) == query[key])
            uow.session.scalars(statement.order_by(ModelRepoRow.updated_at.desc()).limit(20)).all()
        like_times.append(time.perf_counter() - t0)
    # one new repository, then a search: the index takes in the change instead of rebuilding
    from qazai.identity.actor import SYSTEM
    from qazai.models import service
    from qazai.models.models import ModelRepoCreate

    with platform.db.uow() as uow:
        service.create_model_repo(
            uow,
            SYSTEM,
            ModelRepoCreate(organisation="org-00", name="fresh-audarma", licence="MIT", task="translation"),
        )
    t0 = time.perf_counter()
    with platform.db.uow(read_only=True) as uow:
        fresh = reads.list_model_repos(uow, ANONYMOUS, ModelSearch(q="fresh audarma"))
    after_change = time.perf_counter() - t0
    assert [r.repo_id for r in fresh.items] == ["org-00/fresh-audarma"]
    platform.close()

    s50, s95 = _percentiles(service_times)
    a50, a95 = _percentiles(api_times)
    l50, l95 = _percentiles(like_times)
    print(
        f"index built by the first search: {build * 1000:.0f} ms ({len(first.items)} hits on the first page)"
    )
    print(f"first search after a new repository (index updated in place): {after_change * 1000:.1f} ms")
    print(f"{args.searches} searches ({hits} hits shown in all):")
    print(f"  service list_model_repos     p50 {s50:6.2f} ms  p95 {s95:6.2f} ms")
    print(f"  API GET /api/v1/models        p50 {a50:6.2f} ms  p95 {a95:6.2f} ms")
    print(
        f"  reference SQL LIKE scan       p50 {l50:6.2f} ms  p95 {l95:6.2f} ms  (no transliteration, no word forms)"
    )
    print(
        f"  API p95 / LIKE p95 = {a95 / l95:.2f}x; target API p95 <= 30 ms: {'met' if a95 <= 30 else 'MISSED'}"
    )
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
