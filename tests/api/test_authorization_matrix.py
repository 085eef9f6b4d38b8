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
        "create_ai_system": {
            "owner_organisation": "stat-gov",
            "name": {"en": "Matrix system"},
            "purpose": {"en": "Testing who may register"},
            "sector": "statistics",
            "deployment_context": "tests",
            "affected_persons": "nobody",
            "system_type": "other_ml",
            "notice": {"en": "Uses AI"},
            "complaint_contact": "ai@example.kz",
        },
        "edit_deadlines": {
            "version": 2,
            "complaint_answer_working_days": 10,
            "review_request_answer_working_days": 10,
            "trusted_list_completeness_working_days": 10,
            "trusted_list_publication_working_days": 5,
            "pilot_max_days": 365,
        },
        "propose_classification": {
            "answers": {
                "failure_impact": "negligible",
                "decisions_about_people": "no",
                "human_control": "human_always",
                "critical_ict": "no",
                "state_information_resource": "no",
            }
        },
        "register_optout": {
            "title": f"Work of {role}",
            "isbn": "978-601-7000-00-4",
            "claimant": f"Author {role}",
            "evidence": "First published in Жұлдыз 3/2019 under the author's name.",
        },
        "create_library": {
            "slug": f"lib-{role.replace('_', '-')}",
            "organisation": "stat-gov",
            "title": {"en": "L"},
        },
        "query_post": {"sql": "SELECT 1 AS one", "limit": 10},
        "ckan_package_search_post": {"q": "population", "rows": 5, "sort": "id asc"},
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
    ("public_register", "GET", "/api/v1/register", {r: 200 for r in ROLES}),
    ("public_register_csv", "GET", "/api/v1/register.csv", {r: 200 for r in ROLES}),
    ("registry_reference", "GET", "/api/v1/registry/reference/sectors", {r: 200 for r in ROLES}),
    ("edit_deadlines", "PUT", "/api/v1/registry/reference/deadlines", only({"operator": 200})),
    ("propose_classification", "POST", "/api/v1/registry/classification/proposal", {r: 200 for r in ROLES}),
    (
        "create_ai_system",
        "POST",
        "/api/v1/registry/systems",
        only({"member": 201, "producer": 201, "org_admin": 201}),
    ),
    ("list_ai_systems", "GET", "/api/v1/registry/systems", SIGNED_IN),
    ("list_complaints", "GET", "/api/v1/registry/complaints", only({"regulator": 200})),
    ("trusted_list_pending", "GET", "/api/v1/registry/trusted-list/pending", only({"regulator": 200})),
    ("list_optouts", "GET", "/api/v1/registry/optouts", {r: 200 for r in ROLES}),
    (
        "register_optout",
        "POST",
        "/api/v1/registry/optouts",
        {r: 201 for r in ROLES if r != "anonymous"} | {"anonymous": 401},
    ),
    ("registry_notifications", "GET", "/api/v1/registry/notifications", SIGNED_IN),
    ("list_libraries", "GET", "/api/v1/libraries", {r: 200 for r in ROLES}),
    (
        "create_library",
        "POST",
        "/api/v1/libraries",
        only({"producer": 201, "org_admin": 201, "operator": 201}),
    ),
    ("list_grants", "GET", "/api/v1/grants", SIGNED_IN),
    # Catalogue, feeds, CKAN and query: public reads (what a caller sees depends on the token).
    (
        "catalog_search",
        "GET",
        "/api/v1/catalog/search?q=population&include_private=true",
        {r: 200 for r in ROLES},
    ),
    ("query_get", "GET", "/api/v1/query?sql=SELECT%201", {r: 200 for r in ROLES}),
    ("query_post", "POST", "/api/v1/query", {r: 200 for r in ROLES}),
    ("query_tables", "GET", "/api/v1/query/tables", {r: 200 for r in ROLES}),
    ("dcat_catalog", "GET", "/catalog.jsonld", {r: 200 for r in ROLES}),
    ("dcat_us", "GET", "/data.json", {r: 200 for r in ROLES}),
    ("ckan_status_show", "GET", "/api/3/action/status_show", {r: 200 for r in ROLES}),
    ("ckan_package_list", "GET", "/api/3/action/package_list", {r: 200 for r in ROLES}),
    (
        "ckan_package_search",
        "GET",
        "/api/3/action/package_search?q=x&include_private=true",
        {r: 200 for r in ROLES},
    ),
    ("ckan_package_search_post", "POST", "/api/action/package_search", {r: 200 for r in ROLES}),
    (
        "ckan_organization_list",
        "GET",
        "/api/3/action/organization_list?all_fields=true",
        {r: 200 for r in ROLES},
    ),
]


@pytest.mark.parametrize(("name", "method", "path", "expected"), MATRIX, ids=[row[0] for row in MATRIX])
def test_authorization_matrix(
    client: TestClient, people: Any, name: str, method: str, path: str, expected: dict[str, int]
) -> None:
    """One endpoint, every role in turn on one database (building the people costs more than the
    requests); every mismatch is reported, not just the first."""
    mismatches = []
    for role in ROLES:
        headers = people[role].headers if role != "anonymous" else {}
        response = client.request(method, path, headers=headers, json=_body_for(name, people, role))
        if response.status_code != expected[role]:
            mismatches.append(
                f"{role}: expected {expected[role]}, got {response.status_code}: {response.text[:200]}"
            )
        elif expected[role] >= 400:
            code = response.json()["error"]["code"]
            if code not in {"permission_denied", "authentication_required"}:
                mismatches.append(f"{role}: refused with unexpected code {code}")
    assert not mismatches, "\n".join(mismatches)


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
