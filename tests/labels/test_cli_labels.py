"""`qazai label FILE --system SYSTEM` and `qazai verify FILE` on a real database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.labels.support import SECRET, actor_of, draft_system, encoded, picture
from typer.testing import CliRunner

from qazai.cli.main import app


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Any:
    monkeypatch.setenv("QAZAI_DATABASE_URL", database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QAZAI_SECRET_KEY", SECRET)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_label_then_verify_a_picture_and_a_text(
    cli: Any, platform: Any, people: dict[str, Any], tmp_path: Path
) -> None:
    system_id = draft_system(platform.db, actor_of(platform.db, people["member"].user_id))
    picture_path = tmp_path / "made.jpg"
    picture_path.write_bytes(encoded(picture(21), "JPEG"))
    labelled = cli("label", str(picture_path), "--system", system_id, "--visible-notice")
    assert labelled.exit_code == 0, labelled.output
    target = tmp_path / "made.labelled.jpg"
    assert target.is_file()

    checked = cli("verify", str(target), "--lang", "ru")
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("trusted: Метка есть и она достоверна")
    assert system_id in checked.output

    text_path = tmp_path / "answer.txt"
    text_path.write_text("Жауап: 42.", encoding="utf-8")
    assert cli("label", str(text_path), "--system", system_id, "--mark").exit_code == 0
    as_json = cli("verify", str(tmp_path / "answer.labelled.txt"), "--json")
    assert json.loads(as_json.output)["verdict"] == "trusted"

    nothing = tmp_path / "plain.png"
    nothing.write_bytes(encoded(picture(22), "PNG"))
    unknown = cli("verify", str(nothing))
    assert unknown.exit_code == 0 and unknown.output.startswith(
        "not_found: Nothing found. This proves nothing"
    )


def test_bad_input_is_one_line(cli: Any, platform: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(encoded(picture(), "PNG")[:300])
    result = cli("verify", str(broken))
    assert result.exit_code == 1 and result.output.startswith("error: the picture cannot be decoded")
    missing = cli("label", str(broken), "--system", "01NOSUCHSYSTEM000000000000")
    assert missing.exit_code == 1 and missing.output.startswith("error: no AI system")
