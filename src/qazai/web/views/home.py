"""The home page and the language switcher."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from qazai.identity import service as identity
from qazai.libraries import service as libraries
from qazai.web.context import LANG_COOKIE_MAX_AGE, Web
from qazai.web.i18n import LANG_COOKIE, parse_language
from qazai.web.templating import redirect, render, safe_next

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(ctx: Web) -> HTMLResponse:
    recent = [
        library
        for library in libraries.list_libraries(ctx.uow, ctx.actor, limit=50).items
        if library.latest_version is not None
    ]
    recent.sort(key=lambda library: library.updated_at, reverse=True)
    return render(ctx, "home.html", libraries=recent[:6], search_available=True)


@router.post("/language")
async def switch_language(ctx: Web) -> RedirectResponse:
    """Remember the language: on the account when signed in, in a cookie in any case."""
    form = await ctx.form()
    lang = parse_language(str(form.get("lang") or ""))
    if lang is not None:
        if ctx.signed_in:
            identity.set_language(ctx.uow, ctx.actor, lang)
        ctx.set_cookie(LANG_COOKIE, lang.value, LANG_COOKIE_MAX_AGE, http_only=False)
    return redirect(ctx, safe_next(str(form.get("next") or "/")))
