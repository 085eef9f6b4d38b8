"""Labels of synthetic content (docs/labels.md): label for a system, verify for anyone."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from qazai.api.deps import CurrentActor, PlatformDep, SignedInActor, UowDep
from qazai.core.enums import Language
from qazai.core.errors import InvalidInput, NotFound
from qazai.labels import authority, certificates, service, verify
from qazai.labels.models import (
    MAX_TEXT_CHARS,
    CertificateRead,
    CertificateRevoke,
    LabelCounts,
    LabelledFile,
    LabelledText,
    MediaLabelCreate,
    TextBatchCreate,
    TextLabelCreate,
    Verification,
)
from qazai.registry import policy as registry_policy
from qazai.registry import repo as registry_repo
from qazai.registry.workflow import PUBLIC_STATES, SystemState

router = APIRouter(tags=["labels"])
# The body limit of these routes (set in qazai.api.app): the largest file plus its form fields.
LABEL_BODY_BYTES = service.MAX_MEDIA_BYTES + 64 * 1024


def _read_upload(upload: UploadFile, limit: int) -> bytes:
    data = upload.file.read(limit + 1)
    if len(data) > limit:  # the middleware refuses a larger body first; this guards direct calls
        raise InvalidInput(f"the file is larger than {limit:,} bytes", code="file_too_large")
    return data


@router.post(
    "/labels",
    status_code=status.HTTP_201_CREATED,
    response_class=Response,
    responses={201: {"content": {"application/octet-stream": {}}, "description": "the labelled file"}},
)
def label_file(
    uow: UowDep,
    actor: SignedInActor,
    platform: PlatformDep,
    file: Annotated[
        UploadFile, File(description="PNG, JPEG, WebP, GIF, TIFF, AVIF, PDF, WAV, MP3, FLAC, MP4...")
    ],
    system_id: Annotated[str, Form(max_length=26, description="the registered AI system that made it")],
    language: Annotated[Language, Form(description="language of the visible notice")] = Language.kk,
    visible_notice: Annotated[bool, Form(description="stamp the notice into the picture")] = False,
    sidecar: Annotated[bool, Form(description="leave the file as it is; answer the .c2pa manifest")] = False,
) -> Response:
    """Label a file made by your AI system: the answer is the file with a signed C2PA manifest (or,
    with `sidecar`, the manifest to keep next to it). Needs a token with the `label` scope.

    Example: `curl -H "Authorization: Bearer $T" -F system_id=01J... -F file=@out.png
    -o out.labelled.png https://qazai.kz/api/v1/labels`"""
    cmd = MediaLabelCreate(
        system_id=system_id,
        language=language,
        visible_notice=visible_notice,
        sidecar=sidecar,
        filename=(file.filename or "file")[-255:],
    )
    data = _read_upload(file, service.MAX_MEDIA_BYTES)
    result = service.label_media(uow, actor, service.LabelConfig.from_settings(platform.settings), cmd, data)
    headers = {
        "X-Label-Id": result.label.id,
        "X-Label-Sha256": result.label.content_sha256,
        "Content-Disposition": f'attachment; filename="{result.filename}"',
    }
    if result.sidecar is not None:
        stem = result.filename.split(".labelled.")[0]
        headers["Content-Disposition"] = f'attachment; filename="{stem}.c2pa"'
        return Response(result.sidecar, status_code=201, media_type="application/c2pa", headers=headers)
    return Response(result.data, status_code=201, media_type=result.media_type, headers=headers)


@router.post("/labels/batch", response_model=list[LabelledFile], status_code=status.HTTP_201_CREATED)
def label_files(
    uow: UowDep,
    actor: SignedInActor,
    platform: PlatformDep,
    files: Annotated[list[UploadFile], File(description="up to 20 files, 50 MiB in all")],
    system_id: Annotated[str, Form(max_length=26, description="the registered AI system that made them")],
    language: Annotated[Language, Form(description="language of the visible notice")] = Language.kk,
    visible_notice: Annotated[bool, Form(description="stamp the notice into pictures")] = False,
    sidecar: Annotated[bool, Form(description="leave the files as they are; answer .c2pa manifests")] = False,
) -> list[LabelledFile]:
    """Label several files of one system at once (all or none); the answer is JSON with each file
    base64-encoded."""
    cmd = MediaLabelCreate(
        system_id=system_id, language=language, visible_notice=visible_notice, sidecar=sidecar
    )
    given = [((f.filename or "file"), _read_upload(f, service.MAX_MEDIA_BYTES)) for f in files]
    results = service.label_media_batch(
        uow, actor, service.LabelConfig.from_settings(platform.settings), cmd, given
    )
    return [
        LabelledFile(
            label=r.label,
            filename=r.filename,
            media_type=r.media_type,
            data_base64=base64.b64encode(r.data).decode(),
            sidecar_base64=base64.b64encode(r.sidecar).decode() if r.sidecar is not None else None,
        )
        for r in results
    ]


@router.post("/labels/text", response_model=LabelledText, status_code=status.HTTP_201_CREATED)
def label_text(
    cmd: TextLabelCreate, uow: UowDep, actor: SignedInActor, platform: PlatformDep
) -> LabelledText:
    """Label a text made by your AI system: the notice is added (and, with `invisible_mark`, the
    signed record is embedded invisibly); the platform keeps the record, found again by the hash."""
    return service.label_text(uow, actor, service.LabelConfig.from_settings(platform.settings), cmd)


@router.post("/labels/text/batch", response_model=list[LabelledText], status_code=status.HTTP_201_CREATED)
def label_texts(
    cmd: TextBatchCreate, uow: UowDep, actor: SignedInActor, platform: PlatformDep
) -> list[LabelledText]:
    """Label up to 100 texts at once (all or none)."""
    return service.label_texts(uow, actor, service.LabelConfig.from_settings(platform.settings), cmd)


@router.post("/labels/verify", response_model=Verification)
def verify_file(
    uow: UowDep,
    platform: PlatformDep,
    file: Annotated[UploadFile | None, File(description="the file to check")] = None,
    manifest: Annotated[UploadFile | None, File(description="its .c2pa sidecar, if it has one")] = None,
    text: Annotated[str | None, Form(max_length=MAX_TEXT_CHARS * 2, description="or a text to check")] = None,
) -> Verification:
    """Check a file or a text, no sign-in: labelled and trusted, labelled but untrusted or invalid
    (why), found in the label registry by hash or perceptual hash, or nothing found (which proves
    nothing). Addresses named inside a file are never fetched."""
    config = service.LabelConfig.from_settings(platform.settings)
    if file is not None and file.filename:
        sidecar = _read_upload(manifest, service.MAX_MEDIA_BYTES) if manifest is not None else None
        return verify.verify_media(uow, config, _read_upload(file, verify.MAX_VERIFY_BYTES), sidecar or None)
    if text is not None and text.strip():
        return verify.verify_text(uow, config, text)
    raise InvalidInput("give a file (`file`) or a text (`text`) to check", code="nothing_to_verify")


class TextToVerify(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS * 2)


@router.post("/labels/verify/text", response_model=Verification)
def verify_text(body: TextToVerify, uow: UowDep, platform: PlatformDep) -> Verification:
    """Check a text sent as JSON `{"text": "..."}`, no sign-in."""
    return verify.verify_text(uow, service.LabelConfig.from_settings(platform.settings), body.text)


@router.get("/labels/trust-anchors", response_class=Response)
def trust_anchors(uow: UowDep) -> Response:
    """The platform's labelling root certificates (PEM), to check labels with any C2PA tool."""
    return Response(authority.trust_anchors_pem(uow.session), media_type="application/x-pem-file")


@router.get("/labels/systems/{system_id}/counts", response_model=LabelCounts)
def label_counts(system_id: str, uow: UowDep, actor: CurrentActor) -> LabelCounts:
    """How many labels a system made: public for systems on the register."""
    system = registry_repo.get_system(uow.session, system_id)
    if system is None or (
        SystemState(system.state) not in PUBLIC_STATES and not registry_policy.can_read_system(actor, system)
    ):
        raise NotFound(f"no AI system {system_id!r}")
    return service.count_labels(uow.session, system_id)


@router.get("/labels/systems/{system_id}/certificates", response_model=list[CertificateRead])
def list_certificates(system_id: str, uow: UowDep, actor: SignedInActor) -> list[CertificateRead]:
    """The system's signing certificates (owner, regulator, operator)."""
    return certificates.list_certificates(uow, actor, system_id)


@router.post("/labels/certificates/{certificate_id}/revoke", response_model=CertificateRead)
def revoke_certificate(
    certificate_id: str, cmd: CertificateRevoke, uow: UowDep, actor: SignedInActor
) -> CertificateRead:
    """Revoke a signing certificate (regulator, operator, or the owner's administrator): its labels
    verify as untrusted from now on."""
    return certificates.revoke_certificate(uow, actor, certificate_id, cmd)
