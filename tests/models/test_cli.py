"""`qazai models push|show|pull` on a real local platform (a tiny model written in the test)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qazai.cli.main import app
from tests.models.factory import write_tiny_model
from tests.models.test_safety import RunsACommand

CARD = """---
license: apache-2.0
pipeline_tag: text-classification
language: [kk, ru]
title: {kk: Шағын жіктеуіш, en: Tiny classifier}
intended_use: Tests of the model hub.
out_of_scope_uses: Any decision about people.
training_data: {declared: Random numbers}
evaluation: None, the weights are random.
limitations_and_risks: It predicts nothing.
risk_class: minimal
---
# Tiny classifier

Weights are **random**.
"""


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Any:
    monkeypatch.setenv("QAZAI_DATABASE_URL", database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_push_show_pull_round_trip(cli: Any, tmp_path: Path) -> None:
    org = cli("orgs", "create", "kaznu", "--kind", "university", "--name", "KazNU")
    assert org.exit_code == 0, org.output
    folder = write_tiny_model(tmp_path / "model")
    (folder / "README.md").write_text(CARD, encoding="utf-8")
    pushed = cli(
        "models", "push", folder, "--repo", "kaznu/tiny", "--tier", "open", "--card", folder / "README.md"
    )
    assert pushed.exit_code == 0, pushed.output
    assert "kaznu/tiny@v1" in pushed.output and "2 files" in pushed.output

    listed = cli("models", "list", "жіктеуіш")
    assert listed.exit_code == 0 and "kaznu/tiny" in listed.output, listed.output
    assert "kaznu/tiny" not in cli("models", "list", "--task", "translation").output

    shown = cli("models", "show", "kaznu/tiny")
    assert shown.exit_code == 0, shown.output
    assert "model.safetensors" in shown.output and "preferred" in shown.output and "minimal" in shown.output

    pulled = cli("models", "pull", "kaznu/tiny", "--dest", tmp_path / "copy", "--revision", "v1")
    assert pulled.exit_code == 0, pulled.output
    for name in ("model.safetensors", "config.json"):
        assert (tmp_path / "copy" / name).read_bytes() == (folder / name).read_bytes()
    assert not (tmp_path / "copy" / "README.md").exists()


def test_errors_are_one_line(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "card.md").write_text("---\nlicense: MIT\npipeline_tag: translation\n---\nNothing else.\n")
    folder = write_tiny_model(tmp_path / "model")
    incomplete = cli("models", "push", folder, "--repo", "stat-gov/x", "--card", tmp_path / "card.md")
    assert incomplete.exit_code == 1
    assert incomplete.output.startswith("error: ") and incomplete.output.count("\n") == 1
    assert "no organisation" in incomplete.output or "lacks mandatory fields" in incomplete.output
    bad = cli("models", "show", "../etc")
    assert bad.exit_code == 1 and "not a model repository id" in bad.output


def test_push_runs_the_job_shows_progress_and_prints_a_refusal(cli: Any, tmp_path: Path) -> None:
    assert cli("orgs", "create", "kaznu", "--kind", "university", "--name", "KazNU").exit_code == 0
    folder = write_tiny_model(tmp_path / "model")
    (folder / "README.md").write_text(CARD, encoding="utf-8")
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"hook": RunsACommand()}, protocol=4))
    refused = cli("models", "push", folder, "--repo", "kaznu/tiny", "--card", folder / "README.md")
    assert refused.exit_code == 1, refused.output
    assert "pickle_import: imports posix.system" in refused.output or "os.system" in refused.output
    assert "error: refused: pytorch_model.bin" in refused.output
    assert "kaznu/tiny ← model" in refused.output  # the job's progress line
    nothing = cli("models", "show", "kaznu/tiny")
    assert nothing.exit_code == 1 and nothing.output.startswith("error: "), nothing.output
    (folder / "pytorch_model.bin").unlink()
    queued = cli(
        "models", "push", folder, "--repo", "kaznu/tiny", "--card", folder / "README.md", "--no-wait"
    )
    assert queued.exit_code == 0 and "processing (job " in queued.output, queued.output
    pushed = cli("models", "push", folder, "--repo", "kaznu/tiny", "--card", folder / "README.md")
    # the worker of this push runs the queued one too; each is a version of its own
    assert pushed.exit_code == 0 and "kaznu/tiny@v" in pushed.output, pushed.output
