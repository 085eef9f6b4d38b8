"""Publishing through the wizard, the catalog, the library page and access requests."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qazai.libraries.synthetic import citizen_register_csv
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


def publish_through_wizard(
    client: Any,
    slug: str,
    tier: str = "open",
    *,
    data: bytes = CSV,
    filename: str = "population.csv",
    changes: dict[str, str] | None = None,
    legal_basis: str = "none",
) -> str:
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
            "legal_basis": legal_basis,
            "source_systems": "census",
            "contact_email": "data@stat.gov.kz",
        },
    )
    assert created.status_code == 200 and str(created.url).endswith(f"/publish/{slug}"), created.text
    uploaded = client.post(
        f"/publish/upload/{slug}",
        data={"csrf_token": token},
        files={"file": (filename, data, "text/csv")},
        headers={"Accept": "application/json"},
    )
    assert uploaded.status_code == 200, uploaded.text
    options = client.get(uploaded.json()["next"])
    assert options.status_code == 200 and filename in options.text
    form = {"rows": "0"} if changes is None else _form_rows(options.text, changes)
    job = client.post(uploaded.json()["next"], data={"csrf_token": token, **form})
    assert "/publish/jobs/" in str(job.url)
    for _ in range(100):
        page = client.get(str(job.url))
        if "/libraries/" + slug in page.text and ("Жарияланды." in page.text or "Published." in page.text):
            return page.text
        time.sleep(0.1)
    raise AssertionError(f"the job did not finish: {page.text}")


def _form_rows(html: str, changes: dict[str, str]) -> dict[str, str]:
    """The preview step's form as a browser would post it, with ``changes`` (field → value) by
    column: ``{"population": "rename=people"}``."""
    form = {"rows": re.findall(r'name="rows" value="(\d+)"', html)[0]}
    for i, table, column in re.findall(
        r'name="table_(\d+)" value="([^"]*)"><input type="hidden" name="column_\1" value="([^"]*)"', html
    ):
        form[f"table_{i}"], form[f"column_{i}"] = table, column
        for change in changes.get(column, "").split(";"):
            if change:
                field, value = change.split("=", 1)
                form[f"{field}_{i}"] = value
    return form


def test_preview_step_shows_types_findings_and_sample_then_publishes_a_rename(
    worker_client: Any, people: Any
) -> None:
    client = worker_client
    sign_in(client, people["producer"].email)
    publish_through_wizard(
        client, "renamed", changes={"population": "rename=people;type=float", "region": "action=keep"}
    )
    page = client.get("/libraries/renamed")
    assert page.status_code == 200 and "people" in page.text
    versions = client.get("/api/v1/libraries/renamed/versions", headers=people["producer"].headers).json()
    [table] = versions["items"][0]["manifest"]["tables"]
    names = {c["name"]: c["type"] for c in table["columns_inferred"]}
    assert names.get("people") == "float" and "population" not in names


def test_preview_of_a_register_shows_identifiers_but_never_their_values(
    worker_client: Any, people: Any
) -> None:
    client = worker_client
    sign_in(client, people["producer"].email)
    start = client.get("/publish")
    token = csrf_of(start.text)
    created = client.post(
        "/publish/libraries",
        data={
            "csrf_token": token,
            "organisation": "stat-gov",
            "slug": "register",
            "title_en": "Register",
            "description_en": "Synthetic register.",
            "licence": "CC-BY-4.0",
            "tier": "open",
            "legal_basis": "depersonalised",
            "source_systems": "test",
            "contact_email": "data@stat.gov.kz",
        },
    )
    assert created.status_code == 200
    raw = citizen_register_csv(300)
    uploaded = client.post(
        "/publish/upload/register",
        data={"csrf_token": token},
        files={"file": ("register.csv", raw, "text/csv")},
    )
    assert uploaded.status_code == 200 and "/uploads/" in str(uploaded.url)
    for lang, kind, drop, entity in (
        ("kk", "Тікелей сәйкестендіргіш", "Алып тастау", "ЖСН"),
        ("ru", "Прямой идентификатор", "Удалить", "ИИН"),
        ("en", "Direct identifier", "Drop", "IIN"),
    ):
        client.post("/language", data={"csrf_token": token, "lang": lang, "next": "/"})
        html = client.get(str(uploaded.url)).text
        # the column's name, and what the engine found in it as a word of the page's language
        assert "<code>ИИН</code>" in html and kind in html and f"{entity}: " in html and drop in html
        assert '<table class="sample">' in html
        for line in raw.decode().splitlines()[1:]:
            iin, name, _born, _sex, phone = line.split(",")[:5]
            assert iin not in html and name not in html and phone not in html


def test_preview_of_a_bad_file_says_why(worker_client: Any, people: Any) -> None:
    client = worker_client
    sign_in(client, people["producer"].email)
    publish_through_wizard(client, "good-first")
    token = csrf_of(client.get("/publish").text)
    uploaded = client.post(
        "/publish/upload/good-first",
        data={"csrf_token": token},
        files={"file": ("ragged.csv", b"a,b\n1,2\n3,4,5\n", "text/csv")},
        headers={"Accept": "application/json"},
    )
    page = client.get(uploaded.json()["next"])
    assert page.status_code == 200 and "ragged.csv" in page.text and 'role="alert"' in page.text


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
