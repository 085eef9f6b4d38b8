"""Full-text and faceted search over libraries, behind one small interface.

The engine is `tantivy <https://github.com/quickwit-oss/tantivy>`_ (a Rust search library, the
engine of Quickwit; BM25 ranking, fast fields for sorting and terms aggregations for facets)
through its Python bindings. Each process holds its own index in memory, built from the metadata
database and kept current by :mod:`qazai.catalog.indexer`, so the same code runs on SQLite and on
PostgreSQL deployments with any number of processes and hosts, and the database stays the only
source of truth. Text is turned into script- and word-form-independent keys by
:mod:`qazai.catalog.text` before tantivy sees it; tantivy then only splits on spaces.

Access is part of every query: each document carries *visibility keys* (``public`` when it has a
published version, ``org:<id>`` of its producer, ``staff``), and every search is filtered by the
keys of the person asking, before hits and facet counts are computed, so a library you may not see
never shows up, not even as a count.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any, Protocol

import tantivy

from qazai.catalog.models import (
    FacetCount,
    FacetName,
    LibraryDoc,
    SearchHit,
    SearchRequest,
    SearchResult,
    SortField,
)
from qazai.catalog.text import fold, query_terms, text_keys
from qazai.core.errors import InvalidInput

PUBLIC = "public"
STAFF = "staff"
TITLE_BOOST = 3.0
# Facet counts are computed on a thread while the caller's thread ranks the hits: tantivy
# releases the GIL, and both walk every match (at 100,000 libraries a common word matches tens of
# thousands, ~6 ms of CPU each), so on a machine with a free core a search takes the longer of the
# two, not their sum. Below this many documents the thread hop is not worth it.
CONCURRENT_FACETS_FROM = 20_000
_facet_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="qazai-facets")
# Facet counts of the most recent distinct queries, per index snapshot: a page-through (the same
# query at another ``start``), a re-sort and the popular queries count the matches once. The
# snapshot's generation is part of the key, so any change to the index is the invalidation.
FACET_CACHE_SIZE = 1024

_SORT_FIELDS = {
    SortField.id: "id",
    SortField.name: "slug",
    SortField.title: "title_sort",
    SortField.modified: "modified",
    SortField.created: "created",
}
_RANGE_FIELDS = {SortField.modified: "modified", SortField.created: "created"}


def org_key(organisation_id: str) -> str:
    return f"org:{organisation_id}"


def doc_visibility(doc: LibraryDoc) -> list[str]:
    keys = [org_key(doc.organisation_id), STAFF]
    if doc.published:
        keys.append(PUBLIC)
    return keys


def facet_values(doc: LibraryDoc) -> dict[FacetName, list[str]]:
    return {
        FacetName.producer: [doc.organisation_slug],
        FacetName.theme: list(doc.themes),
        FacetName.tier: [doc.tier.value],
        FacetName.licence: [doc.licence] if doc.licence else [],
        FacetName.format: doc.formats,
        FacetName.region: [doc.region] if doc.region else [],
        FacetName.year: doc.years,
        FacetName.keyword: list(doc.keywords),
    }


def searchable_text(doc: LibraryDoc) -> tuple[str, str]:
    """(title text, body text) of a library: titles in every language, then description,
    keywords, themes, column names and descriptions, producer names and slug."""
    title = " ".join(v for v in (doc.title.kk, doc.title.ru, doc.title.en) if v)
    parts: list[str] = [doc.slug.replace("-", " ")]
    if doc.description:
        parts.extend(v for v in (doc.description.kk, doc.description.ru, doc.description.en) if v)
    parts.extend(doc.keywords)
    parts.extend(doc.themes)
    name = doc.organisation_name
    parts.extend(v for v in (name.kk, name.ru, name.en, doc.organisation_slug) if v)
    if doc.region:
        parts.append(doc.region)
    if doc.latest:
        for table in doc.latest.tables:
            parts.append(table.name.replace("_", " "))
            for column in table.columns:
                parts.append(column.name.replace("_", " "))
                if column.description:
                    parts.append(column.description)
    return title, " ".join(parts)


class _FacetCache:
    """A small LRU of raw facet buckets; the dicts are shared and must not be changed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> dict[str, Any] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


MAX_QUERY_WORDS = 32


def _query_words(q: str) -> list[tuple[str, ...]]:
    """The words of ``q`` a query is made of (each the tuple of its keys)."""
    return query_terms(q)[:MAX_QUERY_WORDS]


def _matching_words(q: str) -> tuple[tuple[str, ...], ...]:
    """What the matches of ``q`` depend on: the set of its words' key sets, not the words'
    spelling, script, case or order ("Halyq sany", "саны халық"). Every word must match (or,
    widened, any may) and a word matches on any of its keys: sets either way."""
    return tuple(sorted({tuple(sorted(keys)) for keys in _query_words(q)}))


def _facet_key(
    generation: int, request: SearchRequest, visibility: frozenset[str], *, any_word: bool
) -> Hashable:
    """Everything the facet counts of a search depend on (not its page or order)."""
    return (
        generation,
        any_word,
        _matching_words(request.q),
        tuple(sorted((f.value, tuple(sorted(v))) for f, v in request.filters.items() if v)),
        None if request.ids is None else tuple(request.ids),
        tuple((r.field.value, r.start, r.end) for r in request.ranges),
        tuple(sorted(visibility)),
        tuple(f.value for f in request.facets),
        request.facet_limit,
    )


def _any_of(schema: tantivy.Schema, field: str, values: list[str]) -> tantivy.Query:
    """Documents with any of ``values`` in ``field``, scoring a constant 1 as ``term_set_query``
    does (same hits, same scores), but walking the values' postings lists instead of filling a
    bitset of the whole index first: at 100,000 libraries the visibility clause alone cost ~1 ms of
    ranking and ~1.7 ms of facet counting per search."""
    terms = [tantivy.Query.term_query(schema, field, value) for value in dict.fromkeys(values)]
    if not terms:
        return tantivy.Query.empty_query()
    either = terms[0]
    if len(terms) > 1:
        either = tantivy.Query.boolean_query([(tantivy.Occur.Should, t) for t in terms])
    return tantivy.Query.const_score_query(either, 1.0)


def _micros(value: datetime) -> int:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1_000_000)


class SearchEngine(Protocol):
    """Where library documents are indexed and searched.

    Implementations must give the same answers for the same documents: filters and visibility are
    exact, ``count`` is the number of visible matches, ``facets`` count only visible matches.
    """

    def replace(self, docs: Iterable[LibraryDoc], remove_ids: Iterable[str] = ()) -> None:
        """Index ``docs`` (replacing earlier versions with the same id) and drop ``remove_ids``."""
        ...

    def clear(self) -> None:
        """Drop every document."""
        ...

    def search(self, request: SearchRequest, visibility: frozenset[str]) -> SearchResult:
        """Matches of ``request`` among the documents carrying any of the ``visibility`` keys."""
        ...

    def __len__(self) -> int: ...


class TantivySearchEngine:
    """The tantivy implementation (in memory; see the module docstring for why)."""

    def __init__(self) -> None:
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", tokenizer_name="raw", stored=True, fast=True)
        builder.add_text_field("slug", tokenizer_name="raw", stored=True, fast=True)
        builder.add_text_field("title_sort", tokenizer_name="raw", fast=True)
        builder.add_text_field("title", tokenizer_name="whitespace")
        builder.add_text_field("body", tokenizer_name="whitespace")
        builder.add_text_field("visible", tokenizer_name="raw")
        for facet in FacetName:
            builder.add_text_field(facet.value, tokenizer_name="raw", fast=True)
        builder.add_integer_field("modified", fast=True, indexed=True)
        builder.add_integer_field("created", fast=True, indexed=True)
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)
        self._write_lock = threading.Lock()
        self._ids: set[str] = set()
        self._facet_cache = _FacetCache(FACET_CACHE_SIZE)
        self._generation = 0
        # (generation, searcher) swapped as one object after each commit: a search reads both
        # from the same snapshot, so cached counts never mix two states of the index.
        self._snapshot: tuple[int, tantivy.Searcher] = (0, self.index.searcher())

    def __len__(self) -> int:
        return len(self._ids)

    def _document(self, doc: LibraryDoc) -> tantivy.Document:
        title, body = searchable_text(doc)
        fields: dict[str, Any] = {
            "id": doc.id,
            "slug": doc.slug,
            "title_sort": fold(doc.title.get("en"))[:200] or doc.slug,
            "title": " ".join(text_keys(title)),
            "body": " ".join(text_keys(body)),
            "visible": doc_visibility(doc),
            "modified": _micros(doc.modified_at),
            "created": _micros(doc.created_at),
        }
        for facet, values in facet_values(doc).items():
            if values:
                fields[facet.value] = values
        return tantivy.Document(**fields)

    def replace(self, docs: Iterable[LibraryDoc], remove_ids: Iterable[str] = ()) -> None:
        docs = list(docs)
        with self._write_lock:
            writer = self.index.writer(heap_size=50_000_000, num_threads=1)
            for library_id in [*remove_ids, *(d.id for d in docs)]:
                writer.delete_documents_by_term("id", library_id)
                self._ids.discard(library_id)
            for doc in docs:
                writer.add_document(self._document(doc))
                self._ids.add(doc.id)
            writer.commit()
            writer.wait_merging_threads()
            self._swap()

    def _swap(self) -> None:
        """Make the last commit visible to searches (under the write lock)."""
        self.index.reload()
        self._generation += 1
        self._snapshot = (self._generation, self.index.searcher())
        self._facet_cache.clear()  # entries of older generations can no longer be asked for

    def clear(self) -> None:
        with self._write_lock:
            writer = self.index.writer(heap_size=15_000_000, num_threads=1)
            writer.delete_all_documents()
            writer.commit()
            writer.wait_merging_threads()
            self._swap()
            self._ids.clear()

    def _query(
        self, request: SearchRequest, visibility: frozenset[str], *, any_word: bool = False
    ) -> tantivy.Query:
        """Every word must match (``any_word``: at least one, ranked by how many and how well)."""
        schema = self.schema
        must: list[tuple[tantivy.Occur, tantivy.Query]] = [
            (tantivy.Occur.Must, _any_of(schema, "visible", sorted(visibility)))
        ]
        words: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for keys in _query_words(request.q):
            alternatives: list[tuple[tantivy.Occur, tantivy.Query]] = []
            for key in keys:
                alternatives.append(
                    (
                        tantivy.Occur.Should,
                        tantivy.Query.boost_query(
                            tantivy.Query.term_query(schema, "title", key), TITLE_BOOST
                        ),
                    )
                )
                alternatives.append((tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", key)))
            words.append(
                (
                    tantivy.Occur.Should if any_word else tantivy.Occur.Must,
                    tantivy.Query.boolean_query(alternatives),
                )
            )
        if any_word and words:
            must.append((tantivy.Occur.Must, tantivy.Query.boolean_query(words)))
        else:
            must.extend(words)
        for facet, values in request.filters.items():
            if values:
                must.append((tantivy.Occur.Must, _any_of(schema, facet.value, values)))
        if request.ids is not None:
            ids = list(request.ids) or ["\x00none"]
            either = [
                (tantivy.Occur.Should, tantivy.Query.term_set_query(schema, "id", ids)),
                (tantivy.Occur.Should, tantivy.Query.term_set_query(schema, "slug", ids)),
            ]
            must.append((tantivy.Occur.Must, tantivy.Query.boolean_query(either)))
        for bounds in request.ranges:
            if bounds.field not in _RANGE_FIELDS:
                raise InvalidInput(f"cannot filter on a range of {bounds.field.value}", code="invalid_filter")
            if bounds.start is None and bounds.end is None:
                continue
            must.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(
                        schema,
                        _RANGE_FIELDS[bounds.field],
                        tantivy.FieldType.Integer,
                        lower_bound=_micros(bounds.start) if bounds.start else None,
                        upper_bound=_micros(bounds.end) if bounds.end else None,
                    ),
                )
            )
        return tantivy.Query.boolean_query(must)

    def search(self, request: SearchRequest, visibility: frozenset[str]) -> SearchResult:
        generation, searcher = self._snapshot
        query = self._query(request, visibility)
        hits, total, raw = self._execute(generation, searcher, query, request, visibility, any_word=False)
        some_words = total == 0 and len(query_terms(request.q)) > 1
        if some_words:
            # No library has every word ("водные ресурсы" where no text says "ресурсы"): rank those
            # that have some of them, the most and rarest first (BM25 sums the words that match).
            # Ranking first and widening only on no match runs the query once when it has hits.
            query = self._query(request, visibility, any_word=True)
            hits, total, raw = self._execute(generation, searcher, query, request, visibility, any_word=True)
        facets: dict[str, list[FacetCount]] = {}
        for facet in request.facets:
            buckets = raw.get(facet.value, {}).get("buckets", [])
            facets[facet.value] = [
                FacetCount(value=str(b["key"]), count=int(b["doc_count"])) for b in buckets
            ]
        return SearchResult(count=total, hits=hits, facets=facets, some_words=some_words)

    def _execute(
        self,
        generation: int,
        searcher: tantivy.Searcher,
        query: tantivy.Query,
        request: SearchRequest,
        visibility: frozenset[str],
        *,
        any_word: bool,
    ) -> tuple[list[SearchHit], int, dict[str, Any]]:
        """(hits, total, raw facet buckets) of ``query``; the facet counts from the cache when
        the same matches were counted on this snapshot, else beside the ranking."""
        key = _facet_key(generation, request, visibility, any_word=any_word) if request.facets else None
        raw = self._facet_cache.get(key) if key is not None else None
        counting: Future[dict[str, Any]] | None = None
        if key is not None and raw is None and len(self._ids) >= CONCURRENT_FACETS_FROM:
            counting = _facet_pool.submit(self._facet_buckets, searcher, query, request)
        try:
            hits, total = self._ranked(searcher, query, request)
        finally:
            if counting is not None:
                wait([counting])  # never leave it running on a searcher the caller drops
        if key is not None and raw is None:
            raw = counting.result() if counting is not None else self._facet_buckets(searcher, query, request)
            self._facet_cache.put(key, raw)
        return hits, total, raw or {}

    @staticmethod
    def _facet_buckets(
        searcher: tantivy.Searcher, query: tantivy.Query, request: SearchRequest
    ) -> dict[str, Any]:
        spec = {f.value: {"terms": {"field": f.value, "size": request.facet_limit}} for f in request.facets}
        raw: dict[str, Any] = searcher.aggregate(query, spec)
        return raw

    @staticmethod
    def _ranked(
        searcher: tantivy.Searcher, query: tantivy.Query, request: SearchRequest
    ) -> tuple[list[SearchHit], int]:
        sort = request.sort
        limit = max(request.rows, 1)
        if sort.field == SortField.score:
            found = searcher.search(query, limit, count=True, offset=request.start)
        else:
            order = tantivy.Order.Desc if sort.descending else tantivy.Order.Asc
            found = searcher.search(
                query,
                limit,
                count=True,
                order_by_field=_SORT_FIELDS[sort.field],
                offset=request.start,
                order=order,
            )
        hits: list[SearchHit] = []
        for key, address in found.hits[: request.rows]:
            stored = searcher.doc(address)
            score = float(key) if sort.field == SortField.score else None
            hits.append(SearchHit(id=stored["id"][0], slug=stored["slug"][0], score=score))
        return hits, int(getattr(found, "count", None) or 0)
