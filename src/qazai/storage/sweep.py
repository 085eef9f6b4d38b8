"""One sweep of everything crashed processes may have left on this host's disk: scratch folders
under ``<data_dir>/tmp`` and partial objects in a local object store's ``.tmp``. Runs on server
and worker start and in the retention purge job; safe while other processes work (it takes only
what no live process holds, see :mod:`qazai.storage.scratch`)."""

from __future__ import annotations

from pathlib import Path

from qazai.storage.objects import LocalObjectStore, ObjectStore
from qazai.storage.scratch import scratch_root, sweep_scratch


def sweep_temporary_data(data_dir: Path, objects: ObjectStore) -> dict[str, int]:
    """Delete abandoned scratch folders and partial objects; how many of each."""
    swept = {"scratch_folders": sweep_scratch(scratch_root(data_dir)), "partial_objects": 0}
    if isinstance(objects, LocalObjectStore):
        swept["partial_objects"] = objects.remove_stale_temporary_files()
    return swept
