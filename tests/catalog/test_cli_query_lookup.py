"""`qazai query` looks up only the tables a query names, in the database: no catalogue index of
every library first (that took 62 % of a query's 15 s with 10,000 libraries), same checks as the API."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from tests.support.fresh import probed
from typer.testing import CliRunner

from qazai.cli.main import app

# `qazai query` in a fresh interpreter where building the catalogue index fails loudly
PROBE = """
import json, sys
import qazai.catalog.indexer as indexer

def refuse(*args, **kwargs):
    raise SystemExit("the catalogue index was built")

indexer.CatalogIndex._sync = refuse
sys.argv = ["qazai", *json.loads(sys.argv[1])]
from qazai.cli.main import run
try:
    run()
except SystemExit as exc:
    code = exc.code
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


# `qazai query` as it runs, with nothing imported first
PLAIN = """
import json, sys
sys.argv = ["qazai", *json.loads(sys.argv[1])]
from qazai.cli.main import run
try:
    run()
except SystemExit as exc:
    code = exc.code
print("\\n" + json.dumps({"code": locals().get("code"), "modules": sorted(sys.modules)}))
"""


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAZAI_")}
    env.update(QAZAI_DATABASE_URL=database_url, QAZAI_DATA_DIR=str(data_dir))
    return env


def _fresh(env: dict[str, str], *args: str, probe: str = PROBE) -> tuple[Any, set[str], str, str]:
    done = probed(probe, list(args), env)
    return done.code, done.modules, done.output, done.stderr


def test_query_reads_the_named_table_without_building_the_index(
    catalog: Any, module_database_url: str, module_tmp: Path
) -> None:
    env = _env(module_database_url, module_tmp / "data")
    sql = 'SELECT region, population FROM "population-by-region" ORDER BY region'
    code, modules, output, stderr = _fresh(env, "query", sql, "--format", "json")
    assert code in (0, None), stderr
    assert json.loads(output)["rows"] == [["Almaty", 2200000], ["Astana", 1350000], ["Shymkent", 1200000]]
    # nothing of the write side, of Alembic (the schema is current) or of pandas (DuckDB imports
    # it when a Python value is bound as a parameter)
    assert not {"alembic", "pandas", "qazai.labels.service", "qazai.models.lineage"} & modules


def test_query_loads_neither_the_search_engine_nor_the_ORM_mappers_nor_rich_for_json(
    catalog: Any, module_database_url: str, module_tmp: Path
) -> None:
    env = _env(module_database_url, module_tmp / "data")
    sql = 'SELECT region FROM "population-by-region" ORDER BY region LIMIT 1'
    code, modules, output, stderr = _fresh(env, "query", sql, "--format", "json", probe=PLAIN)
    assert code in (0, None), stderr
    assert json.loads(output)["rows"] == [["Almaty"]]
    # the catalogue index and tantivy serve search; rich serves the table output
    assert not {"tantivy", "qazai.catalog.indexer", "qazai.catalog.search", "rich.console"} & modules


def test_query_of_a_draft_is_refused_as_the_api_refuses_it(
    catalog: Any, module_database_url: str, module_tmp: Path
) -> None:
    env = _env(module_database_url, module_tmp / "data")
    code, _modules, _output, stderr = _fresh(env, "query", 'SELECT * FROM "draft-census"')
    assert code == 1
    assert stderr.startswith("error: ") and "draft-census" in stderr and len(stderr.splitlines()) == 1


def test_query_on_a_new_database_migrates_it_then_answers(tmp_path: Path) -> None:
    env = _env(f"sqlite:///{tmp_path / 'new.db'}", tmp_path / "data")
    code, _modules, _output, stderr = _fresh(env, "query", 'SELECT * FROM "population-by-region"')
    assert code == 1
    assert "there is no table 'population-by-region'" in stderr  # not "no such table: libraries"


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("SELECT 'a\x00b'", "does not parse"),
        ("SELECT 'it''s' AS x FROM \"missing\"", "missing"),
    ],
)
def test_query_text_is_analysed_safely(
    catalog: Any,
    module_database_url: str,
    module_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    sql: str,
    words: str,
) -> None:
    monkeypatch.setenv("QAZAI_DATABASE_URL", module_database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(module_tmp / "data"))
    out = CliRunner().invoke(app, ["query", sql])
    assert out.exit_code == 1
    assert out.stderr.startswith("error: ") and words in out.stderr, out.stderr
