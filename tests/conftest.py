"""Shared fixtures: a fresh metadata database per test, on SQLite or on PostgreSQL.

Set ``QAZAI_TEST_DATABASE_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/test``) to run every
database test on PostgreSQL; each test then gets its own schema, so tests run in parallel safely.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qazai.storage.db import Database

PG_URL = os.environ.get("QAZAI_TEST_DATABASE_URL")
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def _pg_url_with_schema(url: str, schema: str) -> str:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    query = dict(parsed.query)
    query["options"] = f"-csearch_path={schema}"
    return parsed.set(query=query).render_as_string(hide_password=False)


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database (no tables at all) that only this test uses."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(_pg_url_with_schema(PG_URL, "public"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url_with_schema(PG_URL, schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated once per test process (migrating costs ~0.5 s): a SQLite file that each test
    copies, or a PostgreSQL schema that each test empties."""
    from qazai.storage.migrate import upgrade_database

    if not PG_URL:
        path = tmp_path_factory.mktemp("template") / "qazai.db"
        upgrade_database(f"sqlite:///{path}")
        yield str(path)
        return
    schema = f"w_{uuid.uuid4().hex[:16]}"
    admin = create_engine(_pg_url_with_schema(PG_URL, "public"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_url_with_schema(PG_URL, schema)
    upgrade_database(url)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: str) -> str:
    """A URL to a migrated database with no rows, for this test alone."""
    if not PG_URL:
        path = tmp_path / "qazai.db"
        shutil.copyfile(migrated_template, path)
        return f"sqlite:///{path}"
    from qazai.storage.tables import Base

    engine = create_engine(migrated_template)
    try:
        with engine.begin() as connection:
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} CASCADE"))
    finally:
        engine.dispose()
    return migrated_template


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The migrated database of this test."""
    database = Database(database_url)
    try:
        yield database
    finally:
        database.dispose()


# -- the platform, the app and people with roles ------------------------------------------------

from dataclasses import dataclass  # noqa: E402

from qazai.config import Settings, load_settings  # noqa: E402


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        request_max_bytes=64 * 1024,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        log_json=True,
    )


@pytest.fixture
def platform(settings: Settings, db: Database) -> Iterator[object]:
    from qazai.api.wiring import build_platform

    built = build_platform(settings, start_workers=False, db=db)
    yield built


@pytest.fixture
def app(platform: object) -> object:
    from qazai.api.app import create_app

    return create_app(platform)  # type: ignore[arg-type]


@pytest.fixture
def client(app: object) -> Iterator[object]:
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as test_client:  # type: ignore[arg-type]
        yield test_client


@dataclass
class Person:
    """A user with a role and an API token (read, write, admin scopes)."""

    user_id: str
    email: str
    token: str
    org_id: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def people(platform: object) -> dict[str, Person]:
    """anonymous is absent; member, producer, org_admin (of org `stat-gov`), operator, regulator,
    outsider (member of another organisation)."""
    return make_people(platform)


def make_people(platform: object) -> dict[str, Person]:
    """The organisations and users of the `people` fixture, on ``platform`` (also used by
    module-scoped fixtures, e.g. tests/catalog/module_platform.py)."""
    from qazai.core.enums import OrgKind, OrgRole, PlatformRole
    from qazai.core.text import LocalizedText
    from qazai.identity import service
    from qazai.identity.actor import SYSTEM
    from qazai.identity.models import (
        MembershipGrant,
        OrganisationCreate,
        PlatformRoleGrant,
        TokenCreate,
        UserCreate,
    )

    database: Database = platform.db  # type: ignore[attr-defined]
    with database.uow() as uow:
        org = service.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(
                slug="stat-gov",
                kind=OrgKind.government_body,
                name=LocalizedText(en="Bureau of National Statistics"),
            ),
        )
    with database.uow() as uow:
        other = service.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(slug="other-org", kind=OrgKind.company, name=LocalizedText(en="Other LLP")),
        )
    spec = {
        "member": (org.id, OrgRole.member, None),
        "producer": (org.id, OrgRole.producer, None),
        "org_admin": (org.id, OrgRole.org_admin, None),
        "operator": (None, None, PlatformRole.operator),
        "regulator": (None, None, PlatformRole.regulator),
        "outsider": (other.id, OrgRole.org_admin, None),
    }
    out: dict[str, Person] = {}
    for name, (org_id, role, platform_role) in spec.items():
        email = f"{name}@example.kz"
        with database.uow() as uow:
            user = service.create_user(
                uow, SYSTEM, UserCreate(email=email, name=name.title(), password="correct horse battery")
            )
        if org_id and role:
            with database.uow() as uow:
                service.grant_membership(uow, SYSTEM, org_id, MembershipGrant(user_id=user.id, role=role))
        if platform_role:
            with database.uow() as uow:
                service.grant_platform_role(uow, SYSTEM, user.id, PlatformRoleGrant(role=platform_role))
        with database.uow() as uow:
            token = service.create_token(
                uow, SYSTEM, TokenCreate(name="tests", scopes=["read", "write", "admin"]), for_user=user.id
            )
        out[name] = Person(user_id=user.id, email=email, token=token.token, org_id=org_id)
    return out


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that uses the database is marked `db`, so CI can rerun exactly those on PostgreSQL."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "database_url" in names or "empty_database_url" in names:
            item.add_marker(pytest.mark.db)
