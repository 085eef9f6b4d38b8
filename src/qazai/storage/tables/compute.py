"""Compute next to the data: projects, their members and inputs, jobs, held outputs, quotas.

See docs/compute.md. The airlock's own tables (reviews, decisions, releases) are in ``airlock.py``.
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


class ComputeProjectRow(Base):
    __tablename__ = "compute_projects"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    organisation_id: Mapped[str] = mapped_column(ID, ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    # Optional: the registered AI system and pilot the project serves; the pilot's end ends the
    # project's right to run jobs.
    system_id: Mapped[str | None] = mapped_column(ID, ForeignKey("ai_systems.id"), index=True)
    pilot_id: Mapped[str | None] = mapped_column(ID, ForeignKey("ai_system_pilots.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # active | closed
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class ComputeProjectMemberRow(Base):
    __tablename__ = "compute_project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("compute_projects.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # lead | member
    added_by: Mapped[str | None] = mapped_column(ID)
    added_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(ID)


class ComputeProjectInputRow(Base):
    """A library version the project may read, through a grant where the tier needs one."""

    __tablename__ = "compute_project_inputs"
    __table_args__ = (UniqueConstraint("project_id", "version_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(
        ID, ForeignKey("compute_projects.id", ondelete="CASCADE"), index=True
    )
    library_id: Mapped[str] = mapped_column(ID, ForeignKey("libraries.id"), index=True)
    version_id: Mapped[str] = mapped_column(ID, ForeignKey("library_versions.id"), index=True)
    grant_id: Mapped[str | None] = mapped_column(ID, ForeignKey("library_grants.id"))
    added_by: Mapped[str | None] = mapped_column(ID)
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class ComputeJobRow(Base):
    __tablename__ = "compute_jobs"
    __table_args__ = (
        Index("ix_compute_jobs_organisation_id_state", "organisation_id", "state"),
        Index("ix_compute_jobs_state_polled_at", "state", "polled_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, ForeignKey("compute_projects.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ID, ForeignKey("organisations.id"))
    submitted_by: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id"))
    script_name: Mapped[str] = mapped_column(String(255))
    script_kind: Mapped[str] = mapped_column(String(16))  # python | notebook
    script_key: Mapped[str] = mapped_column(String(1024))  # the uploaded script in the object store
    script_sha256: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[list[Any]] = mapped_column(JSON)  # [{library, version, version_id, tier, path, key}]
    limits: Mapped[dict[str, Any]] = mapped_column(JSON)
    confidential: Mapped[bool] = mapped_column(Boolean)
    backend: Mapped[str] = mapped_column(String(32))
    backend_ref: Mapped[str | None] = mapped_column(String(1024))
    state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    cpu_seconds: Mapped[float | None] = mapped_column(Float)
    output_bytes: Mapped[int] = mapped_column(BigInteger)
    submitted_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    polled_at: Mapped[datetime | None]
    cancel_requested_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # The log, kept in the object store once the run has ended (the run folder is then removed).
    log_key: Mapped[str | None] = mapped_column(String(1024))
    log_bytes: Mapped[int | None] = mapped_column(BigInteger)


class ComputeJobOutputRow(Base):
    """A file a succeeded job wrote, copied into the object store and held for the airlock."""

    __tablename__ = "compute_job_outputs"
    __table_args__ = (UniqueConstraint("job_id", "path"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    job_id: Mapped[str] = mapped_column(ID, ForeignKey("compute_jobs.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime]


class ComputeQuotaRow(Base):
    """An organisation's compute quota, set by an operator (defaults in the settings otherwise)."""

    __tablename__ = "compute_quotas"

    organisation_id: Mapped[str] = mapped_column(ID, ForeignKey("organisations.id"), primary_key=True)
    cpu_seconds_per_period: Mapped[int] = mapped_column(BigInteger)
    period_days: Mapped[int] = mapped_column(Integer)
    concurrent_jobs: Mapped[int] = mapped_column(Integer)
    output_bytes: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str | None] = mapped_column(ID)
    updated_at: Mapped[datetime]
