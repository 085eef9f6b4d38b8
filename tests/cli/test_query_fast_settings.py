"""The settings and database that `qazai query`'s driver-only path reads (cli/query_fast.py,
storage/dbapi.py) are the ones the ordinary path builds, or it steps aside."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from qazai.catalog.query_limits import QueryLimits, default_limits
from qazai.cli.query_fast import QuickSettings, quick_settings
from qazai.config import load_settings
from qazai.core.errors import ConfigError
from qazai.storage import dbapi

SECRET = "a-long-enough-secret-for-production-0123456789"


def _settings_from(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> object:
    for key in [k for k in os.environ if k.upper().startswith("QAZAI_")]:
        monkeypatch.delenv(key)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    try:
        return load_settings()
    except ConfigError as exc:
        return exc


def _cases(data: Path) -> list[dict[str, str]]:
    d = str(data)
    return [
        {"QAZAI_DATA_DIR": d},
        {"QAZAI_DATA_DIR": d, "QAZAI_ENVIRONMENT": "test"},
        {"QAZAI_DATA_DIR": d, "QAZAI_ENVIRONMENT": "demo", "QAZAI_SECRET_KEY": "short"},
        {"QAZAI_DATA_DIR": d, "QAZAI_ENVIRONMENT": "production", "QAZAI_SECRET_KEY": SECRET},
        {"QAZAI_DATA_DIR": d, "QAZAI_DATABASE_URL": f"sqlite:///{data / 'other.db'}"},
        {"QAZAI_DATA_DIR": d, "QAZAI_OBJECT_STORE_URL": str(data / "objects")},
        # each of these, the ordinary path reads otherwise or refuses: the fast path steps aside
        {"QAZAI_DATA_DIR": d, "QAZAI_ENVIRONMENT": "production"},
        {"QAZAI_DATA_DIR": d, "QAZAI_ENVIRONMENT": "production", "QAZAI_SECRET_KEY": "short"},
        {"QAZAI_DATA_DIR": d, "QAZAI_ENVIRONMENT": "Production", "QAZAI_SECRET_KEY": SECRET},
        {"QAZAI_DATA_DIR": d, "QAZAI_PORT": "9000"},
        {"QAZAI_DATA_DIR": d, "QAZAI_QUERY_TIMEOUT_MS": "100"},
        {"qazai_data_dir": d},
        {"QAZAI_DATA_DIR": f" {d}"},
        {"QAZAI_DATA_DIR": d, "QAZAI_DATABASE_URL": ""},
        {"QAZAI_DATA_DIR": d, "QAZAI_OBJECT_STORE_URL": "s3://bucket/prefix"},
        {"QAZAI_DATA_DIR": d, "QAZAI_OBJECT_STORE_URL": f"file://{data / 'objects'}"},
        {"QAZAI_DATA_DIR": str(data / "not-made-yet")},
    ]


def test_quick_settings_are_the_ordinary_ones_or_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    (data / "objects").mkdir(parents=True)
    taken = 0
    for environ in _cases(data):
        quick = quick_settings(environ)
        if quick is None:
            continue
        taken += 1
        settings = _settings_from(environ, monkeypatch)
        assert not isinstance(settings, ConfigError), (environ, settings)
        expected = QuickSettings(
            database_url=settings.effective_database_url,  # type: ignore[attr-defined]
            object_store_url=settings.effective_object_store_url,  # type: ignore[attr-defined]
        )
        assert quick == expected, environ
    assert taken == 6  # the first six cases; every other one steps aside


def test_the_default_limits_are_those_of_the_default_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings_from({}, monkeypatch)
    assert isinstance(settings, object) and not isinstance(settings, ConfigError)
    assert default_limits() == QueryLimits.of(settings)  # type: ignore[arg-type]


def test_connect_opens_plain_urls_only(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    sqlite3.connect(path).close()
    opened = dbapi.connect(f"sqlite:///{path}")
    assert opened is not None and opened[1] == "?"
    opened[0].close()
    for url in (
        f"sqlite:///{tmp_path / 'missing.db'}",  # the ordinary path creates and migrates it
        "sqlite://",
        "sqlite:///:memory:",
        f"sqlite:///{path}?timeout=5",
        "mysql://root@127.0.0.1/test",
        "postgresql://nobody@127.0.0.1:1/none",  # refused: the ordinary path says so
        "not a url",
    ):
        assert dbapi.connect(url) is None, url


def test_at_revision_reads_alembic_version(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    connection = sqlite3.connect(path)
    assert not dbapi.at_revision(connection, dbapi.newest_revision())  # no table yet
    connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    connection.execute("INSERT INTO alembic_version VALUES ('0001_initial')")
    assert not dbapi.at_revision(connection, dbapi.newest_revision())  # an older schema
    connection.execute("UPDATE alembic_version SET version_num = ?", (dbapi.newest_revision(),))
    assert dbapi.at_revision(connection, dbapi.newest_revision())
    assert not dbapi.at_revision(connection, None)
    connection.close()
