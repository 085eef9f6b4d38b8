"""The Hub's JSON shapes (what ``huggingface_hub.hf_api`` parses) and one repo file as the Hub
describes it.

Every stored file is described as a Git LFS file: its ``lfs.oid`` (and the ``X-Linked-Etag`` of its
download) is the SHA-256 the object store already keeps, so a client's cache names blobs by
content. Files made on the fly (a dataset's ``README.md``) are plain git blobs, as on the Hub.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qazai.core.enums import AccessTier
from qazai.identity.actor import Actor
from qazai.storage.db import Database

Gated = Literal[False, "auto", "manual"]
LFS_POINTER_SIZE = 134  # bytes of a Git LFS pointer file with a 64-hex oid and a size


def gated_for(tier: AccessTier) -> Gated:
    """The Hub's ``gated`` flag: registered access is granted on accepting terms (auto), restricted
    access by the producer (manual); enclave data is never downloaded, shown as manual."""
    if tier == AccessTier.open:
        return False
    return "auto" if tier == AccessTier.registered else "manual"


def git_blob_oid(content: bytes) -> str:
    """The git object id of a file with ``content`` (what the Hub calls a file's ``oid``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def lfs_pointer_oid(sha256: str, size: int) -> str:
    """The git object id of the LFS pointer file that stands for a large file in git."""
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
    return git_blob_oid(pointer.encode())


def revision_id(kind: str, version_id: str) -> str:
    """A stable 40-hex commit id for an immutable version (the Hub's clients name cache snapshots by
    it and check it against ``^[0-9a-f]{40}$``)."""
    return hashlib.sha1(f"qazai:{kind}:{version_id}".encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class RepoEntry:
    """One file of a repo revision: its path, size and content hashes."""

    path: str
    size: int
    sha256: str | None  # set for stored (LFS-like) files
    oid: str  # git object id (of the LFS pointer for stored files)

    @classmethod
    def stored(cls, path: str, size: int, sha256: str) -> RepoEntry:
        return cls(path=path, size=size, sha256=sha256, oid=lfs_pointer_oid(sha256, size))

    @classmethod
    def generated(cls, path: str, content: bytes) -> RepoEntry:
        return cls(path=path, size=len(content), sha256=None, oid=git_blob_oid(content))


class SiblingLfs(BaseModel):
    size: int
    sha256: str
    pointer_size: int = Field(LFS_POINTER_SIZE, serialization_alias="pointerSize")


class Sibling(BaseModel):
    rfilename: str
    size: int | None = None
    blob_id: str | None = Field(None, serialization_alias="blobId")
    lfs: SiblingLfs | None = None


class TreeLfs(BaseModel):
    oid: str
    size: int
    pointer_size: int = Field(LFS_POINTER_SIZE, serialization_alias="pointerSize")


class TreeEntry(BaseModel):
    """An entry of ``/tree/{rev}`` and ``/paths-info/{rev}`` (``RepoFile`` / ``RepoFolder``)."""

    type: Literal["file", "directory"]
    oid: str
    size: int
    path: str
    lfs: TreeLfs | None = None


class RepoInfo(BaseModel):
    """``/api/models/{id}`` and ``/api/datasets/{id}`` (``ModelInfo`` / ``DatasetInfo``)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    model_id: str | None = Field(None, serialization_alias="modelId")
    author: str
    sha: str
    created_at: datetime = Field(serialization_alias="createdAt")
    last_modified: datetime = Field(serialization_alias="lastModified")
    private: bool = False
    gated: Gated = False
    disabled: bool = False
    downloads: int = 0
    likes: int = 0
    tags: list[str] = []
    pipeline_tag: str | None = None
    library_name: str | None = None
    card_data: dict[str, Any] = Field(default_factory=dict, serialization_alias="cardData")
    siblings: list[Sibling] = []
    used_storage: int = Field(0, serialization_alias="usedStorage")


def sibling(entry: RepoEntry, *, with_metadata: bool = True) -> Sibling:
    if not with_metadata:
        return Sibling(rfilename=entry.path)
    lfs = SiblingLfs(size=entry.size, sha256=entry.sha256) if entry.sha256 else None
    return Sibling(rfilename=entry.path, size=entry.size, blob_id=entry.oid, lfs=lfs)


def dump(model: BaseModel | list[Any]) -> Any:
    """JSON-ready, with the Hub's camelCase names."""
    if isinstance(model, list):
        return [dump(item) for item in model]
    return model.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class HubFile:
    """A file to answer ``/resolve/{rev}/{path}`` with: stored bytes (``key``) or made ones
    (``content``), and the headers the Hub's clients read. ``record_read`` audits a restricted read."""

    path: str
    size: int
    etag: str
    linked: bool  # a stored (LFS-like) file: X-Linked-Etag / X-Linked-Size
    commit: str
    content_type: str
    public: bool
    key: str | None = None
    content: bytes | None = None
    record_read: Callable[[Database, Actor, str | None], None] | None = None
