"""Systems declare whether they produce synthetic content (issue 15, Law on AI Art. 21): the API's
answer, its default from the system type, its review once registered, the register and the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.registry.support import create, ok, registered, system_body
from typer.testing import CliRunner

from qazai.cli.main import app

SYSTEMS = "/api/v1/registry/systems"


def _register_entry(client: TestClient, system_id: str) -> dict[str, Any]:
    entries = ok(client.get("/api/v1/register?lang=en"))["items"]
    return next(e for e in entries if e["id"] == system_id)  # type: ignore[no-any-return]


def test_the_answer_is_declared_or_implied_by_the_type(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    assert create(client, owner)["produces_synthetic_content"] is False  # a language system
    assert create(client, owner, system_type="generative")["produces_synthetic_content"] is True
    # The owner's explicit answer wins over the type, both ways.
    assert (
        create(client, owner, system_type="generative", produces_synthetic_content=False)[
            "produces_synthetic_content"
        ]
        is False
    )
    declared = create(client, owner, produces_synthetic_content=True)
    assert declared["produces_synthetic_content"] is True

    # A draft changes at once; null leaves the answer as it is.
    changed = ok(
        client.patch(f"{SYSTEMS}/{declared['id']}", json={"produces_synthetic_content": False}, headers=owner)
    )
    assert changed["produces_synthetic_content"] is False
    kept = ok(
        client.patch(f"{SYSTEMS}/{declared['id']}", json={"produces_synthetic_content": None}, headers=owner)
    )
    assert kept["produces_synthetic_content"] is False


@pytest.mark.parametrize("value", ["yes", "true", 1, "1", [True]])
def test_only_a_real_boolean_is_an_answer(client: TestClient, people: Any, value: Any) -> None:
    owner = people["member"].headers
    refused = client.post(SYSTEMS, json=system_body(produces_synthetic_content=value), headers=owner)
    assert refused.status_code == 422, refused.text
    assert "produces_synthetic_content" in refused.text
    system = create(client, owner)
    patched = client.patch(
        f"{SYSTEMS}/{system['id']}", json={"produces_synthetic_content": value}, headers=owner
    )
    assert patched.status_code == 422 and "produces_synthetic_content" in patched.text


def test_a_registered_systems_answer_changes_through_review(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    owner, regulator = people["member"].headers, people["regulator"].headers
    assert _register_entry(client, system["id"])["produces_synthetic_content"] is False
    changed = ok(
        client.patch(f"{SYSTEMS}/{system['id']}", json={"produces_synthetic_content": True}, headers=owner)
    )
    # The record and the register keep the reviewed answer while the change waits.
    assert changed["produces_synthetic_content"] is False
    (change,) = changed["pending_revision"]["diff"]
    assert change == {"field": "produces_synthetic_content", "before": False, "after": True}
    assert _register_entry(client, system["id"])["produces_synthetic_content"] is False
    ok(
        client.post(
            f"/api/v1/registry/revisions/{changed['pending_revision']['id']}/decision",
            json={"decision": "approve"},
            headers=regulator,
        )
    )
    assert _register_entry(client, system["id"])["produces_synthetic_content"] is True
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/register.csv?lang=en").text.lstrip("\ufeff"))))
    assert next(r for r in rows if r["id"] == system["id"])["produces_synthetic_content"] == "true"


def test_the_cli_declares_the_answer(
    client: TestClient, people: Any, monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("QAZAI_DATABASE_URL", database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    system = create(client, people["member"].headers)
    said = runner.invoke(app, ["registry", "synthetic-content", system["id"], "yes"])
    assert said.exit_code == 0, said.output
    assert "produces synthetic content: yes" in said.output
    shown = json.loads(runner.invoke(app, ["registry", "show", system["id"]]).output)
    assert shown["produces_synthetic_content"] is True
    wrong = runner.invoke(app, ["registry", "synthetic-content", system["id"], "maybe"])
    assert wrong.exit_code != 0 and "maybe" in wrong.output
