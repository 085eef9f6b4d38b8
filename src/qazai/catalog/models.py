"""Typed views of libraries as the catalogue sees them, and the catalogue's requests and results.

``LibraryDoc`` / ``VersionDoc`` are the one input of every export (Croissant, Data Package, DCAT,
schema.org, CKAN) and of the search index; ``repo.py`` builds them from the libraries' tables.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from qazai.core.enums import AccessTier
from qazai.core.text import LocalizedText


class Doc(BaseModel):
    model_config = ConfigDict(frozen=True)


class ColumnDoc(Doc):
    name: str
    type: str = Field(description="a DuckDB/Arrow logical type name: string, int64, float64, date, bool...")
    description: str | None = None
    nullable: bool = True
    kind: str | None = Field(default=None, description="privacy classification of the column, if any")


class TableDoc(Doc):
    name: str
    columns: list[ColumnDoc]
    rows: int = 0


class PartDoc(Doc):
    """One published file of a version."""

    file: str = Field(description="file name under data/, e.g. `population-0.parquet`")
    table: str
    format: str = Field(description="parquet or csv")
    sha256: str
    bytes: int
    rows: int
    key: str = Field(description="object-store key of the bytes")


class PrivacyDoc(Doc):
    """What the Responsible-AI fields of the exports say, from the version's privacy report."""

    personal_data: str = "No personal data was found in the published files."
    sensitive_data: str = "None known."
    deidentification: str = "None needed."
    limitations: str = "None known."


class ProvenanceDoc(Doc):
    source_file: str | None = None
    source_sha256: str | None = None
    collection: str = "Collected by the producer organisation and published on QazAI."
    pipeline: str = "qazai publish pipeline"


class VersionDoc(Doc):
    id: str
    number: int
    created_at: datetime
    tier: AccessTier
    rows: int
    bytes: int
    tables: list[TableDoc]
    parts: list[PartDoc]
    privacy: PrivacyDoc = PrivacyDoc()
    provenance: ProvenanceDoc = ProvenanceDoc()


class LibraryDoc(Doc):
    id: str
    slug: str
    organisation_id: str
    organisation_slug: str
    organisation_name: LocalizedText
    title: LocalizedText
    description: LocalizedText | None = None
    licence: str | None = None
    tier: AccessTier
    themes: list[str] = []
    keywords: list[str] = []
    region: str | None = None
    kato: str | None = None
    temporal_start: date | None = None
    temporal_end: date | None = None
    frequency: str | None = None
    contact_email: str | None = None
    created_at: datetime
    modified_at: datetime = Field(description="metadata_modified: the later of an edit and a publication")
    published: bool = Field(description="has a published version: visible to everyone")
    latest: VersionDoc | None = None

    @property
    def formats(self) -> list[str]:
        return sorted({p.format for p in self.latest.parts}) if self.latest else []

    @property
    def years(self) -> list[str]:
        if self.temporal_start is None and self.temporal_end is None:
            return []
        start = (self.temporal_start or self.temporal_end).year  # type: ignore[union-attr]
        end = (self.temporal_end or self.temporal_start).year  # type: ignore[union-attr]
        return [str(y) for y in range(start, min(end, start + 200) + 1)]


class FacetName(StrEnum):
    producer = "producer"
    theme = "theme"
    tier = "tier"
    licence = "licence"
    format = "format"  # type: ignore[assignment]
    region = "region"
    year = "year"
    keyword = "keyword"


class SortField(StrEnum):
    score = "score"
    id = "id"
    name = "name"
    title = "title"  # type: ignore[assignment]
    modified = "modified"
    created = "created"


class SortSpec(BaseModel):
    field: SortField = SortField.score
    descending: bool = True


class RangeFilter(BaseModel):
    """``metadata_modified``/``metadata_created`` between two instants (either may be open)."""

    field: SortField
    start: datetime | None = None
    end: datetime | None = None


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(default="", max_length=500)
    filters: dict[FacetName, list[str]] = {}
    ids: list[str] | None = Field(default=None, description="restrict to these library ids or slugs")
    ranges: list[RangeFilter] = []
    sort: SortSpec = SortSpec()
    start: int = Field(default=0, ge=0, le=1_000_000)
    rows: int = Field(default=20, ge=0, le=1000)
    facets: list[FacetName] = []
    facet_limit: int = Field(default=50, ge=1, le=1000)
    include_private: bool = False


class FacetCount(BaseModel):
    value: str
    count: int


class SearchHit(BaseModel):
    id: str
    slug: str
    score: float | None = None


class SearchResult(BaseModel):
    count: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]]
    # No library had every word of the query: these have some of them, ranked by how many and how rare.
    some_words: bool = False


class QueryFormat(StrEnum):
    json = "json"
    csv = "csv"


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sql: str = Field(min_length=1, max_length=20_000)
    limit: int = Field(default=1000, ge=1, le=10_000)
    next: str | None = Field(default=None, description="the `next` token of the previous page")
    timeout_ms: int | None = Field(default=None, ge=10, le=60_000)


class QueryResult(BaseModel):
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    truncated: bool
    next: str | None = None
    elapsed_ms: float
    tables: list[str] = Field(description="the library tables this query read")
