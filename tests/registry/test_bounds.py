"""Issue 16, part 3: every text a registry command takes is bounded, e-mails are e-mails, booleans
are booleans, decision dates come from the server's clock and pilots do not start in the past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.registry.support import CLEAN_ATTESTATION, create, ok, registered, system_body

SYSTEMS = "/api/v1/registry/systems"


def refused(response: Any, field: str) -> dict[str, Any]:
    """The 422 envelope of a validation failure on ``field``."""
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    assert any(f["field"].startswith(field) for f in error["details"]["fields"]), error
    return error


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", {"kk": "а" * 301, "en": "Census assistant"}),
        ("purpose", {"ru": "ы" * 4001}),
        ("notice", {"kk": "х" * 4001, "ru": "AI", "en": "AI"}),
        ("sector", "s" * 101),
        ("owner_organisation", "o" * 101),
        ("labelling_method", "banner " * 300),
        ("models", [{"name": f"m{i}"} for i in range(51)]),
    ],
)
def test_create_refuses_oversized_text(client: TestClient, people: Any, field: str, value: Any) -> None:
    error = refused(
        client.post(SYSTEMS, json=system_body(**{field: value}), headers=people["member"].headers), field
    )
    assert error["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", {"en": "n" * 301}),
        ("notice", {"kk": "х" * 4001}),
        ("labelling_method", "banner " * 300),  # capped at create, not at update, before
        ("holder_organisation", "h" * 101),
        ("sector", "s" * 101),
    ],
)
def test_update_refuses_oversized_text(client: TestClient, people: Any, field: str, value: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    refused(client.patch(f"{SYSTEMS}/{system['id']}", json={field: value}, headers=owner), field)
    assert ok(client.get(f"{SYSTEMS}/{system['id']}", headers=owner)) == system


def test_texts_at_their_bound_are_accepted(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner, name={"kk": "а" * 300}, notice={"kk": "х" * 4000, "ru": "AI", "en": "AI"})
    updated = ok(
        client.patch(f"{SYSTEMS}/{system['id']}", json={"labelling_method": "b" * 2000}, headers=owner)
    )
    assert len(updated["name"]["kk"]) == 300 and len(updated["labelling_method"]) == 2000


def test_questionnaire_answers_are_bounded(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    answers = {"failure_impact": "x" * 101}
    refused(
        client.post(f"{SYSTEMS}/{system['id']}/classifications", json={"answers": answers}, headers=owner),
        "answers",
    )
    refused(client.post("/api/v1/registry/classification/proposal", json={"answers": answers}), "answers")


@pytest.mark.parametrize("answer", ["no", "false", 0, "yes", 1])
def test_attestation_answers_must_be_booleans(client: TestClient, people: Any, answer: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    answers = CLEAN_ATTESTATION | {"social_scoring": answer}
    url = f"{SYSTEMS}/{system['id']}/attestations"
    refused(client.post(url, json={"answers": answers}, headers=owner), "answers.social_scoring")
    assert ok(client.get(url, headers=owner)) == []
    assert ok(client.get(f"{SYSTEMS}/{system['id']}", headers=owner))["attested_at"] is None


@pytest.mark.parametrize(
    "contact", ["ai@", "ai@stat", "a i@stat.gov.kz", "ai@@stat.gov.kz", "ai..x@stat.gov.kz"]
)
def test_complaint_contact_that_is_an_email_must_be_valid(
    client: TestClient, people: Any, contact: str
) -> None:
    owner = people["member"].headers
    refused(
        client.post(SYSTEMS, json=system_body(complaint_contact=contact), headers=owner), "complaint_contact"
    )
    system = create(client, owner)
    refused(
        client.patch(f"{SYSTEMS}/{system['id']}", json={"complaint_contact": contact}, headers=owner),
        "complaint_contact",
    )


@pytest.mark.parametrize("contact", ["ai@stat.gov.kz", "+7 7172 74 90 00", "https://stat.gov.kz/feedback"])
def test_complaint_contact_may_be_an_email_phone_or_address(
    client: TestClient, people: Any, contact: str
) -> None:
    assert create(client, people["member"].headers, complaint_contact=contact)["complaint_contact"] == contact


def test_complaint_email_is_validated(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    url = f"/api/v1/register/{system['id']}/complaints"
    body = {"text": "The assistant refused my form twice."}
    refused(client.post(url, json=body | {"contact_email": "not-an-email"}), "contact_email")
    receipt = ok(client.post(url, json=body | {"contact_email": "aigul@mail.kz"}), 201)
    assert receipt["anonymous"] is False


def test_trusted_list_decision_date_is_not_taken_from_the_client(client: TestClient, people: Any) -> None:
    response = client.post(
        "/api/v1/registry/trusted-list/some-application/decisions",
        json={"target": "accepted", "on": "2099-01-01"},
        headers=people["regulator"].headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "unknown_field"


def test_pilot_cannot_start_in_the_past(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = registered(client, people)
    now = datetime.now(UTC)
    url = f"{SYSTEMS}/{system['id']}/pilots"
    backdated = {
        "description": "pilot in Astana",
        "starts_at": (now - timedelta(days=30)).isoformat(),
        "ends_at": (now + timedelta(days=30)).isoformat(),
    }
    response = client.post(url, json=backdated, headers=owner)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_dates"
    assert "start" in response.json()["error"]["message"]
    assert ok(client.get(url, headers=owner)) == []
    ok(client.post(url, json=backdated | {"starts_at": now.isoformat()}, headers=owner), 201)
