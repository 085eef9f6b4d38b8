"""Errors as pages in the visitor's language (the API keeps its JSON envelope)."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qazai.api.deps import get_platform
from qazai.core.context import current_request_id
from qazai.core.errors import AppError
from qazai.identity.actor import ANONYMOUS
from qazai.web.context import CSRF_COOKIE, WebContext, anonymous_csrf
from qazai.web.error_messages import error_plain, error_text, validation_text
from qazai.web.i18n import LANG_COOKIE, choose_language, translations_for


def _context(request: Request) -> WebContext:
    existing = getattr(request.state, "web", None)
    if isinstance(existing, WebContext):
        return existing
    platform = get_platform(request)
    csrf, cookie = anonymous_csrf(request, platform)
    lang = choose_language(
        saved=None,
        cookie=request.cookies.get(LANG_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )
    ctx = WebContext(
        request=request,
        platform=platform,
        uow=None,  # type: ignore[arg-type]  # error pages never touch the database
        actor=ANONYMOUS,
        lang=lang,
        session_id=None,
        csrf_token=csrf,
    )
    if cookie:
        ctx.set_cookie(CSRF_COOKIE, cookie, None)
    return ctx


def _status_and_message(exc: Exception) -> tuple[int, AppError | None, str]:
    if isinstance(exc, AppError):
        return exc.status, exc, exc.code
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code, None, "http_error"
    if isinstance(exc, RequestValidationError):
        return 422, None, "invalid_input"
    return 500, None, "internal_error"


def render_error_page(request: Request, exc: Exception) -> HTMLResponse:
    from qazai.web.templating import render

    ctx = _context(request)
    status, app_error, code = _status_and_message(exc)
    _ = translations_for(ctx.lang).gettext
    titles = {
        401: _("Please sign in"),
        403: _("You do not have access to this page"),
        404: _("Page not found"),
        405: _("This action is not allowed here"),
        409: _("This conflicts with what already exists"),
        410: _("This is no longer available"),
        413: _("The file or form is too large"),
        422: _("Some of the data is not valid"),
        500: _("Something went wrong on our side"),
        503: _("The service is temporarily unavailable"),
    }
    explanations = {
        401: _("Sign in with your e-mail and password to continue."),
        403: _("If you think you should have access, ask your organisation's administrator."),
        404: _("The address may be mistyped, or the page was moved or removed."),
        500: _("The error was recorded. Please try again later, and quote the request id if you contact us."),
    }
    if code == "csrf_failed":
        explanations[403] = _(
            "The form has expired or did not come from this site. Reload the page and try again."
        )
    # Internal details never reach a page; service errors do (in the visitor's language, by code),
    # except on 500.
    detail = error_text(_, app_error) if app_error is not None and status < 500 else None
    if isinstance(exc, RequestValidationError):  # a query parameter of the wrong kind
        detail = validation_text(_, exc.errors())
    return render(
        ctx,
        "errors/error.html",
        status_code=status,
        status=status,
        title=titles.get(status, _("Error")),
        explanation=explanations.get(status, ""),
        detail=detail,
        request_id=current_request_id(),
        sign_in_next=request.url.path,
    )


def error_line(request: Request, exc: AppError) -> str:
    """``exc`` as one plain line in the visitor's language, for a portal script that asked for JSON
    (the upload with progress shows it under the form)."""
    return error_plain(translations_for(_context(request).lang).gettext, exc)
