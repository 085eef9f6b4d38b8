"""The object store in a local folder (the embedded default)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from qazai.core.errors import Conflict, NotFound
from qazai.storage.objects.base import (
    CHUNK_SIZE,
    ByteRange,
    HashingLimiter,
    ObjectStat,
    PutResult,
    PutSource,
    content_key,
    iter_chunks,
    validate_explicit_key,
    validate_key,
    validate_prefix,
)
from qazai.storage.scratch import GRACE_SECONDS, STAGING_PREFIX, try_lock

TEMP_DIR = ".tmp"


class LocalObjectStore:
    """Objects as files under ``root``; keys map to relative paths.

    Writes go to a temporary file in ``root/.tmp`` (same filesystem), are fsynced, then moved into
    place with :func:`os.replace`, so readers see the old object or the new one, never a part.
    Names starting with a dot are never keys, so temporary files never show up in listings.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._tmp = self.root / TEMP_DIR
        self._tmp.mkdir(exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def put(self, key: str | None, data: PutSource, *, max_bytes: int | None = None) -> PutResult:
        if key is not None:
            validate_explicit_key(key)
        limiter = HashingLimiter(max_bytes)
        # Locked from before the first byte until the file is moved into place (or deleted): the
        # kernel drops the lock if this process dies, which is how the sweep knows a partial is
        # abandoned. Made under a staging name and renamed once locked, so a `put-` file that is
        # not locked is abandoned (see remove_stale_temporary_files).
        fd, staging = tempfile.mkstemp(dir=self._tmp, prefix=STAGING_PREFIX)
        tmp = Path(staging)
        try:
            with os.fdopen(fd, "wb") as handle:
                try_lock(fd)
                tmp = tmp.rename(self._tmp / f"put-{tmp.name.removeprefix(STAGING_PREFIX)}")
                for chunk in limiter.wrap(iter_chunks(data)):
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
                final_key = key if key is not None else content_key(limiter.hexdigest)
                target = self._path(final_key)
                if key is None and target.is_file():
                    tmp.unlink()  # same bytes are already stored
                else:
                    try:
                        target.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(tmp, target)
                    except (IsADirectoryError, NotADirectoryError, FileExistsError):
                        raise Conflict(f"object key {final_key!r} collides with a key prefix") from None
                    _fsync_dir(target.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return PutResult(key=final_key, sha256=limiter.hexdigest, size=limiter.size)

    def open(self, key: str, byte_range: ByteRange | None = None) -> Iterator[bytes]:
        path = self._path(key)
        size = self._stat_path(key, path).st_size
        offset, length = (0, size) if byte_range is None else byte_range.resolve(size)
        return _read_file(key, path, offset, length)

    def local_path(self, key: str) -> Path:
        """The file holding ``key`` (NotFound if none), for readers on the same machine. Objects are
        replaced, never rewritten in place, so a hard link to it keeps these bytes."""
        path = self._path(key)
        self._stat_path(key, path)
        return path

    def stat(self, key: str) -> ObjectStat:
        st = self._stat_path(key, self._path(key))
        return ObjectStat(key=key, size=st.st_size, modified_at=datetime.fromtimestamp(st.st_mtime, UTC))

    def size(self, key: str) -> int:
        return self._stat_path(key, self._path(key)).st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix)
        directory, _, _ = prefix.rpartition("/")
        start = self.root.joinpath(*directory.split("/")) if directory else self.root
        base = f"{directory}/" if directory else ""
        for key in _walk_sorted(start, base):
            if key.startswith(prefix):
                yield key

    def remove_stale_temporary_files(self, older_than_seconds: float = 24 * 3600) -> int:
        """Delete temporary files left by writers that died; returns how many were removed.

        A writer locks its temporary file before the first byte and holds the lock until the file
        is in place, so a ``put-`` file that is not locked is abandoned and goes at once. A staging
        file (between ``mkstemp`` and the lock, empty) goes once unlocked and a minute old. Locked
        files go only once older than ``older_than_seconds`` (a writer on another host whose file
        system does not share locks)."""
        removed = 0
        now = time.time()
        for path in self._tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                age = now - path.stat().st_mtime
                fd = os.open(path, os.O_RDONLY)
                try:
                    unlocked = try_lock(fd)
                finally:
                    os.close(fd)
                staging = path.name.startswith(STAGING_PREFIX)
                abandoned = unlocked and (not staging or age >= GRACE_SECONDS)
                if abandoned or age >= older_than_seconds:
                    path.unlink()
                    removed += 1
        return removed

    @staticmethod
    def _stat_path(key: str, path: Path) -> os.stat_result:
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"no object {key!r}") from None
        if not path.is_file():
            raise NotFound(f"no object {key!r}")
        return st


def _read_file(key: str, path: Path, offset: int, length: int) -> Iterator[bytes]:
    # Opened lazily so an iterator that is never consumed holds no file handle.
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise NotFound(f"no object {key!r}") from None
    with handle:
        handle.seek(offset)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def _walk_sorted(directory: Path, base: str) -> Iterator[str]:
    """Keys under ``directory`` in lexicographic key order, streaming.

    Sorting siblings by ``name + "/"`` for folders and ``name`` for files gives exactly the
    order of the full key strings, because every key inside a folder starts with ``name/``.
    """
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return
    named = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        is_dir = entry.is_dir(follow_symlinks=False)
        named.append((entry.name + "/" if is_dir else entry.name, entry, is_dir))
    named.sort(key=lambda item: item[0])
    for sort_name, entry, is_dir in named:
        if is_dir:
            yield from _walk_sorted(Path(entry.path), base + sort_name)
        elif entry.is_file(follow_symlinks=False):
            yield base + entry.name


def _fsync_dir(directory: Path) -> None:
    # Makes the rename durable; not every platform allows opening a folder, hence the suppress.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
