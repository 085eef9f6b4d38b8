"""`qazai orgs|users|tokens|config|db` through the real command, errors as one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qazai.cli.main import app


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Any:
    monkeypatch.setenv("QAZAI_DATABASE_URL", database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QAZAI_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("QAZAI_ARGON2_MEMORY_KIB", "64")
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(app, list(args), input=input)

    return invoke


def test_org_user_role_token_lifecycle(cli: Any) -> None:
    created = cli(
        "orgs",
        "create",
        "stat-gov",
        "--name",
        "Bureau of National Statistics",
        "--name-kk",
        "Ұлттық статистика бюросы",
        "--kind",
        "government_body",
        "--bin",
        "160140000014",
    )
    assert created.exit_code == 0, created.output
    orgs = json.loads(cli("orgs", "list", "--json").output)
    assert orgs[0]["slug"] == "stat-gov" and orgs[0]["name"]["kk"] == "Ұлттық статистика бюросы"

    user = cli(
        "users",
        "create",
        "aigerim@stat.gov.kz",
        "--name",
        "Айгерім",
        "--password",
        "a long password",
        "--org",
        "stat-gov",
        "--role",
        "producer",
        "--language",
        "kk",
    )
    assert user.exit_code == 0, user.output
    assert cli("users", "grant-role", "aigerim@stat.gov.kz", "regulator").exit_code == 0
    listed = json.loads(cli("users", "list", "--json").output)
    assert listed[0]["platform_roles"] == ["regulator"]

    token = cli("tokens", "create", "aigerim@stat.gov.kz", "--name", "laptop", "--scope", "read")
    assert token.exit_code == 0, token.output
    secret = token.output.strip().splitlines()[-1]
    assert secret.startswith("qz_")
    token_id = token.output.split()[1]
    revoked = cli("tokens", "revoke", token_id)
    assert revoked.exit_code == 0 and "revoked" in revoked.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("orgs", "create", "x-org", "--name", "X", "--kind", "company", "--bin", "123456789012"),
            "not a valid BIN",
        ),
        (("orgs", "create", "Bad Slug", "--name", "X", "--kind", "company"), "slug"),
        (("users", "grant-role", "nobody@example.kz", "operator"), "no user"),
        (("users", "grant-role", "nobody@example.kz", "wizard"), "not a platform role"),
        (("tokens", "revoke", "NOPE"), "no token"),
        (("users", "create", "not-an-email", "--name", "X", "--no-password"), "e-mail"),
    ],
)
def test_errors_are_one_line_and_non_zero(cli: Any, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_duplicate_org_is_a_clear_conflict(cli: Any) -> None:
    assert cli("orgs", "create", "dup", "--name", "X", "--kind", "company").exit_code == 0
    again = cli("orgs", "create", "dup", "--name", "X", "--kind", "company")
    assert again.exit_code == 1 and "already exists" in again.output


def test_config_show_hides_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QAZAI_SECRET_KEY", "super-secret-value-that-must-not-print-1234567")
    monkeypatch.setenv("QAZAI_DATABASE_URL", "postgresql://qazai:dbpassword@db.example:5432/qazai")
    monkeypatch.setenv("QAZAI_S3_SECRET_ACCESS_KEY", "s3-secret-value")
    monkeypatch.setenv("QAZAI_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert "super-secret" not in result.output and "dbpassword" not in result.output
    assert "s3-secret" not in result.output
    values = json.loads(result.output)
    assert values["secret_key"] == "********" and values["port"] == 8000
    assert "db.example" in values["database_url"]


def test_db_upgrade_migrates_an_empty_database(
    monkeypatch: pytest.MonkeyPatch, empty_database_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("QAZAI_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at heads" in result.output


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "worker", "orgs", "users", "tokens", "db", "audit", "config"):
        assert command in result.output
