"""`GET /api/v1/libraries/{slug}/uploads/{id}/preview`: who may preview, and what it answers.

A dedicated test rather than a row of the authorization matrix: the path needs an upload that
exists (created here by the producer)."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from tests.api.test_authorization_matrix import ROLES, only
from tests.libraries.test_library_api import create, upload

from qazai.libraries.synthetic import citizen_register_csv


def test_preview_authorization_and_content(client: TestClient, people: Any) -> None:
    create(client, people, "register", legal_basis="depersonalised")
    data = citizen_register_csv(200)
    upload_id = upload(client, people, "register", data, name="register.csv")
    path = f"/api/v1/libraries/register/uploads/{upload_id}/preview"
    expected = only({"producer": 200, "org_admin": 200, "operator": 200})
    mismatches = []
    for role in ROLES:
        headers = people[role].headers if role != "anonymous" else {}
        response = client.get(path, headers=headers)
        if response.status_code != expected[role]:
            mismatches.append(f"{role}: expected {expected[role]}, got {response.status_code}")
    assert not mismatches, mismatches
    response = client.get(path, params={"rows": 5}, headers=people["producer"].headers)
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    [table] = body["tables"]
    iin = next(c for c in table["columns"] if c["source"] == "ИИН")
    assert iin["kind"] == "direct_identifier" and iin["action"] == "drop" and iin["match_ratio"] > 0.9
    assert len(table["sample_rows"]) <= 5
    # the decision's evidence: every cell an IIN that passed its checksum
    assert table["aggregate"] is False and iin["override_reason"] is None
    assert iin["evidence"]["rule"] == "identifier_cells" and iin["evidence"]["cells"] == 200
    assert iin["evidence"]["findings"][0] == {"entity": "IIN", "cells": 200, "share": 1.0, "validated": True}
    text = json.dumps(body, ensure_ascii=False)
    assert not re.search(r"\b\d{12}\b", text)
    assert client.get(path, params={"rows": 0}, headers=people["producer"].headers).status_code == 422
    missing = client.get(
        "/api/v1/libraries/register/uploads/nope/preview", headers=people["producer"].headers
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "upload_not_found"


def test_preview_of_a_bad_file_is_a_clear_422(client: TestClient, people: Any) -> None:
    create(client, people, "ragged")
    upload_id = upload(client, people, "ragged", b"a,b\n1,2\n3,4,5\n", name="ragged.csv")
    response = client.get(
        f"/api/v1/libraries/ragged/uploads/{upload_id}/preview", headers=people["producer"].headers
    )
    assert response.status_code == 422 and "ragged.csv" in response.json()["error"]["message"]
