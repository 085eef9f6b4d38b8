"""Scratch folders and partial objects: swept when their process is gone, kept while it works."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

from qazai.storage.objects import LocalObjectStore
from qazai.storage.scratch import scratch_folder, sweep_scratch


def test_a_folder_in_use_survives_the_sweep_and_goes_when_its_block_ends(tmp_path: Path) -> None:
    root = tmp_path / "tmp"
    with scratch_folder(root, "publish") as work:
        (work / "spool.arrow").write_bytes(b"raw rows")
        assert work.name.startswith("qazai-publish-")
        assert sweep_scratch(root, grace_seconds=0) == 0
        assert (work / "spool.arrow").is_file()
    assert list(root.iterdir()) == []


def test_folders_of_dead_owners_go_at_once_and_staging_folders_after_the_grace(tmp_path: Path) -> None:
    root = tmp_path / "tmp"
    abandoned = root / "qazai-publish-abc"  # as a killed process leaves it: named, not locked
    abandoned.mkdir(parents=True)
    (abandoned / "source").write_bytes(b"IIN,name\n")
    legacy = root / "qazai-publish-old"  # made by an older version (a hard link to the upload)
    legacy.mkdir()
    staging = root / ".new-xyz"  # killed between mkdtemp and its lock
    staging.mkdir()
    assert sweep_scratch(root) == 2
    assert [p.name for p in root.iterdir()] == [".new-xyz"]
    os.utime(staging, (0, 0))
    assert sweep_scratch(root) == 1
    assert list(root.iterdir()) == []


def test_a_partial_object_is_kept_while_written_and_swept_once_abandoned(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    started, release = threading.Event(), threading.Event()

    def slow() -> Iterator[bytes]:
        yield b"first chunk of a raw upload"
        started.set()
        release.wait(10)
        yield b"the rest"

    writer = threading.Thread(target=lambda: store.put("quarantine/uploads/u1/data", slow()))
    writer.start()
    try:
        assert started.wait(10)
        [partial] = list((tmp_path / "objects" / ".tmp").iterdir())
        assert partial.name.startswith("put-")
        assert store.remove_stale_temporary_files() == 0  # its writer holds it
        assert partial.is_file()
    finally:
        release.set()
        writer.join()
    assert b"".join(store.open("quarantine/uploads/u1/data")).endswith(b"the rest")
    assert list((tmp_path / "objects" / ".tmp").iterdir()) == []

    (tmp_path / "objects" / ".tmp" / "put-dead").write_bytes(b"partial of a killed writer")
    assert store.remove_stale_temporary_files() == 1
    assert list((tmp_path / "objects" / ".tmp").iterdir()) == []
