"""Issue 16, part 4: registry documents up to the documented 50 MiB pass the general request limit
(streamed with their own limit), and an empty file documents nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.registry.support import create, ok

from qazai.api.app import DOCUMENT_BODY_BYTES
from qazai.registry.documents import MAX_DOCUMENT_BYTES


def documents_url(system: dict[str, Any]) -> str:
    return f"/api/v1/registry/systems/{system['id']}/documents"


def send(client: TestClient, headers: dict[str, str], system: dict[str, Any], data: bytes) -> Any:
    return client.post(
        documents_url(system),
        data={"template": "purpose"},
        files={"file": ("purpose.pdf", data, "application/pdf")},
        headers=headers,
    )


def test_document_larger_than_the_request_limit_is_accepted(
    client: TestClient, people: Any, platform: Any
) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    data = b"%PDF-1.7\n" + bytes(range(256)) * (8 * 1024)  # 2 MiB, the request limit is 64 KiB here
    assert len(data) > platform.settings.request_max_bytes
    stored = ok(send(client, owner, system, data), 201)
    assert stored["size"] == len(data)
    download = client.get(f"{documents_url(system)}/{stored['id']}", headers=owner)
    assert download.status_code == 200 and download.content == data
    # every other route keeps the general limit
    big_json = {"answers": {"failure_impact": "x" * (platform.settings.request_max_bytes + 1)}}
    response = client.post("/api/v1/registry/classification/proposal", json=big_json)
    assert response.status_code == 413


def test_document_above_50_mib_is_refused(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    response = send(client, owner, system, b"\0" * (MAX_DOCUMENT_BYTES + 1))
    assert response.status_code == 413, response.text[:300]
    assert response.json()["error"]["code"] == "payload_too_large"
    docs = ok(client.get(f"/api/v1/registry/systems/{system['id']}/documentation", headers=owner))
    assert all(item["documents"] == [] for item in docs["items"])


def test_declared_body_above_the_document_limit_is_refused_before_reading(
    client: TestClient, people: Any
) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    response = client.post(
        documents_url(system),
        content=b"--x--\r\n",
        headers={
            **owner,
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(DOCUMENT_BODY_BYTES + 1),
        },
    )
    assert response.status_code == 413
    assert response.json()["error"]["details"]["limit_bytes"] == DOCUMENT_BODY_BYTES


def test_empty_file_is_refused_and_satisfies_nothing(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = create(client, owner)
    response = send(client, owner, system, b"")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "empty_file"
    docs = ok(client.get(f"/api/v1/registry/systems/{system['id']}/documentation", headers=owner))
    purpose = next(item for item in docs["items"] if item["key"] == "purpose")
    assert purpose["satisfied"] is False and purpose["documents"] == []
