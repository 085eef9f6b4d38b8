"""The metadata database: engine, sessions and the unit of work.

Behaves the same on SQLite (embedded default) and PostgreSQL. On SQLite a writing unit of work
starts with ``BEGIN IMMEDIATE`` so that writers queue on the database lock instead of failing
half-way with "database is locked" when they upgrade a read lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from qazai.storage.tables import register_all

_WRITE_OPTION = "qazai_write"


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url`` with the pragmas and pool settings the platform relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            write = connection.get_execution_options().get(_WRITE_OPTION, True)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """Owns the engine; hands out units of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_db_engine(url, echo=echo)
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False, autoflush=True)
        self._readonly_sessions = sessionmaker(
            bind=self.engine.execution_options(**{_WRITE_OPTION: False}),
            expire_on_commit=False,
            autoflush=True,
        )
        # Copied into every session's ``info``: what the composition root hands to layers that
        # only see a session (the audit trail's chain key), without storage knowing about them.
        self.info: dict[str, Any] = {}
        self._on_dispose: list[Callable[[], None]] = []

    def on_dispose(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the database is disposed, before its connections are closed:
        what holds the database from above (a search index syncing in a background thread)
        stops using it first, so no connection is returned to a pool that was already closed."""
        self._on_dispose.append(callback)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work; use it as a context manager. One that may write registers every
        capability's tables first (a flush orders rows by foreign keys, whose tables must be
        known); a read-only one leaves that to what it reads (`qazai query` reads two tables)."""
        if not read_only:
            register_all()
        factory = self._readonly_sessions if read_only else self._sessions
        return UnitOfWork(factory(info=dict(self.info)), read_only=read_only)

    @contextmanager
    def session(self) -> Iterator[Session]:
        register_all()
        with self._sessions(info=dict(self.info)) as session:
            yield session

    def ping(self) -> None:
        """Raise if the database does not answer."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        callbacks, self._on_dispose = self._on_dispose, []
        for callback in callbacks:
            callback()
        self.engine.dispose()


class UnitOfWork:
    """One transaction. Commits on a clean exit when asked to, rolls back otherwise.

    Service functions take a unit of work, do their reads and writes (rows plus the audit event)
    through ``uow.session`` and call :meth:`commit` once. Work to do after a successful commit
    (waking a worker, deleting a temporary object) goes through :meth:`after_commit`.
    """

    def __init__(self, session: Session, *, read_only: bool = False) -> None:
        self.session = session
        self.read_only = read_only
        self._after_commit: list[Callable[[], None]] = []
        self.request_id: str | None = None

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed, without expiring loaded objects, so
        # read models built from rows stay usable after the unit of work ends.
        self.session.close()

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        self.session.rollback()
        self._after_commit.clear()

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)
