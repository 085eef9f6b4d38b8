"""Catalogue operations shared by the REST API, the CKAN actions, the feeds and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qazai.catalog import repo
from qazai.catalog.manifest import version_doc
from qazai.catalog.models import LibraryDoc, QueryResult, SearchRequest, SearchResult, VersionDoc
from qazai.catalog.query import QueryTable, QueryTask, query_table_names, run_query
from qazai.catalog.query_limits import QueryRuntime
from qazai.core.clock import utcnow
from qazai.core.enums import AccessTier, PlatformRole
from qazai.core.errors import InvalidInput, NotFound, Unavailable
from qazai.identity.actor import Actor
from qazai.libraries.policy import can_read_data
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


def _object_path(objects: ObjectStore, key: str) -> str:
    from qazai.storage.objects.local import LocalObjectStore

    if isinstance(objects, LocalObjectStore):
        return str(objects.root.joinpath(*key.split("/")))
    # S3: the sandbox would need httpfs and a secret created before the configuration is locked.
    raise Unavailable(
        "the query API reads from a local object store only in this release", code="query_unavailable"
    )


def _object_root(objects: ObjectStore) -> str | None:
    from qazai.storage.objects.local import LocalObjectStore

    return str(objects.root) if isinstance(objects, LocalObjectStore) else None


def _named_docs(uow: UnitOfWork, index: CatalogIndex | None, names: set[str] | None) -> list[LibraryDoc]:
    """The documents of the libraries ``names`` point at (of every library without ``names``):
    from the index when the caller keeps one (the API's process), else read from the database,
    so that a one-off query (`qazai query`) does not first index every library of the catalogue."""
    keys = None if names is None else {name.split("/", 1)[0] for name in names}
    if index is not None:
        index.sync()
        if keys is None:
            return list(index.docs.values())
        found = (index.get(key) for key in keys)
        return list({d.id: d for d in found if d is not None}.values())
    if keys is None:
        ids = repo.all_library_ids(uow.session)
    else:
        ids = sorted({i for i in (repo.library_id_by_key(uow.session, key) for key in keys) if i})
    return list(repo.load_docs(uow.session, ids))


def queryable_tables(
    uow: UnitOfWork,
    index: CatalogIndex | None,
    objects: ObjectStore,
    actor: Actor,
    names: set[str] | None = None,
) -> dict[str, QueryTable]:
    """SQL name -> files of every table of the latest version of each library ``actor`` may read:
    open ones for everyone; registered (terms accepted), restricted (active grant) and the
    actor's own organisation's with a token. A one-table library is named by its slug; every
    table is also ``slug/table``. With ``names``, only the libraries those names point at are
    looked at (a query names a few tables; the catalogue may hold many thousands). Without an
    ``index`` the libraries are read from the database."""
    allowed = set(repo.user_grants(uow.session, actor.user_id, utcnow())) if actor.user_id else set()
    tables: dict[str, QueryTable] = {}
    for doc in _named_docs(uow, index, names):
        version = doc.latest
        if version is None or version.tier == AccessTier.enclave:
            continue
        if version.tier != AccessTier.open and not can_read_data(
            actor,
            version.tier,
            doc.organisation_id,
            accepted_terms=doc.id in allowed,
            has_grant=doc.id in allowed,
        ):
            continue
        parts: dict[str, list[str]] = {}
        for part in version.parts:
            if part.format == "parquet" and part.key:
                parts.setdefault(part.table, []).append(part.key)
        for table, keys in parts.items():
            try:
                paths = tuple(_object_path(objects, k) for k in keys)
            except Unavailable:
                continue
            root = _object_root(objects)
            entry = QueryTable(name=f"{doc.slug}/{table}", library_slug=doc.slug, paths=paths, root=root)
            tables[entry.name] = entry
            if len(parts) == 1:
                tables[doc.slug] = QueryTable(name=doc.slug, library_slug=doc.slug, paths=paths, root=root)
    return tables


def _end_transaction(uow: UnitOfWork) -> None:
    """End the request's transaction before a query runs: the query service writes nothing, and
    a query may take seconds, during which it must hold neither a pooled connection nor (on
    SQLite, where a POST's unit of work begins IMMEDIATE) the database's write lock."""
    uow.rollback()


def _caller(actor: Actor, client: str | None) -> tuple[str, bool]:
    """Whose query slots a query takes: the user's, else the client address's (anonymous)."""
    if actor.user_id is not None:
        return f"user:{actor.user_id}", False
    if actor.is_system:
        return f"system:{actor.label}", False
    return f"address:{client or 'unknown'}", True


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
) -> QueryResult:
    """Run one read-only statement over the tables ``actor`` may read (see ``query.py``), in
    one of ``runtime``'s worker processes, within its limits (``query_limits.py``); ``client``
    is the caller's address (anonymous callers are limited by it). ``timeout_ms`` may lower the
    time limit, not raise it. Without an ``index`` the named tables are looked up in the database
    (see ``queryable_tables``). QueryRefused (400), QueryTimeout (408), QueryTooLarge (413),
    QueryBusy (429), InvalidInput."""
    limits = runtime.limits
    caller, anonymous = _caller(actor, client)
    with runtime.gate.admit(caller, anonymous=anonymous):
        tables = queryable_tables(uow, index, objects, actor, query_table_names(sql))
        _end_transaction(uow)
        return run_query(
            tables,
            sql,
            limit=limit,
            cursor=cursor,
            timeout_ms=min(timeout_ms or limits.timeout_ms, limits.timeout_ms),
            max_result_bytes=limits.max_result_bytes,
            runner=runtime.workers.run,
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
) -> QueryResult:
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
    caller, anonymous = _caller(actor, client)
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
    return QueryResult(
        columns=result.columns[1:],
        types=result.types[1:],
        rows=[row[1:] for row in rows],
        truncated=result.truncated,
        next=encode_cursor(int(rows[-1][0])) if result.truncated and rows else None,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
        tables=[table],
    )
