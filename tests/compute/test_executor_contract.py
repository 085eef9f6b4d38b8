"""The executor contract (``qazai.compute.executors.base.Executor``), run against every backend.

A backend is added to ``BACKENDS`` and built in ``tests/compute/backends.py``; it passes every
test here or it is not a backend. Commands use only ``/bin/sh`` and relative paths, so they mean
the same on a laptop's sandbox and on a cluster node.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.compute import backends

from qazai.compute.executors.base import (
    Executor,
    FailureReason,
    RunLimits,
    RunSpec,
    RunState,
    RunStatus,
)
from qazai.core.errors import Conflict, InvalidInput, PermissionDenied

BACKENDS = ["local", "local-unconfined", pytest.param("slurm", marks=pytest.mark.slurm)]


@pytest.fixture(params=BACKENDS)
def executor(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Executor]:
    built = backends.build(request.param, tmp_path / "runs")
    yield built
    close = getattr(built, "close", None)
    if close is not None:
        close()


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "objects"
    folder.mkdir()
    (folder / "table.csv").write_text("region,n\nAstana,12\nAlmaty,30\n", encoding="utf-8")
    folder.chmod(0o755)
    return folder


def sh(job_id: str, script: str, **kwargs: object) -> RunSpec:
    return RunSpec(job_id=job_id, command=("/bin/sh", "-c", script), **kwargs)


def wait_final(executor: Executor, job_id: str, timeout: float = 60.0) -> RunStatus:
    deadline = time.monotonic() + timeout
    while True:
        status = executor.poll(job_id)
        if status.final:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"run {job_id} still {status.state} after {timeout} s")
        time.sleep(0.1)


def wait_state(executor: Executor, job_id: str, state: RunState, timeout: float = 60.0) -> RunStatus:
    deadline = time.monotonic() + timeout
    while True:
        status = executor.poll(job_id)
        if status.state == state:
            return status
        if status.final or time.monotonic() > deadline:
            raise AssertionError(f"run {job_id} is {status.state}, waited for {state}")
        time.sleep(0.05)


def test_an_unknown_run_is_unknown_and_harmless(executor: Executor) -> None:
    assert executor.poll("never-submitted").state == RunState.unknown
    assert executor.cancel("never-submitted").state == RunState.unknown
    assert executor.collect("never-submitted") == []
    chunk = executor.logs("never-submitted")
    assert (chunk.text, chunk.complete) == ("", True)
    executor.discard("never-submitted")


def test_a_run_succeeds_and_its_outputs_are_collected(executor: Executor) -> None:
    status = executor.submit(sh("ok1", "echo first line; printf 'a,b\\n1,2\\n' > outputs/t.csv"))
    assert status.state in (RunState.queued, RunState.running, RunState.succeeded)
    final = wait_final(executor, "ok1")
    assert (final.state, final.exit_code, final.reason) == (RunState.succeeded, 0, None)
    assert final.started_at is not None and final.finished_at is not None
    assert final.cpu_seconds is not None and final.cpu_seconds >= 0
    outputs = executor.collect("ok1")
    assert [(o.path, o.size) for o in outputs] == [("t.csv", 8)]
    assert outputs[0].sha256 == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert Path(outputs[0].source).read_bytes() == b"a,b\n1,2\n"
    assert executor.collect("ok1") == outputs
    log = executor.logs("ok1")
    assert "first line" in log.text and log.complete


def test_a_confidential_run_needs_a_confined_backend(executor: Executor) -> None:
    spec = sh("secret", "true", confidential=True)
    if getattr(executor, "confined", True):
        executor.submit(spec)
        assert wait_final(executor, "secret").state == RunState.succeeded
        return
    with pytest.raises(PermissionDenied) as caught:
        executor.submit(spec)
    assert caught.value.code == "sandbox_unavailable"
    assert executor.poll("secret").state == RunState.unknown


def test_submitting_twice_starts_one_run(executor: Executor) -> None:
    spec = sh("twice", "echo x >> outputs/runs.txt")
    executor.submit(spec)
    executor.submit(spec)
    wait_final(executor, "twice")
    executor.submit(spec)
    assert wait_final(executor, "twice").state == RunState.succeeded
    assert [(o.path, o.size) for o in executor.collect("twice")] == [("runs.txt", 2)]


def test_outputs_in_subfolders_are_collected_and_links_are_not(executor: Executor) -> None:
    script = "mkdir -p outputs/figs && echo 1 > outputs/figs/a.txt && ln -s /etc/hostname outputs/l"
    executor.submit(sh("tree", script))
    assert wait_final(executor, "tree").state == RunState.succeeded
    assert [o.path for o in executor.collect("tree")] == ["figs/a.txt"]


def test_a_nonzero_exit_fails_and_offers_no_outputs(executor: Executor) -> None:
    executor.submit(sh("bad", "echo partial > outputs/p.txt; echo boom >&2; exit 3"))
    final = wait_final(executor, "bad")
    assert (final.state, final.exit_code, final.reason) == (RunState.failed, 3, FailureReason.exit_code)
    assert executor.collect("bad") == []
    assert "boom" in executor.logs("bad").text


def test_inputs_are_visible_read_only_at_their_paths(executor: Executor, inputs: Path) -> None:
    if not getattr(executor, "confined", True):
        # Unconfined (and root) a run may change its private copy; the source must stay as it was.
        executor.submit(
            sh(
                "inputs",
                "echo x >> inputs/lib/v1/table.csv",
                inputs={"inputs/lib/v1/table.csv": str(inputs / "table.csv")},
            )
        )
        wait_final(executor, "inputs")
        assert (inputs / "table.csv").read_text(encoding="utf-8") == "region,n\nAstana,12\nAlmaty,30\n"
        return
    spec = sh(
        "inputs",
        "cat inputs/lib/v1/table.csv > outputs/copy.csv; "
        "if echo x >> inputs/lib/v1/table.csv 2>/dev/null; then echo WROTE; exit 9; fi",
        inputs={"inputs/lib/v1/table.csv": str(inputs / "table.csv")},
    )
    executor.submit(spec)
    final = wait_final(executor, "inputs")
    assert final.state == RunState.succeeded, executor.logs("inputs").text
    copy = executor.collect("inputs")[0]
    assert Path(copy.source).read_bytes() == (inputs / "table.csv").read_bytes()
    assert (inputs / "table.csv").read_text(encoding="utf-8").endswith("Almaty,30\n")


def test_a_missing_input_is_refused_and_starts_nothing(executor: Executor, tmp_path: Path) -> None:
    spec = sh("missing", "true", inputs={"inputs/x.parquet": str(tmp_path / "gone.parquet")})
    with pytest.raises(InvalidInput) as caught:
        executor.submit(spec)
    assert caught.value.code == "input_missing"
    assert "inputs/x.parquet" in caught.value.message
    assert executor.poll("missing").state == RunState.unknown


def test_the_host_environment_does_not_leak_into_a_run(
    executor: Executor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QAZAI_SECRET_KEY", "host-secret-value")
    executor.submit(sh("env", "env > outputs/env.txt", env={"ANSWER": "42"}))
    assert wait_final(executor, "env").state == RunState.succeeded
    text = Path(executor.collect("env")[0].source).read_text(encoding="utf-8")
    assert "ANSWER=42" in text
    assert "host-secret-value" not in text
    assert "QAZAI_OUTPUT_DIR=" in text


def test_logs_are_readable_while_the_run_goes_on(executor: Executor) -> None:
    executor.submit(sh("live", "echo started-now; sleep 30"))
    wait_state(executor, "live", RunState.running)
    deadline = time.monotonic() + 20
    chunk = executor.logs("live")
    while "started-now" not in chunk.text and time.monotonic() < deadline:
        time.sleep(0.1)
        chunk = executor.logs("live")
    assert "started-now" in chunk.text and not chunk.complete
    more = executor.logs("live", offset=chunk.next_offset)
    assert more.offset == chunk.next_offset
    executor.cancel("live")
    assert wait_final(executor, "live").state == RunState.cancelled


def test_cancel_stops_a_run_and_its_partial_outputs_are_never_offered(executor: Executor) -> None:
    executor.submit(sh("cancel", "echo half > outputs/half.txt; sleep 60; echo rest >> outputs/half.txt"))
    wait_state(executor, "cancel", RunState.running)
    time.sleep(0.3)
    executor.cancel("cancel")
    final = wait_final(executor, "cancel", timeout=20)
    assert (final.state, final.reason) == (RunState.cancelled, FailureReason.cancelled)
    assert executor.collect("cancel") == []
    assert executor.cancel("cancel").state == RunState.cancelled


def test_a_run_over_its_wall_time_is_timed_out(executor: Executor) -> None:
    executor.submit(sh("slow", "echo part > outputs/p.txt; sleep 60", limits=RunLimits(wall_seconds=2)))
    final = wait_final(executor, "slow", timeout=90)
    assert (final.state, final.reason) == (RunState.timed_out, FailureReason.wall_time)
    assert executor.collect("slow") == []


def test_a_run_over_its_output_quota_fails(executor: Executor) -> None:
    limits = RunLimits(output_bytes=64 * 1024)
    executor.submit(sh("quota", "head -c 655360 /dev/zero > outputs/big.bin; sleep 2", limits=limits))
    final = wait_final(executor, "quota")
    assert (final.state, final.reason) == (RunState.failed, FailureReason.output_quota)
    assert "65536" in (final.message or "")
    assert executor.collect("quota") == []


def test_discard_waits_for_a_final_run_then_removes_it(executor: Executor) -> None:
    executor.submit(sh("discard", "sleep 30"))
    with pytest.raises(Conflict) as caught:
        executor.discard("discard")
    assert caught.value.code == "run_not_final"
    executor.cancel("discard")
    wait_final(executor, "discard")
    executor.discard("discard")
    executor.discard("discard")
    assert executor.poll("discard").state == RunState.unknown
