"""`frictionless validate` passes on the datapackage.json of every demo library, served by a real
server (issue 17.1: empty integer cells read back as `nan` failed `water-basins` and three more)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.catalog import module_platform
from tests.libraries.publishing import run_jobs

from qazai.libraries.demo import DEMO_LIBRARIES
from qazai.storage.jobs import JobState

pytestmark = [pytest.mark.slow, pytest.mark.db]

module_database_url = module_platform.module_database_url
module_tmp = module_platform.module_tmp
people = module_platform.people
platform = module_platform.platform
live_server = module_platform.live_server


@pytest.fixture(scope="module")
def demo_server(live_server: Any, platform: Any) -> str:
    """The real server with every demo library published (the demo seeding, as `qazai serve --demo`)."""
    import qazai.cli.main  # noqa: F401 - registers every capability's demo step
    from qazai.cli.demo import seed_demo

    seed_demo(platform)
    failed = [(j.kind, j.error) for j in run_jobs(platform) if j.state != JobState.succeeded]
    assert failed == []
    return str(live_server.base)


@pytest.mark.parametrize("slug", [d.slug for d in DEMO_LIBRARIES])
def test_frictionless_validates_every_demo_library(demo_server: str, slug: str) -> None:
    cli = Path(sys.executable).parent / "frictionless"
    url = f"{demo_server}/libraries/{slug}/v/1/datapackage.json"
    out = subprocess.run(
        [str(cli), "validate", "--json", url], capture_output=True, text=True, timeout=300, check=False
    )
    report = json.loads(out.stdout)
    errors = [
        (task["name"], error["type"], error.get("note", ""))
        for task in report["tasks"]
        for error in task["errors"]
    ]
    assert report["valid"] and errors == [], errors[:10]
    checked = {task["name"]: task for task in report["tasks"]}
    tables = [name for name in checked if name.endswith("-csv")]
    # every part is checked as a table (its CSV, cell by cell) and as files (Parquet by size and
    # hash, the XLSX fetched)
    assert tables and len(checked) == 3 * len(tables)
    assert all(checked[name]["stats"]["rows"] > 0 for name in tables)
