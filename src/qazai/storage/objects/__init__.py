"""Content-addressed object store: a local folder by default, S3-compatible in production.

Use it only through :class:`ObjectStore`; build one with :func:`open_object_store`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from qazai.core.errors import ConfigError
from qazai.storage.objects.base import (
    CONTENT_PREFIX,
    ByteRange,
    ObjectStat,
    ObjectStore,
    PutResult,
    PutSource,
    RangeNotSatisfiable,
    content_key,
    validate_key,
)
from qazai.storage.objects.local import LocalObjectStore

if TYPE_CHECKING:
    from qazai.config import Settings
    from qazai.storage.objects.s3 import S3ObjectStore

__all__ = [
    "CONTENT_PREFIX",
    "ByteRange",
    "LocalObjectStore",
    "ObjectStat",
    "ObjectStore",
    "PutResult",
    "PutSource",
    "RangeNotSatisfiable",
    "S3ObjectStore",
    "content_key",
    "open_object_store",
    "validate_key",
]


def __getattr__(name: str) -> object:
    # boto3 is imported when an S3 store is used, not by every process that opens a local one
    # (~0.2 s of CPU at every CLI command's start)
    if name == "S3ObjectStore":
        from qazai.storage.objects.s3 import S3ObjectStore

        return S3ObjectStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_object_store(
    settings_or_url: Settings | str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> ObjectStore:
    """The object store named by the settings (``object_store_url`` and ``s3_*``) or by a URL.

    ``s3://bucket/prefix`` gives an :class:`S3ObjectStore`; a folder path or ``file://`` URL gives a
    :class:`LocalObjectStore`. Keyword arguments override the S3 settings. ConfigError if the URL
    cannot be used.
    """
    if isinstance(settings_or_url, str):
        url = settings_or_url
    else:
        settings = settings_or_url
        url = settings.effective_object_store_url
        endpoint_url = endpoint_url or settings.s3_endpoint_url
        region = region or settings.s3_region
        access_key_id = access_key_id or settings.s3_access_key_id
        if secret_access_key is None and settings.s3_secret_access_key is not None:
            secret_access_key = settings.s3_secret_access_key.get_secret_value()
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigError(f"object store URL {url!r} names no bucket (use s3://bucket/prefix)")
        from qazai.storage.objects.s3 import S3ObjectStore

        return S3ObjectStore(
            parts.netloc,
            parts.path.strip("/"),
            endpoint_url=endpoint_url,
            region=region,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
        )
    if parts.scheme == "file":
        return LocalObjectStore(Path(unquote(parts.path)))
    if parts.scheme and len(parts.scheme) > 1:  # "C:\\..." parses with a one-letter scheme
        raise ConfigError(f"unsupported object store URL {url!r} (use a folder path or s3://bucket/prefix)")
    return LocalObjectStore(Path(url))
