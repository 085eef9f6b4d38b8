"""Commands and read models of the data-library capability."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qazai.core.enums import AccessTier

# LegalBasis is defined in core (`qazai publish --help` names it) and re-exported here
from qazai.core.enums import LegalBasis as LegalBasis  # noqa: PLC0414
from qazai.core.text import LocalizedText

MAX_VERSION_NUMBER = 2**31 - 1  # the `number` column is INTEGER (32 bits on PostgreSQL)

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
_KATO = re.compile(r"^\d{9}$")
# SPDX ids look like `CC-BY-4.0`, `ODbL-1.0`, `MIT`; named national licences are accepted by name.
_SPDX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]{1,63}$")
NATIONAL_LICENCES = frozenset({"KZ-OPEN-DATA", "KZ-GOV-OPEN-1.0", "data.egov.kz"})


class Frequency(StrEnum):
    once = "once"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    annual = "annual"
    irregular = "irregular"


class VersionStatus(StrEnum):
    published = "published"
    rejected = "rejected"
    withdrawn = "withdrawn"


class GrantStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    refused = "refused"
    revoked = "revoked"


class GrantKind(StrEnum):
    """What a grant allows: ``download`` the files (restricted libraries), or ``compute_only``:
    only jobs on platform compute read the data (restricted or enclave libraries)."""

    download = "download"
    compute_only = "compute_only"


class UploadStatus(StrEnum):
    receiving = "receiving"
    complete = "complete"
    deleted = "deleted"


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Spatial(Command):
    region: str | None = Field(default=None, max_length=200, description="e.g. `Kazakhstan`, `Astana`")
    kato: str | None = Field(default=None, description="9-digit KATO code")

    @field_validator("kato")
    @classmethod
    def _kato(cls, value: str | None) -> str | None:
        if value and not _KATO.match(value):
            raise ValueError("a KATO code has 9 digits")
        return value or None


class Temporal(Command):
    start: date | None = None
    end: date | None = None


class Contact(Command):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)


MAX_DICTIONARY_COLUMNS = 2000


class ColumnNote(Command):
    """What the producer says about one column: what it holds and in what unit."""

    description: LocalizedText | None = None
    unit: str | None = Field(default=None, max_length=60, description="e.g. `persons`, `thousand tenge`, `%`")


class LibraryMetadata(Command):
    """The descriptive metadata a producer edits; every field optional so it can be built up."""

    title: LocalizedText | None = None
    description: LocalizedText | None = None
    licence: str | None = Field(default=None, description="SPDX id (`CC-BY-4.0`) or a national licence")
    tier: AccessTier | None = None
    themes: list[str] | None = None
    keywords: list[str] | None = None
    spatial: Spatial | None = None
    temporal: Temporal | None = None
    frequency: Frequency | None = None
    legal_basis: LegalBasis | None = None
    source_systems: list[str] | None = None
    contact: Contact | None = None
    terms: LocalizedText | None = Field(default=None, description="terms a registered user accepts")
    dictionary: dict[str, ColumnNote] | None = Field(
        default=None,
        description="the data dictionary: per published column name, a description (kk/ru/en) and a unit",
    )

    @field_validator("dictionary")
    @classmethod
    def _dictionary(cls, value: dict[str, ColumnNote] | None) -> dict[str, ColumnNote] | None:
        if value is None:
            return None
        if len(value) > MAX_DICTIONARY_COLUMNS or any(not k.strip() or len(k) > 200 for k in value):
            raise ValueError(f"at most {MAX_DICTIONARY_COLUMNS} columns, each named by 1-200 characters")
        kept = {k.strip(): v for k, v in value.items() if v.description is not None or v.unit}
        return kept or None

    @field_validator("licence")
    @classmethod
    def _licence(cls, value: str | None) -> str | None:
        if value and value not in NATIONAL_LICENCES and not _SPDX.match(value):
            raise ValueError("give an SPDX licence id such as CC-BY-4.0, or KZ-OPEN-DATA")
        return value or None

    @field_validator("themes", "keywords", "source_systems")
    @classmethod
    def _strings(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = [v.strip() for v in value if v and v.strip()]
        if any(len(v) > 200 for v in cleaned) or len(cleaned) > 100:
            raise ValueError("at most 100 entries of at most 200 characters")
        return list(dict.fromkeys(cleaned))


class LibraryCreate(LibraryMetadata):
    slug: str
    organisation: str = Field(description="the producer organisation's slug or id")
    title: LocalizedText

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(
                "use 1-100 lower-case letters, digits and dashes, not starting or ending with a dash"
            )
        return value


class LibraryUpdate(LibraryMetadata):
    pass


class CompletenessItem(BaseModel):
    field: str
    required: bool
    present: bool
    why: str


class CompletenessReport(BaseModel):
    """LAW.md row 2: which mandatory (and recommended) metadata a library has."""

    score: float = Field(description="share of all listed fields present, 0..1")
    required_missing: list[str]
    items: list[CompletenessItem]

    @property
    def publishable(self) -> bool:
        return not self.required_missing


class LibraryRead(BaseModel):
    id: str
    slug: str
    organisation_id: str
    organisation_slug: str
    title: LocalizedText
    description: LocalizedText | None
    licence: str | None
    tier: AccessTier
    themes: list[str]
    keywords: list[str]
    spatial: Spatial | None
    temporal: Temporal | None
    frequency: Frequency | None
    legal_basis: LegalBasis | None
    source_systems: list[str]
    contact: Contact | None
    terms: LocalizedText | None
    dictionary: dict[str, ColumnNote] = Field(default_factory=dict)
    latest_version: int | None
    completeness: CompletenessReport
    created_at: datetime
    updated_at: datetime


class VersionRead(BaseModel):
    id: str
    library_slug: str
    number: int
    status: VersionStatus
    tier: AccessTier
    rows: int
    bytes: int
    source_sha256: str | None
    created_at: datetime
    withdrawn_at: datetime | None
    withdrawn_reason: str | None
    optout_flagged: bool
    optout_reason: str | None
    manifest: dict[str, Any] = Field(description="parts, tables (schema, profile), privacy, provenance")


class VersionWithdraw(Command):
    reason: str = Field(min_length=3, max_length=2000)


class PublishRequest(Command):
    upload_id: str
    policy: dict[str, Any] | None = Field(
        default=None, description="a privacy policy; tier default if absent"
    )
    overrides: dict[str, dict[str, dict[str, str]]] | None = Field(
        default=None, description='per table, per column: {"name": ..., "type": ...}'
    )
    sheet: str | None = Field(default=None, description="publish only this sheet of a workbook")


class PublishAccepted(BaseModel):
    job_id: str
    library_slug: str
    upload_id: str
    status_url: str


class UploadCreate(Command):
    library: str = Field(description="slug of the library the file is for")
    filename: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=1, description="the file's exact size in bytes")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$", description="checked on completion")


class UploadRead(BaseModel):
    id: str
    library_slug: str | None
    filename: str
    size: int | None
    offset: int
    status: UploadStatus
    sha256: str | None
    created_at: datetime
    completed_at: datetime | None


class GrantCreate(Command):
    purpose: str = Field(min_length=10, max_length=4000, description="what the data will be used for")
    kind: GrantKind = Field(
        default=GrantKind.download, description="download (restricted) or compute_only (restricted, enclave)"
    )


class GrantDecision(Command):
    approve: bool
    expires_on: date | None = Field(default=None, description="required when approving")
    note: str | None = Field(default=None, max_length=2000)


class GrantRead(BaseModel):
    id: str
    library_slug: str
    user_id: str
    purpose: str
    kind: GrantKind = GrantKind.download
    status: GrantStatus
    requested_at: datetime
    decided_at: datetime | None
    decision_note: str | None
    expires_at: datetime | None
    active: bool


class TermsAcceptance(BaseModel):
    library_slug: str
    user_id: str
    accepted_at: datetime


class EvidenceFinding(BaseModel):
    """Cells of one entity the privacy engine found in a column."""

    entity: str = Field(description="the entity, e.g. IIN, PHONE_KZ, PERSON_NAME")
    cells: int = Field(description="sample cells holding it")
    share: float = Field(description="share of the scanned cells, 0..1")
    validated: bool = Field(description="checked by checksum or strict format, not a heuristic")


class ColumnEvidenceRead(BaseModel):
    """What the privacy engine's decision on a column rests on (no cell values)."""

    cells: int = Field(description="non-empty cells scanned")
    findings: list[EvidenceFinding] = Field(description="entities found, most cells first")
    header: list[str] = Field(description="entities the column's header suggests")
    rule: str = Field(
        description="why the column got its kind: identifier_cells, identifier_cells_header, "
        "free_text_findings, embedded_identifiers, birth_dates, quasi_identifier_values, "
        "sensitive_header, company_ids, aggregate_table, no_person_table, header_only, "
        "free_text_clean, no_evidence, empty"
    )
    threshold: float | None = Field(description="the cell share the rule compared against, if any")
    attention: bool = Field(description="the decision is close or unusual: worth a producer's look")


class PreviewColumn(BaseModel):
    """One column as the pipeline would publish it, and what the privacy engine found in it."""

    source: str = Field(description="the header text in the file")
    name: str = Field(description="the published name (cleaned, or the producer's rename)")
    type: str = Field(description="inferred type (or the producer's override)")
    null_share: float = Field(description="share of empty cells in the inference sample, 0..1")
    examples: list[str] = Field(description="values from the de-identified sample, never raw ones")
    kind: str = Field(description="direct_identifier, quasi_identifier, sensitive, free_text, non_personal")
    entities: dict[str, int] = Field(description="detected entity → cells in the sample")
    match_ratio: float = Field(description="share of non-empty sample cells holding an identifier")
    qi_type: str | None
    action: str = Field(description="what the policy will do: keep, drop, mask, pseudonymise, ...")
    default_action: str = Field(description="what the tier's default policy would do")
    evidence: ColumnEvidenceRead | None = Field(
        default=None, description="what the engine's decision rests on (None for an unscanned column)"
    )
    override_reason: str | None = Field(
        default=None, description="the producer's reason, where the policy overrides the engine's action"
    )
    sample_withheld: bool = Field(
        default=False,
        description="kept by an override despite personal findings in a tier that allows no residual "
        "identifiers: its sample values are not shown (the publish's residual rescan decides)",
    )


class PreviewTable(BaseModel):
    name: str
    format: str
    header_row: int | None = Field(description="0-based row of the header in the file, when found")
    header_rows: int
    encoding: str | None
    delimiter: str | None
    notes: list[str]
    rows_sampled: int = Field(description="rows read for inference and classification")
    aggregate: bool = Field(
        default=False, description="a table of statistics: nothing in it is about one person"
    )
    columns: list[PreviewColumn]
    sample_columns: list[str] = Field(description="the columns of `sample_rows` (dropped ones are absent)")
    sample_rows: list[list[Any]] = Field(description="the first rows after de-identification")
    sample_suppressed: int = Field(description="rows of the shown sample suppressed to reach k")


class UploadPreview(BaseModel):
    """What publishing an upload would do, computed on a bounded sample (nothing is published)."""

    library_slug: str
    upload_id: str
    filename: str
    tier: AccessTier
    policy_given: bool
    sheet: str | None
    truncated: bool = Field(description="only the start of a large text file was read")
    tables: list[PreviewTable]
