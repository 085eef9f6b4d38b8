"""Trusted lists published (issue 16, part 7; Law on AI Art. 19): one list per sectoral state body
as JSON, CSV and a portal page; the body is an actor that decides its sector's applications."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from tests.registry.support import ANSWERS_MEDIUM, HIGH_DOCS, create, move, ok, prepare, upload

from qazai.core.enums import OrgKind, OrgRole
from qazai.core.text import LocalizedText
from qazai.identity import service as identity
from qazai.identity.actor import SYSTEM
from qazai.identity.models import MembershipGrant, OrganisationCreate, TokenCreate, UserCreate

# High risk without the state information-security regime.
ANSWERS_HIGH_PLAIN = ANSWERS_MEDIUM | {"failure_impact": "severe"}


def ministry_of_health(platform: Any) -> dict[str, str]:
    """The sectoral body of the health sector as an organisation with one member; its token header."""
    with platform.db.uow() as uow:
        org = identity.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(
                slug="ministry-of-health",
                kind=OrgKind.government_body,
                name=LocalizedText(
                    kk="Денсаулық сақтау министрлігі",
                    ru="Министерство здравоохранения",
                    en="Ministry of Health",
                ),
            ),
        )
    with platform.db.uow() as uow:
        user = identity.create_user(
            uow,
            SYSTEM,
            UserCreate(email="expert@moh.gov.kz", name="Expert", password="correct horse battery"),
        )
    with platform.db.uow() as uow:
        identity.grant_membership(uow, SYSTEM, org.id, MembershipGrant(user_id=user.id, role=OrgRole.member))
    with platform.db.uow() as uow:
        token = identity.create_token(
            uow, SYSTEM, TokenCreate(name="tests", scopes=["read", "write"]), for_user=user.id
        )
    return {"Authorization": f"Bearer {token.token}"}


def applied(client: TestClient, people: Any, sector: str, name: str) -> dict[str, Any]:
    """A registered high-risk system of ``sector`` with a trusted-list application; the application."""
    owner, regulator = people["member"].headers, people["regulator"].headers
    system = create(client, owner, sector=sector, name={"en": name, "ru": name, "kk": name})
    prepare(client, owner, system["id"], answers=ANSWERS_HIGH_PLAIN, docs=(*HIGH_DOCS, "training_data"))
    ok(move(client, owner, system["id"], "submitted"))
    ok(move(client, regulator, system["id"], "in_review"))
    ok(move(client, regulator, system["id"], "registered"))
    upload(client, owner, system["id"], "copyright_evidence")
    upload(client, owner, system["id"], "audit_report")
    return ok(  # type: ignore[no-any-return]
        client.post(f"/api/v1/registry/systems/{system['id']}/trusted-list", json={}, headers=owner), 201
    )


def decide(client: TestClient, headers: dict[str, str], application_id: str, target: str) -> Any:
    return client.post(
        f"/api/v1/registry/trusted-list/{application_id}/decisions", json={"target": target}, headers=headers
    )


def test_the_sectoral_body_decides_and_publishes_its_own_list(
    client: TestClient, people: Any, platform: Any
) -> None:
    moh = ministry_of_health(platform)
    health = applied(client, people, "health", "Radiology triage")
    transport = applied(client, people, "transport", "Traffic light")
    assert health["sector_body"] == "ministry-of-health"

    # The body sees its sector's applications, not the others'.
    pending = ok(client.get("/api/v1/registry/trusted-list/pending", headers=moh))
    assert [a["id"] for a in pending] == [health["id"]]
    refused = decide(client, moh, transport["id"], "accepted")
    assert refused.status_code in (403, 404)
    assert decide(client, people["member"].headers, health["id"], "accepted").status_code == 403
    ok(decide(client, moh, health["id"], "accepted"))
    published = ok(decide(client, moh, health["id"], "published"))
    assert published["state"] == "published"
    # The regulator (the authorized body) may still decide any sector's application.
    ok(decide(client, people["regulator"].headers, transport["id"], "accepted"))

    bodies = {b["key"]: b for b in ok(client.get("/api/v1/trusted-lists"))}
    assert (
        bodies["ministry-of-health"]["published"] == 1 and bodies["ministry-of-transport"]["published"] == 0
    )
    assert bodies["ministry-of-health"]["name"]["en"] == "Ministry of Health"
    assert "health" in [s["key"] for s in bodies["ministry-of-health"]["sectors"]]

    listing = ok(client.get("/api/v1/trusted-lists/ministry-of-health?lang=ru"))
    assert listing["body"]["key"] == "ministry-of-health"
    (entry,) = listing["entries"]
    assert entry["system_id"] == health["system_id"] and entry["name"] == "Radiology triage"
    assert entry["owner"]["slug"] == "stat-gov" and entry["risk_class"] == "high"
    assert entry["published_on"] == published["decided_on"] and entry["sector"] == "health"
    assert ok(client.get("/api/v1/trusted-lists/ministry-of-transport"))["entries"] == []
    assert client.get("/api/v1/trusted-lists/no-such-body").status_code == 404

    response = client.get("/api/v1/trusted-lists/ministry-of-health.csv?lang=en")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["system_id"] for r in rows] == [health["system_id"]] and rows[0]["published_on"]

    page = client.get("/trusted-lists/ministry-of-health", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Radiology triage" in page.text and "Ministry of Health" in page.text
    assert "/api/v1/trusted-lists/ministry-of-health.csv" in page.text
    index = client.get("/trusted-lists", headers={"Accept-Language": "kk"})
    assert index.status_code == 200 and "/trusted-lists/ministry-of-health" in index.text


def test_an_application_names_a_known_body(client: TestClient, people: Any) -> None:
    owner, regulator = people["member"].headers, people["regulator"].headers
    system = create(client, owner, sector="health")
    prepare(client, owner, system["id"], answers=ANSWERS_HIGH_PLAIN, docs=(*HIGH_DOCS, "training_data"))
    for step, who in (("submitted", owner), ("in_review", regulator), ("registered", regulator)):
        ok(move(client, who, system["id"], step))
    upload(client, owner, system["id"], "copyright_evidence")
    upload(client, owner, system["id"], "audit_report")
    response = client.post(
        f"/api/v1/registry/systems/{system['id']}/trusted-list",
        json={"sector_body": "made-up-body"},
        headers=owner,
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "unknown_body"


def test_the_sectoral_body_decides_on_the_portal(client: TestClient, people: Any, platform: Any) -> None:
    from tests.web.helpers import csrf_of
    from tests.web.test_registry_pages import sign_in_en

    ministry_of_health(platform)
    health = applied(client, people, "health", "Radiology triage")
    applied(client, people, "transport", "Traffic light")
    assert client.get("/trusted-lists/ministry-of-health/applications").status_code == 401
    sign_in_en(client, "expert@moh.gov.kz")
    queue = client.get("/trusted-lists/ministry-of-health/applications")
    assert queue.status_code == 200 and "Radiology triage" in queue.text and "Traffic light" not in queue.text
    assert 'value="accepted"' in queue.text and 'value="published"' not in queue.text
    url = f"/trusted-lists/ministry-of-health/applications/{health['id']}"
    token = csrf_of(queue.text)
    accepted = client.post(url, data={"csrf_token": token, "target": "accepted"})
    assert accepted.status_code == 200 and 'value="published"' in accepted.text
    client.post(url, data={"csrf_token": token, "target": "published", "note": "Listed."})
    listed = client.get("/trusted-lists/ministry-of-health")
    assert "Radiology triage" in listed.text
    # not the body of transport: its queue shows nothing to decide
    other = client.get("/trusted-lists/ministry-of-transport/applications")
    assert other.status_code == 200 and "Traffic light" not in other.text
