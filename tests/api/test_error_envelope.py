"""Every error path of the API answers with the one envelope (STYLE.md), never a bare 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from qazai.core.clock import utcnow
from qazai.storage.tables.identity import ApiTokenRow


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False
    assert set(body) == {"ok", "error", "request_id"}
    assert set(body["error"]) == {"code", "message", "status", "details"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert body["request_id"] and body["request_id"] == response.headers["x-request-id"]
    return body


def test_unknown_route_is_404_envelope(client: TestClient) -> None:
    assert_envelope(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_405_envelope(client: TestClient) -> None:
    assert_envelope(client.delete("/api/v1/health"), 405, "method_not_allowed")


def test_malformed_json_is_400(client: TestClient, people: Any) -> None:
    response = client.post(
        "/api/v1/organisations",
        content=b'{"slug": "x",',
        headers={**people["operator"].headers, "content-type": "application/json"},
    )
    assert_envelope(response, 400, "malformed_json")


def test_wrong_type_is_422_naming_the_field(client: TestClient, people: Any) -> None:
    response = client.post(
        "/api/v1/tokens", json={"name": "x", "expires_in_days": "soon"}, headers=people["member"].headers
    )
    body = assert_envelope(response, 422, "invalid_input")
    assert "expires_in_days" in body["error"]["message"]


def test_unknown_field_is_422_unknown_field(client: TestClient, people: Any) -> None:
    response = client.post(
        "/api/v1/tokens", json={"name": "x", "colour": "red"}, headers=people["member"].headers
    )
    body = assert_envelope(response, 422, "unknown_field")
    assert "colour" in body["error"]["message"]


def test_invalid_bin_is_422(client: TestClient, people: Any) -> None:
    response = client.post(
        "/api/v1/organisations",
        headers=people["operator"].headers,
        json={"slug": "acme", "kind": "company", "name": {"en": "Acme"}, "bin": "123456789012"},
    )
    body = assert_envelope(response, 422, "invalid_input")
    assert "BIN" in body["error"]["message"]


def test_oversized_body_is_413(client: TestClient, people: Any) -> None:
    response = client.post(
        "/api/v1/tokens",
        content=b"{" + b" " * (65 * 1024) + b"}",
        headers={**people["member"].headers, "content-type": "application/json"},
    )
    assert_envelope(response, 413, "payload_too_large")


def test_oversized_chunked_body_is_413(client: TestClient, people: Any) -> None:
    def body() -> Any:
        for _ in range(70):
            yield b" " * 1024

    response = client.post(
        "/api/v1/tokens",
        content=body(),
        headers={**people["member"].headers, "content-type": "application/json"},
    )
    assert_envelope(response, 413, "payload_too_large")


def test_missing_token_is_401(client: TestClient) -> None:
    response = assert_envelope(client.get("/api/v1/me"), 401, "authentication_required")
    assert response


def test_invalid_token_is_401(client: TestClient) -> None:
    assert_envelope(
        client.get("/api/v1/me", headers={"Authorization": "Bearer qz_nope"}), 401, "invalid_token"
    )


def test_bad_authorization_scheme_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_envelope(response, 401, "invalid_authorization_header")


def test_expired_token_is_401(client: TestClient, people: Any, platform: Any) -> None:
    with platform.db.uow() as uow:
        uow.session.execute(update(ApiTokenRow).values(expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    assert_envelope(client.get("/api/v1/me", headers=people["member"].headers), 401, "token_expired")


def test_revoked_token_is_401(client: TestClient, people: Any) -> None:
    tokens = client.get("/api/v1/tokens", headers=people["member"].headers).json()
    assert (
        client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=people["member"].headers).status_code
        == 200
    )
    assert_envelope(client.get("/api/v1/me", headers=people["member"].headers), 401, "token_revoked")


def test_cookie_session_without_csrf_is_403(client: TestClient, people: Any) -> None:
    signed = client.post(
        "/api/v1/sessions", json={"email": "member@example.kz", "password": "correct horse battery"}
    )
    assert signed.status_code == 201
    csrf = signed.json()["csrf_token"]
    assert client.get("/api/v1/me").status_code == 200  # the cookie works for reads
    assert_envelope(client.post("/api/v1/tokens", json={"name": "x"}), 403, "csrf_failed")
    assert (
        client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}).status_code == 201
    )


def test_bad_password_is_401(client: TestClient, people: Any) -> None:
    response = client.post("/api/v1/sessions", json={"email": "member@example.kz", "password": "wrong"})
    assert_envelope(response, 401, "bad_credentials")


def test_too_many_sign_in_failures_is_429_with_retry_after(client: TestClient, people: Any) -> None:
    for _ in range(4):
        client.post("/api/v1/sessions", json={"email": "member@example.kz", "password": "wrong"})
    response = client.post("/api/v1/sessions", json={"email": "member@example.kz", "password": "wrong"})
    body = assert_envelope(response, 429, "account_locked")
    assert int(response.headers["Retry-After"]) == body["error"]["details"]["retry_after"] > 0


def test_tampered_session_cookie_is_401(client: TestClient) -> None:
    client.cookies.set("qazai_session", "forged.value.here")
    assert_envelope(client.get("/api/v1/me"), 401, "invalid_session")


def test_permission_denied_is_403(client: TestClient, people: Any) -> None:
    response = client.post(
        "/api/v1/organisations",
        headers=people["member"].headers,
        json={"slug": "acme", "kind": "company", "name": {"en": "Acme"}},
    )
    assert_envelope(response, 403, "permission_denied")


def test_not_found_is_404(client: TestClient) -> None:
    assert_envelope(client.get("/api/v1/organisations/no-such-org"), 404, "not_found")


def test_conflict_is_409(client: TestClient, people: Any) -> None:
    body = {"slug": "stat-gov", "kind": "company", "name": {"en": "Again"}}
    assert_envelope(
        client.post("/api/v1/organisations", json=body, headers=people["operator"].headers), 409, "slug_taken"
    )


def test_bad_cursor_and_limit(client: TestClient, people: Any) -> None:
    assert_envelope(client.get("/api/v1/organisations?next=%%%"), 422, "invalid_cursor")
    assert_envelope(client.get("/api/v1/organisations?limit=100000"), 422, "invalid_input")
    assert_envelope(
        client.get("/api/v1/audit/events?next=Im5vIg", headers=people["operator"].headers),
        422,
        "invalid_cursor",
    )


def test_unexpected_error_is_500_without_internals(app: FastAPI, client: TestClient) -> None:
    def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    app.add_api_route("/api/v1/_boom", boom)
    response = client.get("/api/v1/_boom")
    body = assert_envelope(response, 500, "internal_error")
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert body["error"]["details"] == {}


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/ready", "/api/v1/openapi.json", "/metrics"])
def test_every_response_has_a_request_id(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert len(response.headers["x-request-id"]) >= 8


def test_incoming_request_id_is_kept_when_safe(client: TestClient) -> None:
    assert (
        client.get("/api/v1/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    )
    unsafe = client.get("/api/v1/health", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
    assert unsafe != "<script>"
