"""Immutable version files at `/libraries/{slug}/v/{version}/...` (INTEROP.md "Files of a version").

Data files answer GET and HEAD with Content-Length and Accept-Ranges, byte ranges (206, 416;
overlapping ranges merged, at most MAX_RANGES), a strong ETag (the sha256), If-None-Match (304),
If-Range, immutable caching and CORS on open data. Behind nginx (``accel_redirect``) or on S3
(``s3_presigned_downloads``) the app checks and audits, and nginx or S3 sends the bytes
(docs/operations.md "Serving files").
"""

from __future__ import annotations

import logging
import os
import re
import time
import weakref
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from qazai.api.deps import CurrentActor, PlatformDep, UowDep, get_actor, without_credentials
from qazai.api.envelope import error_response
from qazai.api.params import VersionNumber
from qazai.api.platform import Platform
from qazai.api.responses import error_responses
from qazai.core.errors import NotFound
from qazai.identity.actor import ANONYMOUS, Actor
from qazai.libraries import access, repo
from qazai.libraries.access import PARQUET_TYPE, ServedFile
from qazai.libraries.manifest import files_list, version_base_path, version_manifest
from qazai.libraries.usage import count_download
from qazai.storage.objects import ByteRange, LocalObjectStore, S3ObjectStore

router = APIRouter(tags=["library files"])

IMMUTABLE = "public, max-age=31536000, immutable"
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Length, Content-Range, Accept-Ranges, ETag",
}


# Several ranges in one Range header: overlapping or adjacent ones are merged (RFC 9110 §14.2
# lets a server coalesce them); ranges that stay apart are answered with the whole file (a server
# may ignore Range), never as a multipart body built in memory; more than this many is refused.
MAX_RANGES = 100
# A range up to this size is read on the event loop (a pread from the page cache takes
# microseconds, a thread hop far longer); larger answers are read in 1 MiB chunks in a thread.
INLINE_READ_BYTES = 128 * 1024
READ_CHUNK = 1024 * 1024
# How long an open version file's facts are reused for anonymous readers without the database.
# A withdrawal forgets them at once in its own process; other processes within this time.
FILE_CACHE_SECONDS = 5.0


class _BadRange(Exception):
    """A Range header that cannot be satisfied (416)."""

    def __init__(self, too_many: bool = False) -> None:
        super().__init__()
        self.too_many = too_many


BadRange = _BadRange


def _one_range(spec: str, size: int) -> tuple[int, int]:
    first, sep, last = spec.strip().partition("-")
    if not sep:
        raise _BadRange
    try:
        if first == "":
            length = int(last)
            if length <= 0 or size == 0:
                raise _BadRange
            return max(0, size - length), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        raise _BadRange from None
    if start < 0 or end < start or start >= size:
        raise _BadRange
    return start, min(end, size - 1)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """An inclusive (start, end) for a `bytes=` Range header, None to send the whole file (no
    header, another unit, or ranges that stay apart once merged); _BadRange (416) when a range
    cannot be satisfied or there are more than MAX_RANGES."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    specs = spec.split(",", MAX_RANGES)
    if len(specs) > MAX_RANGES:
        raise _BadRange(too_many=True)
    ranges = sorted(_one_range(s, size) for s in specs)
    start, end = ranges[0]
    for next_start, next_end in ranges[1:]:
        if next_start > end + 1:
            return None
        end = max(end, next_end)
    return start, end


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


@router.options("/libraries/{slug}/v/{number}/data/{filename}", include_in_schema=False)
def data_file_options() -> Response:
    return Response(
        status_code=204,
        headers={
            **_CORS,
            "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
            "Access-Control-Allow-Headers": "Range, If-None-Match, Authorization",
            "Access-Control-Max-Age": "86400",
        },
    )


_FILE = {"schema": {"type": "string", "format": "binary"}}
_FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file", "content": {PARQUET_TYPE: _FILE, "text/csv": _FILE}},
    206: {"description": "The requested byte range", "content": {PARQUET_TYPE: _FILE, "text/csv": _FILE}},
    302: {"description": "To a short-lived presigned URL of the object store (S3, when enabled)"},
    304: {"description": "Not modified (`If-None-Match` matched the ETag)"},
    **error_responses(410, 416),
}


class VersionFileCache:
    """Facts of open version files (key, sha256, size...) by (slug, number, filename), so an
    anonymous read of open data needs no database: published versions never change. Entries live
    FILE_CACHE_SECONDS; a withdrawal drops its version's at once (:func:`forget_withdrawn_version`)."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int, str], tuple[float, ServedFile]] = {}
        _CACHES.add(self)

    def get(self, slug: str, number: int, filename: str) -> ServedFile | None:
        entry = self._entries.get((slug, number, filename))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def keep(self, slug: str, number: int, filename: str, served: ServedFile) -> None:
        if not served.public:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[(slug, number, filename)] = (time.monotonic() + FILE_CACHE_SECONDS, served)

    def forget_version(self, version_id: str) -> None:
        for key, (_, served) in list(self._entries.items()):
            if served.version_id == version_id:
                self._entries.pop(key, None)


_CACHES: weakref.WeakSet[VersionFileCache] = weakref.WeakSet()


def forget_withdrawn_version(session: Session, actor: Actor, version_id: str, reason: str) -> None:
    """The withdrawal hook (libraries.hooks): no cache of this process serves the version again."""
    for cache in list(_CACHES):
        cache.forget_version(version_id)


def _file_cache(request: Request) -> VersionFileCache:
    cache: VersionFileCache = request.app.state.version_files
    return cache


def _resolve(
    request: Request, platform: Platform, slug: str, number: int, filename: str
) -> tuple[Actor, ServedFile]:
    with platform.db.uow(read_only=True) as uow:
        actor = get_actor(request, uow, platform)
        return actor, access.resolve_version_file(uow, actor, slug, number, filename)


@router.get("/libraries/{slug}/v/{number}/data/{filename}", responses=_FILE_RESPONSES)
@router.head("/libraries/{slug}/v/{number}/data/{filename}", include_in_schema=False)
async def data_file(slug: str, number: VersionNumber, filename: str, request: Request) -> Response:
    """A data file (`<part>.parquet`) of a version; tiers other than open need a token."""
    platform: Platform = request.app.state.platform
    cache = _file_cache(request)
    cached = cache.get(slug, number, filename) if without_credentials(request.scope) else None
    if cached is not None:
        actor, served = ANONYMOUS, cached
        request.state.actor_label = actor.label
    else:
        actor, served = await run_in_threadpool(_resolve, request, platform, slug, number, filename)
        cache.keep(slug, number, filename, served)
    return await serve_version_file(request, platform, actor, served, filename)


async def serve_version_file(
    request: Request, platform: Platform, actor: Actor, served: ServedFile, filename: str
) -> Response:
    """The answer to a GET or HEAD of a stored file the actor may read (checked by the caller):
    ETag and If-None-Match (304), one byte range (206, 416), the audit of a restricted read,
    the download count; then the bytes: from the local folder (small ranges on the event loop),
    through nginx (``accel_redirect``), as a presigned S3 redirect (``s3_presigned_downloads``),
    or streamed from the object store."""
    etag = f'"{served.sha256}"'
    headers: dict[str, str] = {"ETag": etag, "Accept-Ranges": "bytes"}
    if served.public:
        headers.update(_CORS)
        headers["Cache-Control"] = IMMUTABLE
    else:
        headers["Cache-Control"] = "private, no-store"
        headers["Vary"] = "Authorization, Cookie"
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if range_header is not None and if_range is not None and if_range.strip() != etag:
        range_header = None  # If-Range with another validator (an old ETag, a date): the whole file
    try:
        byte_range = parse_range(range_header, served.size)
    except _BadRange as exc:
        if exc.too_many:
            message = f"the Range header asks for more than {MAX_RANGES} ranges; ask for fewer"
            code = "too_many_ranges"
        else:
            message = f"the range {range_header!r} is not within the file's {served.size} bytes"
            code = "range_not_satisfiable"
        return error_response(
            416,
            code,
            message,
            {"size": served.size, "max_ranges": MAX_RANGES},
            headers={**headers, "Content-Range": f"bytes */{served.size}"},
        )
    status_code = 200
    start, end = 0, served.size - 1
    if byte_range is not None:
        start, end = byte_range
        status_code = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{served.size}"
    length = max(0, end - start + 1)
    if request.method == "HEAD":
        headers["Content-Length"] = str(length)
        return Response(status_code=status_code, headers=headers, media_type=served.content_type)
    if served.audited:
        await run_in_threadpool(access.record_file_read, platform.db, actor, served, filename, range_header)
    count_download(platform.db, served.library_id)
    store = platform.objects
    settings = platform.settings
    if settings.accel_redirect and isinstance(store, LocalObjectStore):
        public_path = _public_tree_path(request, platform, served, filename)
        if public_path is not None:
            # linked for nginx, which serves it from now on without asking; this time too, from
            # the same tree and with its own ETag, so a client sees one ETag all along
            for name in (
                "ETag",
                "Content-Range",
                "Access-Control-Allow-Origin",
                "Access-Control-Expose-Headers",
            ):
                headers.pop(name, None)
            headers["X-Accel-Redirect"] = PUBLIC_ACCEL_LOCATION + quote(public_path)
            return Response(status_code=200, headers=headers, media_type=served.content_type)
        # nginx sends the bytes (and answers the Range itself) from its internal location
        headers["X-Accel-Redirect"] = settings.accel_redirect + quote(served.key)
        headers.pop("Content-Range", None)
        return Response(status_code=200, headers=headers, media_type=served.content_type)
    if settings.s3_presigned_downloads and isinstance(store, S3ObjectStore):
        url = await run_in_threadpool(
            store.presigned_url,
            served.key,
            expires_in=settings.s3_presign_seconds,
            content_type=served.content_type,
            filename=filename.replace('"', "").replace("\\", ""),
        )
        # the client repeats its Range on the new address; the URL must not be cached past its life
        return Response(
            status_code=302,
            headers={
                "Location": url,
                "Cache-Control": "private, no-store",
                **({} if not served.public else _CORS),
            },
        )
    headers["Content-Length"] = str(length)
    if isinstance(store, LocalObjectStore):
        try:
            fd = os.open(store.local_path(served.key), os.O_RDONLY)
        except (OSError, NotFound):
            logging.getLogger("qazai.api").exception("the stored file %s cannot be opened", served.key)
            raise
        return _LocalFileResponse(fd, start, length, status_code, headers, served.content_type)
    body: Iterator[bytes] = store.open(served.key, ByteRange(start, end) if served.size else None)
    return StreamingResponse(body, status_code=status_code, headers=headers, media_type=served.content_type)


# nginx's internal location over the public tree (docs/deploy/nginx.conf)
PUBLIC_ACCEL_LOCATION = "/_qazai/public/"
# a data file's URL: slug, version number, file name (the fast lane reads the same paths)
DATA_FILE_PATH = re.compile(r"/libraries/([^/]+)/v/([0-9]{1,9})/data/([^/]+)")


def _public_tree_path(request: Request, platform: Platform, served: ServedFile, filename: str) -> str | None:
    """The file's path in the public tree once linked there (open Parquet files asked for at
    their own URL, with a tree configured); None otherwise."""
    tree = platform.public_tree
    if tree is None or not served.public:
        return None
    path = request.url.path
    match = DATA_FILE_PATH.fullmatch(path)
    if match is None or match.group(3) != filename or not filename.endswith(".parquet"):
        return None
    store = platform.objects
    assert isinstance(store, LocalObjectStore)
    if not tree.link(match.group(1), int(match.group(2)), filename, store.local_path(served.key)):
        return None
    return path.lstrip("/")


class _LocalFileResponse(Response):
    """``length`` bytes of an open file from ``offset``: read on the event loop when small (page
    cache), in 1 MiB chunks in a thread otherwise. Owns ``fd`` and closes it, whatever happens."""

    def __init__(
        self, fd: int, offset: int, length: int, status_code: int, headers: dict[str, str], media_type: str
    ) -> None:
        super().__init__(status_code=status_code, headers=headers, media_type=media_type)
        self.fd, self.offset, self.length = fd, offset, length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send(
                {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
            )
            offset, remaining = self.offset, self.length
            inline = remaining <= INLINE_READ_BYTES
            while remaining > 0:
                size = min(READ_CHUNK, remaining)
                if inline:
                    chunk = os.pread(self.fd, size, offset)
                else:
                    chunk = await anyio.to_thread.run_sync(os.pread, self.fd, size, offset)
                if not chunk:
                    raise OSError(f"the stored file ended {remaining} bytes early")
                offset += len(chunk)
                remaining -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
            if self.length == 0:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            os.close(self.fd)


def _json(body: dict[str, Any], *, public: bool) -> JSONResponse:
    headers = {**_CORS, "Cache-Control": "public, max-age=300"} if public else {"Cache-Control": "no-cache"}
    return JSONResponse(body, headers=headers)


@router.get("/libraries/{slug}/v/{number}/files.json", responses=error_responses(410))
def files_json(
    slug: str, number: VersionNumber, uow: UowDep, actor: CurrentActor, platform: PlatformDep
) -> JSONResponse:
    """`{library, version, files: [{url, sha256, bytes, rows, table}]}`; 410 once withdrawn."""
    manifest = version_manifest(uow, actor, slug, number, base_url=platform.settings.public_base_url)
    return _json(files_list(manifest), public=True)


@router.get("/libraries/{slug}/v/{number}/metadata.json", responses=error_responses(410))
@router.get("/libraries/{slug}/v/{number}/", responses=error_responses(410))
def version_metadata(
    slug: str, number: VersionNumber, uow: UowDep, actor: CurrentActor, platform: PlatformDep
) -> JSONResponse:
    """The version's manifest: schema, profile, privacy report, provenance, status and reason."""
    return _json(
        version_manifest(uow, actor, slug, number, base_url=platform.settings.public_base_url), public=True
    )


@router.get("/libraries/{slug}/latest", include_in_schema=False)
@router.get(
    "/libraries/{slug}/latest/{rest:path}",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {"description": "To the same path in the newest published version (`Location`)"}},
)
def latest(slug: str, uow: UowDep, rest: str = "") -> RedirectResponse:
    """Redirect to the newest published version (`/latest/files.json` → `/v/{n}/files.json`)."""
    library = repo.get_library(uow.session, slug)
    if library is None:
        raise NotFound(f"no library {slug!r}", code="library_not_found")
    if library.latest_number is None:
        raise NotFound(f"library {slug!r} has no published version yet", code="no_published_version")
    segments = rest.split("/")
    # `rest` arrives percent-decoded (`..%2f` is `../`): a dot segment would point the redirect
    # outside the version, so there is nothing at such a path
    if any(s in (".", "..") or "\\" in s for s in segments):
        raise NotFound(f"nothing at /libraries/{slug}/latest/{rest}", code="not_found")
    target = version_base_path(library.slug, library.latest_number) + "/".join(
        quote(s, safe="") for s in segments
    )
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-cache", **_CORS})
