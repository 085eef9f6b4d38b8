"""Commands (``extra="forbid"``) and read models of the registry."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from qazai.core.enums import AutonomyLevel, Language, RiskLevel
from qazai.core.text import LocalizedText
from qazai.registry.states import ComplaintKind as ComplaintKind  # noqa: PLC0414 - re-exported
from qazai.registry.states import ComplaintState as ComplaintState  # noqa: PLC0414 - re-exported
from qazai.registry.states import RevisionState as RevisionState  # noqa: PLC0414 - re-exported
from qazai.registry.workflow import SystemState


class _Cmd(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Every text a command takes is bounded, so a record cannot grow to the size of the request limit
# (a 500 KB name used to be accepted). Keys are questionnaire/checklist keys, slugs or ids.
Key = Annotated[str, StringConstraints(min_length=1, max_length=100)]
QuestionnaireAnswers = Annotated[dict[Key, Key], Field(max_length=100)]

# An e-mail address as people write it: a local part, "@", a domain of dot-separated labels ending
# in a TLD of letters (IDN domains in their Unicode form allowed). Not email-validator: the project
# checks users' e-mails the same way (identity/models.py) and needs no DNS lookups or extra package.
_EMAIL = re.compile(
    r"^(?=.{3,254}$)(?=[^@]{1,64}@)[\w.!#$%&'*+/=?^`{|}~-]+@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}$"
)


def check_email(value: str) -> str:
    """``value`` stripped if it is a plausible e-mail address; ValueError otherwise."""
    value = value.strip()
    local = value.split("@", 1)[0]
    if not _EMAIL.match(value) or local.startswith(".") or local.endswith(".") or ".." in value:
        # "not an e-mail address" is the identity module's text, which the web translates.
        raise ValueError("not an e-mail address; give one like name@example.kz")
    return value


def _at_most(max_chars: int) -> AfterValidator:
    def check(text: LocalizedText) -> LocalizedText:
        for lang in ("kk", "ru", "en"):
            value = getattr(text, lang)
            if value is not None and len(value) > max_chars:
                # pydantic's own error type, so every surface words it like any other long text
                raise PydanticCustomError(
                    "string_too_long",
                    "String should have at most {max_length} characters (in " + lang + ")",
                    {"max_length": max_chars},
                )
        return text

    return AfterValidator(check)


# LocalizedText is shared by every capability; the registry bounds it where it takes it (an
# annotation, not a subclass, so callers keep passing LocalizedText values).
ShortText = Annotated[
    LocalizedText, _at_most(300), Field(description="kk/ru/en, at most 300 characters each")
]
LongText = Annotated[
    LocalizedText, _at_most(4000), Field(description="kk/ru/en, at most 4000 characters each")
]


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


def _check_contact(value: str | None) -> str | None:
    # A contact may be a phone number or an address of a web form; one that is meant as an
    # e-mail (it has an "@") must be a valid one, or complaints go nowhere.
    if value is not None and "@" in value:
        return check_email(value)
    return value


class SystemCreate(_Cmd):
    owner_organisation: Key = Field(description="slug or id of the owner organisation")
    holder_organisation: Key | None = Field(default=None, description="slug or id, if not the owner")
    name: ShortText
    purpose: LongText
    sector: Key
    deployment_context: str = Field(min_length=1, max_length=4000)
    affected_persons: str = Field(min_length=1, max_length=4000, description="who is affected")
    system_type: SystemType
    models: list[ModelUsed] = Field(default_factory=list, max_length=50)
    notice: LongText = Field(description="notice to users that AI is used (Art. 21(1)), kk/ru/en")
    labelling_method: str | None = Field(default=None, max_length=2000)
    produces_synthetic_content: StrictBool | None = Field(
        default=None,
        description="whether it makes images, video, audio or text imitating a person or events "
        "(Art. 21: labelled; registered once a test label verified); omitted: true for a generative "
        "system type, false otherwise",
    )
    complaint_contact: str = Field(
        min_length=3, max_length=255, description="e-mail, phone or web address for complaints"
    )

    _contact = field_validator("complaint_contact")(_check_contact)


class SystemUpdate(_Cmd):
    holder_organisation: Key | None = None
    name: ShortText | None = None
    purpose: LongText | None = None
    sector: Key | None = None
    deployment_context: str | None = Field(default=None, min_length=1, max_length=4000)
    affected_persons: str | None = Field(default=None, min_length=1, max_length=4000)
    system_type: SystemType | None = None
    models: list[ModelUsed] | None = Field(default=None, max_length=50)
    notice: LongText | None = None
    labelling_method: str | None = Field(default=None, max_length=2000)
    produces_synthetic_content: StrictBool | None = None
    complaint_contact: str | None = Field(default=None, min_length=3, max_length=255)

    _contact = field_validator("complaint_contact")(_check_contact)


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


class RevisionDecision(_Cmd):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=4000, description="required to reject")


class RevisionChange(BaseModel):
    field: str
    before: Any
    after: Any


class RevisionRead(BaseModel):
    id: str
    system_id: str
    state: RevisionState
    changes: dict[str, Any]
    diff: list[RevisionChange]
    proposed_by_label: str
    created_at: datetime
    updated_at: datetime
    decided_by_label: str | None
    decided_at: datetime | None
    decision_reason: str | None


class InfosecControl(BaseModel):
    """A control the state information-security regime brings (``registry.infosec``)."""

    key: str
    title: LocalizedText
    enforced_by: list[str]
    satisfied: bool


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
    produces_synthetic_content: bool
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
    infosec_controls: list[InfosecControl] = Field(
        default_factory=list, description="controls of the state information-security regime"
    )
    pending_revision: RevisionRead | None = None
    created_at: datetime
    updated_at: datetime


class ProposalRead(BaseModel):
    questionnaire_version: int
    proposed_risk: RiskLevel
    proposed_autonomy: AutonomyLevel
    state_infosec_regime: bool
    reasons: list[LocalizedText]


class ClassificationCreate(_Cmd):
    answers: QuestionnaireAnswers
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
    # StrictBool: "no" (or 0) must not count as an answer, let alone as false.
    answers: dict[Key, StrictBool] = Field(
        max_length=100, description="checklist item key -> does the system have it (true/false)"
    )
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
    library_version_id: Key | None = None
    library_slug: Key | None = None
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
    # The decision date is today in Astana by the server's clock; a client cannot date it.


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


class ComplaintCreate(_Cmd):
    kind: ComplaintKind = ComplaintKind.complaint
    text: str = Field(min_length=5, max_length=8000)
    decision_reference: str | None = Field(default=None, max_length=255)
    contact_name: str | None = Field(default=None, max_length=255)
    contact_email: str | None = Field(default=None, max_length=320)
    contact_phone: str | None = Field(default=None, max_length=64)
    language: Language = Field(
        default=Language.kk, description="the complainant's language: notices and the answer (kk, ru, en)"
    )

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return check_email(value) if value else None


class ComplaintReceipt(BaseModel):
    """What the complainant keeps: the reference to quote and the secret code of the status page
    (shown once; the platform keeps only its hash)."""

    id: str
    system_id: str
    kind: ComplaintKind
    state: ComplaintState
    due_on: date
    anonymous: bool
    reference: str
    access_code: str
    status_url: str = Field(description="the status page (no sign-in), with the code")
    language: Language
    notice_sent_to: str | None = Field(description="the e-mail address the receipt is sent to")


class ComplaintStatus(BaseModel):
    """The complainant's status page: no contact data, the owner's answer once given."""

    reference: str
    system_id: str
    system_name: LocalizedText
    kind: ComplaintKind
    state: ComplaintState
    text: str
    filed_at: datetime
    due_on: date
    overdue: bool
    answer: str | None
    answered_at: datetime | None
    language: Language


class ComplaintFilter(_Cmd):
    """The regulator's filters over every complaint (all optional; dates are filing days in Astana)."""

    state: ComplaintState | None = None
    kind: ComplaintKind | None = None
    system: Key | None = Field(default=None, description="an AI system id")
    overdue: bool = False
    filed_from: date | None = None
    filed_to: date | None = None
    limit: int = Field(default=500, ge=1, le=1000)


class ComplaintRead(_Read):
    id: str
    reference: str | None
    language: Language
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
    reviewer: str = Field(
        min_length=1,
        max_length=320,
        description="user id or e-mail of a member of the owner or holder organisation",
    )


class NotificationRead(_Read):
    id: str
    organisation_id: str
    system_id: str | None
    kind: str
    message: LocalizedText
    data: dict[str, object]
    created_at: datetime
