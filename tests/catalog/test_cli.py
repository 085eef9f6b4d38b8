"""`qazai query` and `qazai search` through the real command, on the module's published catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qazai.cli.main import app


@pytest.fixture
def cli(catalog: Any, module_database_url: str, module_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("QAZAI_DATABASE_URL", module_database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(module_tmp / "data"))
    monkeypatch.setenv("QAZAI_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("QAZAI_ARGON2_MEMORY_KIB", "64")
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args))

    return invoke


def test_query_json_csv_and_table(cli: Any) -> None:
    sql = 'SELECT region, population FROM "population-by-region" ORDER BY region'
    as_json = cli("query", sql, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.stdout)
    assert body["columns"] == ["region", "population"]
    assert body["rows"] == [["Almaty", 2200000], ["Astana", 1350000], ["Shymkent", 1200000]]
    assert body["truncated"] is False

    as_csv = cli("query", sql, "--format", "csv", "--limit", "2")
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.stdout.splitlines() == ["region,population", "Almaty,2200000", "Astana,1350000"]

    table = cli("query", 'SELECT sum(population) AS total FROM "population-by-region"')
    assert table.exit_code == 0, table.output
    assert "total" in table.stdout and "4750000" in table.stdout


def test_query_limit_marks_truncation(cli: Any) -> None:
    out = cli("query", 'SELECT basin FROM "water-basins"', "--format", "json", "--limit", "1")
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert len(body["rows"]) == 1 and body["truncated"] is True


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "not allowed"),
        ("ATTACH '/tmp/x.db' AS x", "SELECT"),
        ("SELECT 1; SELECT 2", "exactly one statement"),
        ('SELECT * FROM "no-such-library"', "no-such-library"),
    ],
)
def test_query_errors_are_one_line(cli: Any, sql: str, words: str) -> None:
    out = cli("query", sql)
    assert out.exit_code == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], out.stderr
    assert out.stdout == ""


def test_query_bad_option_is_a_usage_error(cli: Any) -> None:
    out = cli("query", "SELECT 1", "--format", "xml")
    assert out.exit_code == 2


def test_search_latin_kazakh_finds_cyrillic(cli: Any) -> None:
    out = cli("search", "Halyq sany", "--json")
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert body["results"][0]["name"] == "population-by-region"
    assert "draft-census" not in {r["name"] for r in body["results"]}

    table = cli("search", "население")
    assert table.exit_code == 0, table.output
    assert "population-by-region" in table.stdout

    nothing = cli("search", "zzzqqq")
    assert nothing.exit_code == 0 and "no library matches" in nothing.stdout
