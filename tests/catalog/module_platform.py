"""Module-scoped platform fixtures: publish once per test module, not once per test.

Publishing through the real pipeline costs about a second per library, so the read-only catalogue
and interop tests share one platform per module. These fixtures deliberately reuse the names of
the function-scoped ones in ``tests/conftest.py`` (``platform``, ``people``, ``app``, ``client``)
so the tests read the same; a conftest that imports them overrides those names for its folder
only. Each module gets its own database: a copy of the migrated SQLite template, or, when
``QAZAI_TEST_DATABASE_URL`` is set, its own freshly migrated PostgreSQL schema (the session's
template schema is emptied by every function-scoped test, so it cannot be shared).

Tests using ``module_database_url`` are marked ``db`` (see ``mark_module_db_items``) so that
``pytest -m db`` reruns them on PostgreSQL.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from tests.conftest import PG_URL, Person, _pg_url_with_schema, make_people

from qazai.storage.db import Database


@pytest.fixture(scope="module")
def module_database_url(tmp_path_factory: pytest.TempPathFactory, migrated_template: str) -> Iterator[str]:
    """A migrated database with no rows, for this test module alone."""
    if not PG_URL:
        path = tmp_path_factory.mktemp("module-db") / "qazai.db"
        shutil.copyfile(migrated_template, path)
        yield f"sqlite:///{path}"
        return
    from qazai.storage.migrate import upgrade_database

    schema = f"m_{uuid.uuid4().hex[:16]}"
    admin = create_engine(_pg_url_with_schema(PG_URL, "public"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_url_with_schema(PG_URL, schema)
    try:
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("module")


@pytest.fixture(scope="module")
def platform(module_database_url: str, module_tmp: Path) -> Iterator[Any]:
    from qazai.api.wiring import build_platform
    from qazai.config import load_settings

    settings = load_settings(
        environment="test",
        data_dir=module_tmp / "data",
        database_url=module_database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        request_max_bytes=64 * 1024,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        log_json=True,
    )
    database = Database(module_database_url)
    try:
        yield build_platform(settings, start_workers=False, db=database)
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def people(platform: Any) -> dict[str, Person]:
    return make_people(platform)


@pytest.fixture(scope="module")
def app(platform: Any) -> Any:
    from qazai.api.app import create_app

    return create_app(platform)


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class LiveServer:
    """A real uvicorn server on 127.0.0.1 and the access-log lines it wrote (JSON)."""

    base: str
    access_log: Path

    def access_records(self) -> list[dict[str, Any]]:
        import json

        lines = self.access_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def live_server(platform: Any, people: Any, module_tmp: Path) -> Iterator[LiveServer]:
    """uvicorn in a thread, with HOME and the client caches in a temp folder and NO_PROXY set
    (INTEROP.md test notes). ``platform.settings.base_url`` points at it, so publish after this."""
    from tests.support.live_server import free_port
    from tests.support.live_server import live_server as serve

    from qazai.api.app import create_app
    from qazai.api.observability import JsonFormatter

    with pytest.MonkeyPatch.context() as patch:
        for name in ("HOME", "CROISSANT_CACHE", "HF_HOME", "HF_DATASETS_CACHE"):
            patch.setenv(name, str(module_tmp / "home" / name.lower()))
        patch.setenv("NO_PROXY", "127.0.0.1,localhost")
        patch.setenv("no_proxy", "127.0.0.1,localhost")
        port = free_port()
        platform.settings.base_url = f"http://127.0.0.1:{port}"
        log_path = module_tmp / "access.log"
        handler = logging.FileHandler(log_path, encoding="utf-8")
        handler.setFormatter(JsonFormatter())
        access = logging.getLogger("qazai.access")
        old_level = access.level
        access.setLevel(logging.INFO)
        access.addHandler(handler)
        try:
            with serve(create_app(platform), port=port, log_level="warning") as base:
                yield LiveServer(base=base, access_log=log_path)
        finally:
            access.removeHandler(handler)
            access.setLevel(old_level)
            handler.close()


def mark_module_db_items(items: list[pytest.Item]) -> None:
    """Mark ``db`` every test that uses a module database (the root conftest marks only
    ``database_url``/``empty_database_url`` users)."""
    for item in items:
        if "module_database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
