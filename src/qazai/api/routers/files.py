"""Immutable version files at `/libraries/{slug}/v/{version}/...` (INTEROP.md "Files of a version").

Data files answer GET and HEAD with Content-Length and Accept-Ranges, single byte ranges (206,
416), a strong ETag (the sha256), If-None-Match (304), immutable caching and CORS on open data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse

from qazai.api.deps import CurrentActor, PlatformDep, UowDep
from qazai.api.envelope import error_response
from qazai.api.params import VersionNumber
from qazai.api.responses import error_responses
from qazai.core.errors import NotFound
from qazai.libraries import access, repo
from qazai.libraries.access import PARQUET_TYPE
from qazai.libraries.manifest import files_list, version_base_path, version_manifest
from qazai.storage.objects import ByteRange

router = APIRouter(tags=["library files"])

IMMUTABLE = "public, max-age=31536000, immutable"
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Length, Content-Range, Accept-Ranges, ETag",
}


class _BadRange(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """An inclusive (start, end) for a single `bytes=` range, None to send the whole file
    (no header, another unit, or several ranges); _BadRange when it cannot be satisfied."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    if "," in spec:
        return None
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
    304: {"description": "Not modified (`If-None-Match` matched the ETag)"},
    **error_responses(410, 416),
}


@router.get("/libraries/{slug}/v/{number}/data/{filename}", responses=_FILE_RESPONSES)
@router.head("/libraries/{slug}/v/{number}/data/{filename}", include_in_schema=False)
def data_file(
    slug: str,
    number: VersionNumber,
    filename: str,
    request: Request,
    uow: UowDep,
    actor: CurrentActor,
    platform: PlatformDep,
) -> Response:
    """A data file (`<part>.parquet`) of a version; tiers other than open need a token."""
    served = access.resolve_version_file(uow, actor, slug, number, filename)
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
    try:
        byte_range = parse_range(range_header, served.size)
    except _BadRange:
        return error_response(
            416,
            "range_not_satisfiable",
            f"the range {range_header!r} is not within the file's {served.size} bytes",
            {"size": served.size},
            headers={**headers, "Content-Range": f"bytes */{served.size}"},
        )
    status_code = 200
    start, end = 0, served.size - 1
    if byte_range is not None:
        start, end = byte_range
        status_code = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{served.size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    if request.method == "HEAD":
        return Response(status_code=status_code, headers=headers, media_type=served.content_type)
    if served.audited:
        access.record_file_read(platform.db, actor, served, filename, range_header)
    body: Iterator[bytes] = platform.objects.open(served.key, ByteRange(start, end) if served.size else None)
    return StreamingResponse(body, status_code=status_code, headers=headers, media_type=served.content_type)


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
