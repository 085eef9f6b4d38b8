"""`qazai registry optout` names the claimant and the evidence (issue 16 part 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qazai.cli.main import app


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Any:
    monkeypatch.setenv("QAZAI_DATABASE_URL", database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_optout_needs_a_claimant_and_evidence(cli: Any) -> None:
    work = ["registry", "optout", "--title", "Абай жолы", "--isbn", "978-601-7000-00-4"]
    missing = cli(*work)
    assert missing.exit_code != 0 and "--claimant" in missing.output
    thin = cli(*work, "--claimant", "Publisher LLP", "--evidence", "mine")
    assert thin.exit_code == 1 and thin.output.startswith("error: evidence")  # one line, no traceback
    done = cli(*work, "--claimant", "Publisher LLP", "--evidence", "publishing contract No. 12 of 01.02.2020")
    assert done.exit_code == 0, done.output
    assert "(active)" in done.output and "0 withdrawn" in done.output
