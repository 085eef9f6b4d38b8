"""A read-only connection through the database driver alone, and the schema's revision, for a
one-off command that reads a few rows (`qazai query`): SQLAlchemy's import and engine set-up cost
such a command more than its work.

Only the URLs whose meaning is plain are opened here: ``sqlite:///<file>`` of an existing file
without options, and ``postgresql[+psycopg]://...``, which SQLAlchemy hands to psycopg (libpq)
as it is, query options included (``?options=-csearch_path=...``). For anything else, or when
the connection fails, ``connect`` answers None and the caller takes its ordinary path through
``storage.db``, which reports a failure in its words.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

VERSIONS = Path(__file__).parent / "migrations" / "versions"


def newest_revision() -> str | None:
    """The newest migration's revision: the history is linear and each revision is named after
    its file (``0014_...``), so it is read without Alembic (whose import alone costs ~0.5 s)."""
    return max((p.stem for p in VERSIONS.glob("[0-9]*.py")), default=None)


def connect(url: str) -> tuple[Any, str] | None:
    """A read-only DB-API connection for ``url`` and its parameter placeholder (``?`` or
    ``%s``), or None when ``url`` is not one this module opens (see the module docstring)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    if scheme == "sqlite":
        path = rest[1:] if rest.startswith("/") else ""
        if "?" in path or "%" in path:  # driver options or an escaped name: SQLAlchemy's reading
            return None
        if not path or path == ":memory:" or not Path(path).is_file():
            return None
        import sqlite3

        try:
            connection = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error:
            return None
        return connection, "?"
    if scheme in ("postgresql", "postgresql+psycopg"):
        import psycopg

        try:
            pg = psycopg.connect(f"postgresql://{rest}", autocommit=True, connect_timeout=10)
        except psycopg.Error:
            return None  # the ordinary path reports it, in its words
        pg.read_only = True
        return pg, "%s"
    return None


def at_revision(connection: Any, revision: str | None) -> bool:
    """Whether the database's schema is at ``revision`` (False for a new, unmigrated one)."""
    if revision is None:
        return False
    try:
        with closing(connection.cursor()) as cursor:
            cursor.execute("SELECT version_num FROM alembic_version")
            current = {str(row[0]) for row in cursor.fetchall()}
    except Exception:  # no such table (a new database): each driver names the error its own way
        return False
    return current == {revision}
