"""Commands (``extra="forbid"``) and read models of labels and their verification."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from qazai.core.enums import Language
from qazai.core.text import LocalizedText

MAX_TEXT_CHARS = 200_000  # a long article; a label is asked for per piece of output
MAX_BATCH_ITEMS = 100


class _Cmd(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelKind(StrEnum):
    media = "media"
    text = "text"


class Embedding(StrEnum):
    manifest = "manifest"  # a C2PA manifest embedded in the file
    sidecar = "sidecar"  # a C2PA manifest next to the file (.c2pa)
    record = "record"  # a signed text record kept by the platform
    mark = "mark"  # the text record also embedded invisibly in the text


class MediaLabelCreate(_Cmd):
    system_id: str = Field(min_length=1, max_length=26)
    language: Language = Language.kk
    visible_notice: StrictBool = False  # stamp the notice into the picture (images only)
    sidecar: StrictBool = False  # leave the file unchanged; return the manifest as a .c2pa sidecar
    filename: str = Field(default="file", max_length=255)


class TextLabelCreate(_Cmd):
    system_id: str = Field(min_length=1, max_length=26)
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    language: Language = Language.kk
    visible_notice: StrictBool = True
    invisible_mark: StrictBool = False


class TextBatchCreate(_Cmd):
    system_id: str = Field(min_length=1, max_length=26)
    language: Language = Language.kk
    visible_notice: StrictBool = True
    invisible_mark: StrictBool = False
    texts: list[str] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)


class LabelRead(BaseModel):
    """A label as the registry keeps it (hashes only)."""

    id: str
    system_id: str
    organisation_id: str
    kind: LabelKind
    media_type: str
    content_sha256: str
    source_sha256: str
    phash: str | None  # 16 hex digits
    embedding: Embedding
    visible_notice: bool
    language: Language
    notice: LocalizedText
    signer_serial: str
    test: bool
    created_at: datetime


class LabelledMedia(BaseModel):
    label: LabelRead
    media_type: str
    filename: str
    data: bytes
    sidecar: bytes | None  # the manifest store when it is not embedded


class LabelledFile(BaseModel):
    """A labelled file in a JSON answer (the batch form): the bytes base64-encoded."""

    label: LabelRead
    filename: str
    media_type: str
    data_base64: str
    sidecar_base64: str | None  # the .c2pa manifest store when not embedded


class LabelledText(BaseModel):
    label: LabelRead
    text: str  # with the notice (and the invisible mark) as asked
    record: str  # the COSE_Sign1 record, base64


class CertificateRead(BaseModel):
    id: str
    system_id: str
    organisation_id: str
    algorithm: str
    serial: str
    subject: str
    not_before: datetime
    not_after: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    certificate_pem: str


class CertificateRevoke(_Cmd):
    reason: str = Field(min_length=3, max_length=1000)


class Verdict(StrEnum):
    trusted = "trusted"  # labelled, signed by a valid platform certificate, unchanged
    untrusted = "untrusted"  # labelled, but the signer is unknown or revoked
    invalid = "invalid"  # labelled, but the content or the label was changed after signing
    registry_match = "registry_match"  # no label inside, but the registry knows this content
    not_found = "not_found"  # nothing: which proves nothing


class Match(StrEnum):
    manifest = "manifest"
    record = "record"
    sha256 = "sha256"
    perceptual_hash = "perceptual_hash"


class Finding(BaseModel):
    """One reason or remark of a verification, with its text in kk, ru and en."""

    code: str
    message: LocalizedText
    details: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class LabelPublic(BaseModel):
    """What anyone may learn about a label: who, which system, when, the notice, the register."""

    id: str
    system_id: str
    system_name: LocalizedText
    organisation: LocalizedText
    register_url: str
    media_type: str
    kind: LabelKind
    created_at: datetime
    notice: LocalizedText
    signer_serial: str
    certificate_revoked_at: datetime | None


class Verification(BaseModel):
    verdict: Verdict
    summary: LocalizedText
    match: Match | None = None
    distance: int | None = None  # perceptual-hash bits apart (registry matches of pictures)
    label: LabelPublic | None = None
    media_type: str | None = None
    reasons: list[Finding] = Field(default_factory=list)  # why untrusted/invalid
    notes: list[Finding] = Field(default_factory=list)  # remarks about the input itself


class LabelCounts(BaseModel):
    system_id: str
    total: int
    media: int
    text: int
    test: int  # made before the system was registered (test labels)
