"""Keeps a process's search index equal to the database.

The index compares a fingerprint of the library tables (counts and latest timestamps, one
query; ``repo.watermark``) with the one it last saw; when it differs it re-reads only the
libraries whose (updated_at, latest version, producer) changed since then. No hook from the
libraries capability is needed, and every process on every host converges on the same answers.

The fingerprint scans the library tables, so it is not run on every request (at 10,000 libraries
it costs tens of milliseconds):

- a commit *in this process* that touches libraries, versions or organisations through the ORM
  (the API, the publish job, the CLI) is noticed by a SQLAlchemy session hook, and the next
  search syncs before answering: read-your-writes within a process;
- writes by other processes (other workers, hosts, bulk SQL) are picked up by a background
  re-check at most every ``min_interval`` seconds (``QAZAI_CATALOG_REFRESH_SECONDS``, default 1);
  requests meanwhile answer from the current snapshot and never wait for it. The re-checks take
  at most 1/``CHECK_SHARE`` of a core: they wait at least ``CHECK_SHARE`` times the CPU time the
  last fingerprint query took (never more than ``MAX_CHECK_SECONDS``). At 100,000 libraries on
  SQLite the fingerprint costs ~7 ms of CPU, read from indexes (``libraries.updated_at`` since
  migration 0015), so the 1 s default holds; it used to scan the library rows (~50-120 ms).

The first sync (an empty index) always blocks. Documents are swapped copy-on-write, so readers
never see a half-applied sync.

The cyclic garbage collector is paused while a sync reads documents: they are long-lived and
acyclic, and at 100,000 libraries the collector's passes over the growing heap took about 60 % of
the CPU time of a full build (see ``paused_gc``). A sync that read many documents then freezes
them out of the collector's passes for good (see ``FREEZE_FROM``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import time
from collections.abc import Iterator
from itertools import count
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.orm import Session

from qazai.catalog import repo
from qazai.catalog.models import LibraryDoc
from qazai.catalog.search import SearchEngine, TantivySearchEngine
from qazai.storage.db import Database
from qazai.storage.tables.identity import OrganisationRow
from qazai.storage.tables.libraries import LibraryRow, LibraryVersionRow

log = logging.getLogger("qazai.catalog")

DEFAULT_REFRESH_SECONDS = 1.0
# A sync that read at least this many documents freezes what the collector tracks (``gc.freeze``):
# the documents are long-lived and acyclic, and, read with the collector paused, they all sit in
# its youngest generation. Left there, the next passes walk all of them: at 100,000 libraries
# (~3.4 million tracked objects) ~2 s of CPU for the first young passes and ~2.6 s for each
# full pass later (one per ~40,000 CKAN packages built), the GIL held throughout: every request of
# the process stalls. Frozen, they are never walked (a full pass then takes tens of ms); they are
# still freed by reference counting when a later sync replaces them. A full build leaves no cyclic
# garbage to freeze with them (measured: ``gc.collect()`` right after finds 0 objects). Small
# syncs (a few changed libraries) do not freeze: their documents are few.
FREEZE_FROM = 10_000
CHECK_SHARE = 20
MAX_CHECK_SECONDS = 30.0
_WATCHED = (LibraryRow, LibraryVersionRow, OrganisationRow)
_generation = count(1)
_local_generation = 0


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = True


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting goes on as always).
    Nested and concurrent pauses are counted; the collector is enabled again when the last one
    ends, unless it was already disabled when the first one began."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
        _gc_pauses += 1
        gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def _refresh_seconds() -> float:
    raw = os.environ.get("QAZAI_CATALOG_REFRESH_SECONDS")
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_REFRESH_SECONDS
    except ValueError:
        return DEFAULT_REFRESH_SECONDS


def mark_changed(session: Session) -> None:
    """Tell the indexes of this process that ``session``'s transaction changes the catalogue
    (for writes the ORM hook below cannot see, e.g. bulk ``insert()`` statements)."""
    session.info["catalog_dirty"] = True


@event.listens_for(Session, "after_flush")
def _note_catalog_writes(session: Session, _context: Any) -> None:
    if not session.info.get("catalog_dirty") and any(
        isinstance(obj, _WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info["catalog_dirty"] = True


@event.listens_for(Session, "after_commit")
def _bump_generation(session: Session) -> None:
    global _local_generation
    if session.info.pop("catalog_dirty", False):
        _local_generation = next(_generation)


@event.listens_for(Session, "after_rollback")
def _forget_writes(session: Session) -> None:
    session.info.pop("catalog_dirty", None)


class CatalogIndex:
    """The search engine plus the documents it holds, for one database."""

    def __init__(
        self, db: Database, engine: SearchEngine | None = None, min_interval: float | None = None
    ) -> None:
        self.db = db
        self.engine: SearchEngine = engine or TantivySearchEngine()
        self.docs: dict[str, LibraryDoc] = {}
        self.slugs: dict[str, str] = {}
        self.min_interval = _refresh_seconds() if min_interval is None else min_interval
        self._seen: repo.Watermark | None = None
        self._states: dict[str, repo.LibraryState] = {}
        self._checked = 0.0
        self._check_cost = 0.0  # CPU seconds of the last fingerprint query
        self._generation = -1
        self._lock = threading.Lock()
        self._closed = False
        self._background: threading.Thread | None = None

    def rebuild(self) -> int:
        """Re-read every library; returns how many are indexed."""
        with self._lock:
            return self._sync(force=True)

    def sync(self) -> None:
        """Bring the index up to date (see the module docstring for when this waits)."""
        generation = _local_generation
        now = time.monotonic()
        if self._seen is None or generation != self._generation or self.min_interval <= 0:
            with self._lock:  # re-checked: another request may have just synced
                if self._seen is None or generation != self._generation or self.min_interval <= 0:
                    self._sync(force=False, generation=generation)
                    self._checked = time.monotonic()
            return
        interval = max(self.min_interval, min(CHECK_SHARE * self._check_cost, MAX_CHECK_SECONDS))
        if now - self._checked < interval or self._lock.locked() or self._closed:
            return
        self._checked = now  # one background check per interval
        self._background = threading.Thread(target=self._background_sync, name="catalog-sync", daemon=True)
        self._background.start()

    def close(self, timeout: float = 10.0) -> None:
        """Start no more background checks and wait for a running one (the database is being
        disposed: a check still holding a connection would return it to a closed pool)."""
        self._closed = True
        background = self._background
        if background is not None and background is not threading.current_thread():
            background.join(timeout)

    def _background_sync(self) -> None:
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._sync(force=False)
            self._checked = time.monotonic()
        except Exception:
            log.exception("the catalogue index could not be refreshed; serving the last snapshot")
        finally:
            self._lock.release()

    def _sync(self, *, force: bool, generation: int | None = None) -> int:
        with paused_gc():
            read = self._sync_documents(force=force, generation=generation)
        if read >= FREEZE_FROM:
            gc.freeze()  # see FREEZE_FROM
        return len(self.docs)

    def _sync_documents(self, *, force: bool, generation: int | None) -> int:
        """Apply the database's changes; returns how many documents were read."""
        with self.db.uow(read_only=True) as uow:
            started = time.thread_time()
            mark = repo.watermark(uow.session)
            self._check_cost = time.thread_time() - started
            if not force and mark == self._seen:
                if generation is not None:
                    self._generation = generation
                return 0
            states = repo.library_states(uow.session)
            if force:
                self._states = {}
            changed = [i for i, state in states.items() if self._states.get(i) != state]
            removed = [i for i in self._states if i not in states]
            docs = list(repo.load_docs(uow.session, changed))
        self.engine.replace(docs, removed)
        updated = dict(self.docs)
        for library_id in removed:
            updated.pop(library_id, None)
        updated.update((d.id, d) for d in docs)
        self.docs = updated
        self.slugs = {d.slug: d.id for d in updated.values()}
        self._states = states
        self._seen = mark
        if generation is not None:
            self._generation = generation
        return len(docs)

    @property
    def fresh(self) -> bool:
        """True when ``sync()`` would not wait for the database (it may still start a
        background re-check): answering from memory is then safe on an event loop."""
        return self._seen is not None and self.min_interval > 0 and _local_generation == self._generation

    def get(self, key: str) -> LibraryDoc | None:
        """A document by library id or slug."""
        docs = self.docs
        doc = docs.get(key)
        if doc is None:
            library_id = self.slugs.get(key)
            doc = docs.get(library_id) if library_id else None
        return doc


_INDEXES: WeakKeyDictionary[Database, CatalogIndex] = WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def catalog_index(db: Database) -> CatalogIndex:
    """The process's index for ``db`` (built on first use)."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(db)
        if index is None:
            index = CatalogIndex(db)
            _INDEXES[db] = index
            db.on_dispose(lambda: _forget_index(db))
    index.sync()
    return index


def _forget_index(db: Database) -> None:
    """``db`` is being disposed: its index stops and is dropped (the index refers to its
    database, so the weak mapping alone would keep both alive)."""
    with _INDEXES_LOCK:
        index = _INDEXES.pop(db, None)
    if index is not None:
        index.close()


def existing_index(db: Database) -> CatalogIndex | None:
    """The process's index for ``db`` if one was built (no sync, never blocks)."""
    with _INDEXES_LOCK:
        return _INDEXES.get(db)
