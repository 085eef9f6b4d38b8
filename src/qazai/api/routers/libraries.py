"""Data libraries: metadata, uploads, publishing, versions, terms and access grants."""

from __future__ import annotations

import tempfile
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from qazai.api.deps import CurrentActor, PlatformDep, SignedInActor, UowDep, get_actor
from qazai.api.params import VersionNumber
from qazai.core.errors import InvalidInput, PayloadTooLarge, Unauthenticated
from qazai.core.pagination import Page
from qazai.identity.actor import Actor
from qazai.libraries import access, preview, service, uploads
from qazai.libraries.models import (
    GrantCreate,
    GrantDecision,
    GrantRead,
    LibraryCreate,
    LibraryRead,
    LibraryUpdate,
    PublishAccepted,
    PublishRequest,
    TermsAcceptance,
    UploadCreate,
    UploadPreview,
    UploadRead,
    VersionRead,
    VersionWithdraw,
)
from qazai.storage.scratch import scratch_root

router = APIRouter(tags=["libraries"])

Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Cursor = Annotated[str | None, Query(alias="next", description="the `next` value of the previous page")]
_SPOOL_MEMORY = 8 * 1024 * 1024


@router.get("/libraries", response_model=Page[LibraryRead])
def list_libraries(
    uow: UowDep,
    actor: CurrentActor,
    organisation: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[LibraryRead]:
    """Every library's metadata (public for all tiers), by slug; filter by `organisation`."""
    return service.list_libraries(uow, actor, organisation=organisation, cursor=cursor, limit=limit)


@router.post("/libraries", response_model=LibraryRead, status_code=status.HTTP_201_CREATED)
def create_library(cmd: LibraryCreate, uow: UowDep, actor: SignedInActor) -> LibraryRead:
    """Create a library (producers of the organisation). Metadata can be completed later."""
    return service.create_library(uow, actor, cmd)


@router.get("/libraries/{slug}", response_model=LibraryRead)
def show_library(slug: str, uow: UowDep, actor: CurrentActor) -> LibraryRead:
    """A library's metadata with its completeness report."""
    return service.get_library(uow, actor, slug)


@router.patch("/libraries/{slug}", response_model=LibraryRead)
def update_library(slug: str, cmd: LibraryUpdate, uow: UowDep, actor: SignedInActor) -> LibraryRead:
    return service.update_library(uow, actor, slug, cmd)


@router.post(
    "/libraries/{slug}/versions", response_model=PublishAccepted, status_code=status.HTTP_202_ACCEPTED
)
def publish_version(slug: str, cmd: PublishRequest, uow: UowDep, actor: SignedInActor) -> PublishAccepted:
    """Publish a completed upload as the next version: returns the pipeline job (`GET /api/v1/jobs/{id}`)."""
    return service.request_publish(uow, actor, slug, cmd)


@router.get("/libraries/{slug}/uploads/{upload_id}/preview", response_model=UploadPreview)
def preview_upload(
    slug: str,
    upload_id: str,
    uow: UowDep,
    actor: SignedInActor,
    platform: PlatformDep,
    response: Response,
    sheet: Annotated[str | None, Query(description="only this sheet of a workbook")] = None,
    rows: Annotated[int, Query(ge=1, le=preview.MAX_SAMPLE_ROWS, description="sample rows shown")] = 20,
) -> UploadPreview:
    """What publishing the upload would do, on a sample: tables, header, inferred types, privacy
    findings per column with the tier default's action, and de-identified sample rows."""
    response.headers["Cache-Control"] = "no-store"
    return preview.preview_upload(
        uow,
        platform.objects,
        actor,
        slug,
        upload_id,
        sheet=sheet,
        sample_rows=rows,
        work_dir=scratch_root(platform.settings.data_dir),
    )


@router.get("/libraries/{slug}/versions", response_model=Page[VersionRead])
def list_versions(
    slug: str, uow: UowDep, actor: CurrentActor, limit: Limit = 50, cursor: Cursor = None
) -> Page[VersionRead]:
    return service.list_versions(uow, actor, slug, cursor=cursor, limit=limit)


@router.get("/libraries/{slug}/versions/{number}", response_model=VersionRead)
def show_version(slug: str, number: VersionNumber, uow: UowDep, actor: CurrentActor) -> VersionRead:
    return service.get_version(uow, actor, slug, number)


@router.post("/libraries/{slug}/versions/{number}/withdraw", response_model=VersionRead)
def withdraw_version(
    slug: str, number: VersionNumber, cmd: VersionWithdraw, uow: UowDep, actor: SignedInActor
) -> VersionRead:
    """Withdraw a version with a reason: its files answer 410 from now on."""
    return service.withdraw_version(uow, actor, slug, number, cmd)


@router.post("/libraries/{slug}/terms/accept", response_model=TermsAcceptance)
def accept_terms(slug: str, uow: UowDep, actor: SignedInActor) -> TermsAcceptance:
    """Accept the library's terms (needed to read registered-tier data)."""
    return access.accept_terms(uow, actor, slug)


@router.post("/libraries/{slug}/grants", response_model=GrantRead, status_code=status.HTTP_201_CREATED)
def request_grant(slug: str, cmd: GrantCreate, uow: UowDep, actor: SignedInActor) -> GrantRead:
    """Request access to a restricted library, stating the purpose."""
    return access.request_grant(uow, actor, slug, cmd)


@router.get("/libraries/{slug}/grants", response_model=Page[GrantRead])
def list_library_grants(
    slug: str, uow: UowDep, actor: SignedInActor, limit: Limit = 50, cursor: Cursor = None
) -> Page[GrantRead]:
    """All requests (producers, operators) or your own (anyone else)."""
    return access.list_grants(uow, actor, library=slug, cursor=cursor, limit=limit)


@router.get("/grants", response_model=Page[GrantRead])
def list_grants(
    uow: UowDep, actor: SignedInActor, limit: Limit = 50, cursor: Cursor = None
) -> Page[GrantRead]:
    """Your requests and those waiting for your decision."""
    return access.list_grants(uow, actor, cursor=cursor, limit=limit)


@router.post("/grants/{grant_id}/decision", response_model=GrantRead)
def decide_grant(grant_id: str, cmd: GrantDecision, uow: UowDep, actor: SignedInActor) -> GrantRead:
    """Approve (with `expires_on`) or refuse a request."""
    return access.decide_grant(uow, actor, grant_id, cmd)


# -- uploads (resumable, tus-like; see docs/libraries.md) ---------------------------------------


@router.post("/uploads", response_model=UploadRead, status_code=status.HTTP_201_CREATED)
def create_upload(
    cmd: UploadCreate, uow: UowDep, actor: SignedInActor, platform: PlatformDep, response: Response
) -> UploadRead:
    """Open an upload of `size` bytes, then send the bytes with `PATCH` (one or more chunks)."""
    created = uploads.create_upload(
        uow,
        actor,
        cmd,
        max_bytes=platform.settings.upload_max_bytes,
        retention_days=platform.settings.raw_retention_days,
    )
    response.headers["Location"] = f"/api/v1/uploads/{created.id}"
    response.headers["Upload-Offset"] = str(created.offset)
    return created


def streaming_actor(request: Request, platform: PlatformDep) -> Actor:
    """The actor, resolved in a short read-only transaction (a long upload holds no lock)."""
    with platform.db.uow(read_only=True) as uow:
        actor = get_actor(request, uow, platform)
    if not actor.is_authenticated:
        raise Unauthenticated("sign in or send an API token", code="authentication_required")
    return actor


StreamingActor = Annotated[Actor, Depends(streaming_actor)]


def _offset_headers(read: UploadRead) -> dict[str, str]:
    headers = {"Upload-Offset": str(read.offset), "Cache-Control": "no-store"}
    if read.size is not None:
        headers["Upload-Length"] = str(read.size)
    return headers


@router.head("/uploads/{upload_id}")
def upload_offset(upload_id: str, actor: StreamingActor, platform: PlatformDep) -> Response:
    """`Upload-Offset`: how many bytes arrived, i.e. where to resume."""
    with platform.db.uow(read_only=True) as uow:
        read = uploads.get_upload(uow, actor, upload_id)
    return Response(status_code=status.HTTP_200_OK, headers=_offset_headers(read))


@router.get("/uploads/{upload_id}", response_model=UploadRead)
def show_upload(upload_id: str, actor: StreamingActor, platform: PlatformDep) -> UploadRead:
    with platform.db.uow(read_only=True) as uow:
        return uploads.get_upload(uow, actor, upload_id)


@router.patch("/uploads/{upload_id}", response_model=UploadRead)
async def append_upload(
    upload_id: str, request: Request, actor: StreamingActor, platform: PlatformDep
) -> Response:
    """Append the request body at `Upload-Offset` (header, required). 409 with the current
    offset if it does not match; the last chunk completes the upload (sha256 checked)."""
    raw = request.headers.get("upload-offset")
    if raw is None or not raw.isdigit():
        raise InvalidInput("send the `Upload-Offset` header (bytes already received)", code="offset_required")
    offset = int(raw)
    limit = platform.settings.upload_max_bytes
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY) as spool:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if offset + received > limit:
                raise PayloadTooLarge(
                    f"the upload is larger than the limit of {limit} bytes", details={"limit": limit}
                )
            spool.write(chunk)
        spool.seek(0)
        read = await run_in_threadpool(
            uploads.append_chunk,
            platform.db,
            platform.objects,
            actor,
            upload_id,
            offset,
            spool,
        )
    return Response(
        content=read.model_dump_json(),
        media_type="application/json",
        status_code=200,
        headers=_offset_headers(read),
    )
