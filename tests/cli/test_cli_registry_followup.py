"""`qazai registry revisions | decide-revision | complaints | trusted-list` (issue 16): the
regulator's queues and the published lists from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.registry.support import ok, registered
from typer.testing import CliRunner

from qazai.cli.main import app


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Any:
    monkeypatch.setenv("QAZAI_DATABASE_URL", database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_revisions_complaints_and_trusted_lists(
    cli: Any, client: TestClient, people: Any, tmp_path: Path
) -> None:
    system = registered(client, people)
    ok(
        client.patch(
            f"/api/v1/registry/systems/{system['id']}",
            json={"deployment_context": "eGov portal and the mobile app"},
            headers=people["member"].headers,
        )
    )
    ok(
        client.post(
            f"/api/v1/register/{system['id']}/complaints",
            json={"text": "Nobody answers me.", "contact_email": "citizen@example.kz"},
        ),
        201,
    )

    listed = cli("registry", "revisions", "--json")
    assert listed.exit_code == 0, listed.output
    (revision,) = json.loads(listed.output)
    assert revision["diff"][0]["field"] == "deployment_context"
    no_reason = cli("registry", "decide-revision", revision["id"], "reject")
    assert no_reason.exit_code == 1 and no_reason.output.startswith("error:")
    approved = cli("registry", "decide-revision", revision["id"], "approve")
    assert approved.exit_code == 0 and "approved" in approved.output
    shown = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=people["member"].headers))
    assert shown["deployment_context"] == "eGov portal and the mobile app"

    everything = json.loads(cli("registry", "complaints", "--json").output)
    assert len(everything) == 1 and everything[0]["reference"].startswith("C-")
    assert json.loads(cli("registry", "complaints", "--state", "answered", "--json").output) == []
    bad = cli("registry", "complaints", "--from", "2026-05-01", "--to", "2026-01-01")
    assert bad.exit_code == 1 and "filed_from is after filed_to" in bad.output

    bodies = cli("registry", "trusted-list")
    assert bodies.exit_code == 0 and "ministry-of-health" in bodies.output
    out = tmp_path / "moh.csv"
    written = cli("registry", "trusted-list", "ministry-of-health", "--csv", str(out))
    assert written.exit_code == 0 and out.read_text(encoding="utf-8").startswith("\ufeffsystem_id,name")
    unknown = cli("registry", "trusted-list", "nobody")
    assert unknown.exit_code == 1 and "nobody" in unknown.output


def test_the_outbox_lists_the_notices_waiting(cli: Any, client: TestClient, people: Any) -> None:
    system = registered(client, people)
    ok(
        client.post(
            f"/api/v1/register/{system['id']}/complaints",
            json={"text": "Nobody answers me.", "contact_email": "citizen@example.kz", "language": "en"},
        ),
        201,
    )
    (message,) = json.loads(cli("registry", "outbox", "--json").output)
    assert message["to_address"] == "citizen@example.kz" and message["state"] == "queued"
    assert message["kind"] == "complaint_receipt" and "body" not in message and "secret" not in message
    assert json.loads(cli("registry", "outbox", "--state", "sent", "--json").output) == []
