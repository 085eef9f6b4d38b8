"""Search over model repositories: words in kk/ru/en, filters, two sort orders.

Words become the catalog's search keys (:mod:`qazai.catalog.text`: Cyrillic and Latin spellings,
Kazakh endings, Russian and English stems), so "аударма", "audarma" and "аудармасы" find the
same model. Each process keeps an inverted index in memory, rebuilt when the repositories
change (a count and the newest update, read from the database on every search: the database
stays the only source of truth, for any number of processes).
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from qazai.catalog.text import query_terms, text_keys
from qazai.core.clock import utcnow
from qazai.core.errors import InvalidInput
from qazai.models import repo
from qazai.models.models import ModelSearch


@dataclass(frozen=True)
class _Doc:
    id: str
    repo_id: str
    organisation_id: str
    task: str
    licence: str
    tier: str
    languages: frozenset[str]
    updated: str  # "<iso time>|<id>": the sort and cursor key of "newest first"
    keys: frozenset[str]


@dataclass
class _Index:
    stamp: tuple[int, datetime | None, int]
    docs: dict[str, _Doc] = field(default_factory=dict)
    postings: dict[str, set[str]] = field(default_factory=dict)
    by_name: list[_Doc] = field(default_factory=list)
    by_updated: list[_Doc] = field(default_factory=list)


# How late a transaction may commit after a later one and still be seen at once (a repository
# update is one short transaction)
LATE_COMMIT_MARGIN = timedelta(minutes=2)
_lock = threading.Lock()
_indexes: dict[str, _Index] = {}


def _texts(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values() if v)
    return ""


def _doc(row: Any) -> _Doc:
    pk, repo_id, org_id, task, licence, tier, languages, tags, title, summary, updated = row
    words = " ".join([repo_id.replace("/", " ").replace("-", " "), task.replace("-", " "), *tags])
    keys = frozenset({*text_keys(words), *text_keys(_texts(title)), *text_keys(_texts(summary))})
    return _Doc(
        id=pk,
        repo_id=repo_id,
        organisation_id=org_id,
        task=task,
        licence=licence.lower(),
        tier=tier,
        languages=frozenset(languages or []),
        updated=f"{updated.isoformat()}|{pk}",
        keys=keys,
    )


def _put(index: _Index, doc: _Doc, shared: set[str] | None = None) -> None:
    """Add or replace ``doc``. Posting sets named in ``shared`` still belong to the previous index
    (which other threads may be reading): they are copied before their first change."""

    def postings(key: str) -> set[str]:
        if shared is not None and key in shared:
            shared.discard(key)
            index.postings[key] = set(index.postings[key])
        return index.postings.setdefault(key, set())

    old = index.docs.get(doc.id)
    if old is not None:
        for key in old.keys:
            postings(key).discard(doc.id)
    index.docs[doc.id] = doc
    for key in doc.keys:
        postings(key).add(doc.id)


def _sort(index: _Index) -> None:
    index.by_name = sorted(index.docs.values(), key=lambda d: d.repo_id)
    index.by_updated = sorted(index.docs.values(), key=lambda d: d.updated, reverse=True)


def _build(session: Session, stamp: tuple[int, datetime | None, int], previous: _Index | None) -> _Index:
    """The index at ``stamp``: ``previous`` brought up to date with the repositories updated
    since shortly before its newest update, else built from every row (when the count shows rows
    that went away or were missed). The margin catches an update whose transaction committed
    after a later one."""
    if previous is not None and previous.stamp[1] is not None and stamp[0] >= previous.stamp[0]:
        index = _Index(stamp=stamp, docs=dict(previous.docs), postings=dict(previous.postings))
        shared = set(index.postings)
        since = previous.stamp[1] - LATE_COMMIT_MARGIN
        changed = [_doc(row) for row in repo.repo_index_rows(session, updated_since=since)]
        for doc in changed:
            _put(index, doc, shared)
        if len(index.docs) == stamp[0]:  # else rows went away or were missed: rebuild
            # what was re-read is newer than all the rest: it goes first; the rest keep their order
            ids = {doc.id for doc in changed}
            index.by_updated = sorted(changed, key=lambda d: d.updated, reverse=True) + [
                d for d in previous.by_updated if d.id not in ids
            ]
            by_name = [d for d in previous.by_name if d.id not in ids]
            for doc in changed:
                bisect.insort(by_name, doc, key=lambda d: d.repo_id)
            index.by_name = by_name
            return index
    index = _Index(stamp=stamp)
    for row in repo.repo_index_rows(session):
        _put(index, _doc(row))
    _sort(index)
    return index


def _index_for(session: Session) -> _Index:
    bind = session.get_bind()
    name = str(bind.url) if hasattr(bind, "url") else str(id(bind))
    stamp = repo.repo_index_stamp(session, utcnow() - LATE_COMMIT_MARGIN)
    with _lock:
        index = _indexes.get(name)
        if index is not None and index.stamp == stamp:
            return index
    built = _build(session, stamp, index)
    with _lock:
        _indexes[name] = built
    return built


def _matching(index: _Index, text: str) -> set[str] | None:
    terms = query_terms(text)
    if not terms:
        return None
    hits: set[str] | None = None
    for alternatives in terms:
        word_hits: set[str] = set()
        for key in alternatives:
            word_hits |= index.postings.get(key, set())
        hits = word_hits if hits is None else hits & word_hits
        if not hits:
            return set()
    return hits


def search_ids(
    session: Session, query: ModelSearch, organisation_id: str | None, after: str | None
) -> tuple[list[str], str | None]:
    """The ids of one page of matching repositories, in order, and the cursor key of the next
    page (None on the last)."""
    index = _index_for(session)
    hits = _matching(index, query.q) if query.q else None
    ordered = index.by_name if query.sort == "name" else index.by_updated
    licence = query.licence.lower() if query.licence else None
    tier = query.tier.value if query.tier else None
    if after is not None and query.sort == "updated" and "|" not in after:
        raise InvalidInput("the cursor belongs to another sort order", code="invalid_cursor")
    out: list[_Doc] = []
    for doc in ordered:
        if after is not None:
            key = doc.repo_id if query.sort == "name" else doc.updated
            if (key <= after) if query.sort == "name" else (key >= after):
                continue
        if hits is not None and doc.id not in hits:
            continue
        if query.task and doc.task != query.task:
            continue
        if licence and doc.licence != licence:
            continue
        if tier and doc.tier != tier:
            continue
        if organisation_id and doc.organisation_id != organisation_id:
            continue
        if query.language and query.language.lower() not in doc.languages:
            continue
        out.append(doc)
        if len(out) > query.limit:
            break
    page = out[: query.limit]
    more = len(out) > query.limit
    last = (page[-1].repo_id if query.sort == "name" else page[-1].updated) if more and page else None
    return [d.id for d in page], last
