"""Catalogue search, metadata exports and feeds, and the read-only SQL query API."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from qazai.api.deps import CurrentActor, PlatformDep, UowDep, get_actor, without_credentials
from qazai.api.params import VersionNumber
from qazai.api.platform import Platform
from qazai.catalog import exports, service
from qazai.catalog.ckan import package_dict, package_json
from qazai.catalog.ckan_params import MAX_ROWS, MAX_START, SORT_PATTERN, as_list, package_search_request
from qazai.catalog.indexer import catalog_index
from qazai.catalog.models import FacetCount, LibraryDoc, QueryFormat, QueryRequest, QueryResult, SearchHit
from qazai.catalog.query import QueryOutcome, csv_lines
from qazai.catalog.query_limits import query_runtime
from qazai.identity.actor import ANONYMOUS, Actor

router = APIRouter(tags=["catalog"])
feeds = APIRouter(tags=["catalog"])

JSONLD = "application/ld+json"
_JSONLD_OK: dict[int | str, dict[str, Any]] = {
    200: {"description": "JSON-LD", "content": {JSONLD: {"schema": {"type": "object"}}}}
}


class CatalogSearchPage(BaseModel):
    """What ``GET /catalog/search`` answers (documentation: the route encodes it directly)."""

    count: int = Field(description="how many libraries match")
    results: list[dict[str, Any]] = Field(
        description="the page of libraries, each a CKAN package (as `package_show`) with its `score`"
    )
    facets: dict[str, list[FacetCount]] = Field(description="counts over every match, per facet")
    some_words: bool = Field(
        description="no library has every word of `q`: these have some of them, the most and rarest first"
    )


def _searcher(request: Request, platform: Platform) -> Actor:
    """Who is searching: without a token or a session cookie the anonymous public, known without
    a database session; else ``get_actor`` as every route (its errors included). Resolved in the
    route's own thread: as (sync) dependencies, the platform, the session and the actor cost three
    more thread hops and a unit of work per search that most searches (anonymous) do not need."""
    if without_credentials(request.scope):
        request.state.actor_label = ANONYMOUS.label  # as get_actor sets it, for the access log
        return ANONYMOUS
    with platform.db.uow(read_only=True) as uow:
        return get_actor(request, uow, platform)


def _encoded(body: dict[str, Any]) -> Response:
    """``body`` as the JSON FastAPI would send for it, encoded at once by orjson: validating and
    re-encoding a page of packages through the response model cost more than the search itself
    (issue 18). What orjson refuses goes the general way."""
    try:
        content = orjson.dumps(body)
    except (TypeError, orjson.JSONEncodeError):
        return JSONResponse(jsonable_encoder(body))
    return Response(content, media_type="application/json")


@router.get("/catalog/search", response_model=CatalogSearchPage)
def search(
    request: Request,
    q: Annotated[str, Query(max_length=500)] = "",
    sort: Annotated[str | None, Query(pattern=SORT_PATTERN, description="`<field> asc|desc`")] = None,
    start: Annotated[int | None, Query(ge=0, le=MAX_START)] = None,
    rows: Annotated[int | None, Query(ge=0, description=f"at most {MAX_ROWS} are returned")] = None,
    include_private: bool | None = None,
) -> Response:
    """Search libraries in Kazakh, Russian or English, Cyrillic or Latin. Facet filters are
    repeated query parameters (`producer`, `theme`, `tier`, `licence`, `format`, `region`, `year`,
    `keyword`); every facet's counts come back. `sort`: `score desc` (default), `metadata_modified desc`,
    `name asc`, `id asc`, `title asc`."""
    clauses = []
    for facet in ("producer", "theme", "tier", "licence", "format", "region", "year", "keyword"):
        values = request.query_params.getlist(facet)
        if values:
            quoted = " OR ".join('"' + v.replace('"', '\\"') + '"' for v in values)
            clauses.append(f"{facet}:({quoted})")
    params = {
        "q": q,
        "fq": " ".join(clauses),
        "sort": sort,
        "start": start,
        "rows": 20 if rows is None else rows,
        "include_private": include_private,
        "facet.field": ["producer", "theme", "tier", "licence", "format", "region", "year"],
    }
    platform: Platform = request.app.state.platform  # not a dependency: see _searcher
    actor = _searcher(request, platform)
    page = service.search_libraries(catalog_index(platform.db), actor, package_search_request(params))
    base = platform.settings.public_base_url
    facets = {k: [{"value": c.value, "count": c.count} for c in v] for k, v in page.result.facets.items()}
    pairs = list(zip(page.docs, page.result.hits, strict=False))
    try:
        return Response(
            _search_page_json(base, pairs, page.result.count, facets, page.result.some_words),
            media_type="application/json",
        )
    except (TypeError, orjson.JSONEncodeError):
        pass
    return _encoded(
        {
            "count": page.result.count,
            "results": [{**package_dict(base, d), "score": h.score} for d, h in pairs],
            "facets": facets,
            "some_words": page.result.some_words,
        }
    )


def _search_page_json(
    base: str, pairs: list[tuple[LibraryDoc, SearchHit]], count: int, facets: dict[str, Any], some_words: bool
) -> bytes:
    """The bytes ``orjson.dumps`` gives for the search page (the dict ``search`` falls back to),
    assembled from each package's cached JSON: ``{**package, "score": s}`` is the package's
    object with one more member at its end."""
    results = b",".join(
        package_json(base, d)[:-1] + b',"score":' + orjson.dumps(h.score) + b"}" for d, h in pairs
    )
    return b"".join(
        (
            b'{"count":',
            orjson.dumps(count),
            b',"results":[',
            results,
            b'],"facets":',
            orjson.dumps(facets),
            b',"some_words":',
            orjson.dumps(some_words),
            b"}",
        )
    )


@router.get("/catalog/libraries/{slug}/schema.jsonld", responses=_JSONLD_OK)
def schema_org(slug: str, platform: PlatformDep, actor: CurrentActor) -> JSONResponse:
    """schema.org `Dataset` JSON-LD of a library (embedded in its HTML page)."""
    doc = service.get_library_doc(catalog_index(platform.db), actor, slug)
    return JSONResponse(exports.schema_org_dataset(platform.settings.public_base_url, doc), media_type=JSONLD)


def _query_response(result: QueryOutcome, fmt: QueryFormat) -> Response:
    if fmt == QueryFormat.csv:
        headers = {"X-Truncated": str(result.truncated).lower()}
        if result.next:
            headers["X-Next"] = result.next
        # Cells a spreadsheet would run as formulas are quoted (``query.spreadsheet_safe``).
        return StreamingResponse(csv_lines(result), media_type="text/csv; charset=utf-8", headers=headers)
    return JSONResponse({"ok": True, **QueryResult(**result.__dict__).model_dump(mode="json")})


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _error(description: str) -> dict[str, Any]:
    envelope = {
        "type": "object",
        "required": ["ok", "error"],
        "properties": {
            "ok": {"type": "boolean", "const": False},
            "error": {
                "type": "object",
                "required": ["code", "message", "status", "details"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "status": {"type": "integer"},
                    "details": {"type": "object"},
                },
            },
            "request_id": {"type": ["string", "null"]},
        },
    }
    return {"description": description, "content": {"application/json": {"schema": envelope}}}


# The limits of docs/catalog.md ("Query limits"), declared for every operation that runs SQL.
QUERY_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("the statement was refused: not one read-only SELECT, or a table you may not query"),
    408: _error("`query_timeout`: the query ran past the time limit and was stopped"),
    413: _error(
        "`query_memory`: the query needed more memory than a query may use; "
        "`query_result_too_large`: the result is larger than a query may return"
    ),
    429: {
        **_error(
            "`too_many_queries`: the caller (or the server) has as many queries running as allowed; "
            "`query_rate_limited`: an anonymous address started too many queries this minute"
        ),
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    },
}


@router.get("/query", responses=QUERY_RESPONSES)
def query_get(
    request: Request,
    uow: UowDep,
    platform: PlatformDep,
    actor: CurrentActor,
    sql: Annotated[str, Query(min_length=1, max_length=20_000, description="one SELECT statement")],
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    next: str | None = None,
    format: QueryFormat = QueryFormat.json,
) -> Response:
    """Run one read-only SQL SELECT over the open libraries (and, with a token, granted ones).
    Tables are named by library slug (`"population-by-region"`) or `slug/table`. Each query runs
    within the server's time, memory and result-size limits (408, 413); queries at once are
    capped per caller and anonymous callers are rate-limited (429 with `Retry-After`)."""
    result = service.query(
        uow,
        catalog_index(platform.db),
        platform.objects,
        actor,
        sql,
        runtime=query_runtime(platform.settings),
        client=_client(request),
        limit=limit,
        cursor=next,
    )
    return _query_response(result, format)


@router.post("/query", responses=QUERY_RESPONSES)
def query_post(
    request: Request,
    cmd: QueryRequest,
    uow: UowDep,
    platform: PlatformDep,
    actor: CurrentActor,
    format: QueryFormat = QueryFormat.json,
) -> Response:
    """As `GET /query`, with the statement in a JSON body (`sql`, `limit`, `next`, `timeout_ms`:
    a lower time limit than the server's, never a higher one)."""
    result = service.query(
        uow,
        catalog_index(platform.db),
        platform.objects,
        actor,
        cmd.sql,
        runtime=query_runtime(platform.settings),
        client=_client(request),
        limit=cmd.limit,
        cursor=cmd.next,
        timeout_ms=cmd.timeout_ms,
    )
    return _query_response(result, format)


@router.get("/query/tables")
def query_tables(uow: UowDep, platform: PlatformDep, actor: CurrentActor) -> dict[str, Any]:
    """The tables you may query."""
    tables = service.queryable_tables(uow, catalog_index(platform.db), platform.objects, actor)
    return {
        "tables": [
            {"name": t.name, "library": t.library_slug, "files": len(t.paths)} for t in tables.values()
        ]
    }


@router.get("/query/tables/{table:path}", responses=QUERY_RESPONSES)
def browse_table(
    table: str,
    request: Request,
    uow: UowDep,
    platform: PlatformDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(alias="_limit", ge=1, le=10_000)] = 100,
    next: Annotated[str | None, Query(alias="_next")] = None,
    format: Annotated[QueryFormat, Query(alias="_format")] = QueryFormat.json,
) -> Response:
    """Rows of one table, filtered by `column=value` query parameters, keyset-paged with `_next`
    (the limits of `GET /query` apply)."""
    filters = {k: v for k, v in request.query_params.items() if not k.startswith("_")}
    result = service.browse(
        uow,
        catalog_index(platform.db),
        platform.objects,
        actor,
        table,
        filters,
        runtime=query_runtime(platform.settings),
        client=_client(request),
        limit=limit,
        cursor=next,
    )
    return _query_response(result, format)


@feeds.get("/catalog.jsonld", tags=["catalog"], responses=_JSONLD_OK)
def dcat_catalog(
    platform: PlatformDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    """DCAT-AP catalogue of every published library, paged (Hydra `next` links)."""
    docs = service.public_docs(catalog_index(platform.db))
    chunk = docs[(page - 1) * per_page : page * per_page]
    body = exports.dcat_catalog(
        platform.settings.public_base_url, chunk, page=page, per_page=per_page, total=len(docs)
    )
    return JSONResponse(body, media_type=JSONLD)


@feeds.get("/data.json", tags=["catalog"])
def dcat_us(platform: PlatformDep) -> JSONResponse:
    """DCAT-US 1.1 (Project Open Data) catalogue of every published library."""
    docs = service.public_docs(catalog_index(platform.db))
    return JSONResponse(exports.dcat_us(platform.settings.public_base_url, docs))


@feeds.get("/libraries/{slug}/dcat.jsonld", tags=["catalog"], responses=_JSONLD_OK)
def dcat_library(slug: str, platform: PlatformDep, actor: CurrentActor) -> JSONResponse:
    """One library as a DCAT-AP dataset."""
    doc = service.get_library_doc(catalog_index(platform.db), actor, slug)
    base = platform.settings.public_base_url
    body = {
        "@context": {**exports.DCAT_CONTEXT, "spdx": "http://spdx.org/rdf/terms#"},
        **exports.dcat_dataset(base, doc),
    }
    return JSONResponse(body, media_type=JSONLD)


_IMMUTABLE = {"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"}


@feeds.get("/libraries/{slug}/v/{number}/croissant.json", tags=["catalog"], responses=_JSONLD_OK)
def croissant(
    slug: str, number: VersionNumber, uow: UowDep, platform: PlatformDep, actor: CurrentActor
) -> JSONResponse:
    """Croissant 1.1 metadata of a version (`mlcroissant validate` / `mlcroissant.Dataset(url)`)."""
    doc, version = service.get_version_doc(uow, catalog_index(platform.db), actor, slug, number)
    body = exports.croissant(platform.settings.public_base_url, doc, version)
    return JSONResponse(body, media_type=JSONLD, headers=_IMMUTABLE)


@feeds.get("/libraries/{slug}/v/{number}/datapackage.json", tags=["catalog"])
def datapackage(
    slug: str, number: VersionNumber, uow: UowDep, platform: PlatformDep, actor: CurrentActor
) -> JSONResponse:
    """Frictionless Data Package of a version (`frictionless validate URL`)."""
    doc, version = service.get_version_doc(uow, catalog_index(platform.db), actor, slug, number)
    body = exports.datapackage(platform.settings.public_base_url, doc, version)
    return JSONResponse(body, headers=_IMMUTABLE)


__all__ = ["as_list", "feeds", "router"]
