"""CKAN Action API (read actions): a library is a CKAN package, each data file a resource.

Each action is ``action(ctx, params) -> result``; the router wraps results and errors in CKAN's
envelope. Parameters may be strings (``get_only`` clients) or JSON values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

import orjson

from qazai import __version__
from qazai.catalog import repo, service
from qazai.catalog.ckan_params import (
    CKAN_FACET_NAME,
    as_bool,
    as_int,
    package_search_request,
)
from qazai.catalog.exports import LICENCES, licence_url, part_url, version_url
from qazai.catalog.indexer import CatalogIndex
from qazai.catalog.models import FacetName, LibraryDoc, SearchRequest, SortField, SortSpec
from qazai.core.errors import InvalidInput, NotFound
from qazai.identity.actor import Actor
from qazai.storage.db import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass
class ActionContext:
    """What an action runs with. ``uow`` is None for the actions that read the index alone, when
    the caller needs no database either (the anonymous public: ``api/routers/ckan._run``, the
    fast lane's package_show)."""

    uow: UnitOfWork | None
    index: CatalogIndex
    actor: Actor
    base_url: str

    @property
    def session(self) -> Session:
        if self.uow is None:
            raise RuntimeError("this CKAN action reads the database: run it with a unit of work")
        return self.uow.session


def _ckan_time(value: Any) -> str:
    # CKAN's own format: naive UTC ISO 8601 with microseconds.
    return str(value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"))


def _organization(doc: LibraryDoc) -> dict[str, Any]:
    return {
        "id": doc.organisation_id,
        "name": doc.organisation_slug,
        "title": doc.organisation_name.get("en"),
        "type": "organization",
        "description": "",
        "image_url": "",
        "created": _ckan_time(doc.created_at),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def resource_id(version_id: str, index: int) -> str:
    return f"{version_id}-{index}"


def resources(base: str, doc: LibraryDoc) -> list[dict[str, Any]]:
    if doc.latest is None:
        return []
    out = []
    for i, part in enumerate(doc.latest.parts):
        out.append(
            {
                "id": resource_id(doc.latest.id, i),
                "package_id": doc.id,
                "name": part.file,
                "description": f"Table {part.table}, {part.rows} rows",
                "url": part_url(base, doc, doc.latest, part),
                "format": part.format.upper() if part.format == "csv" else "Parquet",
                "mimetype": "text/csv" if part.format == "csv" else "application/vnd.apache.parquet",
                "size": part.bytes,
                "hash": f"sha256:{part.sha256}",
                "position": i,
                "state": "active",
                "url_type": None,
                "created": _ckan_time(doc.latest.created_at),
                "last_modified": _ckan_time(doc.latest.created_at),
                "datastore_active": False,
            }
        )
    return out


# package_dict results by library id, each kept with the document object and base URL it was
# built from: a document is immutable and replaced (a new object) when its library changes, so an
# identity check is the whole invalidation. Building a package is ~50 µs, i.e. a page of 20
# results cost ~1 ms a search; most searches hit the same few thousand libraries again.
_PACKAGE_CACHE_SIZE = 20_000


class _Package:
    """A built package and, once asked for, its JSON (orjson's bytes)."""

    __slots__ = ("base", "doc", "encoded", "package")

    def __init__(self, doc: LibraryDoc, base: str, package: dict[str, Any]) -> None:
        self.doc = doc
        self.base = base
        self.package = package
        self.encoded: bytes | None = None


_packages: dict[str, _Package] = {}
_packages_lock = threading.Lock()


def _cached_package(base: str, doc: LibraryDoc) -> _Package:
    cached = _packages.get(doc.id)
    if cached is not None and cached.doc is doc and cached.base == base:
        return cached
    entry = _Package(doc, base, _build_package(base, doc))
    with _packages_lock:
        if len(_packages) >= _PACKAGE_CACHE_SIZE:
            _packages.clear()  # a crude bound; rebuilding is cheap, only the repeats are saved
        _packages[doc.id] = entry
    return entry


def package_dict(base: str, doc: LibraryDoc) -> dict[str, Any]:
    """The CKAN package of ``doc``. Cached: the dict is shared, callers must not change it
    (copy it to add keys, as ``{**package_dict(base, doc), "score": ...}``)."""
    return _cached_package(base, doc).package


def package_json(base: str, doc: LibraryDoc) -> bytes:
    """``orjson.dumps(package_dict(base, doc))``, cached with the package (a page of search
    results is mostly packages seen before: encoding them again cost more than assembling).
    Raises what orjson raises for a package it cannot encode."""
    entry = _cached_package(base, doc)
    encoded = entry.encoded
    if encoded is None:
        encoded = entry.encoded = orjson.dumps(entry.package)
    return encoded


def _build_package(base: str, doc: LibraryDoc) -> dict[str, Any]:
    res = resources(base, doc)
    tags = [{"name": k, "display_name": k, "state": "active"} for k in doc.keywords]
    extras = [{"key": "tier", "value": doc.tier.value}]
    if doc.region:
        extras.append({"key": "spatial_text", "value": doc.region})
    if doc.latest:
        extras.append({"key": "croissant", "value": f"{version_url(base, doc, doc.latest)}/croissant.json"})
    return {
        "id": doc.id,
        "name": doc.slug,
        "title": doc.title.get("en"),
        "title_translated": {k: v for k, v in doc.title.model_dump().items() if v},
        "notes": doc.description.get("en") if doc.description else "",
        "type": "dataset",
        "state": "active",
        "private": not doc.published,
        "license_id": doc.licence or "notspecified",
        "license_title": LICENCES.get(doc.licence or "", (doc.licence or "License not specified", ""))[0],
        "license_url": licence_url(doc.licence) or "",
        "owner_org": doc.organisation_id,
        "organization": _organization(doc),
        "author": doc.organisation_name.get("en"),
        "maintainer_email": doc.contact_email,
        "metadata_created": _ckan_time(doc.created_at),
        "metadata_modified": _ckan_time(doc.modified_at),
        "version": str(doc.latest.number) if doc.latest else None,
        "url": f"{base}/libraries/{doc.slug}",
        "tags": tags,
        "num_tags": len(tags),
        "groups": [{"name": t, "title": t, "display_name": t} for t in doc.themes],
        "resources": res,
        "num_resources": len(res),
        "extras": extras,
        "tier": doc.tier.value,
    }


def status_show(ctx: ActionContext, params: dict[str, Any]) -> Any:
    return {
        "site_title": "QazAI",
        "site_description": "National AI Platform of Kazakhstan: data libraries",
        "site_url": ctx.base_url,
        "ckan_version": "2.10.4",
        "qazai_version": __version__,
        "locale_default": "kk",
        "extensions": ["qazai", "dcat", "croissant"],
    }


def site_read(ctx: ActionContext, params: dict[str, Any]) -> Any:
    return True


def package_list(ctx: ActionContext, params: dict[str, Any]) -> Any:
    limit = as_int("limit", params.get("limit"), 1000, low=1, high=1000, clamp=True)
    offset = as_int("offset", params.get("offset"), 0, low=0)
    docs = service.public_docs(ctx.index)
    return [d.slug for d in sorted(docs, key=lambda d: d.slug)[offset : offset + limit]]


def _key(params: dict[str, Any], name: str = "id") -> str:
    value = params.get(name)
    if value is None or str(value).strip() == "":
        raise InvalidInput(
            f"Missing value: {name}", code="missing_parameter", details={name: ["Missing value"]}
        )
    return str(value).strip()


def package_show(ctx: ActionContext, params: dict[str, Any]) -> Any:
    return package_dict(ctx.base_url, service.get_library_doc(ctx.index, ctx.actor, _key(params)))


def package_show_json(ctx: ActionContext, params: dict[str, Any]) -> bytes:
    """``package_show``'s result as orjson's bytes, cached with the package (the fast lane's)."""
    return package_json(ctx.base_url, service.get_library_doc(ctx.index, ctx.actor, _key(params)))


def package_search(ctx: ActionContext, params: dict[str, Any]) -> Any:
    request = package_search_request(params)
    page = service.search_libraries(ctx.index, ctx.actor, request)
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    for name, counts in page.result.facets.items():
        ckan_name = CKAN_FACET_NAME[FacetName(name)]
        facets[ckan_name] = {c.value: c.count for c in counts}
        search_facets[ckan_name] = {
            "title": ckan_name,
            "items": [{"name": c.value, "display_name": c.value, "count": c.count} for c in counts],
        }
    return {
        "count": page.result.count,
        "results": [package_dict(ctx.base_url, d) for d in page.docs],
        "sort": params.get("sort") or "score desc, metadata_modified desc",
        "facets": facets,
        "search_facets": search_facets,
    }


def _org_dict(ctx: ActionContext, row: Any, counts: dict[str, int]) -> dict[str, Any]:
    name = row.name or {}
    return {
        "id": row.id,
        "name": row.slug,
        "title": name.get("en") or name.get("ru") or name.get("kk") or row.slug,
        "display_name": name.get("en") or name.get("ru") or name.get("kk") or row.slug,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "created": _ckan_time(row.created_at),
        "package_count": counts.get(row.id, 0),
        "description": "",
        "image_url": "",
    }


def _org_counts(ctx: ActionContext) -> dict[str, int]:
    counts: dict[str, int] = {}
    for doc in service.public_docs(ctx.index):
        counts[doc.organisation_id] = counts.get(doc.organisation_id, 0) + 1
    return counts


def organization_list(ctx: ActionContext, params: dict[str, Any]) -> Any:
    rows = repo.organisations(ctx.session)
    if as_bool("all_fields", params.get("all_fields")):
        counts = _org_counts(ctx)
        return [_org_dict(ctx, row, counts) for row in rows]
    return [row.slug for row in rows]


def organization_show(ctx: ActionContext, params: dict[str, Any]) -> Any:
    row = repo.organisation(ctx.session, _key(params))
    if row is None:
        raise NotFound("Organization not found", code="organisation_not_found")
    out = _org_dict(ctx, row, _org_counts(ctx))
    if as_bool("include_datasets", params.get("include_datasets")):
        page = service.search_libraries(
            ctx.index,
            ctx.actor,
            SearchRequest(
                filters={FacetName.producer: [row.slug]},
                rows=1000,
                sort=SortSpec(field=SortField.id, descending=False),
            ),
        )
        out["packages"] = [package_dict(ctx.base_url, d) for d in page.docs]
    return out


def group_list(ctx: ActionContext, params: dict[str, Any]) -> Any:
    themes: dict[str, int] = {}
    for doc in service.public_docs(ctx.index):
        for theme in doc.themes:
            themes[theme] = themes.get(theme, 0) + 1
    if as_bool("all_fields", params.get("all_fields")):
        return [
            {"name": t, "title": t, "display_name": t, "package_count": n} for t, n in sorted(themes.items())
        ]
    return sorted(themes)


def tag_list(ctx: ActionContext, params: dict[str, Any]) -> Any:
    query = str(params.get("query") or "").lower()
    tags = sorted({k for d in service.public_docs(ctx.index) for k in d.keywords if query in k.lower()})
    return tags


def license_list(ctx: ActionContext, params: dict[str, Any]) -> Any:
    return [{"id": k, "title": title, "url": url, "status": "active"} for k, (title, url) in LICENCES.items()]


def resource_show(ctx: ActionContext, params: dict[str, Any]) -> Any:
    key = _key(params)
    version_id, _, position = key.rpartition("-")
    for doc in service.public_docs(ctx.index) if version_id else []:
        if doc.latest is not None and doc.latest.id == version_id:
            found = resources(ctx.base_url, doc)
            if position.isdigit() and int(position) < len(found):
                return found[int(position)]
    raise NotFound("Resource was not found.", code="resource_not_found")


ACTIONS: dict[str, Callable[[ActionContext, dict[str, Any]], Any]] = {
    fn.__name__: fn
    for fn in (
        status_show,
        site_read,
        package_list,
        package_show,
        package_search,
        organization_list,
        organization_show,
        group_list,
        tag_list,
        license_list,
        resource_show,
    )
}
