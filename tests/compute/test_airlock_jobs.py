"""The airlock behind a real job: an enclave library aggregated in the local sandbox, its table held
with its findings, released by two output checkers, the job reviewed, the safe version downloaded."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from tests.compute import support

from qazai.api.platform import Platform
from qazai.compute import airlock, jobs
from qazai.compute.airlock_models import FileState, HeldFileFilter, ReviewCreate, Variant
from qazai.compute.disclosure import FindingCode
from qazai.compute.executors.local import probe_sandbox
from qazai.compute.states import JobState
from qazai.core.enums import AccessTier, PlatformRole
from qazai.core.errors import PermissionDenied
from qazai.identity import service as identity
from qazai.identity.actor import SYSTEM
from qazai.identity.models import PlatformRoleGrant
from qazai.libraries.models import GrantKind

pytestmark = pytest.mark.skipif(not probe_sandbox().works, reason=probe_sandbox().reason)

# Four regions of about 100 people each, and a "rare" group of 4: one cell below the minimum.
SCRIPT = """
import glob, os
import polars as pl
frame = pl.read_parquet(sorted(glob.glob("inputs/population-enclave/1/*.parquet")))
group = pl.when(pl.col("people") < 104).then(pl.lit("rare")).otherwise(pl.col("region")).alias("group")
table = frame.with_columns(group).group_by("group").agg(pl.len().alias("n")).sort("group")
out = os.environ["QAZAI_OUTPUT_DIR"]
table.write_csv(os.path.join(out, "by_group.csv"))
open(os.path.join(out, "chart.svg"), "w").write("<svg xmlns='http://www.w3.org/2000/svg'/>")
"""


def test_a_jobs_table_is_held_checked_released_and_the_job_reviewed(
    platform: Platform, people: dict[str, Any], tmp_path: Path
) -> None:
    support.published(platform, tmp_path, "population-enclave", AccessTier.enclave)
    member = support.actor(platform, people["member"].user_id)
    support.granted(platform, member, "population-enclave", GrantKind.compute_only)
    support.project(platform, member)
    support.add_input(platform, member, "regions", "population-enclave@1")
    for name in ("operator", "regulator"):
        with platform.db.uow() as uow:
            identity.grant_platform_role(
                uow, SYSTEM, people[name].user_id, PlatformRoleGrant(role=PlatformRole.output_checker)
            )
    checkers = [support.actor(platform, people[name].user_id) for name in ("operator", "regulator")]

    job = support.submit(platform, member, SCRIPT, inputs=["population-enclave@1"])
    ended = support.follow(platform, job.id)
    assert ended.state == JobState.awaiting_review, ended.message

    with platform.db.uow(read_only=True) as uow:
        held = {f.name: f for f in airlock.list_held_files(uow, member, HeldFileFilter(job_id=job.id)).items}
    table, chart = held["by_group.csv"], held["chart.svg"]
    assert [(f.code, f.row) for f in table.findings] == [
        (FindingCode.threshold, 4)
    ]  # "rare" (sorted last): 4 people
    assert chart.needs_justification and chart.state is FileState.pending
    with platform.db.uow(read_only=True) as uow, pytest.raises(PermissionDenied):
        airlock.resolve_held_file(uow, member, table.id, Variant.original)

    for checker in checkers:
        with platform.db.uow() as uow:
            airlock.review_held_file(uow, checker, table.id, ReviewCreate(decision="approve", variant="safe"))
    with platform.db.uow() as uow:
        airlock.review_held_file(
            uow,
            checkers[0],
            chart.id,
            ReviewCreate(decision="reject", justification="an empty chart, nothing to show"),
        )

    with platform.db.uow(read_only=True) as uow:
        assert jobs.get_job(uow, member, job.id).state == JobState.reviewed
        served = airlock.resolve_held_file(uow, member, table.id, Variant.safe)
    safe = pl.read_csv(io.BytesIO(b"".join(platform.objects.open(served.key))))
    assert safe.filter(pl.col("group") == "rare")["n"].to_list() == [None]
    assert safe.filter(pl.col("group") != "rare")["n"].min() >= 10  # type: ignore[operator]
