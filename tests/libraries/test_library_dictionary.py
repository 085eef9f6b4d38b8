"""The data dictionary over the API: set, read, refused when malformed, audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.libraries.publishing import make_library, publish

from qazai.audit.service import list_events


def test_producer_sets_the_dictionary_and_everyone_reads_it(
    client: TestClient, platform: Any, people: Any, tmp_path: Path
) -> None:
    make_library(platform, "households")
    data = tmp_path / "households.csv"
    data.write_text("region,households\nAstana,420000\nAlmaty,700000\n", encoding="utf-8")
    assert publish(platform, "households", data).state.value == "succeeded"
    body = {
        "dictionary": {
            "households": {
                "description": {"ru": "Число домохозяйств", "en": "Households"},
                "unit": "households",
            },
            "region": {"description": None, "unit": None},  # nothing said: dropped
        }
    }
    changed = client.patch("/api/v1/libraries/households", json=body, headers=people["producer"].headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["dictionary"] == {
        "households": {
            "description": {"kk": None, "ru": "Число домохозяйств", "en": "Households"},
            "unit": "households",
        }
    }
    assert (
        client.get("/api/v1/libraries/households").json()["dictionary"]["households"]["unit"] == "households"
    )
    meta = client.get("/libraries/households/v/1/metadata.json").json()
    assert meta["library"]["dictionary"]["households"]["description"]["en"] == "Households"
    croissant = client.get("/libraries/households/v/1/croissant.json").json()
    fields = {f["name"]: f for record_set in croissant["recordSet"] for f in record_set["field"]}
    assert fields["households"]["description"] == "Households (unit: households)"
    assert "description" not in fields["region"]
    with platform.db.uow(read_only=True) as uow:
        events = [e for e in list_events(uow.session, limit=50) if e.action == "library.update"]
    assert events and events[0].summary["fields"] == ["dictionary"]


def test_a_malformed_dictionary_is_refused_and_nothing_changes(
    client: TestClient, platform: Any, people: Any
) -> None:
    make_library(platform, "strict")
    too_long = {"dictionary": {"a": {"unit": "x" * 61}}, "frequency": "annual"}
    refused = client.patch("/api/v1/libraries/strict", json=too_long, headers=people["producer"].headers)
    assert refused.status_code == 422
    assert refused.json()["ok"] is False and refused.json()["error"]["code"] == "invalid_input"
    no_text = {"dictionary": {"a": {"description": {"kk": " "}}}}
    assert (
        client.patch("/api/v1/libraries/strict", json=no_text, headers=people["producer"].headers).status_code
        == 422
    )
    read = client.get("/api/v1/libraries/strict").json()
    assert read["dictionary"] == {} and read["frequency"] is None


def test_only_the_librarys_producers_change_its_dictionary(
    client: TestClient, platform: Any, people: Any
) -> None:
    make_library(platform, "guarded")
    body = {"dictionary": {"a": {"unit": "kg"}}}
    for who in ("member", "outsider"):
        assert (
            client.patch("/api/v1/libraries/guarded", json=body, headers=people[who].headers).status_code
            == 403
        )
    assert client.get("/api/v1/libraries/guarded").json()["dictionary"] == {}
