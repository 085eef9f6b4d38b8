"""The airlock: output files of compute jobs held until two output checkers release them.

See docs/compute.md, "Airlock". A held file's bytes stay in the object store (content-addressed);
these rows say what the disclosure checks found, who reviewed it and whether it was released.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qazai.storage.tables.base import ID, Base


class AirlockFileRow(Base):
    """One output file of one job, from the moment the job exits until it is released or refused."""

    __tablename__ = "airlock_files"
    __table_args__ = (
        UniqueConstraint("job_id", "name"),
        Index("ix_airlock_files_state_created_at", "state", "created_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    # compute's job and project ids; no foreign key, so the airlock keeps its record of a job even
    # if compute's rows are archived
    job_id: Mapped[str] = mapped_column(ID, index=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    organisation_id: Mapped[str] = mapped_column(ID, ForeignKey("organisations.id", ondelete="RESTRICT"))
    requested_by: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(1024))
    object_key: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # table | other | evidence
    table_kind: Mapped[str | None] = mapped_column(String(16))
    findings: Mapped[list[Any]] = mapped_column(JSON)
    cells: Mapped[int] = mapped_column(Integer, default=0)
    suppressed: Mapped[int] = mapped_column(Integer, default=0)
    secondary: Mapped[int] = mapped_column(Integer, default=0)
    safe_object_key: Mapped[str | None] = mapped_column(String(1024))
    safe_size: Mapped[int | None] = mapped_column(BigInteger)
    safe_sha256: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # pending | released | rejected | withheld | evidence
    released_variant: Mapped[str | None] = mapped_column(String(16))  # original | safe
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class AirlockReviewRow(Base):
    """One output checker's decision on one file; a checker decides a file once."""

    __tablename__ = "airlock_reviews"
    __table_args__ = (UniqueConstraint("file_id", "reviewer_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    file_id: Mapped[str] = mapped_column(ID, ForeignKey("airlock_files.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="RESTRICT"))
    decision: Mapped[str] = mapped_column(String(16))  # approve | reject
    variant: Mapped[str | None] = mapped_column(String(16))  # original | safe (approvals)
    justification: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class AirlockPublicationConsentRow(Base):
    """A producer organisation of one of a job's inputs allows a released table to be published
    openly as a library (one consent per organisation and file)."""

    __tablename__ = "airlock_publication_consents"
    __table_args__ = (UniqueConstraint("file_id", "organisation_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    file_id: Mapped[str] = mapped_column(ID, ForeignKey("airlock_files.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[str] = mapped_column(ID, ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime]
