"""The AI system registry: systems, classifications, attestations, documents, workflow history,
lineage, trusted-list applications, pilots, complaints, authors' opt-outs and notifications.

See docs/registry.md. Free-form multilingual texts are JSON ``{"kk", "ru", "en"}`` documents.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from qazai.storage.tables.base import ID, Base


class RegistryConfigRow(Base):
    """Operator-edited registry data (questionnaire, checklist, templates, sectors, deadlines)."""

    __tablename__ = "registry_config"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(255))


class AiSystemRow(Base):
    __tablename__ = "ai_systems"
    __table_args__ = (Index("ix_ai_systems_state_id", "state", "id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_organisation_id: Mapped[str] = mapped_column(
        ID, ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    holder_organisation_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[dict[str, Any]] = mapped_column(JSON)
    purpose: Mapped[dict[str, Any]] = mapped_column(JSON)
    sector: Mapped[str] = mapped_column(String(64))
    deployment_context: Mapped[str] = mapped_column(Text)
    affected_persons: Mapped[str] = mapped_column(Text)
    system_type: Mapped[str] = mapped_column(String(32))
    models: Mapped[list[Any]] = mapped_column(JSON)
    notice: Mapped[dict[str, Any]] = mapped_column(JSON)
    labelling_method: Mapped[str | None] = mapped_column(Text)
    # the owner's answer (Art. 21): such a system is registered once a test label of it verified
    produces_synthetic_content: Mapped[bool] = mapped_column(Boolean, default=False)
    complaint_contact: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16))
    risk_class: Mapped[str | None] = mapped_column(String(16))
    autonomy_class: Mapped[str | None] = mapped_column(String(16))
    autonomy_legal_basis: Mapped[str | None] = mapped_column(Text)
    state_infosec_regime: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_reclassification: Mapped[bool] = mapped_column(Boolean, default=False)
    prohibited_capabilities: Mapped[list[Any]] = mapped_column(JSON)
    attested_at: Mapped[datetime | None]
    registered_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AiSystemClassificationRow(Base):
    __tablename__ = "ai_system_classifications"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    questionnaire_version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    proposed_risk: Mapped[str] = mapped_column(String(16))
    proposed_autonomy: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    risk_class: Mapped[str] = mapped_column(String(16))
    autonomy_class: Mapped[str] = mapped_column(String(16))
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    justification: Mapped[str | None] = mapped_column(Text)
    autonomy_legal_basis: Mapped[str | None] = mapped_column(Text)
    state_infosec_regime: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[str | None] = mapped_column(ID)
    actor_label: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class AiSystemAttestationRow(Base):
    __tablename__ = "ai_system_attestations"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    checklist_version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    prohibited: Mapped[list[Any]] = mapped_column(JSON)
    statement: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[str | None] = mapped_column(ID)
    actor_label: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class AiSystemDocumentRow(Base):
    __tablename__ = "ai_system_documents"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    template_key: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    object_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class AiSystemTransitionRow(Base):
    __tablename__ = "ai_system_transitions"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[str | None] = mapped_column(ID)
    actor_label: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class AiSystemLineageRow(Base):
    __tablename__ = "ai_system_lineage"
    __table_args__ = (UniqueConstraint("system_id", "library_version_id"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    library_version_id: Mapped[str] = mapped_column(
        ID, ForeignKey("library_versions.id", ondelete="RESTRICT"), index=True
    )
    usage: Mapped[str] = mapped_column(String(32))
    linked_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class TrustedListApplicationRow(Base):
    __tablename__ = "trusted_list_applications"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    sector_body: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), index=True)
    submitted_on: Mapped[date] = mapped_column(Date)
    completeness_due: Mapped[date] = mapped_column(Date)
    completeness_checked_on: Mapped[date | None] = mapped_column(Date)
    publication_due: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    history: Mapped[list[Any]] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PilotRow(Base):
    __tablename__ = "ai_system_pilots"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    original_ends_at: Mapped[datetime]
    extensions: Mapped[list[Any]] = mapped_column(JSON)
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime]


class ComplaintRow(Base):
    __tablename__ = "ai_system_complaints"
    __table_args__ = (Index("ix_ai_system_complaints_state_due_on", "state", "due_on"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    decision_reference: Mapped[str | None] = mapped_column(String(255))
    contact_name: Mapped[str | None] = mapped_column(String(255))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(64))
    filed_by: Mapped[str | None] = mapped_column(ID)
    state: Mapped[str] = mapped_column(String(16))
    filed_at: Mapped[datetime]
    due_on: Mapped[date] = mapped_column(Date)
    reviewer_user_id: Mapped[str | None] = mapped_column(ID)
    reviewer_name: Mapped[str | None] = mapped_column(String(255))
    assigned_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(ID)
    answered_by_label: Mapped[str | None] = mapped_column(String(255))
    answered_at: Mapped[datetime | None]
    # the complainant's receipt (0010): a reference to quote and a secret code kept only as its
    # SHA-256 (the code is 128 random bits, so a plain hash cannot be reversed by guessing)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    access_code_hash: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2), server_default="kk")


class OptOutWorkRow(Base):
    __tablename__ = "optout_works"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    isbn: Mapped[str | None] = mapped_column(String(13))
    doi: Mapped[str | None] = mapped_column(String(255))
    identifier: Mapped[str | None] = mapped_column(String(255))
    text_sha256: Mapped[str | None] = mapped_column(String(64))
    registered_by: Mapped[str | None] = mapped_column(ID)
    registered_by_label: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    # the claim (0006): who claims authorship, on what evidence, and where the claim stands
    state: Mapped[str] = mapped_column(String(16), server_default="active")
    claimant: Mapped[str | None] = mapped_column(String(255))
    claimant_contact: Mapped[str | None] = mapped_column(String(255))
    evidence: Mapped[str | None] = mapped_column(Text)
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    disputed_by: Mapped[str | None] = mapped_column(ID)
    decided_by: Mapped[str | None] = mapped_column(ID)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]


class RegistryNotificationRow(Base):
    __tablename__ = "registry_notifications"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(
        ID, ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    system_id: Mapped[str | None] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class AiSystemRevisionRow(Base):
    """A change of reviewed fields of a registered (or suspended) system, waiting for the regulator
    (0010). ``changes`` holds the proposed values in the record's own form (and a re-classification
    under ``classification``); ``before`` the reviewed values they replace."""

    __tablename__ = "ai_system_revisions"
    __table_args__ = (Index("ix_ai_system_revisions_state_created_at", "state", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    system_id: Mapped[str] = mapped_column(ID, ForeignKey("ai_systems.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    proposed_by: Mapped[str | None] = mapped_column(ID)
    proposed_by_label: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(ID)
    decided_by_label: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)


class RegistryOutboxRow(Base):
    """A message to a person outside the platform (a complainant's contact address), sent by the
    job ``registry.deliver_mail`` (0010): by SMTP when ``smtp_url`` is set, else written as an
    ``.eml`` file to ``<data_dir>/outbox`` for the operator's mail system to pick up."""

    __tablename__ = "registry_outbox"
    __table_args__ = (Index("ix_registry_outbox_state_created_at", "state", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # a secret the body shows as {code} (a complainant's access code), kept only until it is sent
    secret: Mapped[str | None] = mapped_column(String(64))
    complaint_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("ai_system_complaints.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
