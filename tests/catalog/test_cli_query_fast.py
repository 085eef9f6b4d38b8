"""`qazai query`'s driver-only path (``cli/query_fast.py``) answers exactly what the ordinary path
answers, on the same catalogue, and loads neither SQLAlchemy nor pydantic.

Each query runs twice in fresh interpreters: as it runs (the fast path), and with one more
setting in the environment, which sends it the ordinary way (settings, engine, catalogue
service). Output, errors and exit codes must be the same, apart from the time taken.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from tests.catalog.conftest import publish_library
from tests.support.fresh import Probed, probed

from qazai.core.enums import AccessTier
from qazai.core.text import LocalizedText

PROBE = """
import json, sys
sys.argv = ["qazai", *json.loads(sys.argv[1])]
from qazai.cli.main import run
code = 0
try:
    run()
except SystemExit as exc:
    code = exc.code
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

# a setting the query does not read: the fast path steps aside for any such
ORDINARY = {"QAZAI_LOG_JSON": "true"}


@pytest.fixture(scope="module")
def tiers(catalog: Any, module_tmp: Path) -> Any:
    """Besides the catalogue's open, registered and draft libraries: a restricted and an enclave one."""
    publish_library(
        catalog, module_tmp, "restricted-registry", title=LocalizedText(en="R"), tier=AccessTier.restricted
    )
    publish_library(
        catalog, module_tmp, "enclave-records", title=LocalizedText(en="E"), tier=AccessTier.enclave
    )
    return catalog


def _env(module_database_url: str, module_tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAZAI_")}
    env.update(QAZAI_DATABASE_URL=module_database_url, QAZAI_DATA_DIR=str(module_tmp / "data"), **extra)
    return env


def _query(env: dict[str, str], *args: str) -> Probed:
    return probed(PROBE, ["query", *args], env)


def _without_time(output: str) -> Any:
    try:
        answer = json.loads(output)
    except ValueError:
        return output
    answer.pop("elapsed_ms", None)
    return answer


def _heavy(modules: set[str]) -> set[str]:
    return {
        m for m in modules if m.split(".")[0] in ("sqlalchemy", "pydantic", "pydantic_settings", "alembic")
    }


CASES = [
    ('SELECT region, population FROM "population-by-region" ORDER BY region', "json"),
    ('SELECT * FROM "population-by-region/data" ORDER BY region LIMIT 2', "json"),
    ('SELECT basin FROM "water-basins" ORDER BY basin', "csv"),
    ('SELECT count(*) AS n FROM "registered-survey"', "json"),  # the CLI acts as the platform
    ('SELECT count(*) AS n FROM "restricted-registry"', "json"),
    ('SELECT * FROM "enclave-records"', "json"),  # enclave data is read by jobs only
    ('SELECT * FROM "draft-census"', "json"),  # not published
    ('SELECT * FROM "population-by-region" p JOIN "water-basins" w ON true LIMIT 1', "json"),
    ('SELECT * FROM "no-such-library"', "json"),
    ("DROP TABLE libraries", "json"),
    ("SELECT * FROM read_csv('/etc/passwd')", "json"),
    ('SELECT region FROM "population-by-region" ORDER BY region', "table"),
]


@pytest.mark.parametrize(("sql", "fmt"), CASES)
def test_fast_and_ordinary_paths_answer_the_same(
    tiers: Any, module_database_url: str, module_tmp: Path, sql: str, fmt: str
) -> None:
    args = (sql, "--format", fmt, "--limit", "5")
    fast = _query(_env(module_database_url, module_tmp), *args)
    ordinary = _query(_env(module_database_url, module_tmp, **ORDINARY), *args)
    assert fast.code == ordinary.code
    assert fast.stderr == ordinary.stderr  # the same one-line error, or none
    if fmt == "table":  # its last line tells the time taken
        assert fast.output.splitlines()[:-1] == ordinary.output.splitlines()[:-1]
    else:
        assert _without_time(fast.output) == _without_time(ordinary.output)
    assert not _heavy(fast.modules), sorted(_heavy(fast.modules))  # the fast path ran
    assert _heavy(ordinary.modules)  # and the other one did not


def test_the_fast_path_reads_the_same_tables_as_the_api(
    tiers: Any, module_database_url: str, module_tmp: Path
) -> None:
    env = _env(module_database_url, module_tmp)
    done = _query(env, 'SELECT count(*) AS n FROM "restricted-registry"', "--format", "json")
    assert done.code == 0, done.stderr
    assert json.loads(done.output)["rows"] == [[3]]
    done = _query(env, 'SELECT * FROM "enclave-records"')
    assert done.code == 1 and "enclave-records" in done.stderr


@pytest.mark.parametrize(
    ("extra", "code", "words"),
    [
        ({"QAZAI_QUERY_TIMEOUT_MS": "5000"}, 0, ""),  # a query limit: the ordinary path applies it
        ({"QAZAI_ENVIRONMENT": "production"}, 1, "QAZAI_SECRET_KEY must be set"),  # the placeholder
        ({"QAZAI_ENVIRONMENT": "Production"}, 1, "invalid setting environment"),
        ({"QAZAI_QUERY_TIMEOUT_MS": "ten"}, 1, "invalid setting query_timeout_ms"),
        ({"qazai_data_dir": "/elsewhere"}, 0, ""),  # Settings reads names in any case
    ],
)
def test_settings_the_fast_path_does_not_read_go_the_ordinary_way(
    tiers: Any, module_database_url: str, module_tmp: Path, extra: dict[str, str], code: int, words: str
) -> None:
    env = _env(module_database_url, module_tmp)
    if "qazai_data_dir" in extra:
        env["qazai_data_dir"] = env.pop("QAZAI_DATA_DIR")
    else:
        env.update(extra)
    done = _query(env, 'SELECT basin FROM "water-basins" ORDER BY basin', "--format", "json")
    assert _heavy(done.modules)
    assert done.code == code, done.stderr
    assert words in done.stderr
    if code == 0:
        assert json.loads(done.output)["rows"] == [["Ile"], ["Irtysh"]]
