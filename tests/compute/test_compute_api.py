"""The compute API (/api/v1/projects, /api/v1/compute/jobs) through the real app: upload a script,
follow it, read its live log, cancel it; the error envelope for bad input; a pilot's end."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.compute import support
from tests.registry.support import registered

from qazai.api.platform import Platform
from qazai.compute.executors.local import probe_sandbox
from qazai.core.enums import AccessTier
from qazai.storage.tables.registry import PilotRow

pytestmark = pytest.mark.skipif(not probe_sandbox().works, reason=probe_sandbox().reason)

PROJECT = {
    "slug": "regions",
    "organisation": "stat-gov",
    "title": "Population by region",
    "purpose": "Aggregate the population by region and age band for a forecasting model",
    "legal_basis": "Law on AI, article 11",
}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["error"]["status"] == status
    return body["error"]  # type: ignore[no-any-return]


def submit(client: TestClient, headers: dict[str, str], script: str, **form: Any) -> Any:
    data = {"project": "regions", **form}
    return client.post(
        "/api/v1/compute/jobs",
        data=data,
        files={"script": (form.pop("name", "analysis.py"), script.encode(), "text/x-python")},
        headers=headers,
    )


def follow(client: TestClient, headers: dict[str, str], job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = ok(client.get(f"/api/v1/compute/jobs/{job_id}", headers=headers))
        if job["final"]:
            return job  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


@pytest.fixture
def open_library(platform: Platform, tmp_path: Path) -> str:
    support.published(platform, tmp_path, "population-open", AccessTier.open)
    return "population-open@1"


def test_a_project_runs_an_uploaded_script_with_a_live_log(
    client: TestClient, people: dict[str, Any], open_library: str
) -> None:
    member = people["member"].headers
    project = ok(client.post("/api/v1/projects", json=PROJECT, headers=member), 201)
    assert project["members"][0]["role"] == "lead" and project["may_run"] is True
    project = ok(
        client.post("/api/v1/projects/regions/inputs", json={"input": open_library}, headers=member), 201
    )
    assert project["inputs"][0]["readable"] is True and project["inputs"][0]["grant_id"] is None
    script = (
        "import glob, time\nimport polars as pl\n"
        "frame = pl.read_parquet(glob.glob('inputs/population-open/1/*.parquet'))\n"
        "print('read', frame.height, flush=True)\ntime.sleep(1.5)\nprint('done', flush=True)\n"
    )
    job = ok(submit(client, member, script, inputs=open_library), 201)
    assert job["state"] in ("queued", "running") and job["limits"]["cpu_seconds"] == 3600
    seen = ""
    offset = 0
    deadline = time.monotonic() + 30
    while "read 400" not in seen and time.monotonic() < deadline:
        chunk = ok(
            client.get(f"/api/v1/compute/jobs/{job['id']}/logs", params={"offset": offset}, headers=member)
        )
        seen += chunk["text"]
        offset = chunk["next_offset"]
        time.sleep(0.1)
    assert "read 400" in seen and not chunk["complete"]
    ended = follow(client, member, job["id"])
    assert ended["state"] == "succeeded" and ended["outputs"] == []
    whole = ok(client.get(f"/api/v1/compute/jobs/{job['id']}/logs", headers=member))
    assert whole["complete"] and whole["text"] == "read 400\ndone\n"
    listed = ok(client.get("/api/v1/projects/regions/jobs", headers=member))
    assert [j["id"] for j in listed["items"]] == [job["id"]]
    removed = ok(client.delete(f"/api/v1/projects/regions/inputs/{open_library}", headers=member))
    assert removed["inputs"] == []
    refused = error(submit(client, member, "print(1)", inputs=open_library), 403)
    assert refused["code"] == "input_not_in_project"
    again = error(client.delete(f"/api/v1/projects/regions/inputs/{open_library}", headers=member), 404)
    assert again["code"] == "input_not_in_project"


def test_bad_input_gets_the_error_envelope(
    client: TestClient, people: dict[str, Any], open_library: str
) -> None:
    member = people["member"].headers
    ok(client.post("/api/v1/projects", json=PROJECT, headers=member), 201)
    syntax = error(submit(client, member, "print('x'\n"), 422)
    assert syntax["code"] == "script_syntax_error" and "line 1" in syntax["message"]
    assert (
        error(submit(client, member, "print(1)", inputs="nothing-here@1"), 404)["code"] == "input_not_found"
    )
    not_in = error(submit(client, member, "print(1)", inputs=open_library), 403)
    assert not_in["code"] == "input_not_in_project"
    assert error(submit(client, member, "print(1)", inputs="bad reference"), 422)["code"] == "invalid_input"
    assert error(submit(client, member, "print(1)", name="run.sh"), 422)["code"] == "script_name_invalid"
    outsider = people["outsider"].headers
    assert error(submit(client, outsider, "print(1)"), 404)["code"] == "project_not_found"
    assert (
        error(client.get("/api/v1/compute/jobs/01NOSUCHJOB", headers=member), 404)["code"] == "job_not_found"
    )
    assert (
        error(client.post("/api/v1/projects", json=PROJECT, headers=member), 409)["code"]
        == "project_slug_taken"
    )


def test_a_running_job_is_cancelled_and_partial_outputs_are_not_listed(
    client: TestClient, people: dict[str, Any]
) -> None:
    member = people["member"].headers
    ok(client.post("/api/v1/projects", json=PROJECT, headers=member), 201)
    job = ok(
        submit(client, member, "import time\nopen('outputs/half.csv','w').write('a')\ntime.sleep(60)\n"), 201
    )
    cancelled = ok(
        client.post(
            f"/api/v1/compute/jobs/{job['id']}/cancel", json={"reason": "wrong script"}, headers=member
        )
    )
    ended = cancelled if cancelled["final"] else follow(client, member, job["id"])
    assert (ended["state"], ended["outputs"], ended["message"]) == ("cancelled", [], "wrong script")
    assert (
        error(client.post(f"/api/v1/compute/jobs/{job['id']}/cancel", headers=member), 409)["code"]
        == "job_ended"
    )


def test_the_end_of_the_pilot_ends_the_right_to_run(
    client: TestClient, people: dict[str, Any], platform: Platform
) -> None:
    member = people["member"].headers
    system = registered(client, people)
    start = datetime.now(UTC) + timedelta(seconds=1)
    pilot = ok(
        client.post(
            f"/api/v1/registry/systems/{system['id']}/pilots",
            json={
                "description": "Pilot in two districts",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(days=30)).isoformat(),
            },
            headers=member,
        ),
        201,
    )
    project = ok(
        client.post("/api/v1/projects", json={**PROJECT, "pilot_id": pilot["id"]}, headers=member), 201
    )
    assert project["system_id"] == system["id"] and project["pilot_ends_at"] is not None
    job = ok(submit(client, member, "import time\ntime.sleep(60)\n"), 201)
    with platform.db.uow() as uow:
        row = uow.session.get(PilotRow, pilot["id"])
        assert row is not None
        row.ends_at = datetime.now(UTC) - timedelta(minutes=1)
        uow.commit()
    ended = follow(client, member, job["id"])
    assert ended["state"] == "cancelled" and "pilot" in ended["message"] and "ended" in ended["message"]
    refused = error(submit(client, member, "print(1)"), 409)
    assert refused["code"] == "project_cannot_run" and "pilot" in refused["message"]
    project = ok(client.get("/api/v1/projects/regions", headers=member))
    assert project["may_run"] is False


def test_quota_and_usage_for_operators_and_admins(client: TestClient, people: dict[str, Any]) -> None:
    quota = {"cpu_seconds_per_period": 500, "period_days": 7, "concurrent_jobs": 2, "output_bytes": 10**6}
    assert error(
        client.put("/api/v1/compute/quotas/stat-gov", json=quota, headers=people["member"].headers), 403
    )
    ok(client.put("/api/v1/compute/quotas/stat-gov", json=quota, headers=people["operator"].headers))
    report = ok(client.get("/api/v1/compute/usage/stat-gov", headers=people["org_admin"].headers))
    assert report["quota"]["cpu_seconds_per_period"] == 500 and report["quota"]["is_default"] is False
    assert report["cpu_seconds"] == 0 and report["projects"] == []


def test_a_system_under_the_infosec_regime_runs_only_on_platform_infrastructure(
    client: TestClient, people: dict[str, Any], platform: Platform
) -> None:
    from qazai.compute import jobs
    from qazai.compute.models import JobSubmit
    from qazai.core.errors import Conflict
    from qazai.storage.tables.registry import AiSystemRow

    member = people["member"].headers
    system = registered(client, people)
    with platform.db.uow() as uow:
        row = uow.session.get(AiSystemRow, system["id"])
        assert row is not None
        row.state_infosec_regime = True
        uow.commit()
    ok(client.post("/api/v1/projects", json={**PROJECT, "system_id": system["id"]}, headers=member), 201)
    real = support.runtime(platform)
    external = jobs.ComputeRuntime(
        real.settings.model_copy(update={"compute_external_infrastructure": True}),
        real.objects,
        real.executor,
    )
    actor = support.actor(platform, people["member"].user_id)
    with platform.db.uow() as uow, pytest.raises(Conflict) as caught:
        jobs.submit_job(uow, actor, external, JobSubmit(project="regions", script_name="a.py"), b"print(1)\n")
    assert caught.value.code == "infosec_external_infrastructure"
    job = ok(submit(client, member, "print('on the platform')\n"), 201)
    assert follow(client, member, job["id"])["state"] == "succeeded"
