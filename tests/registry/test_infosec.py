"""The state information-security flag changes things (issue 16, part 6; LAW.md row 4): its
controls are attached and shown, the registry enforces what it can (the regime's documents, every
model on the platform's infrastructure, every change reviewed) and answers compute's question."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from tests.registry.support import (
    ANSWERS_HIGH,
    CLEAN_ATTESTATION,
    HIGH_DOCS,
    INFOSEC_DOCS,
    create,
    move,
    ok,
    registered,
    upload,
)

from qazai.registry import infosec

EXTERNAL_MODEL = [{"name": "GPT-4o", "version": "2024-08", "provenance": "OpenAI API", "hosted_here": False}]


def flagged_system(client: TestClient, people: Any, **overrides: Any) -> dict[str, Any]:
    owner = people["member"].headers
    system = create(client, owner, **overrides)
    ok(
        client.post(
            f"/api/v1/registry/systems/{system['id']}/classifications",
            json={"answers": ANSWERS_HIGH},
            headers=owner,
        ),
        201,
    )
    ok(
        client.post(
            f"/api/v1/registry/systems/{system['id']}/attestations",
            json={"answers": CLEAN_ATTESTATION},
            headers=owner,
        ),
        201,
    )
    for key in (*HIGH_DOCS, "training_data"):
        upload(client, owner, system["id"], key)
    return ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))  # type: ignore[no-any-return]


def register_flagged(client: TestClient, people: Any, system_id: str) -> None:
    owner, regulator = people["member"].headers, people["regulator"].headers
    for key in INFOSEC_DOCS:
        upload(client, owner, system_id, key)
    ok(move(client, owner, system_id, "submitted"))
    ok(move(client, regulator, system_id, "in_review"))
    ok(move(client, regulator, system_id, "registered"))


def test_the_flag_attaches_controls_and_requires_the_regimes_documents(
    client: TestClient, people: Any, platform: Any
) -> None:
    owner = people["member"].headers
    system = flagged_system(client, people)
    assert system["state_infosec_regime"] is True
    controls = {c["key"]: c for c in system["infosec_controls"]}
    assert set(controls) == {"platform_infrastructure_only", "security_regime_documents", "regulator_review"}
    assert controls["security_regime_documents"]["satisfied"] is False
    assert controls["platform_infrastructure_only"]["satisfied"] is True
    assert controls["platform_infrastructure_only"]["enforced_by"] == ["registry", "compute"]
    status = ok(client.get(f"/api/v1/registry/systems/{system['id']}/documentation", headers=owner))
    required = {i["key"] for i in status["items"] if i["required"]}
    assert set(INFOSEC_DOCS) <= required and set(INFOSEC_DOCS) <= set(status["missing"])
    refused = move(client, owner, system["id"], "submitted")
    assert refused.status_code == 409 and "infosec_regime" in refused.json()["error"]["message"]

    # Without the flag nothing of this applies.
    plain = registered(client, people)
    assert plain["infosec_controls"] == []
    with platform.db.uow(read_only=True) as uow:
        assert infosec.requires_platform_infrastructure(uow.session, system["id"]) is True
        assert infosec.requires_platform_infrastructure(uow.session, plain["id"]) is False
        assert infosec.requires_platform_infrastructure(uow.session, "no-such-system") is False
        assert [c.key for c in infosec.controls_for(uow.session, plain["id"])] == []


def test_models_outside_the_platform_are_refused_for_a_flagged_system(
    client: TestClient, people: Any
) -> None:
    owner = people["member"].headers
    system = flagged_system(client, people, models=EXTERNAL_MODEL)
    controls = {c["key"]: c for c in system["infosec_controls"]}
    assert controls["platform_infrastructure_only"]["satisfied"] is False
    for key in INFOSEC_DOCS:
        upload(client, owner, system["id"], key)
    refused = move(client, owner, system["id"], "submitted")
    assert refused.status_code == 409
    assert "GPT-4o" in refused.json()["error"]["message"]
    assert any("platform" in p for p in refused.json()["error"]["details"]["problems"])


def test_a_registered_flagged_system_changes_nothing_without_review_and_pilots_stay_inside(
    client: TestClient, people: Any
) -> None:
    owner, regulator = people["member"].headers, people["regulator"].headers
    system = flagged_system(client, people)
    register_flagged(client, people, system["id"])
    # Even the complaint contact waits for the regulator on a flagged system.
    changed = ok(
        client.patch(
            f"/api/v1/registry/systems/{system['id']}",
            json={"complaint_contact": "security@stat.gov.kz", "models": EXTERNAL_MODEL},
            headers=owner,
        )
    )
    assert changed["complaint_contact"] == "ai@stat.gov.kz"
    assert set(changed["pending_revision"]["changes"]) == {"complaint_contact", "models"}
    ok(
        client.post(
            f"/api/v1/registry/revisions/{changed['pending_revision']['id']}/decision",
            json={"decision": "approve"},
            headers=regulator,
        )
    )
    start = datetime.now(UTC) + timedelta(minutes=5)
    pilot = client.post(
        f"/api/v1/registry/systems/{system['id']}/pilots",
        json={
            "description": "Pilot in two districts",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=30)).isoformat(),
        },
        headers=owner,
    )
    assert pilot.status_code == 409, pilot.text
    assert pilot.json()["error"]["code"] == "infosec_external_infrastructure"


def test_the_register_shows_the_controls(client: TestClient, people: Any) -> None:
    system = flagged_system(client, people)
    register_flagged(client, people, system["id"])
    entry = next(e for e in ok(client.get("/api/v1/register?lang=ru"))["items"] if e["id"] == system["id"])
    assert entry["state_infosec_regime"] is True
    titles = [c["title"] for c in entry["infosec_controls"]]
    assert any("инфраструктур" in t for t in titles) and len(titles) == 3
