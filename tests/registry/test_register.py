"""The public register: anonymous JSON and CSV, paging, search in kk/ru/en, never drafts."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from tests.registry.support import create, ok, registered


def test_register_json_and_csv_anonymously(client: TestClient, people: Any) -> None:
    first = registered(client, people)
    second = registered(
        client,
        people,
        name={"kk": "Жол қозғалысы бағдаршамы", "ru": "Умный светофор", "en": "Smart traffic light"},
        purpose={"en": "Adapts traffic lights in Astana", "ru": "Управляет светофорами"},
        sector="transport",
    )
    create(client, people["member"].headers, name={"en": "Secret draft"})

    page = ok(client.get("/api/v1/register?limit=1"))
    assert len(page["items"]) == 1 and page["next"]
    rest = ok(client.get(f"/api/v1/register?limit=1&next={page['next']}"))
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {first["id"], second["id"]}
    assert all("Secret" not in e["names"].get("en", "") for e in page["items"] + rest["items"])

    kk = ok(client.get("/api/v1/register?q=бағдаршам&lang=kk"))["items"]
    assert [e["id"] for e in kk] == [second["id"]] and kk[0]["name"] == "Жол қозғалысы бағдаршамы"
    ru = ok(client.get("/api/v1/register?q=светофор&lang=ru"))["items"]
    assert ru[0]["name"] == "Умный светофор" and ru[0]["sector_name"] == "Транспорт"
    # Fallback: no Kazakh purpose -> Russian.
    assert (
        ok(client.get("/api/v1/register?q=traffic&lang=kk"))["items"][0]["purpose"] == "Управляет светофорами"
    )
    by_owner = ok(client.get("/api/v1/register?q=statistics"))["items"]
    assert {e["id"] for e in by_owner} == {first["id"], second["id"]}
    entry = by_owner[0]
    assert entry["owner"]["slug"] == "stat-gov" and entry["risk_class"] == "minimal"
    assert entry["notice"].startswith("Бұл қызмет") and entry["complaint_contact"] == "ai@stat.gov.kz"

    response = client.get("/api/v1/register.csv?lang=ru")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["id"] for r in rows} == {first["id"], second["id"]}
    light = next(r for r in rows if r["id"] == second["id"])
    assert light["name"] == "Умный светофор" and light["state"] == "registered"
    assert light["owner"] == "Bureau of National Statistics"

    assert client.get("/api/v1/register?limit=0").status_code == 422
    assert client.get("/api/v1/register?next=@@@").json()["error"]["code"] == "invalid_cursor"


def test_drafts_are_private(client: TestClient, people: Any) -> None:
    draft = create(client, people["member"].headers)
    assert (
        client.get(f"/api/v1/registry/systems/{draft['id']}", headers=people["outsider"].headers).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/registry/systems/{draft['id']}", headers=people["regulator"].headers).status_code
        == 200
    )
    assert client.get(f"/api/v1/registry/systems/{draft['id']}/pilots").status_code == 404
    listed = ok(client.get("/api/v1/registry/systems", headers=people["outsider"].headers))
    assert listed["items"] == []
