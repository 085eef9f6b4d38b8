"""Registered systems stay reviewed (issue 16, part 2): a change of a reviewed field waits in a
pending revision that the regulator approves or rejects; the register keeps the reviewed text."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.registry.support import ANSWERS_MINIMAL, create, ok, registered

NEW_PURPOSE = {
    "kk": "Санақ сауалнамаларын тексеру және толтыру",
    "ru": "Проверка и заполнение анкет переписи",
    "en": "Checks and fills in census questionnaires",
}


def _register_entry(client: TestClient, system_id: str) -> dict[str, Any]:
    entries = ok(client.get("/api/v1/register?lang=en"))["items"]
    return next(e for e in entries if e["id"] == system_id)  # type: ignore[no-any-return]


def _audit_actions(client: TestClient, people: Any, system_id: str) -> list[str]:
    events = ok(
        client.get(
            f"/api/v1/audit/events?object_id={system_id}&limit=200", headers=people["regulator"].headers
        )
    )
    return [e["action"] for e in events["items"]]


def test_a_reviewed_change_waits_for_the_regulator(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    owner, regulator = people["member"].headers, people["regulator"].headers
    changed = ok(
        client.patch(
            f"/api/v1/registry/systems/{system['id']}",
            json={"purpose": NEW_PURPOSE, "complaint_contact": "complaints@stat.gov.kz"},
            headers=owner,
        )
    )
    # The record keeps the reviewed purpose; the change is pending. A contact is no reviewed text.
    assert changed["purpose"]["en"] == "Checks census questionnaires"
    assert changed["complaint_contact"] == "complaints@stat.gov.kz"
    pending = changed["pending_revision"]
    assert pending["state"] == "pending" and list(pending["changes"]) == ["purpose"]
    diff = {d["field"]: d for d in pending["diff"]}
    assert diff["purpose"]["before"]["en"] == "Checks census questionnaires"
    assert diff["purpose"]["after"]["en"] == NEW_PURPOSE["en"]
    assert _register_entry(client, system["id"])["purpose"] == "Checks census questionnaires"

    # A second change joins the same pending revision.
    again = ok(
        client.patch(
            f"/api/v1/registry/systems/{system['id']}",
            json={"deployment_context": "eGov census portal and its mobile app"},
            headers=owner,
        )
    )
    assert again["pending_revision"]["id"] == pending["id"]
    assert set(again["pending_revision"]["changes"]) == {"purpose", "deployment_context"}

    queue = ok(client.get("/api/v1/registry/revisions?state=pending", headers=regulator))
    assert [r["id"] for r in queue] == [pending["id"]]
    assert client.get("/api/v1/registry/revisions", headers=owner).status_code == 403
    # Only the regulator decides.
    refused = client.post(
        f"/api/v1/registry/revisions/{pending['id']}/decision", json={"decision": "approve"}, headers=owner
    )
    assert refused.status_code == 403

    approved = ok(
        client.post(
            f"/api/v1/registry/revisions/{pending['id']}/decision",
            json={"decision": "approve"},
            headers=regulator,
        )
    )
    assert approved["state"] == "approved" and approved["decided_by_label"] == "regulator@example.kz"
    entry = _register_entry(client, system["id"])
    assert entry["purpose"] == NEW_PURPOSE["en"]
    record = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))
    assert record["pending_revision"] is None and record["deployment_context"].endswith("mobile app")
    # a material change of a classified system asks for a new classification once applied
    assert record["needs_reclassification"] is True
    twice = client.post(
        f"/api/v1/registry/revisions/{pending['id']}/decision",
        json={"decision": "approve"},
        headers=regulator,
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "revision_not_pending"
    actions = _audit_actions(client, people, system["id"])
    assert "ai_system.propose_revision" in actions and "ai_system.approve_revision" in actions


def test_a_rejected_revision_leaves_the_record_and_tells_why(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    owner, regulator = people["member"].headers, people["regulator"].headers
    notice = {"kk": "ЖИ.", "ru": "ИИ.", "en": "AI inside."}
    pending = ok(
        client.patch(f"/api/v1/registry/systems/{system['id']}", json={"notice": notice}, headers=owner)
    )["pending_revision"]
    url = f"/api/v1/registry/revisions/{pending['id']}/decision"
    no_reason = client.post(url, json={"decision": "reject"}, headers=regulator)
    assert no_reason.status_code == 422 and no_reason.json()["error"]["code"] == "reason_required"
    rejected = ok(
        client.post(
            url,
            json={"decision": "reject", "reason": "The notice must say what the AI does."},
            headers=regulator,
        )
    )
    assert rejected["state"] == "rejected" and rejected["decision_reason"].startswith("The notice")
    assert _register_entry(client, system["id"])["notice"] == "This service uses artificial intelligence."
    history = ok(client.get(f"/api/v1/registry/systems/{system['id']}/revisions", headers=owner))
    assert [r["state"] for r in history] == ["rejected"]
    assert "ai_system.reject_revision" in _audit_actions(client, people, system["id"])
    # The owner learns of it.
    notes = ok(client.get("/api/v1/registry/notifications", headers=owner))
    assert any(n["kind"] == "revision_rejected" and n["system_id"] == system["id"] for n in notes)


def test_the_notice_stays_in_three_languages_after_registration(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    owner = people["member"].headers
    response = client.patch(
        f"/api/v1/registry/systems/{system['id']}",
        json={"notice": {"en": "This service uses artificial intelligence."}},
        headers=owner,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "notice_incomplete"
    assert "kk" in response.json()["error"]["message"]
    record = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))
    assert record["pending_revision"] is None and record["notice"]["kk"]


def test_a_reclassification_of_a_registered_system_is_reviewed(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    owner, regulator = people["member"].headers, people["regulator"].headers
    medium = ANSWERS_MINIMAL | {"failure_impact": "moral_or_material", "decisions_about_people": "yes"}
    ok(
        client.post(
            f"/api/v1/registry/systems/{system['id']}/classifications",
            json={"answers": medium},
            headers=owner,
        ),
        201,
    )
    record = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))
    assert record["risk_class"] == "minimal"
    assert record["pending_revision"]["changes"]["classification"]["risk_class"] == "medium"
    assert _register_entry(client, system["id"])["risk_class"] == "minimal"
    ok(
        client.post(
            f"/api/v1/registry/revisions/{record['pending_revision']['id']}/decision",
            json={"decision": "approve"},
            headers=regulator,
        )
    )
    assert _register_entry(client, system["id"])["risk_class"] == "medium"


def test_the_owner_withdraws_a_pending_revision_and_drafts_change_at_once(
    client: TestClient, people: Any
) -> None:
    owner = people["member"].headers
    draft = create(client, owner)
    edited = ok(
        client.patch(f"/api/v1/registry/systems/{draft['id']}", json={"purpose": NEW_PURPOSE}, headers=owner)
    )
    assert edited["purpose"]["en"] == NEW_PURPOSE["en"] and edited["pending_revision"] is None

    system = registered(client, people)
    pending = ok(
        client.patch(f"/api/v1/registry/systems/{system['id']}", json={"purpose": NEW_PURPOSE}, headers=owner)
    )["pending_revision"]
    outsider = client.post(
        f"/api/v1/registry/revisions/{pending['id']}/withdraw", headers=people["outsider"].headers
    )
    assert outsider.status_code == 404
    withdrawn = ok(client.post(f"/api/v1/registry/revisions/{pending['id']}/withdraw", headers=owner))
    assert withdrawn["state"] == "withdrawn"
    assert (
        ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))["pending_revision"] is None
    )


def test_the_audit_export_keeps_every_revision_with_its_diff(client: TestClient, people: Any) -> None:
    import io
    import json
    import zipfile

    system = registered(client, people)
    owner, regulator = people["member"].headers, people["regulator"].headers
    pending = ok(
        client.patch(f"/api/v1/registry/systems/{system['id']}", json={"purpose": NEW_PURPOSE}, headers=owner)
    )["pending_revision"]
    ok(
        client.post(
            f"/api/v1/registry/revisions/{pending['id']}/decision",
            json={"decision": "reject", "reason": "Say what changed in the service."},
            headers=regulator,
        )
    )
    exported = client.get(f"/api/v1/registry/systems/{system['id']}/export", headers=regulator)
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        bundle = json.loads(archive.read("bundle.json"))
    (revision,) = bundle["revisions"]
    assert (
        revision["state"] == "rejected" and revision["decision_reason"] == "Say what changed in the service."
    )
    assert revision["diff"][0]["after"]["en"] == NEW_PURPOSE["en"]


def test_retiring_a_system_withdraws_its_pending_revision(client: TestClient, people: Any) -> None:
    from tests.registry.support import move

    system = registered(client, people)
    owner = people["member"].headers
    pending = ok(
        client.patch(f"/api/v1/registry/systems/{system['id']}", json={"purpose": NEW_PURPOSE}, headers=owner)
    )["pending_revision"]
    ok(move(client, owner, system["id"], "retired", "The service is closed."))
    (revision,) = ok(client.get(f"/api/v1/registry/systems/{system['id']}/revisions", headers=owner))
    assert revision["id"] == pending["id"] and revision["state"] == "withdrawn"
    queue = ok(client.get("/api/v1/registry/revisions", headers=people["regulator"].headers))
    assert pending["id"] not in [r["id"] for r in queue]
