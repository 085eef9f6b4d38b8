"""Complaints and review requests: anyone files, the owner answers, the regulator sees what is late."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from tests.registry.support import create, ok, registered

from qazai.storage.tables.registry import ComplaintRow


def test_anonymous_complaint_answered_by_the_owner(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    receipt = ok(
        client.post(
            f"/api/v1/register/{system['id']}/complaints", json={"text": "The assistant was rude to me."}
        ),
        201,
    )
    assert receipt["anonymous"] is True and receipt["state"] == "open" and receipt["due_on"]
    owner = people["member"].headers
    listed = ok(client.get(f"/api/v1/registry/systems/{system['id']}/complaints", headers=owner))
    assert listed[0]["text"] == "The assistant was rude to me."
    assert (
        client.get(
            f"/api/v1/registry/systems/{system['id']}/complaints", headers=people["outsider"].headers
        ).status_code
        == 404
    )
    answered = ok(
        client.post(
            f"/api/v1/registry/complaints/{receipt['id']}/answer",
            json={"text": "We retrained it."},
            headers=owner,
        )
    )
    assert answered["state"] == "answered" and answered["answered_by_label"] == "member@example.kz"
    again = client.post(
        f"/api/v1/registry/complaints/{receipt['id']}/answer", json={"text": "x"}, headers=owner
    )
    assert again.status_code == 409


def test_drafts_take_no_complaints(client: TestClient, people: Any) -> None:
    draft = create(client, people["member"].headers)
    response = client.post(f"/api/v1/register/{draft['id']}/complaints", json={"text": "hello there"})
    assert response.status_code == 404


def test_review_request_goes_to_a_named_human_reviewer(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    receipt = ok(
        client.post(
            f"/api/v1/register/{system['id']}/complaints",
            json={
                "kind": "review_request",
                "text": "My benefit was refused automatically; please review.",
                "decision_reference": "EGOV-2026-123",
                "contact_email": "citizen@example.kz",
            },
        ),
        201,
    )
    assert receipt["anonymous"] is False
    owner = people["member"].headers
    url = f"/api/v1/registry/complaints/{receipt['id']}"
    blocked = client.post(f"{url}/answer", json={"text": "done"}, headers=owner)
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "reviewer_required"
    stranger = client.post(f"{url}/assign", json={"reviewer": "outsider@example.kz"}, headers=owner)
    assert stranger.status_code == 422
    assigned = ok(client.post(f"{url}/assign", json={"reviewer": "org_admin@example.kz"}, headers=owner))
    assert assigned["reviewer_name"] == "Org_Admin" and assigned["state"] == "assigned"
    not_reviewer = client.post(f"{url}/answer", json={"text": "done"}, headers=owner)
    assert not_reviewer.status_code == 403 and "Org_Admin" in not_reviewer.json()["error"]["message"]
    answered = ok(
        client.post(
            f"{url}/answer", json={"text": "Reviewed: benefit granted."}, headers=people["org_admin"].headers
        )
    )
    assert answered["answered_by_label"] == "org_admin@example.kz"


def test_regulator_sees_overdue(client: TestClient, people: Any, platform: Any) -> None:
    system = registered(client, people)
    late = ok(
        client.post(f"/api/v1/register/{system['id']}/complaints", json={"text": "Nobody answers me."}), 201
    )
    ok(client.post(f"/api/v1/register/{system['id']}/complaints", json={"text": "A fresh complaint."}), 201)
    with platform.db.uow() as uow:  # time passes: its deadline is behind us
        row = uow.session.get(ComplaintRow, late["id"])
        row.due_on = date(2026, 1, 5)
        uow.commit()
    regulator = people["regulator"].headers
    overdue = ok(client.get("/api/v1/registry/complaints?overdue=true", headers=regulator))
    assert [c["id"] for c in overdue] == [late["id"]] and overdue[0]["overdue"] is True
    assert len(ok(client.get("/api/v1/registry/complaints", headers=regulator))) == 2
    assert client.get("/api/v1/registry/complaints", headers=people["member"].headers).status_code == 403
