"""Libraries related to one library: sharing its themes, its producer or its keywords."""

from __future__ import annotations

from qazai.catalog.indexer import CatalogIndex
from qazai.catalog.models import LibraryDoc
from qazai.catalog.service import can_see
from qazai.identity.actor import Actor

THEME_WEIGHT = 3
PRODUCER_WEIGHT = 2
KEYWORD_WEIGHT = 1


def _words(values: list[str]) -> set[str]:
    return {v.strip().casefold() for v in values if v.strip()}


def relatedness(doc: LibraryDoc, other: LibraryDoc) -> int:
    """A score: shared themes weigh most, then the same producer, then each shared keyword."""
    score = THEME_WEIGHT * len(_words(doc.themes) & _words(other.themes))
    if doc.organisation_id == other.organisation_id:
        score += PRODUCER_WEIGHT
    return score + KEYWORD_WEIGHT * len(_words(doc.keywords) & _words(other.keywords))


def related_libraries(index: CatalogIndex, actor: Actor, key: str, limit: int = 5) -> list[LibraryDoc]:
    """Up to ``limit`` published libraries that ``actor`` may see, most related first (newest
    first among equals); none when ``key`` is not in the catalogue. One pass over the index's
    documents: cheap for the catalogue's size (thousands of libraries)."""
    index.sync()
    doc = index.get(key)
    if doc is None:
        return []
    scored = [
        (relatedness(doc, other), other)
        for other in index.docs.values()
        if other.id != doc.id and other.published and can_see(actor, other)
    ]
    scored = [(score, other) for score, other in scored if score > 0]
    scored.sort(key=lambda pair: (-pair[0], -pair[1].modified_at.timestamp(), pair[1].slug))
    return [other for _, other in scored[:limit]]
