"""Trusted-list applications: deadlines in Kazakhstan working days (Nauryz, Independence Day)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from tests.registry.support import ANSWERS_HIGH, HIGH_DOCS, INFOSEC_DOCS, create, move, ok, prepare, upload

from qazai.core.enums import OrgRole, PlatformRole
from qazai.identity.actor import Actor
from qazai.registry import trusted
from qazai.registry.models import TrustedApplicationCreate, TrustedDecision, TrustedListState


def test_application_deadlines_across_nauryz_and_independence_day(
    client: TestClient, people: Any, platform: Any
) -> None:
    owner, regulator = people["member"].headers, people["regulator"].headers
    system = create(client, owner, sector="public_services")
    # The operator edits the documentation templates: here training data is made optional.
    templates = ok(client.get("/api/v1/registry/reference/documentation_templates"))
    for template in templates["templates"]:
        if template["key"] == "training_data":
            template["required_for"] = []
    templates["version"] += 1
    ok(
        client.put(
            "/api/v1/registry/reference/documentation_templates",
            json=templates,
            headers=people["operator"].headers,
        )
    )
    prepare(client, owner, system["id"], answers=ANSWERS_HIGH, docs=(*HIGH_DOCS, *INFOSEC_DOCS))
    ok(move(client, owner, system["id"], "submitted"))
    ok(move(client, regulator, system["id"], "in_review"))
    ok(move(client, regulator, system["id"], "registered"))

    url = f"/api/v1/registry/systems/{system['id']}/trusted-list"
    missing = client.post(url, json={}, headers=owner)
    assert (
        missing.status_code == 409
        and "copyright_evidence, audit_report" in missing.json()["error"]["message"]
    )
    upload(client, owner, system["id"], "copyright_evidence")
    upload(client, owner, system["id"], "audit_report")

    # Submitted on Friday 20 March 2026, before Nauryz (21-25 March are days off).
    actor = Actor(
        user_id=people["member"].user_id,
        label="member",
        memberships={people["member"].org_id: OrgRole.member},
    )
    with platform.db.uow() as uow:
        app = trusted.apply_for_trusted_list(
            uow, actor, system["id"], TrustedApplicationCreate(), on=date(2026, 3, 20)
        )
    assert app.sector_body == "mdai"
    assert app.completeness_due == date(2026, 4, 8)  # 10 working days, not 2 April
    assert app.overdue is True  # today (in these tests) is long after April 2026

    decisions = f"/api/v1/registry/trusted-list/{app.id}/decisions"
    assert client.post(decisions, json={"target": "published"}, headers=regulator).status_code == 409
    assert client.post(decisions, json={"target": "accepted"}, headers=owner).status_code == 403
    # Completeness confirmed on Monday 14 December 2026: publication within 5 working days
    # skips Independence Day (Wednesday 16 December). Decisions through the API are dated by the
    # server's clock, so the dated ones are taken in process.
    the_regulator = Actor(
        user_id=people["regulator"].user_id,
        label="regulator",
        platform_roles=frozenset({PlatformRole.regulator}),
    )
    with platform.db.uow() as uow:
        accepted = trusted.decide_trusted_application(
            uow,
            the_regulator,
            app.id,
            TrustedDecision(target=TrustedListState.accepted),
            on=date(2026, 12, 14),
        ).model_dump(mode="json")
    assert accepted["publication_due"] == "2026-12-22"
    pending = ok(client.get("/api/v1/registry/trusted-list/pending", headers=regulator))
    assert [p["id"] for p in pending] == [app.id]
    assert client.get("/api/v1/registry/trusted-list/pending", headers=owner).status_code == 403
    with platform.db.uow() as uow:
        published = trusted.decide_trusted_application(
            uow,
            the_regulator,
            app.id,
            TrustedDecision(target=TrustedListState.published),
            on=date(2026, 12, 21),
        ).model_dump(mode="json")
    assert published["state"] == "published" and published["overdue"] is False
    entry = ok(client.get("/api/v1/register"))["items"][0]
    assert entry["trusted_list"] == "published"
    assert [h["state"] for h in published["history"]] == ["submitted", "accepted", "published"]


def test_only_high_risk_registered_systems_apply(client: TestClient, people: Any) -> None:
    system = create(client, people["member"].headers)
    response = client.post(
        f"/api/v1/registry/systems/{system['id']}/trusted-list", json={}, headers=people["member"].headers
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_eligible"
