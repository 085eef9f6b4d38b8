"""Commands (``extra="forbid"``) and read models of the registry."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from qazai.core.enums import AutonomyLevel, RiskLevel
from qazai.core.text import LocalizedText
from qazai.registry.workflow import SystemState


class _Cmd(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SystemType(StrEnum):
    computer_vision = "computer_vision"
    language = "language"
    speech = "speech"
    decision_support = "decision_support"
    generative = "generative"
    other_ml = "other_ml"


class ModelUsed(_Cmd):
    name: str = Field(min_length=1, max_length=200)
    version: str = Field(default="", max_length=100)
    provenance: str = Field(default="", max_length=1000, description="who trained it, from what")
    hosted_here: StrictBool = Field(default=False, description="hosted on the national platform")


class SystemCreate(_Cmd):
    owner_organisation: str = Field(description="slug or id of the owner organisation")
    holder_organisation: str | None = Field(default=None, description="slug or id, if not the owner")
    name: LocalizedText
    purpose: LocalizedText
    sector: str
    deployment_context: str = Field(min_length=1, max_length=4000)
    affected_persons: str = Field(min_length=1, max_length=4000, description="who is affected")
    system_type: SystemType
    models: list[ModelUsed] = Field(default_factory=list)
    notice: LocalizedText = Field(description="notice to users that AI is used (Art. 21(1)), kk/ru/en")
    labelling_method: str | None = Field(default=None, max_length=2000)
    complaint_contact: str = Field(min_length=3, max_length=255)


class SystemUpdate(_Cmd):
    holder_organisation: str | None = None
    name: LocalizedText | None = None
    purpose: LocalizedText | None = None
    sector: str | None = None
    deployment_context: str | None = Field(default=None, min_length=1, max_length=4000)
    affected_persons: str | None = Field(default=None, min_length=1, max_length=4000)
    system_type: SystemType | None = None
    models: list[ModelUsed] | None = None
    notice: LocalizedText | None = None
    labelling_method: str | None = None
    complaint_contact: str | None = Field(default=None, min_length=3, max_length=255)


class LineageEntry(BaseModel):
    library_version_id: str
    library_slug: str
    library_title: LocalizedText | None
    number: int
    status: str
    usage: str
    metadata_completeness: float
    withdrawn_reason: str | None
    optout_flagged: bool
    flagged: bool
    flag_reason: str | None


class SystemRead(BaseModel):
    id: str
    owner_organisation_id: str
    owner_organisation_slug: str
    holder_organisation_id: str | None
    name: LocalizedText
    purpose: LocalizedText
    sector: str
    deployment_context: str
    affected_persons: str
    system_type: SystemType
    models: list[ModelUsed]
    notice: LocalizedText
    labelling_method: str | None
    complaint_contact: str
    state: SystemState
    allowed_next: list[SystemState]
    risk_class: RiskLevel | None
    autonomy_class: AutonomyLevel | None
    autonomy_legal_basis: str | None
    state_infosec_regime: bool
    needs_reclassification: bool
    prohibited_capabilities: list[str]
    attested_at: datetime | None
    registered_at: datetime | None
    lineage_flagged: bool
    lineage_flags: list[str]
    created_at: datetime
    updated_at: datetime


class ProposalRead(BaseModel):
    questionnaire_version: int
    proposed_risk: RiskLevel
    proposed_autonomy: AutonomyLevel
    state_infosec_regime: bool
    reasons: list[LocalizedText]


class ClassificationCreate(_Cmd):
    answers: dict[str, str]
    risk_class: RiskLevel | None = Field(default=None, description="override; needs a justification")
    autonomy_class: AutonomyLevel | None = Field(default=None, description="override; needs a justification")
    justification: str | None = Field(default=None, max_length=4000)
    autonomy_legal_basis: str | None = Field(
        default=None, max_length=2000, description="the law that allows high autonomy (Art. 17(2))"
    )


class ClassificationRead(_Read):
    id: str
    system_id: str
    questionnaire_version: int
    answers: dict[str, str]
    proposed_risk: RiskLevel
    proposed_autonomy: AutonomyLevel
    reasons: list[LocalizedText]
    risk_class: RiskLevel
    autonomy_class: AutonomyLevel
    overridden: bool
    justification: str | None
    autonomy_legal_basis: str | None
    state_infosec_regime: bool
    actor_label: str
    created_at: datetime


class AttestationCreate(_Cmd):
    answers: dict[str, bool] = Field(description="checklist item key -> does the system have it")
    statement: str | None = Field(default=None, max_length=4000)


class AttestationRead(_Read):
    id: str
    system_id: str
    checklist_version: int
    answers: dict[str, bool]
    prohibited: list[str]
    statement: str | None
    actor_label: str
    created_at: datetime


class TransitionCreate(_Cmd):
    to: SystemState
    reason: str | None = Field(default=None, max_length=4000)


class TransitionRead(_Read):
    from_state: SystemState
    to_state: SystemState
    reason: str | None
    actor_label: str
    created_at: datetime


class DocumentRead(_Read):
    id: str
    system_id: str
    template_key: str
    filename: str
    content_type: str
    sha256: str
    size: int
    created_at: datetime


class DocumentationItem(BaseModel):
    key: str
    title: LocalizedText
    required: bool
    satisfied: bool
    satisfied_by: str | None
    documents: list[DocumentRead]


class DocumentationStatus(BaseModel):
    risk_class: RiskLevel | None
    items: list[DocumentationItem]
    required: int
    satisfied: int
    completeness: float
    missing: list[str]


class LineageLink(_Cmd):
    library_version_id: str | None = None
    library_slug: str | None = None
    number: int | None = Field(default=None, ge=1)
    usage: str = Field(default="training", pattern="^(training|fine_tuning|evaluation|retrieval)$")


class SystemUsingVersion(BaseModel):
    system_id: str
    name: LocalizedText
    owner_organisation_id: str
    state: SystemState
    usage: str


class TrustedListState(StrEnum):
    submitted = "submitted"
    incomplete = "incomplete"
    accepted = "accepted"
    published = "published"
    refused = "refused"
    withdrawn = "withdrawn"


class TrustedApplicationCreate(_Cmd):
    sector_body: str | None = Field(default=None, max_length=255, description="default: the sector's body")
    note: str | None = Field(default=None, max_length=4000)


class TrustedDecision(_Cmd):
    target: TrustedListState
    note: str | None = Field(default=None, max_length=4000)
    on: date | None = Field(default=None, description="the decision date (default: today in Astana)")


class TrustedApplicationRead(BaseModel):
    id: str
    system_id: str
    sector_body: str
    state: TrustedListState
    submitted_on: date
    completeness_due: date
    completeness_checked_on: date | None
    publication_due: date | None
    decided_on: date | None
    overdue: bool
    note: str | None
    history: list[dict[str, object]]


class PilotState(StrEnum):
    scheduled = "scheduled"
    running = "running"
    closed = "closed"


class PilotCreate(_Cmd):
    description: str = Field(min_length=1, max_length=4000)
    starts_at: datetime
    ends_at: datetime

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a timezone, e.g. 2026-12-01T09:00:00+05:00")
        return value


class PilotExtend(_Cmd):
    ends_at: datetime
    reason: str = Field(min_length=1, max_length=4000)

    @field_validator("ends_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a timezone, e.g. 2026-12-01T09:00:00+05:00")
        return value


class PilotRead(BaseModel):
    id: str
    system_id: str
    description: str
    state: PilotState
    starts_at: datetime
    ends_at: datetime
    original_ends_at: datetime
    extensions: list[dict[str, object]]
    closed_at: datetime | None
    close_reason: str | None


class ComplaintKind(StrEnum):
    complaint = "complaint"
    review_request = "review_request"


class ComplaintState(StrEnum):
    open = "open"
    assigned = "assigned"
    answered = "answered"


class ComplaintCreate(_Cmd):
    kind: ComplaintKind = ComplaintKind.complaint
    text: str = Field(min_length=5, max_length=8000)
    decision_reference: str | None = Field(default=None, max_length=255)
    contact_name: str | None = Field(default=None, max_length=255)
    contact_email: str | None = Field(default=None, max_length=320)
    contact_phone: str | None = Field(default=None, max_length=64)


class ComplaintReceipt(BaseModel):
    id: str
    system_id: str
    kind: ComplaintKind
    state: ComplaintState
    due_on: date
    anonymous: bool


class ComplaintRead(_Read):
    id: str
    system_id: str
    kind: ComplaintKind
    text: str
    decision_reference: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    state: ComplaintState
    filed_at: datetime
    due_on: date
    overdue: bool = False
    reviewer_user_id: str | None
    reviewer_name: str | None
    assigned_at: datetime | None
    answer: str | None
    answered_by_label: str | None
    answered_at: datetime | None


class ComplaintAnswer(_Cmd):
    text: str = Field(min_length=1, max_length=8000)


class ReviewerAssign(_Cmd):
    reviewer: str = Field(description="user id or e-mail of a member of the owner or holder organisation")


class NotificationRead(_Read):
    id: str
    organisation_id: str
    system_id: str | None
    kind: str
    message: LocalizedText
    data: dict[str, object]
    created_at: datetime
