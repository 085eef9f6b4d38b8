"""The query sandbox pool: reuse is only ever of a sandbox exposing exactly the same files, and no
query can leave state behind for the next one on a reused sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from qazai.catalog import query as query_module
from qazai.catalog import query_sandbox as query
from qazai.catalog.query import QueryRefused, QueryTable, QueryTimeout, run_query
from qazai.core.errors import Unavailable


@pytest.fixture(autouse=True)
def empty_pool() -> Iterator[None]:
    query._SANDBOXES.clear()
    yield
    query._SANDBOXES.clear()


def _parquet(path: Path, values: list[int]) -> str:
    with duckdb.connect() as connection:
        rows = ", ".join(f"({v})" for v in values)
        connection.execute(f"COPY (SELECT * FROM (VALUES {rows}) AS t(v)) TO '{path}' (FORMAT parquet)")
    return str(path)


@pytest.fixture
def tables(tmp_path: Path) -> dict[str, QueryTable]:
    path = _parquet(tmp_path / "a.parquet", [1, 2, 3])
    return {"t": QueryTable(name="t", library_slug="t", paths=(path,))}


def _pooled(tables: dict[str, QueryTable], names: set[str], threads: int = 2) -> duckdb.DuckDBPyConnection:
    """The idle pooled sandbox for ``names`` (checked out and straight back)."""
    key = query._sandbox_key(tables, names, threads)
    connection = query._SANDBOXES.checkout(key)
    assert connection is not None
    query._SANDBOXES.give_back(key, connection)
    return connection


def _state(connection: duckdb.DuckDBPyConnection) -> dict[str, object]:
    return {
        "views": connection.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY 1"
        ).fetchall(),
        "tables": connection.execute("SELECT table_name FROM duckdb_tables()").fetchall(),
        "macros": connection.execute(
            "SELECT function_name FROM duckdb_functions() WHERE NOT internal"
        ).fetchall(),
        "sequences": connection.execute("SELECT sequence_name FROM duckdb_sequences()").fetchall(),
        "variables": connection.execute("SELECT name FROM duckdb_variables()").fetchall(),
        "databases": connection.execute("SELECT database_name FROM duckdb_databases()").fetchall(),
        "settings": connection.execute("SELECT name, value FROM duckdb_settings() ORDER BY name").fetchall(),
    }


def test_second_query_reuses_the_sandbox(tables: dict[str, QueryTable]) -> None:
    hits = query._SANDBOXES.hits
    assert run_query(tables, "SELECT sum(v) FROM t").rows == [[6]]
    assert len(query._SANDBOXES) == 1
    assert run_query(tables, "SELECT count(*) AS n FROM t -- a trailing comment").rows == [[3]]
    assert query._SANDBOXES.hits == hits + 1 and len(query._SANDBOXES) == 1


def test_sandbox_is_only_reused_for_exactly_the_same_files(
    tmp_path: Path, tables: dict[str, QueryTable]
) -> None:
    assert run_query(tables, "SELECT sum(v) FROM t").rows == [[6]]
    other = _parquet(tmp_path / "b.parquet", [10, 20])
    moved = {"t": QueryTable(name="t", library_slug="t", paths=(other,))}
    assert run_query(moved, "SELECT sum(v) FROM t").rows == [[30]]
    # The sandbox of the first files may not read the second ones, nor the reverse.
    first = _pooled(tables, {"t"})
    with pytest.raises(duckdb.PermissionException):
        first.execute(f"SELECT * FROM read_parquet('{other}')").fetchall()
    assert len(query._SANDBOXES) == 2
    query.forget_sandboxes({other})
    assert len(query._SANDBOXES) == 1


@pytest.mark.parametrize(
    "sql",
    [
        "SET threads=1",
        "SET VARIABLE x = 1",
        "RESET threads",
        "SET lock_configuration=false",
        "PRAGMA enable_profiling",
        "CALL pragma_version()",
        "CREATE TEMP TABLE x AS SELECT 1",
        "CREATE MACRO m(a) AS a + 1",
        "CREATE OR REPLACE VIEW t AS SELECT 42 AS v",
        "CREATE SEQUENCE s",
        "PREPARE p AS SELECT 1",
        "EXECUTE p",
        "BEGIN TRANSACTION",
        "USE system",
        "ATTACH ':memory:' AS x",
        "DETACH memory",
        "LOAD httpfs",
        "INSTALL httpfs",
        "DROP VIEW t",
        "INSERT INTO t VALUES (4)",
        "CHECKPOINT",
        "VACUUM",
        "EXPORT DATABASE '/tmp/x'",
        "SELECT 1 FROM t; DROP VIEW t",
        "SELECT * FROM duckdb_settings()",
        "SELECT current_setting('threads')",
    ],
)
def test_nothing_can_change_a_reused_sandbox(tables: dict[str, QueryTable], sql: str) -> None:
    assert run_query(tables, "SELECT sum(v) FROM t").rows == [[6]]
    before = _state(_pooled(tables, {"t"}))
    with pytest.raises(QueryRefused):
        run_query(tables, sql)
    assert run_query(tables, "SELECT sum(v) FROM t").rows == [[6]]
    connection = _pooled(tables, {"t"})
    assert _state(connection) == before
    assert len(query._SANDBOXES) == 1


def test_reused_sandbox_state_equals_a_fresh_one(tables: dict[str, QueryTable]) -> None:
    for sql in ("SELECT sum(v) FROM t", "WITH x AS (SELECT v FROM t) SELECT max(v) FROM x", "FROM t"):
        run_query(tables, sql)
    fresh = query.open_sandbox(tables, {"t"})
    try:
        assert _state(_pooled(tables, {"t"})) == _state(fresh)
    finally:
        fresh.close()


def test_setseed_gets_a_sandbox_of_its_own(tables: dict[str, QueryTable]) -> None:
    run_query(tables, "SELECT sum(v) FROM t")
    pooled = _pooled(tables, {"t"})
    run_query(tables, "SELECT setseed(0.5), count(*) FROM t")
    assert len(query._SANDBOXES) == 0  # the seeded sandbox was closed, not returned
    with pytest.raises(duckdb.ConnectionException):
        pooled.execute("SELECT 1")


def test_timed_out_sandbox_is_closed_and_the_next_query_runs(tables: dict[str, QueryTable]) -> None:
    run_query(tables, "SELECT sum(v) FROM t")
    big = "SELECT count(*) FROM t a, t b, t c, " + ", ".join(f"t t{i}" for i in range(25))
    with pytest.raises(QueryTimeout):
        run_query(tables, big, timeout_ms=200)
    assert len(query._SANDBOXES) == 0
    assert run_query(tables, "SELECT sum(v) FROM t").rows == [[6]]
    assert len(query._SANDBOXES) == 1


def test_pool_is_bounded(tmp_path: Path) -> None:
    for i in range(query.SANDBOX_POOL_SIZE + 3):
        path = _parquet(tmp_path / f"p{i}.parquet", [i])
        run_query({"t": QueryTable(name="t", library_slug="t", paths=(path,))}, "SELECT v FROM t")
    assert len(query._SANDBOXES) == query.SANDBOX_POOL_SIZE


@pytest.fixture
def rooted(tmp_path: Path) -> tuple[dict[str, QueryTable], str]:
    """A table under an object-store root, as the service resolves them."""
    root = tmp_path / "objects"
    (root / "ab").mkdir(parents=True)
    path = _parquet(root / "ab" / "cdef.parquet", [1, 2, 3])
    return {"t": QueryTable(name="t", library_slug="t", paths=(path,), root=str(root))}, str(root)


def test_views_name_files_relative_to_the_object_store(rooted: tuple[dict[str, QueryTable], str]) -> None:
    tables, root = rooted
    assert run_query(tables, "SELECT sum(v) FROM t").rows == [[6]]
    (sql,) = (
        _pooled(tables, {"t"}).execute("SELECT sql FROM duckdb_views() WHERE NOT internal").fetchone() or ()
    )
    assert "ab/cdef.parquet" in sql and root not in sql


def test_error_messages_do_not_show_the_object_store(tmp_path: Path) -> None:
    root = tmp_path / "objects"
    root.mkdir()
    missing = QueryTable(
        name="t", library_slug="t", paths=(str(root / "ab" / "gone.parquet"),), root=str(root)
    )
    with pytest.raises(Unavailable) as unavailable:  # 503: a published file went missing
        run_query({"t": missing}, "SELECT * FROM t")
    message = unavailable.value.message
    assert "ab/gone.parquet" in message and str(root) not in message


@pytest.mark.parametrize(
    ("sql", "rows"),
    [
        ("WITH x AS (SELECT v FROM t) SELECT sum(v) FROM x", [[6]]),
        ("WITH X AS (SELECT v FROM t) SELECT count(*) FROM x", [[3]]),
        ("SELECT (WITH y AS (SELECT max(v) AS m FROM t) SELECT m FROM y)", [[3]]),
    ],
)
def test_a_query_may_name_its_own_ctes(
    tables: dict[str, QueryTable], sql: str, rows: list[list[int]]
) -> None:
    assert run_query(tables, sql).rows == rows


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM duckdb_views",
        "SELECT * FROM pg_settings",
        "WITH pg_settings AS (SELECT 1) SELECT * FROM pg_settings",
        "SELECT * FROM (WITH duckdb_views AS (SELECT 1) SELECT * FROM duckdb_views), duckdb_views",
        "SELECT * FROM other",
    ],
)
def test_only_library_tables_and_own_ctes_may_be_named(tables: dict[str, QueryTable], sql: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        run_query(tables, sql)
    assert refused.value.code == "query_catalog"


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-5", "-5"),
        ("-12.5", "-12.5"),
        ("-1,5", "-1,5"),
        ("+7", "+7"),
        ("-1e-05", "-1e-05"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (-5, -5),
        (None, None),
    ],
)
def test_spreadsheet_safe_quotes_formulas_and_keeps_numbers(value: object, safe: object) -> None:
    assert query_module.spreadsheet_safe(value) == safe
