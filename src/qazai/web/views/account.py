"""Sign in and out, and the visitor's API tokens.

Signing in keeps the language the visitor reads: a language chosen with the switcher before signing
in (the ``qazai_lang`` cookie) is saved to the account, and so is, at a user's first sign-in, the
language the portal showed them (their browser's). Otherwise the account's saved language applies.
"""

from __future__ import annotations

import math

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError

from qazai.api.deps import SESSION_COOKIE, session_serializer
from qazai.core.errors import AppError, RateLimited, Unauthenticated
from qazai.identity import service as identity
from qazai.identity.models import SessionCreate, SessionCreated, TokenCreate
from qazai.identity.throttle import SignInLimits
from qazai.web.context import CSRF_COOKIE, Web, WebContext
from qazai.web.error_messages import error_text
from qazai.web.forms import form_failure
from qazai.web.i18n import LANG_COOKIE, parse_language
from qazai.web.templating import redirect, render, safe_next

router = APIRouter()


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(ctx: Web, next: str = "/") -> Response:
    if ctx.signed_in:
        return redirect(ctx, safe_next(next))
    return render(ctx, "account/sign_in.html", sign_in_next=safe_next(next))


@router.post("/sign-in", response_model=None)
async def sign_in(ctx: Web) -> Response:
    form = await ctx.form()
    email = str(form.get("email") or "").strip()
    next_url = safe_next(str(form.get("next") or "/"))
    try:
        cmd = SessionCreate(email=email, password=str(form.get("password") or ""))
        created = identity.sign_in(
            ctx.uow,
            cmd,
            max_age_seconds=ctx.platform.settings.session_max_age_seconds,
            client=ctx.request.client.host if ctx.request.client else None,
            limits=SignInLimits.from_settings(ctx.platform.settings),
        )
    except RateLimited as exc:
        minutes = max(1, math.ceil(exc.retry_after / 60))
        wait = ctx._("Try again in {minutes} min.").format(minutes=minutes)
        response = render(
            ctx,
            "account/sign_in.html",
            status_code=429,
            sign_in_error=Markup("{} {}").format(error_text(ctx._, exc), wait),
            sign_in_email=email,
            sign_in_next=next_url,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except (ValidationError, Unauthenticated) as exc:
        wrong = Unauthenticated("wrong e-mail or password", code="bad_credentials")
        return render(
            ctx,
            "account/sign_in.html",
            status_code=401,
            sign_in_error=error_text(ctx._, exc if isinstance(exc, Unauthenticated) else wrong),
            sign_in_email=email,
            sign_in_next=next_url,
        )
    _keep_language(ctx, created)
    ctx.set_cookie(
        SESSION_COOKIE,
        session_serializer(ctx.platform).dumps(created.session_id),
        ctx.platform.settings.session_max_age_seconds,
    )
    ctx.forget_cookie(CSRF_COOKIE)
    return redirect(ctx, next_url)


def _keep_language(ctx: WebContext, created: SessionCreated) -> None:
    """Save the explicit choice (the switcher's cookie), or at the first sign-in the language the
    sign-in page was shown in (the browser's, Kazakh when it asks for none of ours)."""
    chosen = parse_language(ctx.request.cookies.get(LANG_COOKIE))
    language = chosen or (ctx.lang if created.first_sign_in else None)
    if language is not None and language != created.user.language:
        actor, _csrf = identity.resolve_session(ctx.uow, created.session_id)
        identity.set_language(ctx.uow, actor, language)


@router.post("/sign-out")
async def sign_out(ctx: Web) -> RedirectResponse:
    await ctx.form()
    if ctx.session_id:
        identity.sign_out(ctx.uow, ctx.actor, ctx.session_id)
    ctx.forget_cookie(SESSION_COOKIE)
    return redirect(ctx, "/")


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(ctx: Web) -> HTMLResponse:
    actor = ctx.require_user()
    return render(ctx, "account/tokens.html", tokens=identity.list_tokens(ctx.uow, actor))


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(ctx: Web) -> HTMLResponse:
    actor = ctx.require_user()
    form = await ctx.form()
    created = None
    error = None
    try:
        days = str(form.get("expires_in_days") or "").strip()
        cmd = TokenCreate(
            name=str(form.get("name") or ""),
            scopes=[str(s) for s in form.getlist("scopes")] or ["read"],
            expires_in_days=int(days) if days.isdigit() else 90,
        )
        created = identity.create_token(ctx.uow, actor, cmd)
    except (ValidationError, AppError) as exc:
        error = form_failure(ctx, exc, refusals=())[1]
    response = render(
        ctx,
        "account/tokens.html",
        status_code=201 if created else 422,
        tokens=identity.list_tokens(ctx.uow, actor),
        created=created,
        form_error=error,
    )
    response.headers["Cache-Control"] = "no-store"  # the page shows the token's secret once
    return response


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(token_id: str, ctx: Web) -> RedirectResponse:
    actor = ctx.require_user()
    await ctx.form()
    identity.revoke_token(ctx.uow, actor, token_id)
    return redirect(ctx, "/account/tokens")
