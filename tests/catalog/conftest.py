"""Published libraries for the catalogue tests, through the real libraries pipeline, once per
test module (the tests here only read; see ``module_platform.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.catalog import module_platform

from qazai.core.enums import AccessTier
from qazai.core.text import LocalizedText

CSV = "region,year,population\nAstana,2023,1350000\nAlmaty,2023,2200000\nShymkent,2023,1200000\n"


def publish_library(
    platform: Any, tmp: Path, slug: str, *, csv: str = CSV, publish: bool = True, **meta: Any
) -> None:
    from tests.libraries.publishing import FULL_META
    from tests.libraries.publishing import publish as run_publish

    from qazai.identity.actor import SYSTEM
    from qazai.libraries import service
    from qazai.libraries.models import LibraryCreate

    tier = meta.pop("tier", AccessTier.open)
    with platform.db.uow() as uow:
        service.create_library(
            uow, SYSTEM, LibraryCreate(slug=slug, organisation="stat-gov", tier=tier, **{**FULL_META, **meta})
        )
    if publish:
        path = tmp / f"{slug}.csv"
        path.write_text(csv, encoding="utf-8")
        job = run_publish(platform, slug, path)
        assert job.state.value == "succeeded", job.model_dump_json()


# Module-scoped fixtures for this folder (they override the function-scoped ones of tests/conftest.py).
app = module_platform.app
client = module_platform.client
module_database_url = module_platform.module_database_url
module_tmp = module_platform.module_tmp
people = module_platform.people
platform = module_platform.platform


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    module_platform.mark_module_db_items(items)


@pytest.fixture(scope="module")
def catalog(platform: Any, people: Any, module_tmp: Path) -> Any:
    """Three published libraries and one unpublished (draft) one of `stat-gov`."""
    tmp_path = module_tmp
    publish_library(
        platform,
        tmp_path,
        "population-by-region",
        title=LocalizedText(
            kk="Өңірлер бойынша халықтың саны",
            ru="Численность населения по регионам",
            en="Population by region",
        ),
        themes=["demography"],
        keywords=["population"],
    )
    publish_library(
        platform,
        tmp_path,
        "water-basins",
        title=LocalizedText(kk="Су бассейндері", en="Water basins"),
        themes=["environment"],
        csv="basin,area\nIrtysh,1643000\nIle,140000\n",
    )
    publish_library(
        platform,
        tmp_path,
        "registered-survey",
        title=LocalizedText(en="Household survey"),
        tier=AccessTier.registered,
        themes=["demography"],
    )
    publish_library(platform, tmp_path, "draft-census", title=LocalizedText(en="Census draft"), publish=False)
    return platform
