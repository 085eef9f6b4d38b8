"""Publishing through the wizard, the catalog, the library page and access requests."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.helpers import csrf_of, sign_in

CSV = "region,year,population\nАстана,2024,1350228\nАлматы,2024,2228675\nШымкент,2024,1222129\n".encode()


@pytest.fixture
def worker_client(platform: Any, app: Any) -> Any:
    """The app with the publish job handlers running in this process (as `qazai serve` does)."""
    import threading

    from qazai.api.wiring import job_handlers
    from qazai.storage.jobs import run_workers, stop_workers

    stop = threading.Event()
    threads = run_workers(platform.db, job_handlers(platform), 1, stop, lease_seconds=30)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client
    finally:
        stop_workers(stop, threads)


def publish_through_wizard(client: Any, slug: str, tier: str = "open") -> str:
    start = client.get("/publish")
    assert start.status_code == 200
    token = csrf_of(start.text)
    created = client.post(
        "/publish/libraries",
        data={
            "csrf_token": token,
            "organisation": "stat-gov",
            "slug": slug,
            "title_kk": "Өңірлер бойынша халық саны",
            "title_en": "Population by region",
            "description_en": "Population of the regions of Kazakhstan.",
            "licence": "CC-BY-4.0",
            "tier": tier,
            "legal_basis": "none",
            "source_systems": "census",
            "contact_email": "data@stat.gov.kz",
        },
    )
    assert created.status_code == 200 and str(created.url).endswith(f"/publish/{slug}"), created.text
    uploaded = client.post(
        f"/publish/upload/{slug}",
        data={"csrf_token": token},
        files={"file": ("population.csv", CSV, "text/csv")},
        headers={"Accept": "application/json"},
    )
    assert uploaded.status_code == 200, uploaded.text
    options = client.get(uploaded.json()["next"])
    assert options.status_code == 200 and "population.csv" in options.text
    job = client.post(uploaded.json()["next"], data={"csrf_token": token, "rows": "0"})
    assert "/publish/jobs/" in str(job.url)
    for _ in range(100):
        page = client.get(str(job.url))
        if "/libraries/" + slug in page.text and ("Жарияланды." in page.text or "Published." in page.text):
            return page.text
        time.sleep(0.1)
    raise AssertionError(f"the job did not finish: {page.text}")


def test_producer_publishes_and_the_library_page_shows_everything(worker_client: Any, people: Any) -> None:
    client = worker_client
    sign_in(client, people["producer"].email)
    publish_through_wizard(client, "population")
    page = client.get("/libraries/population")
    assert page.status_code == 200
    html = page.text
    assert '<script type="application/ld+json">' in html and '"@type": "Dataset"' in html
    assert "<svg" in html and "<desc>" in html  # profile charts drawn on the server
    assert "read_parquet" in html and "load_dataset" in html and "mlcroissant" in html
    assert "Алматы" in html  # sample rows of open data
    assert "/libraries/population/v/1/data/" in html
    client.cookies.clear()
    found = client.get("/catalog", params={"q": "халық"})
    assert "/libraries/population" in found.text
    latin = client.get("/catalog", params={"q": "halyq", "tier": "open"})
    assert "/libraries/population" in latin.text
    assert client.get("/", headers={"Accept-Language": "en"}).text.count("/libraries/population") >= 1


def test_restricted_library_access_request_reaches_the_producers_inbox(
    worker_client: Any, people: Any
) -> None:
    client = worker_client
    sign_in(client, people["producer"].email)
    publish_through_wizard(client, "restricted-pop", tier="restricted")
    client.cookies.clear()
    sign_in(client, people["outsider"].email)
    page = client.get("/libraries/restricted-pop")
    assert "Алматы" not in page.text  # no sample rows for data that is not open
    asked = client.post(
        "/libraries/restricted-pop/access",
        data={"csrf_token": csrf_of(page.text), "purpose": "Training a forecasting model for akimats"},
    )
    assert asked.status_code == 200
    client.cookies.clear()
    sign_in(client, people["producer"].email)
    inbox = client.get("/access-requests")
    assert "Training a forecasting model" in inbox.text
    grant_id = inbox.text.split('action="/access-requests/')[1].split('"')[0]
    decided = client.post(
        f"/access-requests/{grant_id}",
        data={"csrf_token": csrf_of(inbox.text), "decision": "approve", "expires_on": "2030-01-01"},
    )
    assert decided.status_code == 200 and "Training a forecasting model" not in decided.text.split("<h2")[1]


def test_publish_wizard_is_for_producers(client: TestClient, people: Any) -> None:
    sign_in(client, people["member"].email)
    assert client.get("/publish").status_code == 403


def test_upload_without_csrf_is_refused(client: TestClient, people: Any) -> None:
    sign_in(client, people["producer"].email)
    response = client.post(
        "/publish/upload/x",
        files={"file": ("a.csv", b"a\n1\n", "text/csv")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"


def test_unknown_library_is_a_404_page(client: TestClient) -> None:
    response = client.get("/libraries/no-such-library")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
