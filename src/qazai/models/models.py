"""Commands and read models of the ready-made models capability."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qazai.core.enums import AccessTier, Language, RiskLevel
from qazai.core.text import LocalizedText

# The slug segments of `org/name`: what Hugging Face accepts, minus what would be a path trick
NAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
TAG_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$")
REVISION_PATTERN = re.compile(r"^[0-9a-f]{40}$")
# SPDX ids look like `Apache-2.0`, `MIT`, `CC-BY-4.0`; the libraries' national licences too.
SPDX_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]{1,63}$")
TASK_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MODEL_TIERS = (AccessTier.open, AccessTier.registered, AccessTier.restricted)


class _Cmd(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileFormat(StrEnum):
    """How a file is stored; the first three load without running code (preferred)."""

    safetensors = "safetensors"
    onnx = "onnx"
    gguf = "gguf"
    pickle = "pickle"
    json = "json"
    text = "text"
    other = "other"


PREFERRED_FORMATS = frozenset({FileFormat.safetensors, FileFormat.onnx, FileFormat.gguf})


class VersionStatus(StrEnum):
    published = "published"
    withdrawn = "withdrawn"


class ModelRepoCreate(_Cmd):
    organisation: str = Field(description="slug (or id) of the owner organisation")
    name: str = Field(min_length=1, max_length=96, description="the `name` of `org/name`")
    tier: AccessTier = AccessTier.open
    licence: str = Field(description="SPDX id, e.g. `Apache-2.0`")
    task: str = Field(description="what the model does, e.g. `text-classification`, `translation`")
    languages: list[Language | str] = Field(default_factory=list, max_length=50)
    title: LocalizedText | None = None
    summary: LocalizedText | None = None
    tags: list[str] = Field(default_factory=list, max_length=30)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if ".." in value or not NAME_PATTERN.match(value):
            raise ValueError(
                "a model name is 1-96 letters, digits and . _ - , starting and ending with a letter "
                "or digit, without '..'"
            )
        return value

    @field_validator("licence")
    @classmethod
    def _licence(cls, value: str) -> str:
        return check_licence(value)

    @field_validator("task")
    @classmethod
    def _task(cls, value: str) -> str:
        return check_task(value)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[Any]) -> list[str]:
        return check_languages(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return check_tags(value)


def check_licence(value: str) -> str:
    if not SPDX_PATTERN.match(value):
        raise ValueError("give an SPDX licence id such as Apache-2.0 or CC-BY-4.0")
    return value


def check_task(value: str) -> str:
    if not TASK_PATTERN.match(value):
        raise ValueError("a task is lowercase words joined by '-', e.g. text-classification")
    return value


def check_languages(value: list[Any]) -> list[str]:
    out = []
    for given in value:
        code = str(given).strip().lower()
        if not re.fullmatch(r"[a-z]{2,3}", code):
            raise ValueError(f"{code!r} is not a language code (ISO 639-1 such as kk, ru, en)")
        out.append(code)
    return list(dict.fromkeys(out))


def check_tags(value: list[str]) -> list[str]:
    for tag in value:
        if not 1 <= len(tag) <= 50 or any(c in tag for c in "<>\"'\n"):
            raise ValueError(f"tag {tag[:60]!r} must be 1-50 characters without <>\"' or newlines")
    return value


class ModelRepoUpdate(_Cmd):
    """Fields to change (only those given); versions never change."""

    tier: AccessTier | None = None
    licence: str | None = None
    task: str | None = None
    languages: list[Language | str] | None = Field(default=None, max_length=50)
    title: LocalizedText | None = None
    summary: LocalizedText | None = None
    tags: list[str] | None = Field(default=None, max_length=30)

    @field_validator("licence")
    @classmethod
    def _licence(cls, value: str | None) -> str | None:
        return None if value is None else check_licence(value)

    @field_validator("task")
    @classmethod
    def _task(cls, value: str | None) -> str | None:
        return None if value is None else check_task(value)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[Any] | None) -> list[str] | None:
        return None if value is None else check_languages(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_tags(value)


class TrainingData(_Cmd):
    """Where the model's training data came from (the card's mandatory training-data section)."""

    trained_on_platform: bool = Field(
        default=False, description="trained on the platform's compute: library versions are then required"
    )
    library_versions: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="library versions as `slug@N` (or `slug/vN`), linked as lineage",
    )
    declared: LocalizedText | None = Field(
        default=None, description="the data as the producer declares it (required when none is linked)"
    )


class ModelCard(_Cmd):
    """The model card. Every field but ``description`` is mandatory before a version is published;
    each text may be given in Kazakh, Russian and/or English (Markdown without raw HTML)."""

    description: LocalizedText | None = None
    intended_use: LocalizedText | None = None
    out_of_scope_uses: LocalizedText | None = None
    training_data: TrainingData | None = None
    evaluation: LocalizedText | None = None
    limitations_and_risks: LocalizedText | None = None
    risk_class: RiskLevel | None = Field(
        default=None, description="the highest risk class of the AI systems the model may serve"
    )


class FileSource(_Cmd):
    """A file of a version: a completed upload (`POST /api/v1/models/{org}/{name}/uploads`)."""

    path: str = Field(
        min_length=1, max_length=500, description="path inside the repo, e.g. `model.safetensors`"
    )
    upload_id: str = Field(min_length=1, max_length=26)


class VersionPush(_Cmd):
    tag: str | None = Field(default=None, description="a human tag such as `v1` (default: `v<number>`)")
    card: ModelCard
    files: list[FileSource] = Field(min_length=1, max_length=1000)

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value == "main" or REVISION_PATTERN.match(value) or ".." in value or not TAG_PATTERN.match(value):
            raise ValueError(
                "a tag is 1-64 letters, digits and . _ -, not 'main', not 40 hex digits, without '..'"
            )
        return value


class ModelUploadCreate(_Cmd):
    filename: str = Field(min_length=1, max_length=255)
    size: int = Field(description="the file's exact size in bytes (> 0)")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class SystemModelLink(_Cmd):
    repo_id: str = Field(description="`org/name`")
    revision: str = Field(
        default="main", description="a revision, a tag or `main` (linked as the immutable version)"
    )
    usage: str = Field(default="runs", pattern=r"^[a-z_]{2,32}$")


class ModelSearch(_Cmd):
    q: str | None = Field(default=None, max_length=200)
    task: str | None = None
    language: str | None = None
    licence: str | None = None
    tier: AccessTier | None = None
    organisation: str | None = None
    sort: str = Field(default="updated", pattern=r"^(updated|name)$")
    limit: int = Field(default=50, ge=1, le=1000)
    cursor: str | None = None


# -- read models ---------------------------------------------------------------------------------


class ModelRepoRead(BaseModel):
    id: str
    repo_id: str
    organisation_id: str
    organisation_slug: str
    name: str
    title: LocalizedText | None
    summary: LocalizedText | None
    tier: AccessTier
    licence: str
    task: str
    languages: list[str]
    tags: list[str]
    latest_revision: str | None
    latest_tag: str | None
    gated: bool = Field(description="bytes need a token (registered: accepted terms; restricted: a grant)")
    created_at: datetime
    updated_at: datetime


class ModelFileRead(BaseModel):
    path: str
    size: int
    sha256: str
    object_key: str
    format: FileFormat
    preferred: bool
    tensors: dict[str, Any] | None = Field(
        default=None, description="from the safetensors/GGUF header: count, parameters, dtypes"
    )
    scan: list[dict[str, Any]] = Field(default_factory=list, description="safety scan findings")


class LibraryVersionLink(BaseModel):
    library_version_id: str
    library_slug: str
    number: int
    status: str
    source: str  # declared | compute
    flag_reason: str | None


class ModelVersionRead(BaseModel):
    repo_id: str
    version_id: str
    number: int
    revision: str
    tag: str
    parent_revision: str | None
    status: VersionStatus
    created_at: datetime
    card: ModelCard
    files: list[ModelFileRead]
    total_size: int
    flagged: bool
    flag_reasons: list[str]
    trained_on: list[LibraryVersionLink]


class ModelVersionSummary(BaseModel):
    number: int
    revision: str
    tag: str
    status: VersionStatus
    created_at: datetime
    total_size: int
    flagged: bool


class ModelUsingLibrary(BaseModel):
    repo_id: str
    revision: str
    tag: str
    source: str


class SystemUsingModel(BaseModel):
    system_id: str
    name: LocalizedText
    owner_organisation_id: str
    state: str
    repo_id: str
    revision: str
    tag: str
    usage: str


class LibraryVersionUse(BaseModel):
    """Answer to "which models and systems use this library version"."""

    library_version_id: str
    library_slug: str
    number: int
    models: list[ModelUsingLibrary]
    systems: list[SystemUsingModel] = Field(description="systems running those models")
    systems_direct: list[str] = Field(description="ids of systems linked to the library version itself")


class SystemDataEntry(BaseModel):
    library_version_id: str
    library_slug: str
    number: int
    status: str
    via: str = Field(
        description="`direct`, or the `org/name@revision` of the model it reached the system through"
    )
    flag_reason: str | None


class SystemData(BaseModel):
    """Answer to "what data is behind this system"."""

    system_id: str
    models: list[ModelUsingLibrary]
    data: list[SystemDataEntry]


@dataclass(frozen=True)
class ServedModelFile:
    """What a file route needs: where the bytes are and how to label them."""

    key: str
    sha256: str
    size: int
    content_type: str
    public: bool
    audited: bool
    revision: str
    repo_id: str
    organisation_id: str
    version_id: str
    path: str


class PushState(StrEnum):
    processing = "processing"
    published = "published"
    refused = "refused"


class ModelPushRead(BaseModel):
    """A push accepted for publishing: ``processing`` until its job copies, hashes and scans the
    files, then ``published`` (with the version) or ``refused`` (with the error and findings)."""

    push_id: str
    repo_id: str
    tag: str | None
    state: PushState
    job_id: str | None
    job_state: str | None
    progress_percent: float | None
    progress_message: str | None
    version: ModelVersionRead | None
    error: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None
