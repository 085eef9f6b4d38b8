"""View and download counts of data libraries, counted cheaply.

A page view or a file download must not cost a database write: each process counts in memory
(``count_view`` / ``count_download``: a dictionary increment under a lock) and a background thread
adds the counts to ``library_usage`` in one transaction every ``FLUSH_SECONDS`` (and at shutdown).
What a process counted but has not yet flushed is added when it reads the counts, so its own pages
are up to date; other processes see them after their next flush. A crash loses at most the last
interval's counts (they are statistics, not an audit trail: restricted reads are audited apart).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.storage.db import Database
from qazai.storage.tables.libraries import LibraryRow, LibraryUsageRow

log = logging.getLogger("qazai.libraries.usage")
FLUSH_SECONDS = 30.0


class UsageRead(BaseModel):
    views: int = 0
    downloads: int = 0


class _Pending:
    """Counts of one database not yet written: library id -> [views, downloads]."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, list[int]] = {}

    def add(self, library_id: str, slot: int) -> None:
        with self.lock:
            entry = self.counts.get(library_id)
            if entry is None:
                entry = self.counts[library_id] = [0, 0]
            entry[slot] += 1

    def take(self) -> dict[str, list[int]]:
        with self.lock:
            counts, self.counts = self.counts, {}
        return counts

    def give_back(self, counts: dict[str, list[int]]) -> None:
        with self.lock:
            for library_id, (views, downloads) in counts.items():
                entry = self.counts.setdefault(library_id, [0, 0])
                entry[0] += views
                entry[1] += downloads

    def of(self, library_id: str) -> tuple[int, int]:
        with self.lock:
            views, downloads = self.counts.get(library_id, (0, 0))
        return views, downloads


# One set of pending counts per database (tests run many platforms in one process).
_PENDING: weakref.WeakKeyDictionary[Database, _Pending] = weakref.WeakKeyDictionary()
_PENDING_LOCK = threading.Lock()


def _pending(db: Database) -> _Pending:
    found = _PENDING.get(db)
    if found is None:
        with _PENDING_LOCK:
            found = _PENDING.setdefault(db, _Pending())
    return found


def count_view(db: Database, library_id: str) -> None:
    """One view of the library's page. No I/O: safe on any hot path."""
    _pending(db).add(library_id, 0)


def count_download(db: Database, library_id: str) -> None:
    """One download of one of the library's files (Parquet, CSV, XLSX, a Hugging Face resolve).
    No I/O: safe on any hot path; call it once per successful (200/206) GET."""
    _pending(db).add(library_id, 1)


def flush_usage(db: Database) -> int:
    """Add the counts this process holds for ``db`` to ``library_usage`` in one transaction;
    returns how many libraries were written. Counts of a library deleted meanwhile are dropped;
    on a database error the counts are kept for the next flush."""
    pending = _pending(db)
    counts = pending.take()
    if not counts:
        return 0
    try:
        with db.uow() as uow:
            existing = set(uow.session.scalars(select(LibraryRow.id).where(LibraryRow.id.in_(list(counts)))))
            for library_id, (views, downloads) in sorted(counts.items()):
                if library_id in existing:
                    _add(uow.session, library_id, views, downloads)
            uow.commit()
    except Exception:
        pending.give_back(counts)
        raise
    return len(existing)


def _add(session: Session, library_id: str, views: int, downloads: int) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(LibraryUsageRow).values(
        library_id=library_id, views=views, downloads=downloads, updated_at=utcnow()
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[LibraryUsageRow.library_id],
            set_={
                "views": LibraryUsageRow.views + statement.excluded.views,
                "downloads": LibraryUsageRow.downloads + statement.excluded.downloads,
                "updated_at": statement.excluded.updated_at,
            },
        )
    )


def library_usage(db: Database, session: Session, library_id: str) -> UsageRead:
    """The library's counts: what the database holds plus what this process has not flushed yet."""
    row = session.get(LibraryUsageRow, library_id)
    views, downloads = _pending(db).of(library_id)
    return UsageRead(
        views=(row.views if row else 0) + views, downloads=(row.downloads if row else 0) + downloads
    )


def schedule_usage_flush(db: Database, seconds: float = FLUSH_SECONDS) -> Callable[[], None]:
    """Start a daemon thread that flushes every ``seconds``; returns the function that stops it
    (and flushes what is left)."""
    stop = threading.Event()

    def _run() -> None:
        while not stop.wait(seconds):
            try:
                flush_usage(db)
            except Exception:  # the database may be briefly away: keep counting, try again
                log.warning("library usage counts not flushed; kept for the next try", exc_info=True)

    thread = threading.Thread(target=_run, name="qazai-usage-flush", daemon=True)
    thread.start()

    def _stop() -> None:
        stop.set()
        thread.join(timeout=5)
        try:
            flush_usage(db)
        except Exception:
            log.warning("library usage counts lost at shutdown", exc_info=True)

    return _stop
