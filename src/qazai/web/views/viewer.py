"""The data viewer page: ``/libraries/{slug}/viewer?table=&page=&sort=&desc=&filter_<column>=&q=``.

Rendered on the server (paging links, sortable headers, per-column filters and the search are a
plain GET form and links; ``qazai.js`` only submits the table picker on change). The rows come
from ``catalog.viewer`` (the person's right to read the data is a download's), the header charts
from ``catalog.viewer_summary``. A wrong page, column, table or filter value is said in the page's
language beside the table, never as a server error.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from qazai.catalog import viewer
from qazai.catalog.query_limits import query_runtime
from qazai.catalog.viewer import ColumnKind, ReadableTable, ViewerPage, ViewerRequest
from qazai.catalog.viewer_summary import TableSummary, is_quantity, summarise_table
from qazai.core.enums import AccessTier
from qazai.core.errors import AppError, InvalidInput
from qazai.libraries import service as libraries
from qazai.web.charts import histogram_svg, top_values_svg
from qazai.web.context import Web, WebContext
from qazai.web.labels import N_, translated_labels
from qazai.web.templating import format_number, render
from qazai.web.viewer_charts import mini_histogram, mini_top_values

router = APIRouter()
FILTER_PREFIX = "filter_"

# InvalidInput codes of the viewer -> what the reader sees (``details`` fill the placeholders).
VIEWER_MESSAGES = {
    "viewer_unknown_table": N_("This version has no table “%(table)s”. Choose one of its tables."),
    "viewer_unknown_column": N_("This table has no column “%(column)s”."),
    "viewer_bad_page": N_("There is no such page: pages are numbered from 1."),
    "viewer_page_out_of_range": N_("There is no page %(page)s: this view has %(pages)s pages."),
    "viewer_bad_filter": N_("The filter on “%(column)s” does not read as %(expected)s: “%(value)s”."),
    "viewer_bad_search": N_("The search is too long: at most 200 characters."),
}
EXPECTED = {
    "a number": N_("a number (for example 1500, >=1000 or 10..20)"),
    "a date (YYYY-MM-DD)": N_("a date (YYYY-MM-DD)"),
    "yes or no": N_("yes or no"),
}


def chosen_tables(ctx: WebContext, tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The one table of a version's manifest ``tables`` the library page shows (``?table=``, else
    the first): the page shows a picker, not every table."""
    wanted = ctx.request.query_params.get("table")
    chosen = next((t for t in tables if str(t.get("name")) == wanted), None)
    return [chosen or tables[0]] if tables else []


def library_table_charts(
    ctx: WebContext, slug: str, tier: AccessTier | None, tables: list[dict[str, Any]]
) -> tuple[dict[str, dict[str, Markup]], dict[str, Markup]]:
    """For the library page: the profile charts of the chosen table of an OPEN version drawn from
    the viewer's summary, so the national-total row stays out of them, and that row's label
    (``{table: charts}``, ``{table: label}``). Other tiers keep their public profile (its values
    are hidden); when the summary cannot be had (busy query service...) the profile is used."""
    chosen = chosen_tables(ctx, tables)
    if tier != AccessTier.open or not chosen:
        return {}, {}
    name = str(chosen[0].get("name"))
    try:
        table = viewer.readable_table(ctx.uow, ctx.platform.db, ctx.platform.objects, ctx.actor, slug, name)
        summary = summarise_table(
            ctx.actor,
            table,
            runtime=query_runtime(ctx.platform.settings),
            client=ctx.request.client.host if ctx.request.client else None,
        )
    except AppError:
        return {}, {}
    yes_no = translated_labels(ctx._)["yes_no"]
    charts: dict[str, Markup] = {}
    for column, chart in summary.charts.items():
        if chart.histogram:
            title = ctx._("Distribution of %(column)s") % {"column": column}
            charts[column] = histogram_svg(chart.histogram, title)
        elif chart.top_values:
            values = [
                {**v, "value": yes_no(v["value"] == "true")} if chart.kind == ColumnKind.bool else v
                for v in chart.top_values
            ]
            title = ctx._("Most frequent values of %(column)s") % {"column": column}
            charts[column] = top_values_svg(values, title)
    total = summary.total_row
    label = Markup('<span translate="no">{}</span>').format(total.value) if total else None
    return {name: charts}, ({name: label} if label is not None else {})


def _request_of(query: Any) -> ViewerRequest:
    """The viewer's request from the URL's parameters; InvalidInput for a page that is no number."""
    raw_page = str(query.get("page") or "1").strip()
    if not raw_page.isdigit():
        raise InvalidInput(f"page {raw_page!r} is not a number", code="viewer_bad_page")
    raw_version = str(query.get("version") or "").strip()
    if raw_version and not raw_version.isdigit():
        raise InvalidInput(f"version {raw_version!r} is not a number", code="viewer_bad_page")
    q = str(query.get("q") or "")
    if len(q) > viewer.MAX_SEARCH:
        raise InvalidInput("the search is too long", code="viewer_bad_search")
    return ViewerRequest(
        table=query.get("table") or None,
        version=int(raw_version) if raw_version else None,
        page=min(int(raw_page), viewer.MAX_PAGE + 1),
        sort=query.get("sort") or None,
        desc=str(query.get("desc") or "") in ("1", "true"),
        filters={
            key[len(FILTER_PREFIX) :]: str(value)
            for key, value in query.multi_items()
            if key.startswith(FILTER_PREFIX)
        },
        q=q,
    )


def _message(ctx: WebContext, error: InvalidInput) -> Markup:
    """The error in the reader's language; the names and values it quotes are the reader's data,
    marked ``translate="no"`` (escaped: they come from the URL)."""
    source = VIEWER_MESSAGES.get(error.code)
    if source is None:
        return Markup("{}").format(ctx._("The value is not valid."))
    details: dict[str, Any] = {
        k: Markup('<span translate="no">{}</span>').format(v)
        for k, v in (error.details or {}).items()
        if isinstance(v, (str, int)) and k not in ("page", "pages")
    }
    details.update({k: v for k, v in (error.details or {}).items() if k in ("page", "pages")})
    details.setdefault("page", "")
    details.setdefault("pages", "")
    details.setdefault("table", "")
    details.setdefault("column", "")
    details.setdefault("value", "")
    expected = str((error.details or {}).get("expected") or "")
    details["expected"] = ctx._(EXPECTED[expected]) if expected in EXPECTED else expected
    return escape(ctx._(source)) % details  # escape() gives Markup: % escapes the plain values


class Links:
    """URLs of the viewer with some parameters changed (paging, sorting), the rest kept."""

    def __init__(self, slug: str, request: ViewerRequest, table: str) -> None:
        self.path = f"/libraries/{slug}/viewer"
        self.values: dict[str, Any] = {
            "table": table,
            "version": request.version,
            "q": request.q.strip() or None,
            "sort": request.sort,
            "desc": "1" if request.desc else None,
            **{f"{FILTER_PREFIX}{k}": v for k, v in request.filters.items() if v.strip()},
        }

    def __call__(self, **changes: Any) -> str:
        values = {**self.values, **changes}
        if "sort" in changes and "desc" not in changes:
            values["desc"] = None
        query = [
            (k, str(v)) for k, v in values.items() if v is not None and v != "" and (k, v) != ("page", 1)
        ]
        return f"{self.path}?{urlencode(query)}"


def _charts(ctx: WebContext, summary: TableSummary | None) -> dict[str, Any]:
    if summary is None:
        return {}

    def number(value: Any) -> str:
        return str(format_number(value, ctx.lang.value))

    charts: dict[str, Any] = {}
    for name, chart in summary.charts.items():
        if chart.histogram:
            title = ctx._("Distribution of %(column)s") % {"column": name}
            charts[name] = mini_histogram(chart.histogram, title, number)
        elif chart.top_values:
            title = ctx._("Most frequent values of %(column)s") % {"column": name}
            charts[name] = mini_top_values(chart.top_values, title, number)
    return charts


@router.get("/libraries/{slug}/viewer", response_class=HTMLResponse)
def viewer_page(slug: str, ctx: Web) -> HTMLResponse:
    library = libraries.get_library(ctx.uow, ctx.actor, slug)
    runtime = query_runtime(ctx.platform.settings)
    client = ctx.request.client.host if ctx.request.client else None
    error: Markup | None = None
    request = ViewerRequest()
    table: ReadableTable | None = None
    page: ViewerPage | None = None
    summary: TableSummary | None = None
    try:
        request = _request_of(ctx.request.query_params)
        table = viewer.readable_table(
            ctx.uow, ctx.platform.db, ctx.platform.objects, ctx.actor, slug, request.table, request.version
        )
        summary = summarise_table(ctx.actor, table, runtime=runtime, client=client)
        page = viewer.read_page(ctx.uow, ctx.actor, table, request, runtime=runtime, client=client)
    except InvalidInput as exc:
        error = _message(ctx, exc)
    if table is None and error is not None:
        # the table itself is unknown: show the picker of the version's tables
        try:
            table = viewer.readable_table(
                ctx.uow, ctx.platform.db, ctx.platform.objects, ctx.actor, slug, None, request.version
            )
        except InvalidInput:
            table = None
    total = summary.total_row if summary else None
    columns = table.columns if table else []
    total_index = next((i for i, c in enumerate(columns) if total and c.name == total.column), None)
    return render(
        ctx,
        "libraries/viewer.html",
        status_code=422 if error else 200,
        library=library,
        table=table,
        page=page,
        request=request,
        error=error,
        link=Links(slug, request, table.name if table else ""),
        charts=_charts(ctx, summary),
        total=total,
        total_index=total_index,
        grouped={c.name: is_quantity(c) for c in columns},
        number_kinds={c.name for c in columns if c.kind == ColumnKind.number},
        first_row=((page.page - 1) * page.page_size) if page else 0,
    )
