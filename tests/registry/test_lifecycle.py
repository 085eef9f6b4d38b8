"""The full life of an AI system through the API: draft -> registered -> pilot -> closed by the job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.registry.support import create, move, ok, prepare, registered

from qazai.api.wiring import job_handlers
from qazai.storage.jobs import Worker


def run_due_jobs(platform: Any, monkeypatch: pytest.MonkeyPatch, at: datetime) -> list[Any]:
    """Run every job due at ``at`` with a real Worker whose queue clock is moved to ``at``."""
    monkeypatch.setattr("qazai.storage.jobs.queue.utcnow", lambda: at)
    worker = Worker(platform.db, job_handlers(platform), lease_seconds=60, backoff_base_seconds=0.0)
    done = []
    while (job := worker.run_once()) is not None:
        done.append(job)
    monkeypatch.undo()
    return done


def test_full_life_draft_to_registered_to_pilot_closed_by_job(
    client: TestClient, people: Any, platform: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, regulator = people["member"].headers, people["regulator"].headers
    system = create(client, owner)
    assert system["state"] == "draft" and system["allowed_next"] == ["submitted", "rejected"]

    refused = move(client, owner, system["id"], "submitted")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "incomplete_submission"
    assert "classify the system" in refused.json()["error"]["message"]

    prepare(client, owner, system["id"])
    doc_status = ok(client.get(f"/api/v1/registry/systems/{system['id']}/documentation", headers=owner))
    assert doc_status["missing"] == ["training_data"]
    assert doc_status["completeness"] < 1

    # training data is documented by linking library versions; without one, a medium-risk system
    # cannot be submitted
    refused = move(client, owner, system["id"], "submitted")
    assert refused.status_code == 409 and "training_data" in refused.json()["error"]["message"]

    # Accept medium risk without a library by overriding to minimal with a justification.
    ok(
        client.post(
            f"/api/v1/registry/systems/{system['id']}/classifications",
            json={
                "answers": {
                    "failure_impact": "moral_or_material",
                    "decisions_about_people": "no",
                    "human_control": "human_always",
                    "critical_ict": "no",
                    "state_information_resource": "no",
                },
                "risk_class": "minimal",
                "justification": "answers are only suggestions to the respondent",
            },
            headers=owner,
        ),
        201,
    )
    submitted = ok(move(client, owner, system["id"], "submitted"))
    assert submitted["state"] == "submitted" and submitted["risk_class"] == "minimal"

    # The owner cannot review their own system.
    assert move(client, owner, system["id"], "in_review").status_code == 403
    ok(move(client, regulator, system["id"], "in_review"))
    returned = ok(move(client, regulator, system["id"], "returned", "add the limitations"))
    assert returned["state"] == "returned"
    ok(move(client, owner, system["id"], "submitted"))
    ok(move(client, regulator, system["id"], "in_review"))
    done = ok(move(client, regulator, system["id"], "registered"))
    assert done["state"] == "registered" and done["registered_at"]

    history = ok(client.get(f"/api/v1/registry/systems/{system['id']}/transitions", headers=owner))
    assert [(h["from_state"], h["to_state"]) for h in history] == [
        ("draft", "submitted"),
        ("submitted", "in_review"),
        ("in_review", "returned"),
        ("returned", "submitted"),
        ("submitted", "in_review"),
        ("in_review", "registered"),
    ]
    assert (
        history[2]["reason"] == "add the limitations" and history[2]["actor_label"] == "regulator@example.kz"
    )

    now = datetime.now(UTC)
    pilot = ok(
        client.post(
            f"/api/v1/registry/systems/{system['id']}/pilots",
            json={
                "description": "Pilot in Astana",
                "starts_at": (now - timedelta(minutes=1)).isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
            },
            headers=owner,
        ),
        201,
    )
    assert pilot["state"] == "running"
    public = ok(client.get("/api/v1/register"))
    assert public["items"][0]["pilots"][0]["state"] == "running"

    # Nothing is due yet but the mail telling the owner of the return.
    assert [j.kind for j in run_due_jobs(platform, monkeypatch, now)] == ["registry.deliver_mail"]
    jobs = run_due_jobs(platform, monkeypatch, now + timedelta(hours=1, seconds=1))
    assert [j.kind for j in jobs] == ["registry.close_pilot"]
    assert jobs[0].state == "succeeded" and jobs[0].result == {"closed": True, "pilot_id": pilot["id"]}
    pilots = ok(client.get(f"/api/v1/registry/systems/{system['id']}/pilots"))
    assert pilots[0]["state"] == "closed" and pilots[0]["close_reason"] == "end date reached"


def test_only_the_regulator_extends_and_the_old_job_does_nothing(
    client: TestClient, people: Any, platform: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = registered(client, people)
    owner, regulator = people["member"].headers, people["regulator"].headers
    now = datetime.now(UTC)
    pilot = ok(
        client.post(
            f"/api/v1/registry/systems/{system['id']}/pilots",
            json={
                "description": "p",
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
            },
            headers=owner,
        ),
        201,
    )
    new_end = (now + timedelta(hours=3)).isoformat()
    refused = client.post(
        f"/api/v1/registry/pilots/{pilot['id']}/extend",
        json={"ends_at": new_end, "reason": "more"},
        headers=owner,
    )
    assert refused.status_code == 403
    extended = ok(
        client.post(
            f"/api/v1/registry/pilots/{pilot['id']}/extend",
            json={"ends_at": new_end, "reason": "more data needed"},
            headers=regulator,
        )
    )
    assert extended["extensions"][0]["reason"] == "more data needed"

    stale = run_due_jobs(platform, monkeypatch, now + timedelta(hours=2))
    assert len(stale) == 1 and stale[0].result["closed"] is False
    assert ok(client.get(f"/api/v1/registry/systems/{system['id']}/pilots"))[0]["state"] == "running"

    final = run_due_jobs(platform, monkeypatch, now + timedelta(hours=3, seconds=1))
    assert len(final) == 1 and final[0].result["closed"] is True
    # Running the closing job again (at-least-once delivery) changes nothing.
    from qazai.registry.pilots import close_due_pilot

    assert (
        close_due_pilot(platform.db, pilot["id"], extended["ends_at"].replace("Z", "+00:00"))["closed"]
        is False
    )


def test_pilot_needs_a_registered_system(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner)
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
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_registered"


def test_suspension_closes_the_pilot_and_keeps_the_system_public(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    owner, regulator = people["member"].headers, people["regulator"].headers
    now = datetime.now(UTC)
    ok(
        client.post(
            f"/api/v1/registry/systems/{system['id']}/pilots",
            json={
                "description": "p",
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(days=3)).isoformat(),
            },
            headers=owner,
        ),
        201,
    )
    assert move(client, regulator, system["id"], "suspended").status_code == 422  # a reason is required
    ok(move(client, regulator, system["id"], "suspended", "complaints about errors"))
    entry = ok(client.get("/api/v1/register"))["items"][0]
    assert entry["state"] == "suspended" and entry["pilots"][0]["state"] == "closed"
    ok(move(client, regulator, system["id"], "registered", "errors fixed"))
    ok(move(client, owner, system["id"], "retired", "replaced by v2"))
    assert ok(client.get("/api/v1/register"))["items"] == []
