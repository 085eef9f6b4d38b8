"""Catalog search with facets, library pages, access requests and the producers' inbox."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from qazai.catalog import exports
from qazai.catalog import service as catalog
from qazai.catalog.indexer import catalog_index
from qazai.catalog.models import FacetCount, FacetName, SearchRequest
from qazai.catalog.query_limits import query_runtime
from qazai.catalog.related import related_libraries
from qazai.core.enums import AccessTier, OrgRole
from qazai.core.errors import AppError, NotFound
from qazai.identity import service as identity
from qazai.libraries import access, formats, policy, usage
from qazai.libraries import service as libraries
from qazai.libraries.citation import Citation, cite_library
from qazai.libraries.history import version_changes
from qazai.libraries.models import (
    GrantCreate,
    GrantDecision,
    GrantStatus,
    LibraryRead,
    VersionRead,
    VersionStatus,
)
from qazai.web.charts import histogram_svg, top_values_svg
from qazai.web.context import Web, WebContext
from qazai.web.error_messages import error_text
from qazai.web.forms import form_failure, optional, text, validation_errors
from qazai.web.labels import N_
from qazai.web.licences import licence_info
from qazai.web.templating import NAV, redirect, render
from qazai.web.views.viewer import chosen_tables, library_table_charts

router = APIRouter()
PAGE_SIZE = 20
FACETS = (
    (FacetName.producer, N_("Producer")),
    (FacetName.theme, N_("Theme")),
    (FacetName.tier, N_("Access")),
    (FacetName.licence, N_("Licence")),
    (FacetName.format, N_("Format")),
    (FacetName.region, N_("Region")),
    (FacetName.year, N_("Year")),
)


def is_producer(ctx: WebContext) -> bool:
    return any(role in (OrgRole.producer, OrgRole.org_admin) for role in ctx.actor.memberships.values())


NAV.append(("/catalog", N_("Catalog"), lambda ctx: True))
NAV.append(("/access-requests", N_("Access requests"), lambda ctx: ctx.signed_in))


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(ctx: Web, q: str = "", page: int = 1) -> HTMLResponse:
    filters: dict[FacetName, list[str]] = {}
    for facet, _label in FACETS:
        values = [v for v in ctx.request.query_params.getlist(facet.value) if v]
        if values:
            filters[facet] = values
    page = max(1, min(page, 1000))
    request = SearchRequest(
        q=q[:500],
        filters=filters,
        rows=PAGE_SIZE,
        start=(page - 1) * PAGE_SIZE,
        facets=[f for f, _ in FACETS],
        include_private=ctx.signed_in,
    )
    result = catalog.search_libraries(catalog_index(ctx.platform.db), ctx.actor, request)
    selected = {f.value: v for f, v in filters.items()}
    return render(
        ctx,
        "libraries/catalog.html",
        q=q,
        page=page,
        pages=max(1, -(-result.result.count // PAGE_SIZE)),
        count=result.result.count,
        some_words=result.result.some_words,
        docs=result.docs,
        facets=[(f.value, label, result.result.facets.get(f.value, [])) for f, label in FACETS],
        selected=selected,
        page_query=urlencode([("q", q), *((name, v) for name, values in selected.items() for v in values)]),
        producers=_producer_names(ctx, result.result.facets.get(FacetName.producer.value, []), selected),
    )


def _producer_names(
    ctx: WebContext, counts: list[FacetCount], selected: dict[str, list[str]]
) -> dict[str, str]:
    """The producers' names in the page's language, by the slug the producer facet counts on."""
    names: dict[str, str] = {}
    for slug in {c.value for c in counts} | set(selected.get(FacetName.producer.value, [])):
        try:
            names[slug] = identity.get_organisation(ctx.uow, ctx.actor, slug).name.get(ctx.lang)
        except NotFound:
            continue
    return names


def _profile_charts(ctx: WebContext, table: dict[str, Any]) -> dict[str, Any]:
    charts: dict[str, Any] = {}
    for column in (table.get("profile") or {}).get("columns", []):
        name = str(column.get("name"))
        if column.get("histogram"):
            charts[name] = histogram_svg(
                column["histogram"], ctx._("Distribution of %(column)s") % {"column": name}
            )
        elif column.get("top_values"):
            charts[name] = top_values_svg(
                column["top_values"], ctx._("Most frequent values of %(column)s") % {"column": name}
            )
    return charts


def _samples(ctx: WebContext, slug: str, tables: list[dict[str, Any]]) -> dict[str, Any]:
    """First rows of each table of an open library, through the catalogue's browse service."""
    samples: dict[str, Any] = {}
    index = catalog_index(ctx.platform.db)
    for table in tables:
        name = str(table.get("name"))
        for sql_name in (f"{slug}/{name}", slug):
            try:
                samples[name] = catalog.browse(
                    ctx.uow,
                    index,
                    ctx.platform.objects,
                    ctx.actor,
                    sql_name,
                    {},
                    runtime=query_runtime(ctx.platform.settings),
                    client=ctx.request.client.host if ctx.request.client else None,
                    limit=10,
                )
                break
            except AppError:
                continue
    return samples


@router.get("/libraries/{slug}", response_class=HTMLResponse)
def library_page(slug: str, ctx: Web) -> HTMLResponse:
    library = libraries.get_library(ctx.uow, ctx.actor, slug)
    versions = libraries.list_versions(ctx.uow, ctx.actor, slug, limit=50).items
    latest: VersionRead | None = next(
        (v for v in versions if v.number == library.latest_version and v.status == VersionStatus.published),
        None,
    )
    base = ctx.platform.settings.public_base_url
    index = catalog_index(ctx.platform.db)
    json_ld = None
    try:
        doc = catalog.get_library_doc(index, ctx.actor, slug)
        json_ld = exports.schema_org_dataset(base, doc)
    except NotFound:
        pass
    tables = list((latest.manifest.get("tables") if latest else None) or [])
    parts = list((latest.manifest.get("parts") if latest else None) or [])
    grants = []
    if ctx.signed_in:
        grants = access.list_grants(ctx.uow, ctx.actor, library=slug, limit=20).items
    is_owner = ctx.actor.has_org_role(library.organisation_id, OrgRole.producer)
    producer = identity.get_organisation(ctx.uow, ctx.actor, library.organisation_id)
    usage.count_view(ctx.platform.db, library.id)
    data_charts, chart_totals = library_table_charts(ctx, slug, latest.tier if latest else None, tables)
    return render(
        ctx,
        "libraries/library.html",
        library=library,
        producer=producer,
        versions=versions,
        changes=version_changes(versions),
        latest=latest,
        tables=tables,
        parts=parts,
        downloads=formats.download_sizes(ctx.platform.objects, parts),
        # the chosen table of open data: drawn from the data without the national-total row (h2)
        charts={str(t.get("name")): _profile_charts(ctx, t) for t in tables} | data_charts,
        chart_totals=chart_totals,
        # metadata, schema and profile are public; sample rows only for those who may read the
        # data (browse refuses the others: a restricted library's grant holders and producers)
        samples=_samples(ctx, slug, chosen_tables(ctx, tables))
        if latest and latest.tier != AccessTier.enclave
        else {},
        json_ld=json_ld,
        base=base,
        grants=grants,
        my_grants=[g for g in grants if g.user_id == ctx.actor.user_id],
        is_owner=is_owner,
        can_edit=policy.can_update_library(ctx.actor, library.organisation_id),
        grant_error=None,
        licence=licence_info(library.licence),
        citation=_citation(ctx, library, producer.name.get(ctx.lang), latest, base),
        usage=usage.library_usage(ctx.platform.db, ctx.uow.session, library.id),
        related=related_libraries(index, ctx.actor, library.id),
        dictionary_columns=_dictionary_columns(library, tables),
    )


def _citation(
    ctx: WebContext, library: LibraryRead, producer: str, latest: VersionRead | None, base: str
) -> Citation:
    when = latest.created_at if latest else library.created_at
    path = f"/libraries/{library.slug}" + (f"/v/{latest.number}/" if latest else "")
    return cite_library(
        slug=library.slug,
        title=library.title.get(ctx.lang),
        producer=producer,
        year=when.year,
        version=latest.number if latest else None,
        url=base.rstrip("/") + path,
    )


def _dictionary_columns(library: LibraryRead, tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per published column (every table of the latest version), its type and the producer's
    description and unit; columns only described (none published yet) come last."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for table in tables:
        for column in table.get("schema") or []:
            name = str(column.get("name"))
            if name in seen:
                continue
            seen.add(name)
            rows.append({"name": name, "type": column.get("type"), "note": library.dictionary.get(name)})
    rows.extend(
        {"name": name, "type": None, "note": note}
        for name, note in library.dictionary.items()
        if name not in seen
    )
    return rows


@router.post("/libraries/{slug}/access", response_model=None)
async def request_access(slug: str, ctx: Web) -> Response:
    actor = ctx.require_user()
    form = await ctx.form()
    try:
        if text(form, "action") == "accept_terms":
            access.accept_terms(ctx.uow, actor, slug)
        else:
            access.request_grant(ctx.uow, actor, slug, GrantCreate(purpose=text(form, "purpose")))
    except (ValidationError, AppError) as exc:
        return _library_with_error(ctx, slug, form_failure(ctx, exc)[1])
    return redirect(ctx, f"/libraries/{slug}?requested=1#access")


def _library_with_error(ctx: WebContext, slug: str, message: str) -> HTMLResponse:
    library = libraries.get_library(ctx.uow, ctx.actor, slug)
    return render(
        ctx,
        "libraries/access_error.html",
        status_code=422,
        library=library,
        grant_error=message,
    )


@router.get("/access-requests", response_class=HTMLResponse)
def access_inbox(ctx: Web) -> HTMLResponse:
    ctx.require_user()
    return render(ctx, "libraries/inbox.html", **_inbox_values(ctx), form_error=None)


def _inbox_values(ctx: WebContext) -> dict[str, Any]:
    """The inbox's three lists, and who asks (name, e-mail, organisations) for the decider."""
    actor = ctx.actor
    grants = access.list_grants(ctx.uow, actor, limit=200).items
    others = [g for g in grants if g.user_id != actor.user_id]
    return {
        "waiting": [g for g in others if g.status == GrantStatus.pending],
        "mine": [g for g in grants if g.user_id == actor.user_id],
        "decided": [g for g in others if g.status != GrantStatus.pending],
        "requesters": access.grant_requesters(ctx.uow, actor, others),
    }


@router.post("/access-requests/{grant_id}", response_model=None)
async def decide_access(grant_id: str, ctx: Web) -> Response:
    actor = ctx.require_user()
    form = await ctx.form()
    approve = text(form, "decision") == "approve"
    try:
        expires = optional(form, "expires_on")
        cmd = GrantDecision(
            approve=approve,
            expires_on=date.fromisoformat(expires) if expires else None,
            note=optional(form, "note"),
        )
        access.decide_grant(ctx.uow, actor, grant_id, cmd)
    except (ValidationError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            message: str = validation_errors(ctx, exc)
        else:
            message = ctx._("Give a valid date.")
        return _inbox_error(ctx, message)
    except AppError as exc:
        if exc.status in (401, 403, 404):
            raise
        return _inbox_error(ctx, error_text(ctx._, exc))
    return redirect(ctx, "/access-requests")


def _inbox_error(ctx: WebContext, message: str) -> HTMLResponse:
    return render(ctx, "libraries/inbox.html", status_code=422, **_inbox_values(ctx), form_error=message)
