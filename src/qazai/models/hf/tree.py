"""``/tree/{rev}/{path}`` and ``/paths-info/{rev}`` over the files of one repo revision."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from qazai.core.errors import NotFound
from qazai.models.hf.shapes import RepoEntry, TreeEntry, TreeLfs


def _file(entry: RepoEntry) -> TreeEntry:
    lfs = TreeLfs(oid=entry.sha256, size=entry.size) if entry.sha256 else None
    return TreeEntry(type="file", oid=entry.oid, size=entry.size, path=entry.path, lfs=lfs)


def _directory(path: str, entries: Iterable[RepoEntry]) -> TreeEntry:
    digest = hashlib.sha1(usedforsecurity=False)
    for entry in sorted(entries, key=lambda e: e.path):
        digest.update(f"{entry.path}\0{entry.oid}\n".encode())
    return TreeEntry(type="directory", oid=digest.hexdigest(), size=0, path=path)


def _under(entries: Sequence[RepoEntry], directory: str) -> list[RepoEntry]:
    prefix = f"{directory}/" if directory else ""
    return [e for e in entries if e.path.startswith(prefix)]


def list_tree(entries: Sequence[RepoEntry], path: str = "", *, recursive: bool = False) -> list[TreeEntry]:
    """The files and folders right under ``path`` (all below it with ``recursive``), folders
    first. NotFound (``file_not_found``) when ``path`` is not a folder of the revision."""
    path = path.strip("/")
    inside = _under(entries, path)
    if path and not inside:
        raise NotFound(f"no folder {path!r} in this revision", code="file_not_found")
    start = len(path) + 1 if path else 0
    folders: set[str] = set()
    files: list[TreeEntry] = []
    for entry in inside:
        parts = entry.path[start:].split("/")
        for depth in range(1, len(parts) if recursive else min(2, len(parts))):
            folders.add(entry.path[:start] + "/".join(parts[:depth]))
        if recursive or len(parts) == 1:
            files.append(_file(entry))
    listed = [_directory(folder, _under(entries, folder)) for folder in sorted(folders)]
    return listed + sorted(files, key=lambda e: e.path)


def paths_info(entries: Sequence[RepoEntry], paths: Iterable[str]) -> list[TreeEntry]:
    """What each of ``paths`` is (file or folder), in the order asked; paths that are neither are
    left out, as the Hub does."""
    by_path = {e.path: e for e in entries}
    out: list[TreeEntry] = []
    for raw in paths:
        path = raw.strip("/")
        if path in by_path:
            out.append(_file(by_path[path]))
        elif path and (inside := _under(entries, path)):
            out.append(_directory(path, inside))
    return out
