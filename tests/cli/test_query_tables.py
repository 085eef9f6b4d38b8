"""`qazai query` builds only the tables it reads; whatever needs every table still gets all of them.

Each case runs in a fresh interpreter: in the test process every capability is already imported.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.cli.test_startup import PROBE
from tests.support.fresh import fresh

from qazai.storage.tables import MODULES


def _tables(modules: list[str]) -> set[str]:
    return {m.removeprefix("qazai.storage.tables.") for m in modules if m.startswith("qazai.storage.tables.")}


def test_query_the_ordinary_way_imports_the_libraries_tables_only(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAZAI_")}
    env.update(QAZAI_DATABASE_URL=f"sqlite:///{tmp_path / 'q.db'}", QAZAI_DATA_DIR=str(tmp_path / "data"))
    fresh("from qazai.cli.main import run; run()", "db", "upgrade", env=env)  # migrations: every table
    # the ordinary path (a setting the driver-only path does not read; that one builds no table:
    # tests/catalog/test_cli_query_fast.py)
    env["QAZAI_LOG_JSON"] = "true"
    args = ["query", 'SELECT * FROM "no-such-library"', "--format", "json"]
    done = fresh(PROBE, json.dumps(args), env=env)
    report = json.loads(done.stdout.rstrip().splitlines()[-1])
    assert report["code"] == 1 and "no-such-library" in done.stderr  # looked up, not found
    assert _tables(report["modules"]) == {"base", "identity", "libraries"}


def test_base_from_the_package_and_a_writing_unit_of_work_register_every_table(tmp_path: Path) -> None:
    every = """
import json, sys
if sys.argv[1] == "package":
    from qazai.storage.tables import Base
else:
    from qazai.storage.db import Database
    from qazai.storage.tables.base import Base
    db = Database("sqlite:///" + sys.argv[2])
    with db.uow(read_only=True):
        print(json.dumps(sorted(Base.metadata.tables)))
    with db.uow():
        pass
print(json.dumps(sorted(Base.metadata.tables)))
"""
    from qazai.storage.tables import Base  # here: every module, as Alembic sees them

    expected = sorted(Base.metadata.tables)
    for module in MODULES:
        assert f"qazai.storage.tables.{module}" in sys.modules
    assert json.loads(fresh(every, "package").stdout.splitlines()[-1]) == expected
    read_only, written = fresh(every, "uow", str(tmp_path / "u.db")).stdout.splitlines()
    assert json.loads(read_only) == []  # nothing imported yet: a read-only unit of work adds none
    assert json.loads(written) == expected
