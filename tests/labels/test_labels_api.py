"""The labels API through the real ASGI app: owners label with a `label` token, anyone verifies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.labels.support import encoded, picture, reencode
from tests.registry.support import create, ok

from qazai.identity import service as identity_service
from qazai.identity.actor import SYSTEM
from qazai.identity.models import TokenCreate


def label_token(platform: Any, user_id: str, scopes: list[str]) -> dict[str, str]:
    with platform.db.uow() as uow:
        token = identity_service.create_token(
            uow, SYSTEM, TokenCreate(name="image server", scopes=scopes), for_user=user_id
        )
    return {"Authorization": f"Bearer {token.token}"}


@pytest.fixture
def system(client: TestClient, people: dict[str, Any]) -> dict[str, Any]:
    return create(client, people["member"].headers)


def test_owner_labels_a_picture_and_anyone_verifies_it(
    client: TestClient, platform: Any, people: dict[str, Any], system: dict[str, Any]
) -> None:
    headers = label_token(platform, people["member"].user_id, ["label"])
    png = encoded(picture(11), "PNG")
    response = client.post(
        "/api/v1/labels",
        headers=headers,
        data={"system_id": system["id"], "language": "en", "visible_notice": "true"},
        files={"file": ("portrait.png", png, "image/png")},
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "image/png"
    assert 'filename="portrait.labelled.png"' in response.headers["content-disposition"]
    label_id = response.headers["x-label-id"]

    checked = ok(
        client.post("/api/v1/labels/verify", files={"file": ("x.png", response.content, "image/png")})
    )
    assert checked["verdict"] == "trusted"
    assert checked["label"]["id"] == label_id
    assert checked["label"]["system_name"]["en"] == "Census assistant"
    assert checked["label"]["register_url"].endswith(f"/register/{system['id']}")
    assert checked["summary"]["kk"] and checked["summary"]["ru"]

    stripped = ok(
        client.post(
            "/api/v1/labels/verify", files={"file": ("y.jpg", reencode(response.content), "image/jpeg")}
        )
    )
    assert stripped["verdict"] == "registry_match" and stripped["match"] == "perceptual_hash"
    assert 0 <= stripped["distance"] <= 10

    counts = ok(client.get(f"/api/v1/labels/systems/{system['id']}/counts", headers=people["member"].headers))
    assert counts == {"system_id": system["id"], "total": 1, "media": 1, "text": 0, "test": 1}
    # A draft is not on the public register: its counts are not public either.
    assert client.get(f"/api/v1/labels/systems/{system['id']}/counts").status_code == 404


def test_label_scope_is_needed_and_other_owners_are_refused(
    client: TestClient, platform: Any, people: dict[str, Any], system: dict[str, Any]
) -> None:
    png = encoded(picture(), "PNG")
    body = {"system_id": system["id"]}
    read_write = label_token(platform, people["member"].user_id, ["read", "write"])
    refused = client.post("/api/v1/labels", headers=read_write, data=body, files={"file": ("a.png", png)})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    outsider = label_token(platform, people["outsider"].user_id, ["label", "read"])
    foreign = client.post("/api/v1/labels", headers=outsider, data=body, files={"file": ("a.png", png)})
    assert foreign.status_code == 404
    anonymous = client.post("/api/v1/labels", data=body, files={"file": ("a.png", png)})
    assert anonymous.status_code == 401


def test_text_labels_and_checks_as_json(
    client: TestClient, platform: Any, people: dict[str, Any], system: dict[str, Any]
) -> None:
    headers = label_token(platform, people["member"].user_id, ["label"])
    body = {"system_id": system["id"], "text": "Сәлем, әлем!", "language": "ru", "invisible_mark": True}
    labelled = ok(client.post("/api/v1/labels/text", headers=headers, json=body), 201)
    assert "Этот текст создан искусственным интеллектом" in labelled["text"]
    assert (
        ok(client.post("/api/v1/labels/verify/text", json={"text": labelled["text"]}))["verdict"] == "trusted"
    )
    form = ok(client.post("/api/v1/labels/verify", data={"text": "Сәлем, әлем!"}))
    assert form["verdict"] == "registry_match"
    batch = ok(
        client.post(
            "/api/v1/labels/text/batch",
            headers=headers,
            json={"system_id": system["id"], "texts": ["a", "b"]},
        ),
        201,
    )
    assert len(batch) == 2
    nothing = client.post("/api/v1/labels/verify", data={})
    assert nothing.status_code == 422 and nothing.json()["error"]["code"] == "nothing_to_verify"


def test_a_200_mb_upload_is_refused_before_it_is_read(client: TestClient) -> None:
    sent = {"chunks": 0}
    chunk = b"\0" * (1024 * 1024)

    def body() -> Iterator[bytes]:
        for _ in range(200):
            sent["chunks"] += 1
            yield chunk

    response = client.post(
        "/api/v1/labels/verify",
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(200 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.json()["error"]["details"]["limit_bytes"] < 200 * 1024 * 1024
    assert sent["chunks"] < 200


def test_corrupt_picture_and_certificates_and_anchors(
    client: TestClient, platform: Any, people: dict[str, Any], system: dict[str, Any]
) -> None:
    corrupt = client.post("/api/v1/labels/verify", files={"file": ("c.png", encoded(picture(), "PNG")[:300])})
    assert corrupt.status_code == 422 and corrupt.json()["error"]["code"] == "corrupt_image"
    headers = label_token(platform, people["member"].user_id, ["label"])
    png = encoded(picture(4), "PNG")
    labelled = client.post(
        "/api/v1/labels", headers=headers, data={"system_id": system["id"]}, files={"file": ("a.png", png)}
    )
    assert labelled.status_code == 201
    anchors = client.get("/api/v1/labels/trust-anchors")
    assert anchors.text.startswith("-----BEGIN CERTIFICATE-----")
    certs = ok(
        client.get(f"/api/v1/labels/systems/{system['id']}/certificates", headers=people["regulator"].headers)
    )
    assert [c["algorithm"] for c in certs] == ["es256"]
    assert (
        client.get(
            f"/api/v1/labels/systems/{system['id']}/certificates", headers=people["outsider"].headers
        ).status_code
        == 404
    )
    revoked = ok(
        client.post(
            f"/api/v1/labels/certificates/{certs[0]['id']}/revoke",
            headers=people["regulator"].headers,
            json={"reason": "the owner reported a stolen key"},
        )
    )
    assert revoked["revoked_at"]
    checked = ok(client.post("/api/v1/labels/verify", files={"file": ("a.png", labelled.content)}))
    assert checked["verdict"] == "untrusted" and checked["reasons"][0]["code"] == "certificate_revoked"


def test_a_batch_of_files_is_labelled_all_or_none(
    client: TestClient, platform: Any, people: dict[str, Any], system: dict[str, Any]
) -> None:
    import base64

    headers = label_token(platform, people["member"].user_id, ["label"])
    files = [("files", (f"p{i}.png", encoded(picture(40 + i), "PNG"), "image/png")) for i in range(3)]
    done = ok(
        client.post("/api/v1/labels/batch", headers=headers, data={"system_id": system["id"]}, files=files),
        201,
    )
    assert [item["filename"] for item in done] == ["p0.labelled.png", "p1.labelled.png", "p2.labelled.png"]
    first = base64.b64decode(done[0]["data_base64"])
    assert ok(client.post("/api/v1/labels/verify", files={"file": ("a.png", first)}))["verdict"] == "trusted"

    broken = [*files[:2], ("files", ("bad.png", encoded(picture(), "PNG")[:300], "image/png"))]
    refused = client.post(
        "/api/v1/labels/batch", headers=headers, data={"system_id": system["id"]}, files=broken
    )
    assert refused.status_code == 422
    assert (
        refused.json()["error"]["details"]["index"] == 2 and "bad.png" in refused.json()["error"]["message"]
    )
    counts = ok(client.get(f"/api/v1/labels/systems/{system['id']}/counts", headers=people["member"].headers))
    assert counts["media"] == 3  # the refused batch left nothing behind


def test_an_admin_token_creates_a_label_token(client: TestClient, people: dict[str, Any]) -> None:
    created = ok(
        client.post(
            "/api/v1/tokens", headers=people["member"].headers, json={"name": "gen", "scopes": ["label"]}
        ),
        201,
    )
    assert created["scopes"] == ["label"]
