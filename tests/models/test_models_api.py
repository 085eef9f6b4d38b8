"""The `/api/v1/models` routes: create, resumable uploads, push with a card, read, search,
withdraw; errors in the one envelope."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.libraries.publishing import run_jobs
from tests.models.factory import full_card, write_tiny_model


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _upload(client: TestClient, headers: dict[str, str], repo_id: str, path: Path, *, parts: int = 2) -> str:
    raw = path.read_bytes()
    created = _ok(
        client.post(
            f"/api/v1/models/{repo_id}/uploads",
            json={"filename": path.name, "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()},
            headers=headers,
        ),
        201,
    )
    step = -(-len(raw) // parts)
    for offset in range(0, len(raw), step):
        _ok(
            client.patch(
                f"/api/v1/uploads/{created['id']}",
                content=raw[offset : offset + step],
                headers={**headers, "Upload-Offset": str(offset)},
            )
        )
    return str(created["id"])


def test_create_upload_push_and_read_through_the_api(
    client: TestClient, people: Any, platform: Any, tmp_path: Path
) -> None:
    producer = people["producer"].headers
    body = {
        "organisation": "stat-gov",
        "name": "kk-sentiment",
        "licence": "Apache-2.0",
        "task": "text-classification",
        "languages": ["kk", "ru"],
        "title": {"kk": "Көңіл-күй жіктеуіші", "en": "Sentiment classifier"},
    }
    repo = _ok(client.post("/api/v1/models", json=body, headers=producer), 201)
    assert repo["repo_id"] == "stat-gov/kk-sentiment" and repo["latest_revision"] is None
    folder = write_tiny_model(tmp_path / "m")
    files = [
        {"path": p.name, "upload_id": _upload(client, producer, repo["repo_id"], p)}
        for p in sorted(folder.iterdir())
    ]
    card = full_card().model_dump(mode="json", exclude_none=True)
    pushed = client.post(
        "/api/v1/models/stat-gov/kk-sentiment/versions",
        json={"card": card, "files": files, "tag": "v1.0"},
        headers=producer,
    )
    accepted = _ok(pushed, 202)
    assert accepted["state"] == "processing" and accepted["version"] is None
    assert accepted["job_id"] and accepted["job_state"] == "queued"
    location = pushed.headers["Location"]
    assert location == f"/api/v1/models/stat-gov/kk-sentiment/pushes/{accepted['push_id']}"
    # Until the job has run, no reader sees the version, and its tag is held.
    assert _ok(client.get("/api/v1/models/stat-gov/kk-sentiment/versions")) == []
    assert _ok(client.get("/api/v1/models/stat-gov/kk-sentiment"))["latest_revision"] is None
    assert client.get("/api/v1/models/stat-gov/kk-sentiment/revisions/v1.0").status_code == 404
    assert client.get("/api/models/stat-gov/kk-sentiment").status_code == 404
    again = client.post(
        "/api/v1/models/stat-gov/kk-sentiment/versions",
        json={"card": card, "files": files, "tag": "v1.0"},
        headers=producer,
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "tag_exists"
    assert client.get(location, headers=people["member"].headers).status_code == 403
    assert [job.kind for job in run_jobs(platform)] == ["models.push"]
    done = _ok(client.get(location, headers=producer))
    assert done["state"] == "published" and done["job_state"] == "succeeded"
    version = done["version"]
    assert version["tag"] == "v1.0" and len(version["revision"]) == 40
    shown = _ok(client.get("/api/v1/models/stat-gov/kk-sentiment"))
    assert shown["latest_revision"] == version["revision"] and shown["gated"] is False
    by_tag = _ok(client.get("/api/v1/models/stat-gov/kk-sentiment/revisions/v1.0"))
    by_id = _ok(client.get(f"/api/v1/models/stat-gov/kk-sentiment/revisions/{version['revision']}"))
    assert by_tag == by_id
    weights = next(f for f in by_tag["files"] if f["path"] == "model.safetensors")
    assert weights["sha256"] == hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    assert weights["tensors"]["dtypes"] == {"F32": 152, "I64": 4}
    found = _ok(client.get("/api/v1/models", params={"q": "көңіл-күй"}))
    assert [r["repo_id"] for r in found["items"]] == ["stat-gov/kk-sentiment"]
    assert _ok(client.get("/api/v1/models", params={"task": "translation"}))["items"] == []
    versions = _ok(client.get("/api/v1/models/stat-gov/kk-sentiment/versions"))
    assert [v["tag"] for v in versions] == ["v1.0"]

    withdrawn = _ok(
        client.post(
            f"/api/v1/models/stat-gov/kk-sentiment/revisions/{version['revision']}/withdraw",
            json={"reason": "labels were shuffled"},
            headers=producer,
        )
    )
    assert withdrawn["status"] == "withdrawn"
    assert _ok(client.get("/api/v1/models/stat-gov/kk-sentiment"))["latest_revision"] is None


def test_errors_come_in_the_envelope(client: TestClient, people: Any) -> None:
    producer, member = people["producer"].headers, people["member"].headers
    base = {"name": "x", "licence": "MIT", "task": "translation"}
    stat_gov = {**base, "organisation": "stat-gov"}
    cases = [
        (client.post("/api/v1/models", json={**base, "organisation": "nowhere"}, headers=producer), 404,
         "organisation_not_found"),
        (client.post("/api/v1/models", json=stat_gov, headers=member), 403, "permission_denied"),
        (client.post("/api/v1/models", json={**stat_gov, "name": "a..b"}, headers=producer), 422, None),
        (client.post("/api/v1/models", json=stat_gov), 401, "authentication_required"),
        (client.get("/api/v1/models/stat-gov/none"), 404, "model_not_found"),
        (client.get("/api/v1/models/stat-gov/a..b"), 422, "invalid_repo_id"),
    ]  # fmt: skip
    for response, status, code in cases:
        assert response.status_code == status, response.text
        envelope = response.json()
        assert envelope["ok"] is False and envelope["error"]["status"] == status
        if code:
            assert envelope["error"]["code"] == code
    _ok(client.post("/api/v1/models", json={**base, "organisation": "stat-gov"}, headers=producer), 201)
    missing = client.get("/api/v1/models/stat-gov/x/revisions/v7")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "revision_not_found"
    incomplete = client.post(
        "/api/v1/models/stat-gov/x/versions",
        json={"card": {"intended_use": {"en": "x"}}, "files": [{"path": "a.json", "upload_id": "nope"}]},
        headers=producer,
    )
    assert incomplete.status_code == 422 and incomplete.json()["error"]["code"] == "card_incomplete"
    assert "evaluation" in incomplete.json()["error"]["details"]["missing"]


def test_producers_change_a_repositorys_metadata_and_tier(client: TestClient, people: Any) -> None:
    producer, member = people["producer"].headers, people["member"].headers
    body = {"organisation": "stat-gov", "name": "x", "licence": "MIT", "task": "translation"}
    _ok(client.post("/api/v1/models", json=body, headers=producer), 201)
    changed = _ok(
        client.patch(
            "/api/v1/models/stat-gov/x",
            json={"tier": "registered", "title": {"kk": "Аудармашы"}, "languages": ["KK"]},
            headers=producer,
        )
    )
    assert changed["tier"] == "registered" and changed["gated"] is True and changed["languages"] == ["kk"]
    assert _ok(client.get("/api/v1/models", params={"q": "аудармашы"}))["items"][0]["repo_id"] == "stat-gov/x"
    refused = client.patch("/api/v1/models/stat-gov/x", json={"tier": "open"}, headers=member)
    assert refused.status_code == 403
    enclave = client.patch("/api/v1/models/stat-gov/x", json={"tier": "enclave"}, headers=producer)
    assert enclave.status_code == 422 and enclave.json()["error"]["code"] == "invalid_tier"
    emptied = client.patch("/api/v1/models/stat-gov/x", json={"licence": None}, headers=producer)
    assert emptied.status_code == 422 and emptied.json()["error"]["code"] == "field_required"
