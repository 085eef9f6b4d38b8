"""The audit export bundle, through the API and `qazai registry export`."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.registry.support import ok, registered
from typer.testing import CliRunner

from qazai.cli.main import app as cli_app


def test_export_bundle_has_what_an_auditor_needs(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    owner = people["member"].headers
    complaint = ok(
        client.post(
            f"/api/v1/register/{system['id']}/complaints",
            json={"text": "Wrong answer given.", "contact_email": "c@example.kz"},
        ),
        201,
    )
    ok(
        client.post(
            f"/api/v1/registry/complaints/{complaint['id']}/answer", json={"text": "Fixed."}, headers=owner
        )
    )

    assert (
        client.get(
            f"/api/v1/registry/systems/{system['id']}/export", headers=people["outsider"].headers
        ).status_code
        == 404
    )
    response = client.get(
        f"/api/v1/registry/systems/{system['id']}/export", headers=people["regulator"].headers
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    bundle = json.loads(archive.read("bundle.json"))
    assert bundle["format"] == "qazai.registry.audit-export/1"
    assert bundle["system"]["id"] == system["id"] and bundle["system"]["state"] == "registered"
    assert bundle["classification_history"][0]["risk_class"] == "minimal"
    assert bundle["classification_history"][0]["reasons"]
    assert bundle["attestations"][0]["prohibited"] == []
    assert {i["key"] for i in bundle["prohibited_checklist"]["items"]} >= {"social_scoring"}
    assert [h["to_state"] for h in bundle["workflow_history"]] == ["submitted", "in_review", "registered"]
    assert bundle["documentation"]["completeness"] == 1.0
    assert bundle["complaints"][0]["answer"] == "Fixed." and "contact_email" not in bundle["complaints"][0]
    assert bundle["complaints"][0]["anonymous"] is False
    assert {"ai_system.create", "ai_system.registered"} <= {e["action"] for e in bundle["audit_events"]}
    for doc in bundle["documents"]:
        assert archive.read(doc["path"]).startswith(b"# " + doc["template_key"].encode())
    assert len(bundle["documents"]) == 3


def test_cli_export_writes_the_zip(
    client: TestClient,
    people: Any,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    settings: Any,
    tmp_path: Path,
) -> None:
    system = registered(client, people)
    monkeypatch.setenv("QAZAI_DATABASE_URL", database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(settings.data_dir))
    out = tmp_path / "audit.zip"
    result = CliRunner().invoke(cli_app, ["registry", "export", system["id"], "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 document(s)" in result.output
    bundle = json.loads(zipfile.ZipFile(out).read("bundle.json"))
    assert bundle["system"]["id"] == system["id"] and len(bundle["documents"]) == 3
    missing = CliRunner().invoke(cli_app, ["registry", "export", "NOPE", "-o", str(out)])
    assert missing.exit_code == 1 and "no AI system 'NOPE'" in missing.output
    listed = CliRunner().invoke(cli_app, ["registry", "list", "--json"])
    assert json.loads(listed.output)[0]["id"] == system["id"]
