"""Keeps a process's search index equal to the database.

Before a search the index compares a cheap fingerprint of the library tables (counts and latest
timestamps, one query) with the one it last saw; when it differs it re-reads only the libraries
whose (updated_at, latest version) changed since then. No hook from the libraries
capability is needed, and every process on every host converges on the same answers.
"""

from __future__ import annotations

import threading
import time
from weakref import WeakKeyDictionary

from qazai.catalog import repo
from qazai.catalog.models import LibraryDoc
from qazai.catalog.search import SearchEngine, TantivySearchEngine
from qazai.storage.db import Database


class CatalogIndex:
    """The search engine plus the documents it holds, for one database."""

    def __init__(self, db: Database, engine: SearchEngine | None = None, min_interval: float = 0.0) -> None:
        self.db = db
        self.engine: SearchEngine = engine or TantivySearchEngine()
        self.docs: dict[str, LibraryDoc] = {}
        self.min_interval = min_interval
        self._seen: repo.Watermark | None = None
        self._states: dict[str, repo.LibraryState] = {}
        self._checked = 0.0
        self._lock = threading.Lock()

    def rebuild(self) -> int:
        """Re-read every library; returns how many are indexed."""
        with self._lock:
            return self._sync(force=True)

    def sync(self) -> None:
        """Bring the index up to date with the database (cheap when nothing changed)."""
        now = time.monotonic()
        if self._seen is not None and now - self._checked < self.min_interval:
            return
        with self._lock:
            self._sync(force=False)
            self._checked = now

    def _sync(self, *, force: bool) -> int:
        with self.db.uow(read_only=True) as uow:
            mark = repo.watermark(uow.session)
            if not force and mark == self._seen:
                return len(self.docs)
            states = repo.library_states(uow.session)
            if force:
                self._states = {}
            changed = [i for i, state in states.items() if self._states.get(i) != state]
            removed = [i for i in self._states if i not in states]
            docs = list(repo.load_docs(uow.session, changed))
        self.engine.replace(docs, removed)
        for library_id in removed:
            self.docs.pop(library_id, None)
        self.docs.update((d.id, d) for d in docs)
        self._states = states
        self._seen = mark
        return len(self.docs)


_INDEXES: WeakKeyDictionary[Database, CatalogIndex] = WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def catalog_index(db: Database) -> CatalogIndex:
    """The process's index for ``db`` (built on first use)."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(db)
        if index is None:
            index = CatalogIndex(db)
            _INDEXES[db] = index
    index.sync()
    return index
