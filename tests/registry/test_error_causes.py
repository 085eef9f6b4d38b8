"""Issue 16, part 8: errors name their real cause, and an owner can discard a draft."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.registry.support import ANSWERS_MINIMAL, MINIMAL_DOCS, create, move, ok, prepare, system_body

from qazai.identity import service as identity_service
from qazai.identity.actor import SYSTEM
from qazai.identity.models import TokenCreate
from qazai.storage.tables.audit import AuditEventRow

SYSTEMS = "/api/v1/registry/systems"


def read_only_headers(platform: Any, user_id: str) -> dict[str, str]:
    with platform.db.uow() as uow:
        token = identity_service.create_token(
            uow, SYSTEM, TokenCreate(name="read only", scopes=["read"]), for_user=user_id
        )
    return {"Authorization": f"Bearer {token.token}"}


def test_read_only_token_of_an_owner_is_told_it_lacks_write(
    client: TestClient, people: Any, platform: Any
) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    reader = read_only_headers(platform, people["member"].user_id)
    assert ok(client.get(f"{SYSTEMS}/{system['id']}", headers=reader))["id"] == system["id"]
    attempts = [
        client.patch(f"{SYSTEMS}/{system['id']}", json={"sector": "education"}, headers=reader),
        client.post(SYSTEMS, json=system_body(), headers=reader),
        move(client, reader, system["id"], "submitted"),
        client.post(
            f"{SYSTEMS}/{system['id']}/documents",
            data={"template": "purpose"},
            files={"file": ("p.md", b"# purpose", "text/markdown")},
            headers=reader,
        ),
        client.delete(f"{SYSTEMS}/{system['id']}", headers=reader),
    ]
    for response in attempts:
        assert response.status_code == 403, response.text
        error = response.json()["error"]
        assert error["code"] == "insufficient_scope", error
        assert "`write` scope" in error["message"] and "member" not in error["message"]
    # a full token of someone outside the organisation still hears about membership
    outsider = client.patch(
        f"{SYSTEMS}/{system['id']}", json={"sector": "education"}, headers=people["outsider"].headers
    )
    assert outsider.status_code == 404  # drafts are private to the owner


def test_member_without_a_role_in_the_owner_organisation_hears_about_membership(
    client: TestClient, people: Any
) -> None:
    response = client.post(SYSTEMS, json=system_body(), headers=people["outsider"].headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "members of the owner organisation" in response.json()["error"]["message"]


def test_notifications_by_slug_or_id(client: TestClient, people: Any) -> None:
    member = people["member"]
    url = "/api/v1/registry/notifications"
    assert ok(client.get(url, params={"organisation": "stat-gov"}, headers=member.headers)) == []
    assert ok(client.get(url, params={"organisation": member.org_id}, headers=member.headers)) == []
    unknown = client.get(url, params={"organisation": "no-such-org"}, headers=member.headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    other = client.get(url, params={"organisation": "other-org"}, headers=member.headers)
    assert other.status_code == 403


def test_unknown_library_version_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/registry/library-versions/no-such-version/systems")
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    assert "no-such-version" in response.json()["error"]["message"]


def test_deeply_nested_json_is_named_as_such(client: TestClient, people: Any) -> None:
    depth = 5000
    body = '{"name": ' + "[" * depth + "]" * depth + "}"
    response = client.post(
        SYSTEMS,
        content=body.encode(),
        headers={**people["member"].headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "json_too_deep" and "nested too deeply" in error["message"]


def test_owner_discards_a_draft_with_everything_attached(
    client: TestClient, people: Any, platform: Any
) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    prepare(client, owner, system["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)
    assert client.delete(f"{SYSTEMS}/{system['id']}", headers=people["outsider"].headers).status_code == 404
    assert client.delete(f"{SYSTEMS}/{system['id']}", headers=people["regulator"].headers).status_code == 403
    response = client.delete(f"{SYSTEMS}/{system['id']}", headers=owner)
    assert response.status_code == 204, response.text
    assert client.get(f"{SYSTEMS}/{system['id']}", headers=owner).status_code == 404
    assert system["id"] not in [s["id"] for s in ok(client.get(SYSTEMS, headers=owner))["items"]]
    with platform.db.uow(read_only=True) as uow:
        actions = uow.session.scalars(
            select(AuditEventRow.action).where(AuditEventRow.object_id == system["id"])
        ).all()
    assert actions[-1] == "ai_system.discard"
    assert client.delete(f"{SYSTEMS}/{system['id']}", headers=owner).status_code == 404


def test_a_submitted_system_cannot_be_discarded(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    prepare(client, owner, system["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)
    ok(move(client, owner, system["id"], "submitted"))
    response = client.delete(f"{SYSTEMS}/{system['id']}", headers=owner)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_discardable"
    # withdrawn back to draft, it still carries the history of its submission
    ok(move(client, owner, system["id"], "draft"))
    response = client.delete(f"{SYSTEMS}/{system['id']}", headers=owner)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_discardable"
    assert ok(client.get(f"{SYSTEMS}/{system['id']}", headers=owner))["state"] == "draft"
