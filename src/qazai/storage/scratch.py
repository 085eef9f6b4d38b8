"""Scratch folders for work on raw data (publish, preview) that no crash can leave behind.

A scratch folder lives under one root (``<data_dir>/tmp``) and is locked (``flock``) by the
process that made it for as long as it is in use. The kernel drops that lock when the process
ends, however it ends (``kill -9`` included), so :func:`sweep_scratch` can tell a folder whose
owner is gone from one still at work, on this host, without clocks or process ids: it deletes
every folder whose lock it can take. It runs on server and worker start and in the retention
purge job.

A folder is made under a staging name, locked, and only then given its name, so a named folder
that is not locked is abandoned, whatever its age. The root must be on a file system
whose locks every process using it sees (a local disk, or a shared one with working ``flock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger("qazai.storage.scratch")

SCRATCH_PREFIX = "qazai-"
STAGING_PREFIX = ".new-"
GRACE_SECONDS = 60.0


def scratch_root(data_dir: Path) -> Path:
    """Where the platform's scratch folders live: ``<data_dir>/tmp``."""
    return data_dir / "tmp"


def try_lock(fd: int) -> bool:
    """Take an exclusive ``flock`` on ``fd`` without waiting; False if another holder has it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def scratch_folder(root: Path, purpose: str) -> Iterator[Path]:
    """A new private folder ``root/qazai-<purpose>-*``, locked by this process while the block
    runs and deleted when it ends (by an exception too). If the process dies instead, the next
    :func:`sweep_scratch` deletes it."""
    root.mkdir(parents=True, exist_ok=True)
    # Made under a staging name, locked, then renamed: a folder with the final name is always
    # either locked by a live owner or abandoned, never "not locked yet".
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
    fd = os.open(staging, os.O_RDONLY)
    folder = staging
    try:
        if not try_lock(fd):  # pragma: no cover - a new folder has no other holder
            raise RuntimeError(f"could not lock the new scratch folder {staging}")
        folder = root / f"{SCRATCH_PREFIX}{purpose}-{staging.name.removeprefix(STAGING_PREFIX)}"
        os.rename(staging, folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def sweep_scratch(root: Path, *, grace_seconds: float = GRACE_SECONDS) -> int:
    """Delete the scratch folders under ``root`` whose owner is gone; returns how many.

    A staging folder (empty, between ``mkdtemp`` and its lock) goes once unlocked and older than
    ``grace_seconds``; so does anything else unexpected under ``root``, which holds nothing but
    scratch work (folders of older versions without a lock go at once).
    """
    if not root.is_dir():
        return 0
    removed = 0
    now = time.time()
    for entry in root.iterdir():
        try:
            young = now - entry.lstat().st_mtime < grace_seconds
            if entry.is_dir() and not entry.is_symlink():
                fd = os.open(entry, os.O_RDONLY)
                try:
                    if not try_lock(fd) or (young and entry.name.startswith(STAGING_PREFIX)):
                        continue  # its owner is at work, or about to lock it
                    shutil.rmtree(entry)
                finally:
                    os.close(fd)
            elif not young:
                entry.unlink()
            else:
                continue
        except FileNotFoundError:
            continue  # its owner finished and removed it meanwhile
        except OSError as exc:
            log.warning("could not sweep %s: %s", entry, exc)
            continue
        removed += 1
    if removed:
        log.info("swept %d scratch folder(s) left by stopped processes under %s", removed, root)
    return removed
