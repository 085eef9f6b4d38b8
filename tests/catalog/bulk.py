"""Many catalogue entries quickly: clones of one library published through the real pipeline.

Publishing costs about a second per library; the harvester test and ``bench/catalog_speed.py``
need hundreds to thousands. ``clone_published`` copies the seed's library row (new id, slug and
varied metadata) and its published version row (same manifest, so the same Parquet objects) with
bulk INSERTs: every clone is searchable, ``package_show``-able and queryable like the seed.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from qazai.catalog.indexer import mark_changed
from qazai.core.clock import utcnow
from qazai.core.ids import new_id
from qazai.storage.db import Database
from qazai.storage.tables.libraries import LibraryRow, LibraryVersionRow

WORDS = {
    "en": ["population", "water", "budget", "schools", "hospitals", "roads", "prices", "grain", "oil", "air"],
    "ru": ["население", "вода", "бюджет", "школы", "больницы", "дороги", "цены", "зерно", "нефть", "воздух"],
    "kk": ["халық", "су", "бюджет", "мектептер", "ауруханалар", "жолдар", "бағалар", "астық", "мұнай", "ауа"],
}
REGIONS = ["Astana", "Almaty", "Shymkent", "Karaganda", "Aktobe", "Atyrau", "Pavlodar", "Kostanay"]
THEMES = ["demography", "environment", "economy", "education", "health", "transport", "energy"]


def varied_metadata(i: int, rng: random.Random) -> dict[str, Any]:
    """Title, description, themes, keywords and region for clone ``i`` (three languages)."""
    picks = rng.sample(range(len(WORDS["en"])), 3)
    region = REGIONS[i % len(REGIONS)]
    title = {lang: " ".join(words[p] for p in picks) + f" {region} {i}" for lang, words in WORDS.items()}
    description = {
        lang: f"{title[lang]}: " + " ".join(rng.choice(words) for _ in range(12))
        for lang, words in WORDS.items()
    }
    return {
        "title": title,
        "description": description,
        "themes": [THEMES[i % len(THEMES)]],
        "keywords": [WORDS["en"][p] for p in picks[:2]],
        "region": region,
    }


def clone_published(
    db: Database,
    seed_slug: str,
    count: int,
    *,
    prefix: str = "clone",
    metadata: Callable[[int, random.Random], dict[str, Any]] = varied_metadata,
    seed: int = 5,
    batch: int = 1000,
    when: datetime | None = None,
) -> list[str]:
    """Insert ``count`` published copies of ``seed_slug``, created and modified at ``when``
    (default: now); returns their ids (ascending)."""
    rng = random.Random(seed)
    with db.uow(read_only=True) as uow:
        library = uow.session.scalars(select(LibraryRow).where(LibraryRow.slug == seed_slug)).one()
        version = uow.session.scalars(
            select(LibraryVersionRow).where(LibraryVersionRow.id == library.latest_version_id)
        ).one()
        library_values = {c.key: getattr(library, c.key) for c in LibraryRow.__table__.columns}
        version_values = {c.key: getattr(version, c.key) for c in LibraryVersionRow.__table__.columns}
    ids: list[str] = []
    for offset in range(0, count, batch):
        libraries: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        now = when or utcnow()
        for i in range(offset, min(count, offset + batch)):
            meta = metadata(i, rng)
            library_id, version_id = new_id(), new_id()
            details = copy.deepcopy(library_values["details"] or {})
            details["themes"] = meta["themes"]
            details["keywords"] = meta["keywords"]
            details["spatial"] = {**(details.get("spatial") or {}), "region": meta["region"]}
            libraries.append(
                {
                    **library_values,
                    "id": library_id,
                    "slug": f"{prefix}-{i:05d}",
                    "title": meta["title"],
                    "description": meta["description"],
                    "details": details,
                    "latest_version_id": version_id,
                    "latest_number": version_values["number"],
                    "created_at": now,
                    "updated_at": now,
                }
            )
            versions.append(
                {
                    **version_values,
                    "id": version_id,
                    "library_id": library_id,
                    "dedupe_key": f"clone:{version_id}",
                    "manifest": version_values["manifest"],
                    "created_at": now,
                }
            )
            ids.append(library_id)
        with db.uow() as uow:
            uow.session.execute(insert(LibraryRow), libraries)
            uow.session.execute(insert(LibraryVersionRow), versions)
            mark_changed(uow.session)
            uow.commit()
    return ids
