"""The portal's frame: languages, sign-in, CSRF, security headers, error pages, tokens, admin."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.web.helpers import PASSWORD, csrf_of, sign_in


def test_home_defaults_to_kazakh_with_security_headers(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="kk">' in response.text
    assert "Басты бет" in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert 'href="#main"' in response.text and '<main id="main"' in response.text


def test_accept_language_picks_russian(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
    assert '<html lang="ru">' in response.text and "Главная" in response.text


def test_language_switch_is_remembered_in_a_cookie(client: TestClient) -> None:
    token = csrf_of(client.get("/").text)
    response = client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/catalog"})
    assert response.status_code == 200 and str(response.url).endswith("/catalog")
    assert '<html lang="en">' in response.text and "Catalog" in response.text
    assert client.cookies.get("qazai_lang") == "en"


def test_language_switch_saves_the_users_choice(client: TestClient, people: Any) -> None:
    sign_in(client, people["member"].email)
    token = csrf_of(client.get("/").text)
    client.post("/language", data={"csrf_token": token, "lang": "ru", "next": "/"})
    me = client.get("/api/v1/me", headers=people["member"].headers).json()
    assert me["language"] == "ru"
    client.cookies.clear()
    sign_in(client, people["member"].email)
    assert '<html lang="ru">' in client.get("/").text


def test_language_switch_without_csrf_is_refused_as_a_page(client: TestClient) -> None:
    client.get("/")
    response = client.post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Reload the page" in response.text or "Бетті қайта жүктеп" in response.text


def test_sign_in_sets_the_api_session_cookie_and_sign_out_ends_it(client: TestClient, people: Any) -> None:
    page = sign_in(client, people["producer"].email)
    assert "producer@example.kz" in page.text
    cookie = client.cookies.get("qazai_session")
    assert cookie
    assert client.get("/api/v1/me").json()["email"] == "producer@example.kz"  # the same session as the API
    client.post("/sign-out", data={"csrf_token": csrf_of(client.get("/").text)})
    assert client.get("/api/v1/me").status_code == 401
    client.cookies.set("qazai_session", cookie)
    assert "producer@example.kz" not in client.get("/").text  # the old cookie no longer works


def test_wrong_password_shows_the_form_again(client: TestClient, people: Any) -> None:
    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": people["member"].email, "password": "nope-nope"}
    )
    assert response.status_code == 401
    assert 'role="alert"' in response.text and 'name="password"' in response.text


def test_sign_in_refuses_an_open_redirect(client: TestClient, people: Any) -> None:
    response = sign_in(client, people["member"].email, next_url="//evil.example/x")
    assert str(response.url) == "http://testserver/"


def test_errors_are_pages_in_the_users_language_and_api_keeps_json(client: TestClient) -> None:
    page = client.get("/no-such-page", headers={"Accept-Language": "ru"})
    assert page.status_code == 404 and "Страница не найдена" in page.text
    assert page.headers["content-type"].startswith("text/html")
    api = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    files = client.get("/libraries/nothing/v/1/data/x.parquet", headers={"Accept": "text/html"})
    assert files.headers["content-type"].startswith("application/json")


def test_pages_for_signed_in_users_prompt_to_sign_in(client: TestClient) -> None:
    response = client.get("/account/tokens")
    assert response.status_code == 401
    assert 'action="/sign-in"' in response.text and 'name="password"' in response.text


def test_tokens_are_shown_once_listed_and_revoked(client: TestClient, people: Any) -> None:
    sign_in(client, people["member"].email)
    page = client.get("/account/tokens")
    created = client.post(
        "/account/tokens",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "notebook",
            "scopes": ["read"],
            "expires_in_days": "30",
        },
    )
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    secret = created.text.split('id="token-value" class="mono" readonly value="')[1].split('"')[0]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listing = client.get("/account/tokens")
    assert "notebook" in listing.text and secret not in listing.text
    row = listing.text.split("<td>notebook</td>")[1]
    token_id = row.split('action="/account/tokens/')[1].split("/revoke")[0]
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(listing.text)})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_operator_creates_an_organisation_and_a_user_and_grants_roles(
    client: TestClient, people: Any
) -> None:
    sign_in(client, people["operator"].email)
    token = csrf_of(client.get("/admin").text)
    r = client.post(
        "/admin/organisations",
        data={"csrf_token": token, "slug": "astana-hub", "name_en": "Astana Hub", "kind": "company"},
    )
    assert r.status_code == 200 and "astana-hub" in r.text
    r = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "aru@hub.kz",
            "name": "Aru",
            "password": PASSWORD,
            "language": "kk",
        },
    )
    assert "aru@hub.kz" in r.text
    client.post(
        "/admin/memberships",
        data={"csrf_token": token, "email": "aru@hub.kz", "organisation": "astana-hub", "role": "producer"},
    )
    r = client.post(
        "/admin/platform-roles", data={"csrf_token": token, "email": "aru@hub.kz", "role": "regulator"}
    )
    members = client.get(
        "/api/v1/organisations/astana-hub/members", headers=people["operator"].headers
    ).json()
    assert [m["role"] for m in members] == ["producer"]
    bad = client.post(
        "/admin/organisations", data={"csrf_token": token, "slug": "Bad Slug", "kind": "company"}
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text


def test_admin_is_for_operators_only(client: TestClient, people: Any) -> None:
    sign_in(client, people["member"].email)
    assert client.get("/admin").status_code == 403


def test_static_assets_are_served_from_the_package(client: TestClient) -> None:
    assert "qazaiUploadForms" in client.get("/static/qazai.js").text
    assert client.get("/static/qazai.css").status_code == 200
