"""The object store on an S3-compatible service (AWS S3, MinIO, Ceph RGW, Garage...), via boto3."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from qazai.core.errors import NotFound, Unavailable
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

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MIN_PART_SIZE = 5 * 1024 * 1024
DEFAULT_PART_SIZE = 16 * 1024 * 1024
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


class S3ObjectStore:
    """Objects in ``bucket`` under ``prefix``.

    An upload that fits in one part is a single ``PutObject``; a larger one is a multipart upload,
    which S3 makes visible only when it completes and which is aborted on any failure, so an
    object appears whole or not at all. Content-addressed puts first spool to a local temporary
    file to learn the hash (the key), skip the upload when that key already exists, and then
    upload straight to the final key: no server-side copy, no temporary keys in the bucket.
    Memory use is at most two parts (``part_size`` each).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        spool_dir: str | None = None,
        client: S3Client | None = None,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError("S3 multipart parts must be at least 5 MiB")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = part_size
        self.spool_dir = spool_dir
        self.client: S3Client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(
                # Many S3-compatible services reject the CRC checksums newer boto3 adds by default.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"max_attempts": 5, "mode": "standard"},
                s3={"addressing_style": "path"} if endpoint_url else None,
            ),
        )

    def __repr__(self) -> str:
        return f"S3ObjectStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _full(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def presigned_url(
        self, key: str, *, expires_in: int, content_type: str | None = None, filename: str | None = None
    ) -> str:
        """A GET URL for ``key`` that anyone holding it may use for ``expires_in`` seconds (the
        store's own signature: no request to S3 is made). ``content_type`` and ``filename`` set
        the answer's Content-Type and Content-Disposition. The caller checks who may read first."""
        params: dict[str, str] = {"Bucket": self.bucket, "Key": self._full(key)}
        if content_type:
            params["ResponseContentType"] = content_type
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

    # -- writing -----------------------------------------------------------------------------

    def put(self, key: str | None, data: PutSource, *, max_bytes: int | None = None) -> PutResult:
        if key is not None:
            validate_explicit_key(key)
            limiter = HashingLimiter(max_bytes)
            with _translate_errors(key):
                self._upload(key, limiter.wrap(iter_chunks(data)))
            return PutResult(key=key, sha256=limiter.hexdigest, size=limiter.size)
        limiter = HashingLimiter(max_bytes)
        with tempfile.TemporaryFile(dir=self.spool_dir, prefix="qazai-put-") as spool:
            for chunk in limiter.wrap(iter_chunks(data)):
                spool.write(chunk)
            final_key = content_key(limiter.hexdigest)
            if not self.exists(final_key):
                spool.seek(0)
                with _translate_errors(final_key):
                    self._upload(final_key, iter_chunks(spool))
        return PutResult(key=final_key, sha256=limiter.hexdigest, size=limiter.size)

    def _upload(self, key: str, chunks: Iterable[bytes]) -> None:
        full = self._full(key)
        parts = _parts(chunks, self.part_size)
        first = next(parts, b"")
        second = next(parts, None)
        if second is None:
            self.client.put_object(Bucket=self.bucket, Key=full, Body=first)
            return
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=full)["UploadId"]
        try:
            done: list[CompletedPartTypeDef] = []
            pending: Iterable[bytes] = _chain_parts(first, second, parts)
            for number, body in enumerate(pending, start=1):
                response = self.client.upload_part(
                    Bucket=self.bucket, Key=full, UploadId=upload_id, PartNumber=number, Body=body
                )
                done.append({"ETag": response["ETag"], "PartNumber": number})
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=full, UploadId=upload_id, MultipartUpload={"Parts": done}
            )
        except BaseException:
            with contextlib.suppress(BotoCoreError, ClientError):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)
            raise

    # -- reading -----------------------------------------------------------------------------

    def open(self, key: str, byte_range: ByteRange | None = None) -> Iterator[bytes]:
        size = self.size(key)
        if byte_range is None:
            return self._read(key, None)
        offset, length = byte_range.resolve(size)
        return self._read(key, f"bytes={offset}-{offset + length - 1}")

    def _read(self, key: str, range_header: str | None) -> Iterator[bytes]:
        extra: dict[str, Any] = {"Range": range_header} if range_header else {}
        with _translate_errors(key):
            response = self.client.get_object(Bucket=self.bucket, Key=self._full(key), **extra)
            body = response["Body"]
            try:
                yield from body.iter_chunks(CHUNK_SIZE)
            finally:
                body.close()

    def stat(self, key: str) -> ObjectStat:
        with _translate_errors(key):
            head = self.client.head_object(Bucket=self.bucket, Key=self._full(key))
        return ObjectStat(key=key, size=head["ContentLength"], modified_at=head["LastModified"])

    def size(self, key: str) -> int:
        return self.stat(key).size

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except NotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        with _translate_errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._full(key))

    def list(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        with _translate_errors(prefix):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix) :]


def _parts(chunks: Iterable[bytes], part_size: int) -> Iterator[bytes]:
    """Re-chunk a stream into parts of exactly ``part_size`` bytes (the last may be shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= part_size:
            yield bytes(buffer[:part_size])
            del buffer[:part_size]
    if buffer:
        yield bytes(buffer)


def _chain_parts(first: bytes, second: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield second
    yield from rest


@contextlib.contextmanager
def _translate_errors(key: str) -> Iterator[None]:
    """S3 "no such key" becomes NotFound; an unreachable or failing service becomes Unavailable."""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING_CODES:
            raise NotFound(f"no object {key!r}") from None
        raise Unavailable(f"object store error ({code or 'unknown'}) for {key!r}") from exc
    except BotoCoreError as exc:
        raise Unavailable(f"object store unreachable: {exc}") from exc
