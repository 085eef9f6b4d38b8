"""The portal's compute pages in kk/ru/en: create a project, run a script by upload, watch the job."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.helpers import csrf_of, sign_in

from qazai.compute.executors.local import probe_sandbox

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not probe_sandbox().works, reason=probe_sandbox().reason)]


def test_a_member_creates_a_project_runs_a_script_and_reads_its_log(client: TestClient, people: Any) -> None:
    sign_in(client, people["member"].email)
    page = client.get("/projects")
    assert page.status_code == 200
    created = client.post(
        "/projects",
        data={
            "csrf_token": csrf_of(page.text),
            "slug": "regions",
            "organisation": "stat-gov",
            "title": "Population by region",
            "purpose": "Aggregate the population by region and age band",
            "legal_basis": "Law on AI, article 11",
        },
    )
    assert created.status_code == 200 and "Population by region" in created.text, created.text
    project = client.get("/projects/regions")
    assert '<html lang="kk">' in project.text and "Скриптті іске қосу" in project.text
    submitted = client.post(
        "/projects/regions/jobs",
        data={"csrf_token": csrf_of(project.text)},
        files={"script": ("hello.py", b"print('salem alem')\n", "text/x-python")},
    )
    assert submitted.status_code == 200, submitted.text
    job_url = str(submitted.url)
    assert "/jobs/" in job_url
    deadline = time.monotonic() + 30
    while "salem alem" not in (shown := client.get(job_url)).text or 'http-equiv="refresh"' in shown.text:
        assert time.monotonic() < deadline, shown.text
        time.sleep(0.2)
    kazakh = client.get(job_url, headers={"Accept-Language": "kk"})
    assert "Журнал" in kazakh.text and "Процессор уақыты (с)" in kazakh.text


def test_a_syntax_error_is_shown_on_the_form_in_the_visitors_language(
    client: TestClient, people: Any
) -> None:
    sign_in(client, people["member"].email)
    page = client.get("/projects")
    client.post(
        "/projects",
        data={
            "csrf_token": csrf_of(page.text),
            "slug": "regions",
            "organisation": "stat-gov",
            "title": "Population by region",
            "purpose": "Aggregate the population by region and age band",
            "legal_basis": "Law on AI, article 11",
        },
    )
    client.post("/language", data={"csrf_token": csrf_of(page.text), "lang": "ru", "next": "/"})
    project = client.get("/projects/regions")
    refused = client.post(
        "/projects/regions/jobs",
        data={"csrf_token": csrf_of(project.text)},
        files={"script": ("broken.py", b"print('x'\n", "text/x-python")},
    )
    assert refused.status_code == 422, refused.text[-3000:]
    assert "В скрипте синтаксическая ошибка." in refused.text and "line 1" in refused.text


def test_the_lead_adds_a_member_and_refused_data_is_explained(client: TestClient, people: Any) -> None:
    sign_in(client, people["member"].email)
    page = client.get("/projects")
    client.post(
        "/projects",
        data={
            "csrf_token": csrf_of(page.text),
            "slug": "regions",
            "organisation": "stat-gov",
            "title": "Population by region",
            "purpose": "Aggregate the population by region and age band",
            "legal_basis": "Law on AI, article 11",
        },
    )
    project = client.get("/projects/regions")
    added = client.post(
        "/projects/regions/members",
        data={"csrf_token": csrf_of(project.text), "user": people["producer"].email},
    )
    assert added.status_code == 200 and "Producer" in added.text, added.text[-1500:]
    missing = client.post(
        "/projects/regions/inputs", data={"csrf_token": csrf_of(project.text), "input": "no-such-library@1"}
    )
    assert missing.status_code == 404 and "library_not_found" in missing.text
