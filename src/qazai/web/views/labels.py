"""The public label check: upload a file or paste a text, no sign-in (kk/ru/en).

The same ``qazai.labels.verify`` functions as ``POST /api/v1/labels/verify``; the verdict's texts
come in all three languages from the service and the page shows the visitor's.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from qazai.core.errors import AppError, InvalidInput
from qazai.labels import service, verify
from qazai.labels.models import Verification
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
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(verify.MAX_VERIFY_BYTES + 1)
            result = verify.verify_media(ctx.uow, config, data)
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
