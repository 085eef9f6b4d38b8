"""The portal's public label check (no sign-in, kk/ru/en) and the label count on the register."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.labels.support import encoded, picture, reencode
from tests.registry.support import ok, registered
from tests.web.helpers import csrf_of

from qazai.identity import service as identity_service
from qazai.identity.actor import SYSTEM
from qazai.identity.models import TokenCreate


def use_language(client: TestClient, lang: str) -> None:
    token = csrf_of(client.get("/").text)
    client.post("/language", data={"csrf_token": token, "lang": lang, "next": "/"})


def label_picture(client: TestClient, platform: Any, user_id: str, system_id: str, seed: int) -> bytes:
    with platform.db.uow() as uow:
        token = identity_service.create_token(
            uow, SYSTEM, TokenCreate(name="t", scopes=["label"]), for_user=user_id
        )
    response = client.post(
        "/api/v1/labels",
        headers={"Authorization": f"Bearer {token.token}"},
        data={"system_id": system_id},
        files={"file": ("a.jpg", encoded(picture(seed), "JPEG", quality=95))},
    )
    assert response.status_code == 201, response.text
    return response.content


def test_anyone_checks_a_file_and_a_text_in_their_language(
    client: TestClient, platform: Any, people: dict[str, Any]
) -> None:
    system = registered(client, people)
    labelled = label_picture(client, platform, people["member"].user_id, system["id"], 31)
    use_language(client, "kk")
    page = client.get("/verify")
    assert page.status_code == 200 and "Мазмұнды жасанды интеллект жасағанын тексеру" in page.text
    token = csrf_of(page.text)
    trusted = client.post(
        "/verify", data={"csrf_token": token}, files={"file": ("a.jpg", labelled, "image/jpeg")}
    )
    assert trusted.status_code == 200
    assert "Белгі бар және сенімді" in trusted.text
    assert f"/register/{system['id']}" in trusted.text

    use_language(client, "ru")
    copy = client.post(
        "/verify", data={"csrf_token": token}, files={"file": ("b.jpg", reencode(labelled), "image/jpeg")}
    )
    assert "реестр меток платформы знает это содержимое" in copy.text
    assert "бит из 64" in copy.text
    pasted = client.post("/verify", data={"csrf_token": token, "text": "Ешкім белгілемеген мәтін"})
    assert "Ничего не найдено. Это ничего не доказывает" in pasted.text

    use_language(client, "en")
    empty = client.post("/verify", data={"csrf_token": token, "text": " "})
    assert empty.status_code == 422 and "Choose a file or paste a text to check." in empty.text
    broken = client.post(
        "/verify", data={"csrf_token": token}, files={"file": ("c.png", encoded(picture(), "PNG")[:300])}
    )
    assert broken.status_code == 422 and "The picture cannot be read" in broken.text
    assert client.post("/verify", data={"text": "x"}).status_code == 403  # no CSRF token

    # The register page counts the system's labels.
    use_language(client, "en")
    system_page = client.get(f"/register/{system['id']}")
    assert "Labels of AI-made content" in system_page.text
    assert "1 (1 files, 0 texts)" in system_page.text
    counts = ok(client.get(f"/api/v1/labels/systems/{system['id']}/counts"))
    assert counts["total"] == 1 and counts["test"] == 0


def test_an_owner_labels_a_file_in_the_portal_and_checks_it(
    client: TestClient, platform: Any, people: dict[str, Any]
) -> None:
    from tests.registry.support import create
    from tests.web.helpers import sign_in

    system = create(client, people["member"].headers, system_type="generative")
    assert client.get("/labels/new").status_code == 401  # signed-in owners only
    sign_in(client, people["member"].email)
    page = client.get("/labels/new")
    assert page.status_code == 200 and system["id"] in page.text
    token = csrf_of(page.text)
    png = encoded(picture(51), "PNG")
    labelled = client.post(
        "/labels/new",
        data={"csrf_token": token, "system_id": system["id"], "language": "ru", "visible_notice": "yes"},
        files={"file": ("made.png", png, "image/png")},
    )
    assert labelled.status_code == 200 and labelled.headers["content-type"] == "image/png"
    assert 'filename="made.labelled.png"' in labelled.headers["content-disposition"]
    checked = client.post("/verify", data={"csrf_token": token}, files={"file": ("m.png", labelled.content)})
    assert 'class="card verdict trusted"' in checked.text and f"/register/{system['id']}" in checked.text
    refused = client.post(
        "/labels/new",
        data={"csrf_token": token, "system_id": system["id"]},
        files={"file": ("x.txt", b"plain words", "text/plain")},
    )
    assert refused.status_code == 422 and "error-text" in refused.text


def test_the_page_checks_a_file_with_its_sidecar(
    client: TestClient, platform: Any, people: dict[str, Any]
) -> None:
    from tests.registry.support import create

    system = create(client, people["member"].headers)
    png = encoded(picture(61), "PNG")
    side = client.post(
        "/api/v1/labels",
        headers=people["member"].headers,
        data={"system_id": system["id"], "sidecar": "true"},
        files={"file": ("s.png", png)},
    )
    assert side.status_code == 201 and side.headers["content-type"] == "application/c2pa"
    token = csrf_of(client.get("/verify").text)
    both = client.post(
        "/verify",
        data={"csrf_token": token},
        files={"file": ("s.png", png), "manifest": ("s.c2pa", side.content)},
    )
    assert 'class="card verdict trusted"' in both.text
    alone = client.post("/verify", data={"csrf_token": token}, files={"file": ("s.png", png)})
    assert 'class="card verdict registry_match"' in alone.text
