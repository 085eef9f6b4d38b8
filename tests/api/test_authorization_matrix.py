"""Each endpoint × each role: who is allowed, who is refused, and with which status."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

ROLES = ("anonymous", "member", "producer", "org_admin", "operator", "regulator", "outsider")
SIGNED_IN = {r: 200 for r in ROLES if r != "anonymous"} | {"anonymous": 401}


def only(allowed: dict[str, int], refused: int = 403) -> dict[str, int]:
    return {r: allowed.get(r, 401 if r == "anonymous" else refused) for r in ROLES}


def _body_for(name: str, people: Any, role: str) -> Any:
    return {
        "create_org": {"slug": f"new-{role.replace('_', '-')}", "kind": "company", "name": {"en": "New"}},
        "grant_member": {"user_id": people["member"].user_id, "role": "producer"},
        "create_user": {"email": f"new-{role}@example.kz", "name": "New", "password": "long enough pw"},
        "grant_platform_role": {"role": "regulator"},
        "create_token": {"name": "t"},
    }.get(name)


MATRIX: list[tuple[str, str, str, dict[str, int]]] = [
    ("me", "GET", "/api/v1/me", SIGNED_IN),
    ("list_orgs", "GET", "/api/v1/organisations", {r: 200 for r in ROLES}),
    ("show_org", "GET", "/api/v1/organisations/stat-gov", {r: 200 for r in ROLES}),
    ("create_org", "POST", "/api/v1/organisations", only({"operator": 201})),
    (
        "list_members",
        "GET",
        "/api/v1/organisations/stat-gov/members",
        only({"member": 200, "producer": 200, "org_admin": 200, "operator": 200}),
    ),
    (
        "grant_member",
        "POST",
        "/api/v1/organisations/stat-gov/members",
        only({"org_admin": 200, "operator": 200}),
    ),
    ("list_users", "GET", "/api/v1/users", only({"operator": 200})),
    ("create_user", "POST", "/api/v1/users", only({"operator": 201})),
    (
        "grant_platform_role",
        "POST",
        "/api/v1/users/member@example.kz/platform-roles",
        only({"operator": 200}),
    ),
    ("list_tokens", "GET", "/api/v1/tokens", SIGNED_IN),
    (
        "create_token",
        "POST",
        "/api/v1/tokens",
        {r: 201 for r in ROLES if r != "anonymous"} | {"anonymous": 401},
    ),
    ("audit_events", "GET", "/api/v1/audit/events", only({"operator": 200, "regulator": 200})),
    ("audit_verify", "GET", "/api/v1/audit/verify", only({"operator": 200, "regulator": 200})),
]

CASES = [
    (name, method, path, role, expected[role]) for name, method, path, expected in MATRIX for role in ROLES
]


@pytest.mark.parametrize(
    ("name", "method", "path", "role", "expected"), CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES]
)
def test_authorization_matrix(
    client: TestClient, people: Any, name: str, method: str, path: str, role: str, expected: int
) -> None:
    headers = people[role].headers if role != "anonymous" else {}
    response = client.request(method, path, headers=headers, json=_body_for(name, people, role))
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.json()["error"]["code"] in {"permission_denied", "authentication_required"}


def test_read_only_token_cannot_write(client: TestClient, people: Any) -> None:
    created = client.post(
        "/api/v1/tokens", json={"name": "ro", "scopes": ["read"]}, headers=people["operator"].headers
    )
    ro = {"Authorization": f"Bearer {created.json()['token']}"}
    assert client.get("/api/v1/users", headers=ro).status_code == 200
    refused = client.post(
        "/api/v1/organisations", headers=ro, json={"slug": "x-org", "kind": "company", "name": {"en": "X"}}
    )
    assert refused.status_code == 403
    assert client.post("/api/v1/tokens", json={"name": "more"}, headers=ro).status_code == 403


def test_token_is_shown_once_and_stored_hashed(client: TestClient, people: Any, platform: Any) -> None:
    from sqlalchemy import select

    from qazai.storage.tables.identity import ApiTokenRow

    created = client.post("/api/v1/tokens", json={"name": "laptop"}, headers=people["member"].headers).json()
    secret = created["token"]
    listed = client.get("/api/v1/tokens", headers=people["member"].headers).json()
    assert all("token" not in t for t in listed)
    assert any(t["id"] == created["id"] and secret.startswith(t["prefix"]) for t in listed)
    with platform.db.uow(read_only=True) as uow:
        stored = uow.session.execute(select(ApiTokenRow.token_hash)).scalars().all()
    assert secret not in stored and all(len(h) == 64 for h in stored)


def test_ckan_style_raw_authorization_header_works(client: TestClient, people: Any) -> None:
    assert client.get("/api/v1/me", headers={"Authorization": people["member"].token}).status_code == 200
    assert client.get("/api/v1/me", headers={"X-CKAN-API-Key": people["member"].token}).status_code == 200


def test_member_cannot_revoke_someone_elses_token(client: TestClient, people: Any) -> None:
    mine = client.get("/api/v1/tokens", headers=people["producer"].headers).json()[0]["id"]
    assert client.delete(f"/api/v1/tokens/{mine}", headers=people["member"].headers).status_code == 404
    assert client.get("/api/v1/me", headers=people["producer"].headers).status_code == 200
