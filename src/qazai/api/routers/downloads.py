"""Every table of a version also as CSV and XLSX: `/libraries/{slug}/v/{n}/data/{part}.csv|.xlsx`.

Generated from the Parquet part on the first request and cached by content
(:mod:`qazai.libraries.formats`), then served like the Parquet file: the same tier checks (the
part's), ETag (the generated file's sha256) and 304, single byte ranges (206/416), HEAD, and the
audit of restricted reads. Included before the files router, whose `/data/{filename}` would
otherwise take these paths.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from qazai.api.deps import CurrentActor, PlatformDep, UowDep
from qazai.api.envelope import error_response
from qazai.api.params import VersionNumber
from qazai.api.platform import Platform
from qazai.api.responses import error_responses
from qazai.api.routers.files import IMMUTABLE, parse_range
from qazai.identity.actor import Actor
from qazai.libraries import access, formats, repo
from qazai.libraries.access import ServedFile
from qazai.libraries.formats import DownloadFormat
from qazai.libraries.usage import count_download
from qazai.storage.db import UnitOfWork
from qazai.storage.objects import ByteRange
from qazai.storage.scratch import scratch_root

router = APIRouter(tags=["library files"])

_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": (
        "Content-Length, Content-Range, Accept-Ranges, ETag, Content-Disposition"
    ),
}


def _responses(fmt: DownloadFormat) -> dict[int | str, dict[str, Any]]:
    body = {fmt.media_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}}
    return {
        200: {"description": f"The table as {fmt.value.upper()}", "content": body},
        206: {"description": "The requested byte range", "content": body},
        304: {"description": "Not modified (`If-None-Match` matched the ETag)"},
        **error_responses(410, 416),
    }


def _prepare(
    uow: UnitOfWork, actor: Actor, platform: Platform, slug: str, number: int, stem: str, fmt: DownloadFormat
) -> tuple[ServedFile, str]:
    """The generated file as a ServedFile (tier checks of its Parquet part first) and its name."""
    parquet = f"{stem}.parquet"
    served = access.resolve_version_file(uow, actor, slug, number, parquet)
    version = repo.get_version_by_id(uow.session, served.version_id)
    part = next(p for p in (version.manifest if version else {}).get("parts", []) if p.get("file") == parquet)
    filename = f"{stem}.{fmt.value}"
    if fmt == DownloadFormat.xlsx:
        formats.check_xlsx_rows(int(part["rows"]), parquet)
    derived = formats.derived_file(
        platform.objects,
        part_key=served.key,
        part_sha256=served.sha256,
        fmt=fmt,
        table=str(part.get("table") or stem),
        filename=parquet,
        work_dir=scratch_root(platform.settings.data_dir),
    )
    return (
        dataclasses.replace(
            served, key=derived.key, sha256=derived.sha256, size=derived.size, content_type=derived.media_type
        ),
        filename,
    )


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


def _send(
    request: Request,
    platform: Platform,
    actor: Actor,
    served: ServedFile,
    filename: str,
    slug: str,
    number: int,
) -> Response:
    etag = f'"{served.sha256}"'
    download_name = f"{slug}-v{number}-{filename}"
    headers: dict[str, str] = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(download_name)}",
    }
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
    except Exception:  # the files router's "cannot be satisfied"
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
    count_download(platform.db, served.library_id)
    body: Iterator[bytes] = platform.objects.open(served.key, ByteRange(start, end) if served.size else None)
    return StreamingResponse(body, status_code=status_code, headers=headers, media_type=served.content_type)


@router.get("/libraries/{slug}/v/{number}/data/{stem}.csv", responses=_responses(DownloadFormat.csv))
@router.head("/libraries/{slug}/v/{number}/data/{stem}.csv", include_in_schema=False)
def csv_file(
    slug: str,
    number: VersionNumber,
    stem: str,
    request: Request,
    uow: UowDep,
    actor: CurrentActor,
    platform: PlatformDep,
) -> Response:
    """A table part as CSV (UTF-8 with BOM, comma, empty cell for a missing value); made from
    `<part>.parquet` on the first request; the part's tier rules apply."""
    served, filename = _prepare(uow, actor, platform, slug, number, stem, DownloadFormat.csv)
    return _send(request, platform, actor, served, filename, slug, number)


@router.get("/libraries/{slug}/v/{number}/data/{stem}.xlsx", responses=_responses(DownloadFormat.xlsx))
@router.head("/libraries/{slug}/v/{number}/data/{stem}.xlsx", include_in_schema=False)
def xlsx_file(
    slug: str,
    number: VersionNumber,
    stem: str,
    request: Request,
    uow: UowDep,
    actor: CurrentActor,
    platform: PlatformDep,
) -> Response:
    """A table part as an Excel workbook (one sheet, header row); 422 `xlsx_too_many_rows` for a
    part of more than 1,048,575 rows (Excel's limit: take the CSV or Parquet file)."""
    served, filename = _prepare(uow, actor, platform, slug, number, stem, DownloadFormat.xlsx)
    return _send(request, platform, actor, served, filename, slug, number)
