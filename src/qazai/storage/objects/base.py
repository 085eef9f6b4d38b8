"""The object store contract, shared by every implementation.

Keys are ``/``-separated paths of safe segments. Content-addressed objects live under
``sha256/<2 hex>/<2 hex>/<64 hex>`` and are written only by :meth:`ObjectStore.put` with
``key=None``; every other key is an explicit key (version manifests, exports) chosen by the caller.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol, TypeAlias, runtime_checkable

from qazai.core.errors import InvalidInput, PayloadTooLarge

CHUNK_SIZE = 1024 * 1024
CONTENT_PREFIX = "sha256/"
MAX_KEY_LENGTH = 1024

_SEGMENT = re.compile(r"^[A-Za-z0-9_=+@-][A-Za-z0-9._=+@-]*$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

PutSource: TypeAlias = BinaryIO | Iterable[bytes]


class RangeNotSatisfiable(InvalidInput):
    """The requested byte range starts past the end of the object (HTTP 416)."""

    code = "range_not_satisfiable"
    status = 416


@dataclass(frozen=True, slots=True)
class PutResult:
    key: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class ObjectStat:
    key: str
    size: int
    modified_at: datetime


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Bytes ``start`` to ``end`` inclusive, as in HTTP ``Range: bytes=start-end``.

    ``end=None`` means "to the end of the object"; an ``end`` past the end is clamped.
    """

    start: int
    end: int | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or (self.end is not None and self.end < self.start):
            raise InvalidInput(f"invalid byte range {self.start}-{self.end}")

    def resolve(self, size: int) -> tuple[int, int]:
        """(offset, length) inside an object of ``size`` bytes; RangeNotSatisfiable if empty."""
        if self.start >= size:
            raise RangeNotSatisfiable(
                f"byte range starts at {self.start} but the object has {size} bytes",
                details={"size": size},
            )
        last = size - 1 if self.end is None else min(self.end, size - 1)
        return self.start, last - self.start + 1


@runtime_checkable
class ObjectStore(Protocol):
    """Where raw uploads, Parquet files and version metadata live.

    Every implementation passes the same contract tests (``tests/storage/test_objects.py``).
    """

    def put(self, key: str | None, data: PutSource, *, max_bytes: int | None = None) -> PutResult:
        """Store ``data`` (a binary file object or an iterable of byte chunks), streaming.

        ``key=None`` stores it content-addressed under :func:`content_key` of its SHA-256; storing
        the same bytes again is a no-op returning the same key. An explicit key must not start
        with ``sha256/`` and is replaced atomically if it exists. The object appears whole or not
        at all: on any failure, and when more than ``max_bytes`` arrive (PayloadTooLarge), nothing
        is left visible. Raises InvalidInput for a bad key.
        """
        ...

    def open(self, key: str, byte_range: ByteRange | None = None) -> Iterator[bytes]:
        """The object's bytes (or the range's, end inclusive) as a stream of chunks.

        Raises NotFound at once if the key is missing, RangeNotSatisfiable if the range starts
        past the end.
        """
        ...

    def stat(self, key: str) -> ObjectStat:
        """Size and modification time; NotFound if missing."""
        ...

    def size(self, key: str) -> int:
        """Size in bytes; NotFound if missing."""
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds an object."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``. Deleting a missing key is not an error (job handlers retry)."""
        ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with ``prefix`` (a plain string prefix), in lexicographic order."""
        ...


def content_key(sha256_hex: str) -> str:
    """The key of a content-addressed object: ``sha256/ab/cd/abcd...``."""
    if not _HEX64.match(sha256_hex):
        raise InvalidInput("not a lowercase hex SHA-256 digest")
    return f"{CONTENT_PREFIX}{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}"


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key; InvalidInput otherwise.

    Rejects empty keys, absolute paths, backslashes, empty segments and segments starting with
    a dot (which also rules out ``.`` and ``..`` and keeps the stores' temporary names private).
    """
    if not key or len(key.encode()) > MAX_KEY_LENGTH:
        raise InvalidInput("an object key must have 1 to 1024 bytes")
    if not all(_SEGMENT.match(segment) for segment in key.split("/")):
        raise InvalidInput(
            f"invalid object key {key!r}: use '/'-separated segments of letters, digits and ._=+@- "
            "not starting with a dot"
        )
    return key


def validate_explicit_key(key: str) -> str:
    """A key a caller may write to directly: valid and outside the content-addressed area."""
    validate_key(key)
    if key.startswith(CONTENT_PREFIX):
        raise InvalidInput("keys under sha256/ are content-addressed; put them with key=None")
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty, or the beginning of a valid key (no ``..``, not absolute)."""
    if not prefix:
        return prefix
    head, _, tail = prefix.rpartition("/")
    if head:
        validate_key(head)
    if tail and not _SEGMENT.match(tail):
        raise InvalidInput(f"invalid key prefix {prefix!r}")
    return prefix


def iter_chunks(data: PutSource, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Chunks of a binary file object or of an iterable of bytes, skipping empty ones."""
    read = getattr(data, "read", None)
    if read is not None:
        while chunk := read(chunk_size):
            yield bytes(chunk)
        return
    for chunk in data:
        if chunk:
            yield bytes(chunk)


class HashingLimiter:
    """Hashes and counts chunks as they pass; PayloadTooLarge as soon as the limit is crossed."""

    def __init__(self, max_bytes: int | None) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()

    def feed(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise PayloadTooLarge(
                f"the object is larger than the limit of {self.max_bytes} bytes",
                details={"max_bytes": self.max_bytes},
            )
        self._hash.update(chunk)
        return chunk

    def wrap(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            yield self.feed(chunk)

    @property
    def hexdigest(self) -> str:
        return self._hash.hexdigest()
