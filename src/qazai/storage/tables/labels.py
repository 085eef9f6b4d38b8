"""Labels of synthetic content (Law on AI Art. 21): the platform's certificate authorities, the
signing certificates issued per organisation and AI system, and the label registry.

See docs/labels.md. No content is kept: a label row holds hashes (SHA-256, a perceptual hash for
images) and what the label said. Private keys are stored encrypted with a key derived from the
platform secret (``QAZAI_SECRET_KEY``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qazai.storage.tables.base import ID, Base


class LabelAuthorityRow(Base):
    """A root of the platform's labelling CA (ES256). One is active; retired ones stay trust anchors."""

    __tablename__ = "label_authorities"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    encrypted_key_pem: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class LabelCertificateRow(Base):
    """A signing certificate of one AI system of one organisation: ES256 for C2PA manifests,
    Ed25519 for signed text records."""

    __tablename__ = "label_certificates"
    __table_args__ = (Index("ix_label_certificates_system_id_algorithm", "system_id", "algorithm"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    authority_id: Mapped[str] = mapped_column(
        ID, ForeignKey("label_authorities.id", ondelete="RESTRICT"), index=True
    )
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="RESTRICT"))
    organisation_id: Mapped[str] = mapped_column(
        ID, ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    algorithm: Mapped[str] = mapped_column(String(16))
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    encrypted_key_pem: Mapped[str] = mapped_column(Text)
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class LabelRow(Base):
    """One label: who labelled what (by hash), when, with which certificate and notice."""

    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_system_id_created_at", "system_id", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="RESTRICT"))
    organisation_id: Mapped[str] = mapped_column(
        ID, ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    certificate_id: Mapped[str] = mapped_column(
        ID, ForeignKey("label_certificates.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    media_type: Mapped[str] = mapped_column(String(127))
    # What was delivered (the labelled file's bytes, the labelled text normalised) and what was given
    # (the original file's bytes, the text's body normalised): a copy is found by either.
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    phash: Mapped[int | None] = mapped_column(BigInteger)
    embedding: Mapped[str] = mapped_column(String(16))
    visible_notice: Mapped[bool] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(2))
    notice: Mapped[dict[str, Any]] = mapped_column(JSON)
    record: Mapped[bytes | None] = mapped_column(LargeBinary)
    test: Mapped[bool] = mapped_column(Boolean)
    verified_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
