"""Reference data the operator edits: questionnaire, prohibited-capability checklist, documentation
templates, sectors and deadlines.

Defaults ship as YAML in ``registry/data``; an operator's edit is stored whole in the
``registry_config`` table and wins over the default. Each document is validated by its model.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.orm import Session

from qazai.audit.service import record_event
from qazai.core.clock import utcnow
from qazai.core.enums import AutonomyLevel, RiskLevel
from qazai.core.errors import InvalidInput, PermissionDenied
from qazai.core.text import LocalizedText
from qazai.identity.actor import Actor
from qazai.registry.policy import can_edit_reference
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import RegistryConfigRow


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuestionOption(_Strict):
    key: str
    text: LocalizedText
    risk: RiskLevel | None = None
    autonomy: AutonomyLevel | None = None
    flag: str | None = Field(default=None, description="state_infosec sets the information-security flag")
    reason: LocalizedText | None = None


class Question(_Strict):
    key: str
    text: LocalizedText
    options: list[QuestionOption] = Field(min_length=1)


class Questionnaire(_Strict):
    version: int
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Questionnaire:
        keys = [q.key for q in self.questions]
        if len(keys) != len(set(keys)):
            raise ValueError("question keys must be unique")
        return self


class ChecklistItem(_Strict):
    key: str
    text: LocalizedText


class ProhibitedChecklist(_Strict):
    version: int
    items: list[ChecklistItem] = Field(min_length=1)


class DocumentTemplate(_Strict):
    key: str
    title: LocalizedText
    required_for: list[RiskLevel] = Field(default_factory=list)
    satisfied_by: str | None = Field(default=None, pattern="^lineage$")
    required_if: str | None = Field(
        default=None, pattern="^state_infosec$", description="also required under the state infosec regime"
    )


class DocumentationTemplates(_Strict):
    version: int
    templates: list[DocumentTemplate] = Field(min_length=1)

    def get(self, key: str) -> DocumentTemplate | None:
        return next((t for t in self.templates if t.key == key), None)


class Sector(_Strict):
    key: str
    name: LocalizedText
    trusted_list_body: str


class Sectors(_Strict):
    version: int
    sectors: list[Sector] = Field(min_length=1)

    def get(self, key: str) -> Sector | None:
        return next((s for s in self.sectors if s.key == key), None)


class Deadlines(_Strict):
    version: int
    complaint_answer_working_days: int = Field(ge=1, le=120)
    review_request_answer_working_days: int = Field(ge=1, le=120)
    trusted_list_completeness_working_days: int = Field(ge=1, le=60)
    trusted_list_publication_working_days: int = Field(ge=1, le=60)
    pilot_max_days: int = Field(ge=1, le=3650)


class ReferenceName(StrEnum):
    questionnaire = "questionnaire"
    prohibited_checklist = "prohibited_checklist"
    documentation_templates = "documentation_templates"
    sectors = "sectors"
    deadlines = "deadlines"


MODELS: dict[ReferenceName, type[_Strict]] = {
    ReferenceName.questionnaire: Questionnaire,
    ReferenceName.prohibited_checklist: ProhibitedChecklist,
    ReferenceName.documentation_templates: DocumentationTemplates,
    ReferenceName.sectors: Sectors,
    ReferenceName.deadlines: Deadlines,
}


@lru_cache(maxsize=8)
def _default(name: ReferenceName) -> dict[str, Any]:
    text = resources.files("qazai.registry").joinpath("data", f"{name.value}.yaml").read_text("utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def load_document(session: Session, name: ReferenceName) -> dict[str, Any]:
    """The stored document (the operator's edit) or the shipped default, as plain JSON."""
    row = session.get(RegistryConfigRow, name.value)
    return dict(row.value) if row is not None else _default(name)


def questionnaire(session: Session) -> Questionnaire:
    return Questionnaire.model_validate(load_document(session, ReferenceName.questionnaire))


def prohibited_checklist(session: Session) -> ProhibitedChecklist:
    return ProhibitedChecklist.model_validate(load_document(session, ReferenceName.prohibited_checklist))


def documentation_templates(session: Session) -> DocumentationTemplates:
    return DocumentationTemplates.model_validate(
        load_document(session, ReferenceName.documentation_templates)
    )


def sectors(session: Session) -> Sectors:
    return Sectors.model_validate(load_document(session, ReferenceName.sectors))


def deadlines(session: Session) -> Deadlines:
    return Deadlines.model_validate(load_document(session, ReferenceName.deadlines))


def get_reference(session: Session, name: ReferenceName) -> dict[str, Any]:
    """The current document ``name`` (public: the questionnaire and lists are published)."""
    return MODELS[name].model_validate(load_document(session, name)).model_dump(mode="json")


def update_reference(
    uow: UnitOfWork, actor: Actor, name: ReferenceName, document: dict[str, Any]
) -> dict[str, Any]:
    """Replace the document ``name`` (operator only). The document is validated by its model
    (InvalidInput naming the first problem) and its ``version`` must grow, so records keep saying
    which version they were made with."""
    if not can_edit_reference(actor):
        raise PermissionDenied("only the platform operator edits the registry's reference data")
    try:
        parsed = MODELS[name].model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"{name.value}: {where}: {first.get('msg')}", code="invalid_reference") from None
    current = load_document(uow.session, name)
    new_version = int(getattr(parsed, "version", 0))
    if new_version <= int(current.get("version", 0)):
        raise InvalidInput(
            f"{name.value}: raise version above {current.get('version')} when you change it",
            code="version_not_increased",
        )
    value = parsed.model_dump(mode="json", exclude_none=True)
    row = uow.session.get(RegistryConfigRow, name.value)
    if row is None:
        row = RegistryConfigRow(key=name.value, value=value, updated_at=utcnow(), updated_by=actor.label)
        uow.session.add(row)
    else:
        row.value = value
        row.updated_at = utcnow()
        row.updated_by = actor.label
    record_event(
        uow.session,
        action="registry.update_reference",
        object_type="registry_reference",
        object_id=name.value,
        actor_id=actor.user_id,
        actor_label=actor.label,
        organisation_id=actor.primary_organisation_id,
        summary={"name": name.value, "from_version": current.get("version"), "to_version": new_version},
    )
    uow.commit()
    return value
