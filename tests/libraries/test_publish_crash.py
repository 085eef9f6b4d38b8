"""Publishes killed with SIGKILL at random points leave no raw personal data behind.

A worker process runs the real publish job on a register full of IINs and names and is killed at
a random moment; then the platform starts again (the app's lifespan) or the retention purge job
runs, and nothing derived from the upload may remain outside the quarantine: no scratch folder,
no partial object, no second link to the upload's file.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.libraries.publishing import make_library, publish, upload

from qazai.api.app import create_app
from qazai.api.platform import Platform
from qazai.api.wiring import build_platform, job_handlers
from qazai.config import Settings, load_settings
from qazai.core.enums import OrgKind
from qazai.core.text import LocalizedText
from qazai.identity import service as identity
from qazai.identity.actor import SYSTEM
from qazai.identity.models import OrganisationCreate
from qazai.libraries import service
from qazai.libraries.models import LegalBasis, PublishRequest
from qazai.libraries.synthetic import citizen_register_csv
from qazai.libraries.uploads import PURGE_JOB
from qazai.storage.db import Database
from qazai.storage.jobs import Worker, enqueue
from qazai.storage.scratch import scratch_root

pytestmark = [
    pytest.mark.db,
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL and fork"),
]

REPO_ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 20
ROWS = 5_000


@pytest.fixture
def crash_settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        job_lease_seconds=1,  # a killed job is retried by the next worker at once
    )


@pytest.fixture
def crash_platform(crash_settings: Settings, db: Database) -> Platform:
    platform = build_platform(crash_settings, start_workers=False, db=db)
    with platform.db.uow() as uow:
        identity.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(slug="stat-gov", kind=OrgKind.government_body, name=LocalizedText(en="BNS")),
        )
    make_library(platform, "register", legal_basis=LegalBasis.depersonalised)
    return platform


@pytest.fixture
def fork_server(crash_settings: Settings, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    options = {
        "environment": "test",
        "data_dir": str(crash_settings.data_dir),
        "database_url": crash_settings.database_url,
        "secret_key": crash_settings.secret_key.get_secret_value(),
        "argon2_time_cost": 1,
        "argon2_memory_kib": 64,
        "job_lease_seconds": crash_settings.job_lease_seconds,
    }
    with (tmp_path / "workers.stderr").open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.libraries.publish_fork_server"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(options) + "\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "READY"
        try:
            yield process
        finally:
            process.stdin.close()
            process.wait(timeout=10)
            process.stdout.close()


def _fork(server: subprocess.Popen[str]) -> int:
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write("fork\n")
    server.stdin.flush()
    return int(server.stdout.readline())


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return  # dead and reaped: its locks are gone
        time.sleep(0.01)
    raise AssertionError(f"worker {pid} survived SIGKILL")


def _wait_for_work(root: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if root.is_dir() and any(root.iterdir()):
            return True
        time.sleep(0.005)
    return False


def _leftovers(settings: Settings) -> list[Path]:
    objects_tmp = settings.data_dir / "objects" / ".tmp"
    found = list(scratch_root(settings.data_dir).glob("*"))
    return found + (list(objects_tmp.iterdir()) if objects_tmp.is_dir() else [])


def _raw_copies(settings: Settings, marker: bytes) -> list[Path]:
    """Files outside the quarantine holding the upload's bytes: a link to it, or a raw IIN."""
    quarantine = settings.data_dir / "objects" / "quarantine"
    copies = [p for p in quarantine.rglob("*") if p.is_file() and p.stat().st_nlink > 1]
    for path in settings.data_dir.rglob("*"):
        if not path.is_file() or quarantine in path.parents or path.name.startswith("qazai.db"):
            continue
        if marker in path.read_bytes():
            copies.append(path)
    return copies


def _start_again(settings: Settings, db: Database) -> None:
    """The server starts: build the platform and run the app's lifespan."""
    with TestClient(create_app(build_platform(settings, start_workers=False, db=db))):
        pass


def _purge(platform: Platform, upload_id: str) -> None:
    """The retention purge job of one upload runs."""
    with platform.db.uow() as uow:
        enqueue(uow.session, PURGE_JOB, {"upload_id": upload_id})
        uow.commit()
    purger = Worker(platform.db, {PURGE_JOB: job_handlers(platform)[PURGE_JOB]})
    job = purger.run_once()
    assert job is not None and job.state == "succeeded", job


def test_publishes_killed_at_random_points_leave_no_raw_copy_after_start_or_purge(
    crash_platform: Platform,
    crash_settings: Settings,
    db: Database,
    fork_server: subprocess.Popen[str],
    tmp_path: Path,
) -> None:
    raw = citizen_register_csv(ROWS, seed=12)
    marker = raw.splitlines()[1].split(b",")[0]  # the first person's IIN
    path = tmp_path / "register.csv"
    path.write_bytes(raw)

    started = time.monotonic()
    job = publish(crash_platform, "register", path)  # one whole run: it works, and how long it takes
    assert job.state == "succeeded", job.error
    duration = time.monotonic() - started
    assert _leftovers(crash_settings) == [] and _raw_copies(crash_settings, marker) == []

    rng = random.Random(20)
    root = scratch_root(crash_settings.data_dir)
    caught = 0
    for round_ in range(ROUNDS):
        upload_id = upload(crash_platform, "register", path)
        with crash_platform.db.uow() as uow:
            service.request_publish(uow, SYSTEM, "register", PublishRequest(upload_id=upload_id))
        pid = _fork(fork_server)
        if round_ % 4 == 0:  # anywhere: before the claim, while working, after the job
            time.sleep(rng.uniform(0.0, duration + 0.5))
        else:  # somewhere inside the pipeline
            _wait_for_work(root, timeout=10)
            time.sleep(rng.uniform(0.0, duration))
        _kill(pid)
        if _leftovers(crash_settings):
            caught += 1
        if round_ % 2 == 0:
            _start_again(crash_settings, db)
        else:
            _purge(crash_platform, upload_id)
        assert _leftovers(crash_settings) == [], f"round {round_}"
        assert _raw_copies(crash_settings, marker) == [], f"round {round_}"
    # the kills really landed while raw data was on disk (else this test proves nothing)
    assert caught >= ROUNDS // 2, caught


def test_qazai_publish_sweeps_what_a_killed_run_left_before_it_works(
    crash_platform: Platform, crash_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from qazai.cli.main import app

    left = scratch_root(crash_settings.data_dir) / "qazai-publish-killed"  # as kill -9 leaves one
    left.mkdir(parents=True)
    (left / "source").write_bytes(citizen_register_csv(5))
    path = tmp_path / "register.csv"
    path.write_bytes(citizen_register_csv(200))
    monkeypatch.setenv("QAZAI_DATABASE_URL", crash_settings.effective_database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(crash_settings.data_dir))
    monkeypatch.setenv("QAZAI_SECRET_KEY", crash_settings.secret_key.get_secret_value())
    result = CliRunner().invoke(app, ["publish", str(path), "--library", "register"])
    assert result.exit_code == 0, result.output
    assert not left.exists()
    assert _leftovers(crash_settings) == []
