"""Catalogue operations shared by the REST API, the CKAN actions, the feeds and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qazai.catalog import repo
from qazai.catalog.manifest import version_doc
from qazai.catalog.models import LibraryDoc, SearchRequest, SearchResult, VersionDoc
from qazai.catalog.query import QueryOutcome, QueryTask, query_table_names
from qazai.catalog.query_limits import QueryRuntime, limited_query
from qazai.catalog.query_tables import (
    NamedLibrary,
    QueryTable,
    library_keys,
    named_libraries_sql,
    named_library,
    query_caller,
    readable_tables,
    store_paths,
)
from qazai.core.clock import utcnow
from qazai.core.enums import PlatformRole
from qazai.core.errors import InvalidInput, NotFound
from qazai.identity.actor import Actor
from qazai.storage.db import UnitOfWork
from qazai.storage.objects import ObjectStore

# The index and the search engine (tantivy) are imported where they are used: a one-off
# `qazai query` passes no index and searches nothing.
if TYPE_CHECKING:
    from qazai.catalog.indexer import CatalogIndex


def visibility(actor: Actor, *, include_private: bool) -> frozenset[str]:
    """The visibility keys of ``actor``: published libraries for everyone; with
    ``include_private``, also the unpublished libraries of the actor's organisations (and all
    of them for operators and regulators)."""
    from qazai.catalog.search import PUBLIC, STAFF, org_key

    keys = {PUBLIC}
    if include_private and actor.allows_scope("read"):
        keys.update(org_key(org_id) for org_id in actor.memberships)
        if actor.has_platform_role(PlatformRole.operator) or actor.has_platform_role(PlatformRole.regulator):
            keys.add(STAFF)
    return frozenset(keys)


def can_see(actor: Actor, doc: LibraryDoc) -> bool:
    from qazai.catalog.search import STAFF, org_key

    keys = visibility(actor, include_private=True)
    return doc.published or org_key(doc.organisation_id) in keys or STAFF in keys


@dataclass(frozen=True)
class SearchPage:
    result: SearchResult
    docs: list[LibraryDoc]


def search_libraries(index: CatalogIndex, actor: Actor, request: SearchRequest) -> SearchPage:
    """Libraries matching ``request`` that ``actor`` may see, with facet counts over those only."""
    index.sync()
    result = index.engine.search(request, visibility(actor, include_private=request.include_private))
    snapshot = index.docs
    docs = [snapshot[h.id] for h in result.hits if h.id in snapshot]
    return SearchPage(result=result, docs=docs)


def get_library_doc(index: CatalogIndex, actor: Actor, key: str) -> LibraryDoc:
    """A library by id or slug; NotFound when it does not exist or ``actor`` may not see it."""
    index.sync()
    doc = index.get(key)
    if doc is None or not can_see(actor, doc):
        raise NotFound(f"no library {key!r}", code="library_not_found")
    return doc


def get_version_doc(
    uow: UnitOfWork, index: CatalogIndex, actor: Actor, key: str, number: int
) -> tuple[LibraryDoc, VersionDoc]:
    """A published version of a visible library (any version, not only the latest)."""
    doc = get_library_doc(index, actor, key)
    if doc.latest is not None and doc.latest.number == number:
        return doc, doc.latest
    row = repo.version_of(uow.session, doc.id, number)
    if row is None or row.status != repo.PUBLISHED:
        raise NotFound(f"library {doc.slug!r} has no published version {number}", code="version_not_found")
    dictionary = repo.library_dictionary(uow.session, doc.id)
    return doc, version_doc(
        row.id, row.number, row.created_at, row.tier, row.rows, row.bytes, row.manifest, dictionary
    )


def public_docs(index: CatalogIndex) -> list[LibraryDoc]:
    """Every published library, in id order (feeds)."""
    index.sync()
    return sorted((d for d in index.docs.values() if d.published), key=lambda d: d.id)


def _named_libraries(
    uow: UnitOfWork, index: CatalogIndex | None, names: set[str] | None
) -> list[NamedLibrary]:
    """The libraries ``names`` point at (every library without ``names``), with a published
    latest version: from the index when the caller keeps one (the API's process), else read
    from the database with ``query_tables``' SQL, so that a one-off query (`qazai query`) does
    not first index every library of the catalogue."""
    keys = None if names is None else library_keys(names)
    if index is not None:
        index.sync()
        if keys is None:
            docs = list(index.docs.values())
        else:
            found = (index.get(key) for key in keys)
            docs = list({d.id: d for d in found if d is not None}.values())
        return [_named(doc) for doc in docs if doc.latest is not None]
    connection = uow.session.connection()
    placeholder = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = named_libraries_sql(None if keys is None else len(keys), placeholder)
    params = () if keys is None else (*keys, *keys)
    return [named_library(row) for row in connection.exec_driver_sql(sql, params)]


def _named(doc: LibraryDoc) -> NamedLibrary:
    version = doc.latest
    assert version is not None
    parquet = tuple((p.table, p.key) for p in version.parts if p.format == "parquet" and p.key)
    return NamedLibrary(doc.id, doc.slug, doc.organisation_id, version.tier, parquet)


def queryable_tables(
    uow: UnitOfWork,
    index: CatalogIndex | None,
    objects: ObjectStore,
    actor: Actor,
    names: set[str] | None = None,
) -> dict[str, QueryTable]:
    """SQL name -> files of every table of the latest version of each library ``actor`` may read
    (``query_tables.readable_tables``). With ``names``, only the libraries those names point at
    are looked at (a query names a few tables; the catalogue may hold many thousands). Without
    an ``index`` the libraries are read from the database."""
    allowed = set(repo.user_grants(uow.session, actor.user_id, utcnow())) if actor.user_id else set()
    return readable_tables(actor, allowed, _named_libraries(uow, index, names), *store_paths(objects))


def _end_transaction(uow: UnitOfWork) -> None:
    """End the request's transaction before a query runs: the query service writes nothing, and
    a query may take seconds, during which it must hold neither a pooled connection nor (on
    SQLite, where a POST's unit of work begins IMMEDIATE) the database's write lock."""
    uow.rollback()


def query(
    uow: UnitOfWork,
    index: CatalogIndex | None,
    objects: ObjectStore,
    actor: Actor,
    sql: str,
    *,
    runtime: QueryRuntime,
    client: str | None = None,
    limit: int = 1000,
    cursor: str | None = None,
    timeout_ms: int | None = None,
) -> QueryOutcome:
    """Run one read-only statement over the tables ``actor`` may read (see ``query.py``), in
    one of ``runtime``'s worker processes, within its limits (``query_limits.py``); ``client``
    is the caller's address (anonymous callers are limited by it). ``timeout_ms`` may lower the
    time limit, not raise it. Without an ``index`` the named tables are looked up in the database
    (see ``queryable_tables``). QueryRefused (400), QueryTimeout (408), QueryTooLarge (413),
    QueryBusy (429), InvalidInput."""
    caller, anonymous = query_caller(actor, client)

    def tables() -> dict[str, QueryTable]:
        found = queryable_tables(uow, index, objects, actor, query_table_names(sql))
        _end_transaction(uow)
        return found

    return limited_query(
        runtime, caller, tables, sql, anonymous=anonymous, limit=limit, cursor=cursor, timeout_ms=timeout_ms
    )


def browse(
    uow: UnitOfWork,
    index: CatalogIndex,
    objects: ObjectStore,
    actor: Actor,
    table: str,
    filters: dict[str, str],
    *,
    runtime: QueryRuntime,
    client: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> QueryOutcome:
    """One page of a table's rows with ``column = value`` filters, keyset-paged (``next``), in a
    worker process within the same limits as ``query``."""
    import time

    from qazai.core.pagination import decode_cursor, encode_cursor

    tables = queryable_tables(uow, index, objects, actor, {table})
    if table not in tables:
        raise NotFound(f"no table {table!r} that you may query", code="table_not_found")
    after = decode_cursor(cursor) or 0
    if not isinstance(after, int) or after < 0:
        raise InvalidInput("the `next` cursor is malformed", code="invalid_cursor")
    started = time.perf_counter()
    limits = runtime.limits
    caller, anonymous = query_caller(actor, client)
    task = QueryTask(
        tables=(tables[table],),
        sql=table,
        limit=limit,
        timeout_ms=limits.timeout_ms,
        threads=1,
        max_result_bytes=limits.max_result_bytes,
        browse_filters=tuple(filters.items()),
        browse_after=after,
    )
    _end_transaction(uow)
    with runtime.gate.admit(caller, anonymous=anonymous):
        result = runtime.workers.run(task)
    rows = result.rows
    return QueryOutcome(
        columns=result.columns[1:],
        types=result.types[1:],
        rows=[row[1:] for row in rows],
        truncated=result.truncated,
        next=encode_cursor(int(rows[-1][0])) if result.truncated and rows else None,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
        tables=[table],
    )
