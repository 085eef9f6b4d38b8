"""Ready-made models: repositories, immutable versions, their files, access and lineage.

See docs/models.md. A version row and its file rows are written by the one transaction that
publishes them, after every file is in the object store, so a version exists whole or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qazai.storage.tables.base import ID, Base


class ModelRepoRow(Base):
    __tablename__ = "model_repos"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    # "org/name" as clients write it (organisation slugs do not change)
    repo_id: Mapped[str] = mapped_column(String(200), unique=True)
    organisation_id: Mapped[str] = mapped_column(
        ID, ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(96))
    title: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tier: Mapped[str] = mapped_column(String(16))
    licence: Mapped[str] = mapped_column(String(100))
    task: Mapped[str] = mapped_column(String(64), index=True)
    languages: Mapped[list[Any]] = mapped_column(JSON)
    tags: Mapped[list[Any]] = mapped_column(JSON)
    latest_version_id: Mapped[str | None] = mapped_column(ID)
    latest_revision: Mapped[str | None] = mapped_column(String(40))
    latest_tag: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    # the search index's stamp (count, newest update) and its incremental refresh read this
    updated_at: Mapped[datetime] = mapped_column(index=True)


class ModelVersionRow(Base):
    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("repo_id", "revision"),
        UniqueConstraint("repo_id", "tag"),
        Index("ix_model_versions_repo_id_status", "repo_id", "status"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    repo_id: Mapped[str] = mapped_column(ID, ForeignKey("model_repos.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    revision: Mapped[str] = mapped_column(String(40), index=True)
    tag: Mapped[str] = mapped_column(String(64))
    parent_revision: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    total_size: Mapped[int] = mapped_column(BigInteger)
    file_count: Mapped[int] = mapped_column(Integer)
    trained_on_platform: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when a library version it was trained on is withdrawn (the reason, in English)
    flag_reason: Mapped[str | None] = mapped_column(Text)
    flagged_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class ModelFileRow(Base):
    __tablename__ = "model_files"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    version_id: Mapped[str] = mapped_column(
        ID, ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    object_key: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(16))
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)
    # tensors (safetensors/GGUF header summary) and the safety scan's findings
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class ModelTrainingDataRow(Base):
    """Model version <- library version (declared at push, or recorded from a compute job)."""

    __tablename__ = "model_training_data"
    __table_args__ = (UniqueConstraint("model_version_id", "library_version_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    model_version_id: Mapped[str] = mapped_column(
        ID, ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    library_version_id: Mapped[str] = mapped_column(
        ID, ForeignKey("library_versions.id", ondelete="RESTRICT"), index=True
    )
    source: Mapped[str] = mapped_column(String(16))  # "declared" | "compute"
    job_id: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class AiSystemModelRow(Base):
    """AI system -> model version it runs."""

    __tablename__ = "ai_system_models"
    __table_args__ = (UniqueConstraint("system_id", "model_version_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    model_version_id: Mapped[str] = mapped_column(
        ID, ForeignKey("model_versions.id", ondelete="RESTRICT"), index=True
    )
    usage: Mapped[str] = mapped_column(String(32))
    linked_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class ModelTermsAcceptanceRow(Base):
    __tablename__ = "model_terms_acceptances"
    __table_args__ = (UniqueConstraint("repo_id", "user_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    repo_id: Mapped[str] = mapped_column(ID, ForeignKey("model_repos.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    accepted_at: Mapped[datetime]


class ModelGrantRow(Base):
    __tablename__ = "model_grants"
    __table_args__ = (Index("ix_model_grants_repo_id_status", "repo_id", "status"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    repo_id: Mapped[str] = mapped_column(ID, ForeignKey("model_repos.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(ID)
    decision_note: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
