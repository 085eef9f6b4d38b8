"""The home page and the language switcher."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from qazai.catalog import service as catalog
from qazai.catalog.indexer import catalog_index
from qazai.catalog.models import FacetName, SearchRequest, SortField, SortSpec
from qazai.identity import service as identity
from qazai.web.context import LANG_COOKIE_MAX_AGE, Web
from qazai.web.i18n import LANG_COOKIE, parse_language
from qazai.web.templating import redirect, render, safe_next

router = APIRouter()
RECENT = 6


@router.get("/", response_class=HTMLResponse)
def home(ctx: Web) -> HTMLResponse:
    """The search box, the themes with their counts and the most recently updated libraries, as
    cards (the catalogue's, from its index: what everyone may see)."""
    recent = catalog.search_libraries(
        catalog_index(ctx.platform.db),
        ctx.actor,
        SearchRequest(
            rows=RECENT,
            sort=SortSpec(field=SortField.modified, descending=True),
            facets=[FacetName.theme, FacetName.producer],
        ),
    )
    return render(
        ctx,
        "home.html",
        libraries=recent.docs,
        total=recent.result.count,
        producers=len(recent.result.facets.get(FacetName.producer.value, [])),
        themes=recent.result.facets.get(FacetName.theme.value, []),
        search_available=True,
    )


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
