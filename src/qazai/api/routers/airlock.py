"""The airlock: compute jobs' outputs held until two output checkers release them (docs/compute.md).

A held file's bytes are served only to output checkers (to review it) and, once released, to the
project's members, with single byte ranges; every read is audited.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from qazai.api.deps import PlatformDep, SignedInActor, UowDep
from qazai.api.envelope import error_response
from qazai.api.responses import error_responses
from qazai.api.routers.files import _BadRange, parse_range
from qazai.compute import airlock, airlock_publish
from qazai.compute.airlock_models import (
    FileState,
    HeldFileFilter,
    HeldFileRead,
    ReviewCreate,
    TablePreview,
    Variant,
)
from qazai.compute.airlock_publish import PublicationStatus, PublishReleased, PublishStarted
from qazai.core.errors import NotFound
from qazai.core.pagination import Page
from qazai.storage.objects import ByteRange

router = APIRouter(tags=["airlock"])

_FILE = {"schema": {"type": "string", "format": "binary"}}
_CONTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file", "content": {"application/octet-stream": _FILE}},
    206: {"description": "The requested byte range", "content": {"application/octet-stream": _FILE}},
    **error_responses(416),
}
_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".tsv": "text/tab-separated-values; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".pdf": "application/pdf",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


def _variant(file: HeldFileRead, variant: str | None) -> Variant:
    """``released`` (the default) is whichever version the checkers released."""
    if variant in (None, "", "released"):
        if file.released_variant is None:
            return Variant.safe if file.has_safe_version else Variant.original
        return file.released_variant
    try:
        return Variant(variant)
    except ValueError:
        raise NotFound(
            f"no version {variant!r}: use released, original or safe", code="no_such_variant"
        ) from None


@router.get("/airlock/files", response_model=Page[HeldFileRead])
def list_files(
    uow: UowDep,
    actor: SignedInActor,
    state: FileState | None = None,
    job_id: str | None = None,
    project_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Page[HeldFileRead]:
    """Held outputs, newest first. Output checkers see every file (`?state=pending` is their queue);
    others the files of a project they belong to (`project_id`), or by default those of their own jobs."""
    query = HeldFileFilter(state=state, job_id=job_id, project_id=project_id, limit=limit, cursor=cursor)
    return airlock.list_held_files(uow, actor, query)


@router.get("/airlock/released", response_model=list[HeldFileRead])
def released_files(
    uow: UowDep, actor: SignedInActor, limit: Annotated[int, Query(ge=1, le=500)] = 200
) -> list[HeldFileRead]:
    """The released outputs of every project you are a member of, newest first."""
    return airlock.list_released_files(uow, actor, limit=limit)


@router.get("/airlock/files/{file_id}", response_model=HeldFileRead)
def show_file(file_id: str, uow: UowDep, actor: SignedInActor) -> HeldFileRead:
    """One held output: its state, the disclosure findings (cell by cell) and the reviews so far."""
    return airlock.get_held_file(uow, actor, file_id)


@router.post("/airlock/files/{file_id}/reviews", response_model=HeldFileRead, status_code=201)
def review_file(file_id: str, body: ReviewCreate, uow: UowDep, actor: SignedInActor) -> HeldFileRead:
    """An output checker's decision: `approve` a `variant` (`safe` or `original`, with a
    `justification` when the checks did not clear it) or `reject` with a reason. Two approvals of the
    same variant by two checkers (never the requester) release the file; one rejection refuses it."""
    return airlock.review_held_file(uow, actor, file_id, body)


@router.get("/airlock/files/{file_id}/publication", response_model=PublicationStatus)
def publication(file_id: str, uow: UowDep, actor: SignedInActor) -> PublicationStatus:
    """Whether a released table may be published openly: each input library's producer must allow it."""
    return airlock_publish.get_publication_status(uow, actor, file_id)


@router.post(
    "/airlock/files/{file_id}/publication/consents", response_model=PublicationStatus, status_code=201
)
def allow_publication(file_id: str, uow: UowDep, actor: SignedInActor) -> PublicationStatus:
    """A producer of an input library's organisation allows the released table to be published."""
    return airlock_publish.allow_publication(uow, actor, file_id)


@router.post("/airlock/files/{file_id}/publication", response_model=PublishStarted, status_code=202)
def publish(
    file_id: str, body: PublishReleased, actor: SignedInActor, platform: PlatformDep
) -> PublishStarted:
    """Publish the released table as (the next version of) an open library of the project's
    organisation, through the normal publish pipeline; follow the job at `/api/v1/jobs/{job_id}`."""
    return airlock_publish.publish_released_file(
        platform.db,
        platform.objects,
        actor,
        file_id,
        body,
        max_bytes=platform.settings.upload_max_bytes,
        retention_days=platform.settings.raw_retention_days,
    )


@router.get("/airlock/files/{file_id}/preview", response_model=TablePreview)
def preview_file(
    file_id: str, uow: UowDep, actor: SignedInActor, platform: PlatformDep, variant: str | None = None
) -> TablePreview:
    """The first rows of a held table with the findings placed on their cells (`marks`)."""
    served = airlock.resolve_held_file(
        uow, actor, file_id, _variant(airlock.get_held_file(uow, actor, file_id), variant)
    )
    preview = airlock.preview_held_table(platform.objects, served)
    airlock.record_output_read(platform.db, actor, served, preview=True)
    return preview


@router.get("/airlock/files/{file_id}/content", responses=_CONTENT_RESPONSES)
@router.head("/airlock/files/{file_id}/content", include_in_schema=False)
def file_content(
    file_id: str,
    request: Request,
    uow: UowDep,
    actor: SignedInActor,
    platform: PlatformDep,
    variant: str | None = None,
) -> Response:
    """The bytes of a released output (project members) or of a held one (output checkers), with
    single byte ranges (`Range: bytes=...`, 206/416). `variant`: released (default), original, safe."""
    file = airlock.get_held_file(uow, actor, file_id)
    served = airlock.resolve_held_file(uow, actor, file_id, _variant(file, variant))
    headers = {
        "ETag": f'"{served.sha256}"',
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(file.name.rsplit('/', 1)[-1])}",
    }
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
    status_code, start, end = 200, 0, served.size - 1
    if byte_range is not None:
        start, end = byte_range
        status_code = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{served.size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    media_type = _TYPES.get("." + file.name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
    if request.method == "HEAD":
        return Response(status_code=status_code, headers=headers, media_type=media_type)
    airlock.record_output_read(platform.db, actor, served, byte_range=range_header)
    body = platform.objects.open(served.key, ByteRange(start, end) if served.size else None)
    return StreamingResponse(body, status_code=status_code, headers=headers, media_type=media_type)


def _quote(name: str) -> str:
    return quote(name, safe="")
