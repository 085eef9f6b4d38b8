"""An in-process index of the registry's perceptual hashes, so the public check of a picture does
not read every picture label from the database.

Per database, the (id, phash) pairs live in a numpy array; a lookup is one vectorised XOR and
popcount (a million labels: 8 MB, a few milliseconds). Before each lookup the index reads the
labels made since its last read: label ids are ULIDs, so "made in the last minutes" is a range of
the primary key (``id >= the ULID of now - OVERLAP``), read through its index; the overlap covers
labels committed a little after they were made. Every ``FULL_RELOAD_SECONDS`` (and whenever a hit
points at a label that no longer exists) the whole index is read again.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from qazai.storage.tables.labels import LabelRow

FULL_RELOAD_SECONDS = 600.0
OVERLAP_MS = 5 * 60 * 1000  # a label committed up to 5 minutes after its id was made is still seen
_BATCH = 5000
_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_MAX_DATABASES = 8


def ulid_floor(ms: int) -> str:
    """The smallest ULID of millisecond ``ms`` (ids made at ``ms`` or later sort at or after it)."""
    chars = []
    for _ in range(10):
        chars.append(_ULID_ALPHABET[ms & 31])
        ms >>= 5
    return "".join(reversed(chars)) + "0" * 16


class PhashIndex:
    """The perceptual hashes of one database's labels."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._known: set[str] = set()
        self._hashes = np.empty(0, dtype=np.uint64)
        self._full_at = float("-inf")
        self._synced_ms = 0

    def _add(self, rows: list[tuple[str, int]]) -> None:
        fresh = [(label_id, value) for label_id, value in rows if label_id not in self._known]
        if not fresh:
            return
        self._ids.extend(label_id for label_id, _ in fresh)
        self._known.update(label_id for label_id, _ in fresh)
        added = np.array([value & 0xFFFFFFFFFFFFFFFF for _, value in fresh], dtype=np.uint64)
        self._hashes = np.concatenate([self._hashes, added])

    def _sync(self, session: Session, *, full: bool) -> None:
        now = time.time()
        query = select(LabelRow.id, LabelRow.phash).where(LabelRow.phash.is_not(None))
        if full or now - self._full_at > FULL_RELOAD_SECONDS:
            self._ids, self._known, self._hashes = [], set(), np.empty(0, dtype=np.uint64)
            self._full_at = now
        else:
            query = query.where(LabelRow.id >= ulid_floor(max(0, self._synced_ms - OVERLAP_MS)))
        self._synced_ms = int(now * 1000)
        result = session.execute(query.execution_options(yield_per=_BATCH))
        try:
            for batch in result.partitions():
                self._add([(label_id, int(value)) for label_id, value in batch if value is not None])
        finally:
            result.close()

    def nearest(self, session: Session, phash: int, max_distance: int) -> tuple[str, int] | None:
        """The id and distance of the label nearest to ``phash`` within ``max_distance`` bits."""
        with self._lock:
            self._sync(session, full=False)
            hit = self._nearest(phash, max_distance)
            if hit is not None and session.get(LabelRow, hit[0]) is None:
                self._sync(session, full=True)  # the label is gone (a restored or emptied database)
                hit = self._nearest(phash, max_distance)
            return hit

    def _nearest(self, phash: int, max_distance: int) -> tuple[str, int] | None:
        if not self._ids:
            return None
        distances = _popcount(self._hashes ^ np.uint64(phash & 0xFFFFFFFFFFFFFFFF))
        index = int(np.argmin(distances))
        distance = int(distances[index])
        return (self._ids[index], distance) if distance <= max_distance else None


def _popcount(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    if hasattr(np, "bitwise_count"):  # numpy 2
        return np.bitwise_count(values)
    return np.unpackbits(values.view(np.uint8)).reshape(-1, 64).sum(axis=1)  # type: ignore[no-any-return]


_indexes: dict[str, PhashIndex] = {}
_indexes_lock = threading.Lock()


def index_for(session: Session) -> PhashIndex:
    """The index of the database ``session`` is bound to (one per database URL in this process)."""
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            if len(_indexes) >= _MAX_DATABASES:  # tests open many databases; a server has one
                _indexes.pop(next(iter(_indexes)))
            index = _indexes[key] = PhashIndex()
        return index
