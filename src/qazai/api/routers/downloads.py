"""Every table of a version also as CSV and XLSX: `/libraries/{slug}/v/{n}/data/{part}.csv|.xlsx`.

Generated from the Parquet part on the first request and cached by content
(:mod:`qazai.libraries.formats`), then served like the Parquet file: the same tier checks (the
part's), then answered by the files router's ``serve_version_file``: ETag (the generated file's
sha256) and 304, byte ranges (206/416), HEAD, the audit of restricted reads, the download count,
nginx / S3 hand-off when configured. Included before the files router, whose `/data/{filename}` would
otherwise take these paths.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from qazai.api.deps import get_actor
from qazai.api.params import VersionNumber
from qazai.api.platform import Platform
from qazai.api.responses import error_responses
from qazai.api.routers.files import serve_version_file
from qazai.identity.actor import Actor
from qazai.libraries import access, formats, repo
from qazai.libraries.access import ServedFile
from qazai.libraries.formats import DownloadFormat
from qazai.storage.scratch import scratch_root

router = APIRouter(tags=["library files"])

_EXPOSE = "Content-Length, Content-Range, Accept-Ranges, ETag, Content-Disposition"


def _responses(fmt: DownloadFormat) -> dict[int | str, dict[str, Any]]:
    body = {fmt.media_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}}
    return {
        200: {"description": f"The table as {fmt.value.upper()}", "content": body},
        206: {"description": "The requested byte range", "content": body},
        304: {"description": "Not modified (`If-None-Match` matched the ETag)"},
        **error_responses(410, 416),
    }


def _prepare(
    request: Request, platform: Platform, slug: str, number: int, stem: str, fmt: DownloadFormat
) -> tuple[Actor, ServedFile]:
    """Who asks, and the generated file as a ServedFile: the tier checks of its Parquet part first,
    then the cached copy or a new one (in a worker thread: it may take seconds)."""
    parquet = f"{stem}.parquet"
    with platform.db.uow(read_only=True) as uow:
        actor = get_actor(request, uow, platform)
        served = access.resolve_version_file(uow, actor, slug, number, parquet)
        version = repo.get_version_by_id(uow.session, served.version_id)
        parts = (version.manifest if version else {}).get("parts", [])
        part = next(p for p in parts if p.get("file") == parquet)
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
    return actor, dataclasses.replace(
        served, key=derived.key, sha256=derived.sha256, size=derived.size, content_type=derived.media_type
    )


async def _serve(request: Request, slug: str, number: int, stem: str, fmt: DownloadFormat) -> Response:
    platform: Platform = request.app.state.platform
    actor, served = await run_in_threadpool(_prepare, request, platform, slug, number, stem, fmt)
    request.state.actor_label = actor.label
    filename = f"{stem}.{fmt.value}"
    response = await serve_version_file(request, platform, actor, served, filename)
    if response.status_code in (200, 206):
        # a phone saves the file (a CSV would otherwise open as text in the browser)
        name = quote(f"{slug}-v{number}-{filename}")
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
        if served.public:
            response.headers["Access-Control-Expose-Headers"] = _EXPOSE
    return response


@router.get("/libraries/{slug}/v/{number}/data/{stem}.csv", responses=_responses(DownloadFormat.csv))
@router.head("/libraries/{slug}/v/{number}/data/{stem}.csv", include_in_schema=False)
async def csv_file(slug: str, number: VersionNumber, stem: str, request: Request) -> Response:
    """A table part as CSV (UTF-8 with BOM, comma, empty cell for a missing value); made from
    `<part>.parquet` on the first request; the part's tier rules apply."""
    return await _serve(request, slug, number, stem, DownloadFormat.csv)


@router.get("/libraries/{slug}/v/{number}/data/{stem}.xlsx", responses=_responses(DownloadFormat.xlsx))
@router.head("/libraries/{slug}/v/{number}/data/{stem}.xlsx", include_in_schema=False)
async def xlsx_file(slug: str, number: VersionNumber, stem: str, request: Request) -> Response:
    """A table part as an Excel workbook (one sheet, header row); 422 `xlsx_too_many_rows` for a
    part of more than 1,048,575 rows (Excel's limit: take the CSV or Parquet file)."""
    return await _serve(request, slug, number, stem, DownloadFormat.xlsx)
