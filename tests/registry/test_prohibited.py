"""A system attesting a prohibited capability is refused, never listed and never piloted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from tests.registry.support import (
    ANSWERS_MINIMAL,
    CLEAN_ATTESTATION,
    MINIMAL_DOCS,
    create,
    move,
    ok,
    prepare,
    registered,
)


def test_submission_with_a_prohibited_capability_is_refused_and_recorded(
    client: TestClient, people: Any
) -> None:
    owner = people["member"].headers
    system = create(client, owner, name={"en": "Mood scanner"})
    prepare(
        client,
        owner,
        system["id"],
        answers=ANSWERS_MINIMAL,
        docs=MINIMAL_DOCS,
        attestation=CLEAN_ATTESTATION | {"emotion_recognition_without_consent": True},
    )
    response = move(client, owner, system["id"], "submitted")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "prohibited_capability"
    assert "emotion_recognition_without_consent" in error["message"] and "Art. 17(3)" in error["message"]
    read = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))
    assert read["state"] == "rejected" and read["allowed_next"] == []
    history = ok(client.get(f"/api/v1/registry/systems/{system['id']}/transitions", headers=owner))
    assert history[-1]["to_state"] == "rejected" and "automatic refusal" in history[-1]["reason"]
    attestations = ok(client.get(f"/api/v1/registry/systems/{system['id']}/attestations", headers=owner))
    assert attestations[-1]["prohibited"] == ["emotion_recognition_without_consent"]
    assert ok(client.get("/api/v1/register"))["items"] == []
    audit = ok(client.get("/api/v1/audit/events", headers=people["regulator"].headers))
    actions = (
        [e["action"] for e in audit["items"]] if isinstance(audit, dict) else [e["action"] for e in audit]
    )
    assert "ai_system.rejected" in actions and "ai_system.attest" in actions


def test_every_checklist_item_must_be_answered(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    response = client.post(
        f"/api/v1/registry/systems/{system['id']}/attestations",
        json={"answers": {"social_scoring": False}},
        headers=owner,
    )
    assert response.status_code == 422 and "subliminal_manipulation" in response.json()["error"]["message"]


def test_a_registered_system_that_declares_one_is_suspended_and_cannot_pilot(
    client: TestClient, people: Any
) -> None:
    owner = people["member"].headers
    system = registered(client, people)
    ok(
        client.post(
            f"/api/v1/registry/systems/{system['id']}/attestations",
            json={"answers": CLEAN_ATTESTATION | {"social_scoring": True}},
            headers=owner,
        ),
        201,
    )
    read = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))
    assert read["state"] == "suspended" and read["prohibited_capabilities"] == ["social_scoring"]
    now = datetime.now(UTC)
    response = client.post(
        f"/api/v1/registry/systems/{system['id']}/pilots",
        json={
            "description": "p",
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
        },
        headers=owner,
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "prohibited_capability"
    # The regulator cannot put it back on the register while it declares the capability.
    again = move(client, people["regulator"].headers, system["id"], "registered", "looks fine")
    assert again.status_code == 409 and again.json()["error"]["code"] == "prohibited_capability"
