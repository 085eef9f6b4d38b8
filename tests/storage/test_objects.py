"""The object store contract, run against every implementation (local folder and S3 over HTTP)."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from qazai.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from qazai.storage.objects import (
    ByteRange,
    LocalObjectStore,
    ObjectStore,
    RangeNotSatisfiable,
    S3ObjectStore,
    content_key,
)
from tests.storage.conftest import S3_CREDENTIALS

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

MiB = 1024 * 1024


@dataclass
class Harness:
    store: ObjectStore
    leftovers: Callable[[], list[str]]
    """Everything the backend holds, visible or not (temporary files, unfinished uploads)."""


def _local(tmp_path: Path) -> Harness:
    root = tmp_path / "objects"
    store = LocalObjectStore(root)

    def leftovers() -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    return Harness(store, leftovers)


def _s3(bucket: str, client: S3Client, endpoint: str) -> Harness:
    store = S3ObjectStore(
        bucket,
        "platform/objects",
        endpoint_url=endpoint,
        region=S3_CREDENTIALS["region"],
        access_key_id=S3_CREDENTIALS["access_key_id"],
        secret_access_key=S3_CREDENTIALS["secret_access_key"],
        part_size=5 * MiB,
    )

    def leftovers() -> list[str]:
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        return sorted(keys + [f"upload:{u['Key']}" for u in uploads])

    return Harness(store, leftovers)


@pytest.fixture(params=["local", "s3"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "local":
        return _local(tmp_path)
    bucket, client = request.getfixturevalue("s3_bucket")
    return _s3(bucket, client, request.getfixturevalue("s3_endpoint"))


@pytest.fixture
def store(harness: Harness) -> ObjectStore:
    return harness.store


def _read(store: ObjectStore, key: str, byte_range: ByteRange | None = None) -> bytes:
    return b"".join(store.open(key, byte_range))


def _pattern(total: int, chunk: int = MiB) -> Iterator[bytes]:
    """``total`` deterministic, non-repeating-per-chunk bytes, produced as a stream."""
    sent = 0
    n = 0
    while sent < total:
        size = min(chunk, total - sent)
        block = hashlib.sha256(str(n).encode()).digest() * (size // 32 + 1)
        yield block[:size]
        sent += size
        n += 1


def test_put_content_addressed_returns_hash_size_and_key(store: ObjectStore) -> None:
    data = b"hello, Astana\n" * 1000
    result = store.put(None, io.BytesIO(data))
    digest = hashlib.sha256(data).hexdigest()
    assert result.sha256 == digest
    assert result.size == len(data)
    assert result.key == f"sha256/{digest[:2]}/{digest[2:4]}/{digest}" == content_key(digest)
    assert _read(store, result.key) == data
    assert store.exists(result.key)
    assert store.size(result.key) == len(data)
    assert store.stat(result.key).size == len(data)


def test_put_same_content_twice_stores_one_object(store: ObjectStore) -> None:
    first = store.put(None, [b"abc", b"def"])
    second = store.put(None, io.BytesIO(b"abcdef"))
    assert first == second
    assert list(store.list("sha256/")) == [first.key]


def test_put_explicit_key_replaces_atomically(store: ObjectStore) -> None:
    store.put("libraries/lib1/v/1/manifest.json", [b'{"v": 1}'])
    result = store.put("libraries/lib1/v/1/manifest.json", [b'{"v": 2, "more": true}'])
    assert result.key == "libraries/lib1/v/1/manifest.json"
    assert result.sha256 == hashlib.sha256(b'{"v": 2, "more": true}').hexdigest()
    assert _read(store, result.key) == b'{"v": 2, "more": true}'


def test_put_empty_object(store: ObjectStore) -> None:
    result = store.put(None, [])
    assert result.size == 0
    assert _read(store, result.key) == b""


@pytest.mark.parametrize(
    "key",
    ["", "/etc/passwd", "../escape", "a/../../b", "a//b", "a/./b", ".hidden", "a\\b", "trailing/"],
)
def test_bad_keys_are_rejected(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidInput):
        store.put(key, [b"x"])
    with pytest.raises(InvalidInput):
        store.exists(key)


def test_explicit_key_cannot_forge_content_address(store: ObjectStore) -> None:
    with pytest.raises(InvalidInput):
        store.put(content_key("0" * 64), [b"not the content of that hash"])


def test_missing_key_raises_not_found(store: ObjectStore) -> None:
    with pytest.raises(NotFound):
        store.open("nothing/here")
    with pytest.raises(NotFound):
        store.stat("nothing/here")
    with pytest.raises(NotFound):
        store.size("nothing/here")
    assert not store.exists("nothing/here")


def test_delete_removes_and_is_idempotent(store: ObjectStore) -> None:
    result = store.put(None, [b"to delete"])
    store.delete(result.key)
    assert not store.exists(result.key)
    store.delete(result.key)
    assert list(store.list()) == []


def test_byte_ranges_are_inclusive(store: ObjectStore) -> None:
    data = bytes(range(256)) * 10
    key = store.put(None, [data]).key
    assert _read(store, key, ByteRange(0, 0)) == data[:1]
    assert _read(store, key, ByteRange(10, 19)) == data[10:20]
    assert _read(store, key, ByteRange(2500)) == data[2500:]
    assert _read(store, key, ByteRange(2550, 10_000)) == data[2550:]
    with pytest.raises(RangeNotSatisfiable):
        store.open(key, ByteRange(len(data)))
    with pytest.raises(InvalidInput):
        ByteRange(5, 4)


def test_list_by_prefix_in_key_order(store: ObjectStore) -> None:
    for key in ["a/b/c.txt", "a/b-c.txt", "a/b.txt", "ab/x", "z", "a/b/d/e"]:
        store.put(key, [key.encode()])
    assert list(store.list()) == ["a/b-c.txt", "a/b.txt", "a/b/c.txt", "a/b/d/e", "ab/x", "z"]
    assert list(store.list("a/")) == ["a/b-c.txt", "a/b.txt", "a/b/c.txt", "a/b/d/e"]
    assert list(store.list("a/b")) == ["a/b-c.txt", "a/b.txt", "a/b/c.txt", "a/b/d/e"]
    assert list(store.list("a/b/")) == ["a/b/c.txt", "a/b/d/e"]
    assert list(store.list("nope/")) == []
    with pytest.raises(InvalidInput):
        list(store.list("../"))


def test_max_bytes_exceeded_leaves_nothing(harness: Harness) -> None:
    with pytest.raises(PayloadTooLarge):
        harness.store.put(None, _pattern(3 * MiB), max_bytes=2 * MiB)
    with pytest.raises(PayloadTooLarge):
        harness.store.put("exports/big.bin", _pattern(12 * MiB), max_bytes=7 * MiB)
    assert harness.leftovers() == []
    assert harness.store.put(None, [b"12345"], max_bytes=5).size == 5


def test_interrupted_put_leaves_nothing_visible(harness: Harness) -> None:
    def broken(after: int) -> Iterator[bytes]:
        yield from _pattern(after)
        raise ConnectionResetError("client went away")

    for key, after in [(None, MiB), (None, 11 * MiB), ("exports/x.bin", MiB), ("exports/y.bin", 11 * MiB)]:
        with pytest.raises(ConnectionResetError):
            harness.store.put(key, broken(after))
    assert list(harness.store.list()) == []
    assert harness.leftovers() == []


def test_large_put_is_streamed_in_parts(harness: Harness) -> None:
    total = 12 * MiB + 123  # three 5 MiB parts on S3, the last one short
    expected = hashlib.sha256()
    for chunk in _pattern(total):
        expected.update(chunk)
    for key in [None, "exports/large.bin"]:
        result = harness.store.put(key, _pattern(total))
        assert (result.sha256, result.size) == (expected.hexdigest(), total)
        assert harness.store.size(result.key) == total
        got = hashlib.sha256()
        chunk_count = 0
        for chunk in harness.store.open(result.key):
            got.update(chunk)
            chunk_count += 1
        assert got.hexdigest() == expected.hexdigest()
        assert chunk_count > 1  # streamed, not returned whole
        tail = _read(harness.store, result.key, ByteRange(total - 200, total + 5))
        assert len(tail) == 200


def test_s3_large_put_uses_multipart(s3_bucket: tuple[str, S3Client], s3_endpoint: str) -> None:
    bucket, client = s3_bucket
    store = _s3(bucket, client, s3_endpoint).store
    result = store.put("exports/parts.bin", _pattern(11 * MiB))
    head = client.head_object(Bucket=bucket, Key="platform/objects/exports/parts.bin")
    assert head["ETag"].strip('"').endswith("-3")  # S3's ETag of a 3-part multipart upload
    assert result.size == 11 * MiB


def test_local_store_keeps_temporary_files_out_of_listings(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    (tmp_path / "objects" / ".tmp" / "put-stale").write_bytes(b"partial")
    assert list(store.list()) == []
    os.utime(tmp_path / "objects" / ".tmp" / "put-stale", (0, 0))
    assert store.remove_stale_temporary_files(older_than_seconds=60) == 1


def test_local_store_refuses_a_key_that_is_also_a_prefix(tmp_path: Path) -> None:
    # S3 allows both "a" and "a/b"; a folder cannot, so the local store says so clearly.
    store = LocalObjectStore(tmp_path / "objects")
    store.put("exports/a/b", [b"x"])
    with pytest.raises(Conflict):
        store.put("exports/a", [b"y"])
    assert list(store.list()) == ["exports/a/b"]
    assert list((tmp_path / "objects" / ".tmp").iterdir()) == []
