"""The public label check: upload a file or paste a text, no sign-in (kk/ru/en).

The same ``qazai.labels.verify`` functions as ``POST /api/v1/labels/verify``; the verdict's texts
come in all three languages from the service and the page shows the visitor's.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from qazai.core.enums import Language
from qazai.core.errors import AppError, InvalidInput
from qazai.labels import service, verify
from qazai.labels.models import MediaLabelCreate, Verification
from qazai.registry import service as registry_service
from qazai.registry.models import SystemRead
from qazai.web.context import Web, WebContext
from qazai.web.error_messages import error_text
from qazai.web.labels import N_
from qazai.web.templating import NAV, render

router = APIRouter()
NAV.append(("/verify", N_("Check a label"), lambda ctx: True))
VERIFY_PATH = "/verify"


def _page(
    ctx: WebContext, result: Verification | None = None, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(ctx, "labels/verify.html", status_code=status_code, result=result, error=error)


@router.get(VERIFY_PATH, response_class=HTMLResponse)
def verify_page(ctx: Web) -> HTMLResponse:
    return _page(ctx)


@router.post(VERIFY_PATH, response_class=HTMLResponse)
async def verify_submit(ctx: Web) -> HTMLResponse:
    form = await ctx.request.form()
    config = service.LabelConfig.from_settings(ctx.platform.settings)
    try:
        await ctx.form()  # the CSRF check
        upload = form.get("file")
        text = form.get("text")
        sidecar = form.get("manifest")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(verify.MAX_VERIFY_BYTES + 1)
            manifest = (
                await sidecar.read(verify.MAX_VERIFY_BYTES + 1)
                if isinstance(sidecar, UploadFile) and sidecar.filename
                else None
            )
            result = verify.verify_media(ctx.uow, config, data, manifest or None)
        elif isinstance(text, str) and text.strip():
            result = verify.verify_text(ctx.uow, config, text)
        else:
            raise InvalidInput("give a file or a text to check", code="nothing_to_verify")
    except AppError as exc:
        if exc.code == "csrf_failed":
            raise
        return _page(ctx, error=error_text(ctx._, exc), status_code=exc.status)
    finally:
        await form.close()  # the spooled temporary file of the upload
    return _page(ctx, result=result)


# -- the owner's page: label a file of one of your AI systems -------------------------------------

LABEL_PATH = "/labels/new"


def _labelling_systems(ctx: WebContext) -> list[SystemRead]:
    """The systems of the visitor's organisations that may label now."""
    systems: list[SystemRead] = []
    cursor: str | None = None
    while True:
        page = registry_service.list_systems(ctx.uow, ctx.actor, cursor=cursor, limit=200)
        systems.extend(
            s
            for s in page.items
            if s.state in service.LABELLING_STATES and s.owner_organisation_id in ctx.actor.memberships
        )
        if not page.next:
            return systems
        cursor = page.next


def _label_page(ctx: WebContext, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(
        ctx,
        "labels/new.html",
        status_code=status_code,
        systems=_labelling_systems(ctx),
        error=error,
    )


@router.get(LABEL_PATH, response_class=HTMLResponse)
def label_page(ctx: Web) -> HTMLResponse:
    ctx.require_user()
    return _label_page(ctx)


@router.post(LABEL_PATH, response_model=None)
async def label_submit(ctx: Web) -> Response:
    """The labelled file as a download, or the form again with the reason."""
    actor = ctx.require_user()
    form = await ctx.request.form()
    try:
        await ctx.form()  # the CSRF check
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("choose a file to label", code="file_required")
        cmd = MediaLabelCreate(
            system_id=str(form.get("system_id") or "")[:26] or "-",
            language=Language(str(form.get("language") or ctx.lang.value)),
            visible_notice=form.get("visible_notice") == "yes",
            filename=upload.filename[-255:],
        )
        data = await upload.read(service.MAX_MEDIA_BYTES + 1)
        result = service.label_media(
            ctx.uow, actor, service.LabelConfig.from_settings(ctx.platform.settings), cmd, data
        )
    except AppError as exc:
        if exc.code == "csrf_failed":
            raise
        return _label_page(ctx, error=error_text(ctx._, exc), status_code=exc.status)
    finally:
        await form.close()
    response = Response(
        result.data,
        media_type=result.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{result.filename}"',
            "X-Label-Id": result.label.id,
        },
    )
    ctx.apply_cookies(response)
    return response
