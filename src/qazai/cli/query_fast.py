"""`qazai query` without SQLAlchemy, pydantic or the platform, where that changes nothing.

A one-off query names a table or two; what it needs of the platform is a handful of rows. Built
the ordinary way (settings, engine, ORM tables, catalogue models) a query's process spent some
70 % of its time importing. Here the same steps run on the same definitions, with the database
driver alone:

* the settings, when the environment sets only those a query reads (``QAZAI_ENVIRONMENT``,
  ``QAZAI_DATA_DIR``, ``QAZAI_DATABASE_URL``, ``QAZAI_OBJECT_STORE_URL``,
  ``QAZAI_SECRET_KEY``), through ``config_rules``, the functions ``config.Settings`` uses;
* the database, when ``storage.dbapi`` opens its URL and the schema is at the newest revision;
* the tables the query names, with ``catalog.query_tables``' SQL and access rules (the CLI acts
  as the platform itself: every tier but enclave);
* the query, through ``query_limits.limited_query`` with the default limits, in one worker forked
  from this process, as ``one_off_runtime``.

Whenever one of these does not hold (another setting is set, an S3 store, a URL with options, a
new or older database), ``run`` answers None and the command takes the ordinary path, which
also reports any bad setting in its words. tests/cli/test_query_fast.py runs both paths.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from qazai.config_rules import (
    DEFAULT_DATA_DIR,
    DEFAULT_ENVIRONMENT,
    ENV_PREFIX,
    PLACEHOLDER_SECRET,
    Environment,
    default_database_url,
    default_object_store_url,
    secret_key_problem,
)

if TYPE_CHECKING:
    from qazai.catalog.query import QueryOutcome
    from qazai.catalog.query_tables import QueryTable

# the settings a query reads; with any other QAZAI_ variable set, the ordinary path runs
READ = frozenset({"ENVIRONMENT", "DATA_DIR", "DATABASE_URL", "OBJECT_STORE_URL", "SECRET_KEY"})


@dataclass(frozen=True)
class QuickSettings:
    database_url: str
    object_store_url: str


def quick_settings(environ: Mapping[str, str]) -> QuickSettings | None:
    """The database and object store URLs ``config.Settings`` would build from ``environ``, or
    None when ``environ`` sets anything else, or anything ``Settings`` might read otherwise
    (an empty or padded value, a name in another case) or refuse (an unknown environment, a
    placeholder secret outside demo/dev/test)."""
    values: dict[str, str] = {}
    for key, value in environ.items():
        if key[: len(ENV_PREFIX)].upper() != ENV_PREFIX:
            continue
        name = key[len(ENV_PREFIX) :]
        if not key.startswith(ENV_PREFIX) or name not in READ or not value or value != value.strip():
            return None
        values[name] = value
    try:
        environment = Environment(values.get("ENVIRONMENT", DEFAULT_ENVIRONMENT))
    except ValueError:
        return None
    if secret_key_problem(environment, values.get("SECRET_KEY", PLACEHOLDER_SECRET)):
        return None
    data_dir = Path(values["DATA_DIR"]) if "DATA_DIR" in values else DEFAULT_DATA_DIR
    database_url = values.get("DATABASE_URL") or default_database_url(data_dir)
    store = values.get("OBJECT_STORE_URL") or default_object_store_url(data_dir)
    if len(urlsplit(store).scheme) > 1 or not Path(store).is_dir():
        return None  # a URL (s3://, file://) or a folder not made yet: the ordinary path
    return QuickSettings(database_url=database_url, object_store_url=store)


def run(sql: str, *, limit: int, timeout_ms: int | None) -> QueryOutcome | None:
    """``sql``'s answer as the ordinary `qazai query` would give it, or None (module docstring).
    Raises what the ordinary path raises for the query itself (QueryRefused, QueryTimeout...)."""
    quick = quick_settings(os.environ)
    if quick is None:
        return None
    from qazai.storage import dbapi

    opened = dbapi.connect(quick.database_url)
    if opened is None:
        return None
    connection, placeholder = opened
    with closing(connection):
        if not dbapi.at_revision(connection, dbapi.newest_revision()):
            return None  # the ordinary path migrates it first
        return _run(connection, placeholder, quick, sql, limit=limit, timeout_ms=timeout_ms)


def _run(
    connection: Any, placeholder: str, quick: QuickSettings, sql: str, *, limit: int, timeout_ms: int | None
) -> QueryOutcome:
    from qazai.catalog.query import query_table_names
    from qazai.catalog.query_limits import default_limits, limited_query, one_off_runtime
    from qazai.catalog.query_tables import (
        library_keys,
        named_libraries_sql,
        named_library,
        query_caller,
        readable_tables,
        store_paths,
    )
    from qazai.cli.context import cli_actor
    from qazai.storage.objects import open_object_store

    actor = cli_actor()
    objects = open_object_store(quick.object_store_url)

    def tables() -> dict[str, QueryTable]:
        keys = library_keys(query_table_names(sql))
        with closing(connection.cursor()) as cursor:
            cursor.execute(named_libraries_sql(len(keys), placeholder), (*keys, *keys))
            libraries = [named_library(row) for row in cursor.fetchall()]
        connection.close()  # nothing more to read; the query may take seconds
        return readable_tables(actor, set(), libraries, *store_paths(objects))

    runtime = one_off_runtime(default_limits())
    try:
        caller, _ = query_caller(actor, None)
        return limited_query(runtime, caller, tables, sql, limit=limit, timeout_ms=timeout_ms)
    finally:
        runtime.workers.close()
