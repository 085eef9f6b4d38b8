"""`qazai serve --demo` publishes the shared files and the synthetic register, idempotently."""

from __future__ import annotations

import pytest
from tests.libraries.publishing import run_jobs

from qazai.api.platform import Platform
from qazai.libraries.demo import DEMO_LIBRARIES
from qazai.storage.jobs import JobState, list_jobs


def test_demo_publishes_every_library_once(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    from qazai.cli.demo import seed_demo
    from qazai.libraries import demo

    # the real files are published by test_publish_pipeline; here: the mechanism, kept fast
    chosen = tuple(
        d for d in DEMO_LIBRARIES if d.slug in ("employment-applicants", "citizen-register-synthetic")
    )
    monkeypatch.setattr(demo, "DEMO_LIBRARIES", chosen)

    seed_demo(platform)
    done = run_jobs(platform)
    failed = [(j.payload.get("dedupe_key"), j.error) for j in done if j.state != JobState.succeeded]
    assert failed == []
    assert len(done) == len(chosen)
    seed_demo(platform)  # again: nothing new
    with platform.db.uow(read_only=True) as uow:
        assert list_jobs(uow.session, state=JobState.queued, kind="libraries.publish", limit=10) == []
    from fastapi.testclient import TestClient

    from qazai.api.app import create_app

    with TestClient(create_app(platform)) as client:
        files = client.get("/libraries/citizen-register-synthetic/latest/files.json").json()["files"]
        assert files and files[0]["rows"] == 2000
        meta = client.get("/libraries/citizen-register-synthetic/v/1/metadata.json").json()
        dropped = meta["tables"][0]["privacy"]["assessment"]["dropped_columns"]
        assert {"ИИН", "ФИО", "Телефон", "Адрес"} <= set(dropped)
