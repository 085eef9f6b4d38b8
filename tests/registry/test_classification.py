"""Classification: the questionnaire proposes, the owner confirms or overrides with reasons kept."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.registry.support import ANSWERS_HIGH, ANSWERS_MEDIUM, create, ok


def test_proposal_gives_classes_and_reasons_in_three_languages(client: TestClient) -> None:
    proposal = ok(client.post("/api/v1/registry/classification/proposal", json={"answers": ANSWERS_HIGH}))
    assert proposal["proposed_risk"] == "high" and proposal["proposed_autonomy"] == "low"
    assert proposal["state_infosec_regime"] is True
    assert any("Art. 17(1)" in r["en"] and "17" in r["kk"] for r in proposal["reasons"])
    missing = client.post(
        "/api/v1/registry/classification/proposal", json={"answers": {"failure_impact": "severe"}}
    )
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "unanswered_question"
    wrong = client.post(
        "/api/v1/registry/classification/proposal",
        json={"answers": ANSWERS_MEDIUM | {"critical_ict": "maybe"}},
    )
    assert wrong.status_code == 422 and "choose one of: no, yes" in wrong.json()["error"]["message"]


def test_override_needs_justification_and_history_is_kept(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    url = f"/api/v1/registry/systems/{system['id']}/classifications"
    refused = client.post(url, json={"answers": ANSWERS_MEDIUM, "risk_class": "minimal"}, headers=owner)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "justification_required"
    ok(client.post(url, json={"answers": ANSWERS_MEDIUM}, headers=owner), 201)
    second = ok(
        client.post(
            url,
            json={"answers": ANSWERS_MEDIUM, "risk_class": "high", "justification": "used for benefits"},
            headers=owner,
        ),
        201,
    )
    assert (
        second["overridden"] is True
        and second["proposed_risk"] == "medium"
        and second["risk_class"] == "high"
    )
    history = ok(client.get(url, headers=owner))
    assert [h["risk_class"] for h in history] == ["medium", "high"]
    assert history[0]["actor_label"] == "member@example.kz"
    current = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))
    assert current["risk_class"] == "high"


def test_high_autonomy_needs_a_legal_basis(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    url = f"/api/v1/registry/systems/{system['id']}/classifications"
    answers = ANSWERS_MEDIUM | {"human_control": "correction_limited"}
    refused = client.post(url, json={"answers": answers}, headers=owner)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "legal_basis_required"
    done = ok(
        client.post(
            url,
            json={"answers": answers, "autonomy_legal_basis": "Law No. 123 Art. 4 (traffic fines)"},
            headers=owner,
        ),
        201,
    )
    assert done["autonomy_class"] == "high"
    read = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))
    assert read["autonomy_legal_basis"].startswith("Law No. 123")


def test_state_infosec_flag_only_for_high_risk(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    url = f"/api/v1/registry/systems/{system['id']}/classifications"
    medium = ok(
        client.post(
            url, json={"answers": ANSWERS_MEDIUM | {"state_information_resource": "yes"}}, headers=owner
        ),
        201,
    )
    assert medium["risk_class"] == "medium" and medium["state_infosec_regime"] is False
    high = ok(client.post(url, json={"answers": ANSWERS_HIGH}, headers=owner), 201)
    assert high["state_infosec_regime"] is True


def test_operator_edits_and_translates_the_questionnaire(client: TestClient, people: Any) -> None:
    current = ok(client.get("/api/v1/registry/reference/questionnaire"))
    current["questions"][0]["text"]["kk"] = "Жаңа мәтін"
    refused = client.put(
        "/api/v1/registry/reference/questionnaire", json=current, headers=people["operator"].headers
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "version_not_increased"
    current["version"] = 2
    assert (
        client.put(
            "/api/v1/registry/reference/questionnaire", json=current, headers=people["member"].headers
        ).status_code
        == 403
    )
    ok(
        client.put(
            "/api/v1/registry/reference/questionnaire", json=current, headers=people["operator"].headers
        )
    )
    assert (
        ok(client.get("/api/v1/registry/reference/questionnaire"))["questions"][0]["text"]["kk"]
        == "Жаңа мәтін"
    )
    bad = dict(current, version=3, questions=[])
    assert (
        client.put(
            "/api/v1/registry/reference/questionnaire", json=bad, headers=people["operator"].headers
        ).status_code
        == 422
    )
