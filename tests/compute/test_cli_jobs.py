"""`qazai jobs submit|status|logs|cancel` and `qazai projects ...` against a real database and sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.compute import support
from typer.testing import CliRunner

from qazai.api.platform import Platform
from qazai.cli.main import app
from qazai.compute.executors.local import probe_sandbox
from qazai.core.enums import AccessTier

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not probe_sandbox().works, reason=probe_sandbox().reason)]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, platform: Platform) -> Any:
    monkeypatch.setenv("QAZAI_DATABASE_URL", platform.settings.effective_database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(platform.settings.data_dir))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_submit_wait_status_and_logs(
    cli: Any, platform: Platform, people: dict[str, Any], tmp_path: Path
) -> None:
    support.published(platform, tmp_path, "population-by-region", AccessTier.open)
    member = ["--as", people["member"].email]
    created = cli(
        "projects", "create", "regions", "-o", "stat-gov", "--title", "By region",
        "--purpose", "Population by region for the forecasting model",
        "--legal-basis", "Law on AI art. 11", *member,
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert cli("projects", "add-input", "regions", "population-by-region@1", *member).exit_code == 0
    script = tmp_path / "analysis.py"
    script.write_text(
        "import glob\nimport polars as pl\n"
        "frame = pl.read_parquet(glob.glob('inputs/population-by-region/1/*.parquet'))\n"
        "frame.group_by('region').len().write_csv('outputs/by_region.csv')\n"
        "print('regions', frame['region'].n_unique())\n",
        encoding="utf-8",
    )
    done = cli(
        "jobs",
        "submit",
        str(script),
        "--project",
        "regions",
        "--input",
        "population-by-region@1",
        "--wait",
        *member,
    )
    assert done.exit_code == 0, done.output
    assert "regions 4" in done.output and "awaiting_review" in done.output and "by_region.csv" in done.output
    job_id = done.output.split("submitted job ")[1].split()[0]
    status = cli("jobs", "status", job_id, *member)
    assert status.exit_code == 0 and "awaiting_review" in status.output
    logs = cli("jobs", "logs", job_id, *member)
    assert logs.output == "regions 4\n"
    listed = cli("jobs", "list", "regions", *member)
    assert listed.exit_code == 0 and job_id in listed.output and "awaiting_review" in listed.output
    shown = cli("projects", "show", "regions", *member)
    assert "population-by-region@1 (open)" in shown.output


def test_a_syntax_error_is_one_line(
    cli: Any, platform: Platform, people: dict[str, Any], tmp_path: Path
) -> None:
    support.project(platform, support.actor(platform, people["member"].user_id))
    script = tmp_path / "broken.py"
    script.write_text("def f(:\n    pass\n", encoding="utf-8")
    result = cli("jobs", "submit", str(script), "--project", "regions", "--as", people["member"].email)
    assert result.exit_code == 1
    assert (
        result.output.startswith("error: broken.py: syntax error on line 1")
        and "Traceback" not in result.output
    )
