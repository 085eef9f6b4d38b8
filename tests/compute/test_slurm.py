"""The slurm executor beyond the contract suite: its state table, tokens, settings, and what a
cluster adds (a lost answer, Slurm's own kill, its CPU time, the job environment on the node, an
unreachable slurmrestd). Tests marked ``slurm`` run against the real cluster of ``.ci/slurm-up.sh``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import pwd
import time
from pathlib import Path

import pytest
from tests.compute.slurm_cluster import TestCluster, require_cluster

from qazai.compute.executors.base import FailureReason, RunLimits, RunSpec, RunState, RunStatus
from qazai.compute.executors.slurm import (
    SLURM_STATES,
    SlurmExecutor,
    _decode_exit,
    build,
    run_state_of,
)
from qazai.compute.executors.slurmrest import (
    FixedToken,
    SignedToken,
    SlurmJobInfo,
    SlurmJobRequest,
    SlurmRestClient,
    SlurmUnreachable,
    open_client,
)
from qazai.config import load_settings
from qazai.core.errors import ConfigError, Unavailable

# Every job state code of Slurm 22.05 (src/common/slurm_protocol_defs.c, job_state_string).
SLURM_2205_CODES = {
    "PENDING", "RUNNING", "SUSPENDED", "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL",
    "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY", "COMPLETING", "CONFIGURING", "RESIZING",
    "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "SPECIAL_EXIT", "STOPPED", "REVOKED", "RESV_DEL_HOLD",
    "SIGNALING", "STAGE_OUT",
}  # fmt: skip


def test_every_slurm_job_state_maps_to_a_run_state() -> None:
    assert set(SLURM_STATES) == SLURM_2205_CODES
    assert run_state_of("COMPLETED") == RunState.succeeded
    assert run_state_of("TIMEOUT") == RunState.timed_out
    assert run_state_of("pending") == RunState.queued
    assert run_state_of("COMPLETING") == RunState.running


def test_an_unknown_slurm_state_is_logged_and_unknown(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="qazai.compute.slurm"):
        assert run_state_of("HIBERNATING") == RunState.unknown
    assert "HIBERNATING" in caplog.text


def test_exit_codes_come_from_slurms_wait_status() -> None:
    assert (_decode_exit(0), _decode_exit(3 << 8), _decode_exit(9), _decode_exit(None)) == (0, 3, 137, None)


def test_signed_tokens_are_hs256_for_the_user_and_reused(tmp_path: Path) -> None:
    key = tmp_path / "jwt.key"
    key.write_bytes(bytes(range(32)))
    source = SignedToken(key, "analyst", lifespan_seconds=600)
    token = source.token()
    header, claims, signature = token.split(".")
    expected = hmac.new(key.read_bytes(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "==") == expected
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=="))
    assert decoded["sun"] == "analyst" and decoded["exp"] - decoded["iat"] == 600
    assert json.loads(base64.urlsafe_b64decode(header + "=="))["alg"] == "HS256"
    assert source.token() == token


def test_a_missing_or_short_key_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the Slurm JWT key file"):
        SignedToken(tmp_path / "absent.key", "analyst")
    (tmp_path / "short.key").write_bytes(b"0123")
    with pytest.raises(ConfigError, match="fewer than 32 bytes"):
        SignedToken(tmp_path / "short.key", "analyst")


def test_the_backend_needs_a_token_and_a_known_api_version(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        build(load_settings(data_dir=tmp_path, compute_backend="slurm"))
    assert caught.value.code == "slurm_token_missing"
    with pytest.raises(ConfigError, match=r"no client for slurmrestd API 'v0\.0\.99'"):
        build(load_settings(data_dir=tmp_path, compute_slurm_token="t", compute_slurm_api_version="v0.0.99"))
    with pytest.raises(ConfigError, match="compute_slurm_inputs"):
        build(load_settings(data_dir=tmp_path, compute_slurm_token="t", compute_slurm_inputs="rsync"))


def unreachable_executor(root: Path) -> SlurmExecutor:
    """An executor whose slurmrestd is a closed port (nothing listens on 127.0.0.1:9)."""
    client = open_client("v0.0.38", "http://127.0.0.1:9", "qazai", FixedToken("never-sent"), 2.0)
    return SlurmExecutor(client, root, user="qazai")


def test_an_unreachable_slurm_starts_nothing_and_says_so(tmp_path: Path) -> None:
    executor = unreachable_executor(tmp_path / "runs")
    with pytest.raises(Unavailable) as caught:
        executor.submit(RunSpec(job_id="waits", command=("/bin/sh", "-c", "true")))
    assert caught.value.code == "executor_unavailable"
    assert "127.0.0.1:9" in caught.value.message
    # Nothing started: unknown (the job service then submits again), with the reason.
    status = executor.poll("waits")
    assert status.state == RunState.unknown
    assert "not yet handed to Slurm" in (status.message or "")
    assert executor.cancel("waits").state == RunState.unknown
    executor.discard("waits")
    assert not (tmp_path / "runs" / "waits").exists()
    executor.close()


# -- against the cluster ---------------------------------------------------------------------------


@pytest.fixture
def cluster() -> TestCluster:
    return require_cluster()


def live_executor(cluster: TestCluster, root: Path, **options: object) -> SlurmExecutor:
    client = open_client(
        "v0.0.38", cluster.rest_url, cluster.user, SignedToken(cluster.jwt_key_file, cluster.user)
    )
    return SlurmExecutor(
        client,
        root,
        user=cluster.user,
        partition=cluster.partition,
        memory_enforced=cluster.memory_enforced,
        **options,  # type: ignore[arg-type]
    )


def wait_final(executor: SlurmExecutor, job_id: str, timeout: float = 60.0) -> RunStatus:
    deadline = time.monotonic() + timeout
    while True:
        status = executor.poll(job_id)
        if status.final:
            return status
        assert time.monotonic() < deadline, f"{job_id} still {status.state}"
        time.sleep(0.1)


def sh(job_id: str, script: str, **kwargs: object) -> RunSpec:
    return RunSpec(job_id=job_id, command=("/bin/sh", "-c", script), **kwargs)


@pytest.mark.slurm
def test_a_run_prepared_while_slurm_was_unreachable_resumes(cluster: TestCluster) -> None:
    root = cluster.fresh_folder("resume")
    spec = sh("resume", "echo x >> outputs/runs.txt")
    down = unreachable_executor(root)
    with pytest.raises(Unavailable):
        down.submit(spec)
    down.close()
    executor = live_executor(cluster, root)
    try:
        executor.submit(spec)
        assert wait_final(executor, "resume").state == RunState.succeeded
        assert [(o.path, o.size) for o in executor.collect("resume")] == [("runs.txt", 2)]
    finally:
        executor.close()


class AnswerLost:
    """A real client whose submit reaches Slurm but whose answer is lost on the way back."""

    def __init__(self, client: SlurmRestClient) -> None:
        self.client = client
        self.api_version = client.api_version

    def submit(self, request: SlurmJobRequest) -> int:
        self.client.submit(request)
        raise SlurmUnreachable("the answer was lost")

    def ping(self) -> None:
        self.client.ping()

    def job(self, slurm_job_id: int) -> SlurmJobInfo | None:
        return self.client.job(slurm_job_id)

    def jobs_named(self, name: str) -> list[SlurmJobInfo]:
        return self.client.jobs_named(name)

    def cancel(self, slurm_job_id: int) -> None:
        self.client.cancel(slurm_job_id)

    def close(self) -> None:
        """The executor that owns the real client closes it."""


@pytest.mark.slurm
def test_a_job_whose_submit_answer_was_lost_is_adopted_not_run_twice(cluster: TestCluster) -> None:
    root = cluster.fresh_folder("lost")
    spec = sh("lost", "echo x >> outputs/runs.txt")
    executor = live_executor(cluster, root)
    first = SlurmExecutor(AnswerLost(executor.client), root, user=cluster.user, partition=cluster.partition)
    with pytest.raises(Unavailable):
        first.submit(spec)
    try:
        executor.submit(spec)
        assert wait_final(executor, "lost").state == RunState.succeeded
        assert [(o.path, o.size) for o in executor.collect("lost")] == [("runs.txt", 2)]
    finally:
        executor.close()


@pytest.mark.slurm
def test_a_job_slurm_kills_is_cancelled_and_offers_nothing(cluster: TestCluster) -> None:
    executor = live_executor(cluster, cluster.fresh_folder("scancel"))
    try:
        running = executor.submit(sh("scancel", "echo half > outputs/h.txt; sleep 60"))
        deadline = time.monotonic() + 30
        while running.state != RunState.running and time.monotonic() < deadline:
            time.sleep(0.1)
            running = executor.poll("scancel")
        assert running.backend_ref is not None
        # An administrator's scancel: the runner is killed before it can write a result.
        executor.client.cancel(int(running.backend_ref.removeprefix("slurm:")))
        final = wait_final(executor, "scancel")
        assert (final.state, final.reason) == (RunState.cancelled, FailureReason.cancelled)
        assert executor.collect("scancel") == []
    finally:
        executor.close()


@pytest.mark.slurm
def test_cpu_time_is_slurms_cpus_times_elapsed(cluster: TestCluster) -> None:
    executor = live_executor(cluster, cluster.fresh_folder("cpu"))
    try:
        executor.submit(sh("cpu", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"))
        final = wait_final(executor, "cpu")
        assert final.state == RunState.succeeded and final.backend_ref is not None
        info = executor.client.job(int(final.backend_ref.removeprefix("slurm:")))
        assert info is not None and info.start_time is not None and info.end_time is not None
        assert final.cpu_seconds == info.cpus * (info.end_time - info.start_time)
        # the cached final status does not change when asked again
        assert executor.poll("cpu") == final
    finally:
        executor.close()


@pytest.mark.slurm
def test_shared_inputs_are_read_where_they_are(cluster: TestCluster) -> None:
    root = cluster.fresh_folder("shared")
    source = root / "objects" / "table.csv"
    source.parent.mkdir()
    source.parent.chmod(0o755)
    source.write_text("region,n\nAstana,12\n", encoding="utf-8")
    executor = live_executor(cluster, root / "runs", inputs="shared")
    try:
        executor.submit(
            sh("shared", "cat inputs/t.csv > outputs/c.csv", inputs={"inputs/t.csv": str(source)})
        )
        assert wait_final(executor, "shared").state == RunState.succeeded
        assert Path(executor.collect("shared")[0].source).read_text(encoding="utf-8") == source.read_text(
            encoding="utf-8"
        )
        assert not (root / "runs" / "shared" / "inputs").exists()
    finally:
        executor.close()


NODE_JOB = """
import socket, sys
import polars as pl
table = pl.read_parquet("inputs/people.parquet")
counts = table.group_by("region").len().sort("region")
counts.write_csv("outputs/counts.csv")
refused = []
try:
    socket.create_connection(("127.0.0.1", 6820), timeout=2)
except OSError:
    refused.append("network")
try:
    open("/etc/passwd").read()
except OSError:
    refused.append("host files")
try:
    open("inputs/people.parquet", "ab")
except OSError:
    refused.append("input write")
print("refused:", ",".join(refused))
"""


@pytest.mark.slurm
def test_a_confidential_python_job_runs_confined_on_the_node(cluster: TestCluster, tmp_path: Path) -> None:
    if cluster.python is None:
        pytest.skip("no job environment on the nodes (.ci/slurm-up.sh builds /opt/qazai-jobenv)")
    import polars as pl

    people = tmp_path / "people.parquet"
    pl.DataFrame({"region": ["Astana", "Almaty", "Astana"], "age": [30, 41, 52]}).write_parquet(people)
    executor = live_executor(cluster, cluster.fresh_folder("python"), python=cluster.python)
    try:
        spec = RunSpec(
            job_id="python",
            command=("python", "-c", NODE_JOB),
            inputs={"inputs/people.parquet": str(people)},
            limits=RunLimits(memory_mib=1024),
            confidential=True,
        )
        executor.submit(spec)
        final = wait_final(executor, "python")
        log = executor.logs("python").text
        assert final.state == RunState.succeeded, log
        assert "refused: network,host files,input write" in log
        counts = Path(executor.collect("python")[0].source).read_text(encoding="utf-8")
        assert counts == "region,len\nAlmaty,1\nAstana,2\n"
        # the staged enclave input sits in a folder no other cluster user may enter
        run = (executor.root / "python").stat()
        assert run.st_mode & 0o777 == 0o700 and pwd.getpwuid(run.st_uid).pw_name == cluster.user
    finally:
        executor.close()


@pytest.mark.slurm
def test_a_run_on_the_cluster_goes_on_while_slurmrestd_is_away(cluster: TestCluster) -> None:
    root = cluster.fresh_folder("away")
    executor = live_executor(cluster, root)
    down = unreachable_executor(root)
    try:
        executor.submit(sh("away", "sleep 1; echo done > outputs/d.txt"))
        with pytest.raises(Unavailable) as caught:
            down.poll("away")
        assert caught.value.code == "executor_unavailable"
        with pytest.raises(Unavailable):
            down.cancel("away")
        assert not down.logs("away").complete  # the log file is read without slurmrestd
        assert wait_final(executor, "away").state == RunState.succeeded
        # once final, the status is the run folder's: no slurmrestd needed to read it
        assert down.poll("away").state == RunState.succeeded
    finally:
        executor.close()
        down.close()


@pytest.mark.slurm
def test_the_backend_is_built_from_settings(cluster: TestCluster, tmp_path: Path) -> None:
    from qazai.compute.executors import build_executor

    settings = load_settings(
        data_dir=tmp_path,
        compute_backend="slurm",
        compute_slurm_rest_url=cluster.rest_url,
        compute_slurm_user=cluster.user,
        compute_slurm_jwt_key_file=cluster.jwt_key_file,
        compute_slurm_partition=cluster.partition,
        compute_slurm_shared_dir=cluster.fresh_folder("settings"),
    )
    executor = build_executor(settings)
    assert executor.name == "slurm" and isinstance(executor, SlurmExecutor)
    try:
        executor.client.ping()
        executor.submit(sh("built", "echo ok > outputs/ok.txt"))
        assert wait_final(executor, "built").state == RunState.succeeded
    finally:
        executor.close()


@pytest.mark.slurm
def test_a_queued_job_says_why_it_waits_and_is_removed_from_the_queue(cluster: TestCluster) -> None:
    executor = live_executor(cluster, cluster.fresh_folder("queued"))
    blockers: list[int] = []
    try:
        # Every CPU of the test node (slurm-up.sh gives it this machine's) taken by other jobs:
        # the run has to wait in Slurm's queue.
        for n in range(os.cpu_count() or 2):
            blockers.append(
                executor.client.submit(
                    SlurmJobRequest(
                        name=f"qazai-blocker-{n}",
                        script="#!/bin/sh\nsleep 60\n",
                        working_directory=str(executor.root),
                        log_path="/dev/null",
                        partition=cluster.partition,
                        memory_mib=64,
                        time_limit_minutes=2,
                    )
                )
            )
        status = executor.submit(sh("queued", "echo never > outputs/n.txt"))
        assert status.state == RunState.queued
        assert (status.message or "").startswith("Slurm: PENDING")
        cancelled = executor.cancel("queued")
        assert (cancelled.state, cancelled.reason) == (RunState.cancelled, FailureReason.cancelled)
        assert executor.collect("queued") == []
        assert not (executor.root / "queued" / "status.json").exists()  # it never started
    finally:
        for blocker in blockers:
            executor.client.cancel(blocker)
        executor.close()


@pytest.mark.slurm
def test_a_memory_hog_on_the_node_is_stopped_for_memory(cluster: TestCluster) -> None:
    if cluster.python is None or not cluster.memory_enforced:
        pytest.skip("needs the job environment and Slurm's memory confinement (task/cgroup)")
    executor = live_executor(cluster, cluster.fresh_folder("memory"), python=cluster.python)
    try:
        hog = "blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))\n"
        executor.submit(
            RunSpec(job_id="hog", command=("python", "-c", hog), limits=RunLimits(memory_mib=256))
        )
        final = wait_final(executor, "hog")
        assert (final.state, final.reason) == (RunState.failed, FailureReason.memory), final
        assert "256 MiB" in (final.message or "")
    finally:
        executor.close()


class Forgetful(AnswerLost):
    """A real client of a cluster that has forgotten every job (they ended longer ago than
    MinJobAge): no job by name, none by id."""

    def job(self, slurm_job_id: int) -> SlurmJobInfo | None:
        return None

    def jobs_named(self, name: str) -> list[SlurmJobInfo]:
        return []


@pytest.mark.slurm
def test_a_lost_submit_that_ran_is_never_run_again_after_slurm_forgot_it(cluster: TestCluster) -> None:
    root = cluster.fresh_folder("forgot")
    spec = sh("forgot", "echo x >> outputs/runs.txt")
    executor = live_executor(cluster, root)
    try:
        with pytest.raises(Unavailable):
            SlurmExecutor(AnswerLost(executor.client), root, user=cluster.user).submit(spec)
        deadline = time.monotonic() + 60
        while not (root / "forgot" / "result.json").exists():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        later = SlurmExecutor(Forgetful(executor.client), root, user=cluster.user)
        final = later.submit(spec)
        assert final.state == RunState.succeeded and final.backend_ref == "slurm:0"
        assert [(o.path, o.size) for o in later.collect("forgot")] == [("runs.txt", 2)]
    finally:
        executor.close()


HOLD_EVERY_PROCESS = """
import os, time
children = 0
while children < 200:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    children += 1
print("holding", children, flush=True)
time.sleep(30)
"""


@pytest.mark.slurm
def test_a_job_at_its_process_limit_leaves_another_job_of_the_account_running(cluster: TestCluster) -> None:
    """Every job runs as the one cluster account: its process limit must count its own processes,
    not the account's, or one job's fork bomb stops every other job from starting."""
    executor = live_executor(cluster, cluster.fresh_folder("processes"))
    try:
        spec = RunSpec(
            job_id="holder",
            command=("/usr/bin/python3", "-c", HOLD_EVERY_PROCESS),
            limits=RunLimits(processes=64, wall_seconds=40),
        )
        executor.submit(spec)
        deadline = time.monotonic() + 30
        while "holding 6" not in executor.logs("holder").text:
            assert time.monotonic() < deadline, executor.poll("holder")
            time.sleep(0.1)
        executor.submit(sh("victim", "for i in $(seq 20); do sleep 1 & done; wait; echo ok > outputs/ok.txt"))
        victim = wait_final(executor, "victim")
        assert victim.state == RunState.succeeded, executor.logs("victim").text[-300:]
        executor.cancel("holder")
        assert wait_final(executor, "holder").state == RunState.cancelled
    finally:
        executor.close()
