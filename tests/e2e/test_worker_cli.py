"""`qazai worker`: a standalone worker process picks up a job another process queued."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.libraries.publishing import make_library, upload

from qazai.libraries import service
from qazai.libraries.models import PublishRequest
from qazai.storage.jobs import JobState, get_job

DEMO_DATA = Path(__file__).resolve().parents[2] / "src" / "qazai" / "libraries" / "demo_data"


def test_standalone_worker_runs_a_queued_publish_job(platform: Any, people: Any, tmp_path: Path) -> None:
    """``people`` brings the organisation `stat-gov` that owns the library."""
    make_library(platform, "employment")
    upload_id = upload(platform, "employment", DEMO_DATA / "employment-authorities-applicants.xlsx")
    from qazai.identity.actor import SYSTEM

    with platform.db.uow() as uow:
        accepted = service.request_publish(uow, SYSTEM, "employment", PublishRequest(upload_id=upload_id))

    settings = platform.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAZAI_")}
    env.update(
        {
            "QAZAI_DATABASE_URL": settings.effective_database_url,
            "QAZAI_OBJECT_STORE_URL": settings.effective_object_store_url,
            "QAZAI_DATA_DIR": str(settings.data_dir),
            "QAZAI_SECRET_KEY": settings.secret_key.get_secret_value(),
        }
    )
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "qazai"), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 90
        state = JobState.queued
        while time.monotonic() < deadline:
            with platform.db.uow(read_only=True) as uow:
                state = get_job(uow.session, accepted.job_id).state
            if state in (JobState.succeeded, JobState.failed):
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.3)
        assert state == JobState.succeeded, (tmp_path / "worker.log").read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            exit_code = worker.wait(timeout=30)
        finally:
            log.close()
    assert exit_code == 0, (tmp_path / "worker.log").read_text()
    with platform.db.uow(read_only=True) as uow:
        versions = service.list_versions(uow, SYSTEM, "employment")
    assert [v.number for v in versions.items] == [1]
