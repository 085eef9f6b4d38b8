"""Data libraries: libraries, their immutable versions, uploads, terms acceptances and grants.

See docs/libraries.md. A version row is created only by the one transaction that publishes (or
rejects) it, after its objects are written, so a version exists whole or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from qazai.storage.tables.base import ID, Base


class LibraryRow(Base):
    __tablename__ = "libraries"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    organisation_id: Mapped[str] = mapped_column(
        ID, ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    licence: Mapped[str | None] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(16))
    # Everything else the metadata model holds (themes, keywords, spatial, temporal, frequency,
    # legal basis, source systems, contact, terms): one JSON document validated by the service.
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    latest_version_id: Mapped[str | None] = mapped_column(ID)
    latest_number: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    # Indexed: the catalogue index's background re-check reads max(updated_at) (migration 0015).
    updated_at: Mapped[datetime] = mapped_column(index=True)


class LibraryVersionRow(Base):
    __tablename__ = "library_versions"
    __table_args__ = (
        UniqueConstraint("library_id", "number"),
        Index("ix_library_versions_library_id_status", "library_id", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    library_id: Mapped[str] = mapped_column(ID, ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    # One version per (library, upload, policy): a retried publish job finds it here.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    upload_id: Mapped[str | None] = mapped_column(ID)
    job_id: Mapped[str | None] = mapped_column(ID)
    tier: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    source_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    manifest_key: Mapped[str | None] = mapped_column(String(300))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    metadata_completeness: Mapped[float] = mapped_column(Float, default=0.0)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by: Mapped[str | None] = mapped_column(ID)
    optout_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    optout_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class LibraryUploadRow(Base):
    __tablename__ = "library_uploads"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    library_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("libraries.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[str | None] = mapped_column(ID)
    filename: Mapped[str] = mapped_column(String(255))
    declared_size: Mapped[int | None] = mapped_column(BigInteger)
    received_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    chunks: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    object_key: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class LibraryTermsAcceptanceRow(Base):
    __tablename__ = "library_terms_acceptances"
    __table_args__ = (UniqueConstraint("library_id", "user_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    library_id: Mapped[str] = mapped_column(ID, ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    accepted_at: Mapped[datetime]


class LibraryGrantRow(Base):
    __tablename__ = "library_grants"
    __table_args__ = (Index("ix_library_grants_library_id_status", "library_id", "status"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    library_id: Mapped[str] = mapped_column(ID, ForeignKey("libraries.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(ID)
    decision_note: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    # download: read the files (restricted); compute_only: only jobs on platform compute read the
    # data (restricted or enclave libraries, see docs/compute.md).
    kind: Mapped[str] = mapped_column(String(16), server_default="download")


class LibraryUsageRow(Base):
    """How often a library's page was viewed and its files downloaded: counted in memory by each
    process (``qazai.libraries.usage``) and added here in batches, never one write per request."""

    __tablename__ = "library_usage"

    library_id: Mapped[str] = mapped_column(
        ID, ForeignKey("libraries.id", ondelete="CASCADE"), primary_key=True
    )
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]
