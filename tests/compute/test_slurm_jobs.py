"""A project's job through the compute service, run on the real Slurm cluster: an enclave library's
exact Parquet files staged to the node, the job confined there, its outputs held for review."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.compute import support
from tests.compute.slurm_cluster import require_cluster

from qazai.api.platform import Platform
from qazai.compute import jobs
from qazai.compute.executors.slurm import SlurmExecutor
from qazai.compute.executors.slurmrest import SignedToken, open_client
from qazai.compute.jobs import ComputeRuntime, compute_runtime
from qazai.compute.models import JobRead, JobSubmit
from qazai.compute.states import JobState
from qazai.core.enums import AccessTier
from qazai.libraries.models import GrantKind

pytestmark = pytest.mark.slurm

AGGREGATE = """
import glob, os
import polars as pl
print("first line", flush=True)
frame = pl.read_parquet(sorted(glob.glob("inputs/population-enclave/1/*.parquet")))
table = frame.group_by("region").agg(pl.col("people").sum(), pl.len().alias("n")).sort("region")
table.write_csv(os.path.join(os.environ["QAZAI_OUTPUT_DIR"], "by_region.csv"))
print("rows", frame.height)
"""


@pytest.fixture
def slurm_runtime(platform: Platform) -> Iterator[ComputeRuntime]:
    cluster = require_cluster()
    if cluster.python is None:
        pytest.skip("no job environment on the nodes (.ci/slurm-up.sh builds /opt/qazai-jobenv)")
    client = open_client(
        "v0.0.38", cluster.rest_url, cluster.user, SignedToken(cluster.jwt_key_file, cluster.user)
    )
    executor = SlurmExecutor(
        client,
        cluster.fresh_folder("service"),
        user=cluster.user,
        partition=cluster.partition,
        python=cluster.python,
        memory_enforced=cluster.memory_enforced,
    )
    yield compute_runtime(platform.settings, platform.objects, executor)
    executor.close()


def follow(platform: Platform, runtime: ComputeRuntime, job_id: str, timeout: float = 90.0) -> JobRead:
    deadline = time.monotonic() + timeout
    while True:
        with platform.db.uow() as uow:
            read = jobs.refresh_job(uow, runtime, job_id)
        if read.final:
            return read
        assert time.monotonic() < deadline, f"job {job_id} still {read.state}"
        time.sleep(0.2)


def test_an_enclave_job_runs_on_slurm_and_its_outputs_are_held(
    platform: Platform, people: dict[str, Any], tmp_path: Path, slurm_runtime: ComputeRuntime
) -> None:
    support.published(platform, tmp_path, "population-enclave", AccessTier.enclave)
    member = support.actor(platform, people["member"].user_id)
    support.granted(platform, member, "population-enclave", GrantKind.compute_only)
    support.project(platform, member)
    support.add_input(platform, member, "regions", "population-enclave@1")
    with platform.db.uow() as uow:
        job = jobs.submit_job(
            uow,
            member,
            slurm_runtime,
            JobSubmit(project="regions", inputs=["population-enclave@1"], script_name="analysis.py"),
            AGGREGATE.encode("utf-8"),
        )
    ended = follow(platform, slurm_runtime, job.id)
    assert ended.state == JobState.awaiting_review, ended.message
    assert [o.path for o in ended.outputs] == ["by_region.csv"]
    held = ended.outputs[0]
    text = b"".join(
        platform.objects.open(f"sha256/{held.sha256[:2]}/{held.sha256[2:4]}/{held.sha256}")
    ).decode()
    assert text.splitlines()[0] == "region,people,n" and "Astana" in text
    assert ended.cpu_seconds is not None and ended.cpu_seconds >= 0
    with platform.db.uow(read_only=True) as uow:
        log = jobs.job_logs(uow, member, slurm_runtime, job.id)
    assert "first line" in log.text and "rows 400" in log.text
