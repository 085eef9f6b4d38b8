"""A project's job through the compute service, run on the real Slurm cluster: an enclave library's
exact Parquet files staged to the node, the job confined there, its outputs held for review."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.compute import support
from tests.compute.slurm_cluster import TestCluster, require_cluster

from qazai.api.platform import Platform
from qazai.compute import jobs
from qazai.compute.executors.slurm import SlurmExecutor
from qazai.compute.executors.slurmrest import SignedToken, open_client
from qazai.compute.jobs import ComputeRuntime, compute_runtime
from qazai.compute.models import JobRead, JobSubmit
from qazai.compute.states import JobState
from qazai.core.enums import AccessTier
from qazai.identity.actor import Actor
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


def slurm_executor(cluster: TestCluster, root: Path, rest_url: str | None = None) -> SlurmExecutor:
    assert cluster.python is not None
    client = open_client(
        "v0.0.38",
        rest_url or cluster.rest_url,
        cluster.user,
        SignedToken(cluster.jwt_key_file, cluster.user),
        2.0,
    )
    return SlurmExecutor(
        client,
        root,
        user=cluster.user,
        partition=cluster.partition,
        python=cluster.python,
        memory_enforced=cluster.memory_enforced,
    )


@pytest.fixture
def cluster() -> TestCluster:
    found = require_cluster()
    if found.python is None:
        pytest.skip("no job environment on the nodes (.ci/slurm-up.sh builds /opt/qazai-jobenv)")
    return found


@pytest.fixture
def runs(cluster: TestCluster) -> Path:
    return cluster.fresh_folder("service")


@pytest.fixture
def slurm_runtime(platform: Platform, cluster: TestCluster, runs: Path) -> Iterator[ComputeRuntime]:
    executor = slurm_executor(cluster, runs)
    yield compute_runtime(platform.settings, platform.objects, executor)
    executor.close()


@pytest.fixture
def member(platform: Platform, people: dict[str, Any], tmp_path: Path) -> Actor:
    """A project member with a compute-only grant on an enclave library, an input of the project."""
    support.published(platform, tmp_path, "population-enclave", AccessTier.enclave)
    user = support.actor(platform, people["member"].user_id)
    support.granted(platform, user, "population-enclave", GrantKind.compute_only)
    support.project(platform, user)
    support.add_input(platform, user, "regions", "population-enclave@1")
    return user


def submit(platform: Platform, member: Actor, runtime: ComputeRuntime) -> JobRead:
    with platform.db.uow() as uow:
        return jobs.submit_job(
            uow,
            member,
            runtime,
            JobSubmit(project="regions", inputs=["population-enclave@1"], script_name="analysis.py"),
            AGGREGATE.encode("utf-8"),
        )


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
    platform: Platform, member: Actor, slurm_runtime: ComputeRuntime
) -> None:
    job = submit(platform, member, slurm_runtime)
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


def test_a_job_submitted_while_slurm_is_away_waits_queued_and_then_runs(
    platform: Platform, member: Actor, cluster: TestCluster, runs: Path, slurm_runtime: ComputeRuntime
) -> None:
    away = slurm_executor(cluster, runs, rest_url="http://127.0.0.1:9")  # nothing listens there
    try:
        down = compute_runtime(platform.settings, platform.objects, away)
        job = submit(platform, member, down)
        assert job.state == JobState.queued
        assert "does not answer" in (job.message or "") and "127.0.0.1:9" in (job.message or "")
        with platform.db.uow() as uow:
            still = jobs.refresh_job(uow, down, job.id)
        assert still.state == JobState.queued and "does not answer" in (still.message or "")
    finally:
        away.close()
    # slurmrestd answers again: the next refresh hands the job over and it runs to the end.
    ended = follow(platform, slurm_runtime, job.id)
    assert ended.state == JobState.awaiting_review, ended.message
    assert [o.path for o in ended.outputs] == ["by_region.csv"]
