"""The `qazai` command as a real process: exit codes and output a shell script relies on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

QAZAI = str(Path(sys.executable).parent / "qazai")


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAZAI_")}
    env["QAZAI_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [QAZAI, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_query_exits_cleanly(tmp_path: Path) -> None:
    """Regression: DuckDB connections prepared in a background thread aborted the process at exit."""
    result = _run(tmp_path, "query", "SELECT 1 AS one", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == [[1]]
    assert "terminate" not in result.stderr


def test_errors_are_one_line_with_exit_code_one(tmp_path: Path) -> None:
    result = _run(tmp_path, "query", "DROP TABLE x")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr + result.stdout


def test_usage_errors_are_one_line_with_exit_code_two(tmp_path: Path) -> None:
    result = _run(tmp_path, "orgs", "create", "x", "--kind", "spaceship", "--name", "X")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "kind" in result.stderr
