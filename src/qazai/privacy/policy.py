"""De-identification policies: what to do with each column, per access tier.

A policy is a pydantic model, so it loads from YAML or JSON and validates on the way in::

    tier: open
    k: 5
    columns:
      ИИН: {action: pseudonymise}
      Дата рождения: {action: generalise, level: 2}
    quasi_identifiers: [Дата рождения, Пол, КАТО]
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qazai.core.enums import AccessTier
from qazai.core.errors import InvalidInput
from qazai.privacy.entities import PERSONAL_DIRECT, ColumnKind, Entity

# Free text loses every personal identifier, and birth dates too (in prose they single a person out).
_REDACT_DEFAULT = PERSONAL_DIRECT | {Entity.DATE_OF_BIRTH}


class Action(StrEnum):
    keep = "keep"
    drop = "drop"
    mask = "mask"
    pseudonymise = "pseudonymise"
    generalise = "generalise"
    redact = "redact"


class ColumnRule(BaseModel):
    """One column's transform. ``level`` is the starting generalisation level (0 = as is);
    generalisation may go higher to reach k."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Action
    level: int | None = Field(default=None, ge=0, le=6)
    #: why the producer chose this rule; required where it keeps a column the engine would change
    reason: str | None = Field(default=None, max_length=1000)


class Policy(BaseModel):
    """Rules by column name (wins), by detected entity (identifier columns) and by column kind."""

    model_config = ConfigDict(extra="forbid")

    tier: AccessTier = AccessTier.open
    k: int = Field(default=5, ge=1)
    l_target: int = Field(default=1, ge=1, description="distinct sensitive values per class to require")
    max_suppression: float = Field(default=0.05, ge=0.0, le=1.0)
    allow_residual_identifiers: bool = False
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    direct_ratio: float = Field(
        default=0.5, gt=0.0, le=1.0, description="cell share that makes an identifier column"
    )
    embedded_ratio: float = Field(
        default=0.02, gt=0.0, le=1.0, description="cell share that gets short text redacted"
    )
    columns: dict[str, ColumnRule] = Field(default_factory=dict)
    by_entity: dict[Entity, ColumnRule] = Field(default_factory=dict)
    by_kind: dict[ColumnKind, ColumnRule] = Field(default_factory=dict)
    redact_entities: list[Entity] = Field(default_factory=lambda: sorted(_REDACT_DEFAULT))
    quasi_identifiers: list[str] | None = None
    sensitive: list[str] | None = None

    @classmethod
    def from_file(cls, path: str | Path) -> Policy:
        """Load from ``.yaml``/``.yml``/``.json``. Raises InvalidInput on a bad file."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read policy {p}: {exc}") from exc
        try:
            data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise InvalidInput(f"policy {p} is not valid YAML/JSON: {exc}") from exc
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InvalidInput(f"policy {p} must be a mapping")
        base = data.pop("base", None)
        try:
            if base is not None:
                merged = default_policy(AccessTier(base)).model_dump(mode="json")
                merged.update(data)
                return cls.model_validate(merged)
            return cls.model_validate(data)
        except (ValidationError, ValueError) as exc:
            raise InvalidInput(f"policy {p} is invalid: {exc}") from exc

    def rule_for(self, column: str, kind: ColumnKind, entity: Entity | None) -> ColumnRule:
        if column in self.columns:
            return self.columns[column]
        if kind is ColumnKind.direct_identifier and entity is not None and entity in self.by_entity:
            return self.by_entity[entity]
        return self.by_kind.get(kind, ColumnRule(action=Action.keep))


def _r(action: Action, level: int | None = None) -> ColumnRule:
    return ColumnRule(action=action, level=level)


def default_policy(tier: AccessTier) -> Policy:
    """The default per tier. Open: no direct identifiers left, free text redacted,
    quasi-identifiers generalised until k >= 5 (at most 5% of records suppressed)."""
    kinds_common = {
        ColumnKind.free_text: _r(Action.redact),
        ColumnKind.sensitive: _r(Action.keep),
        ColumnKind.non_personal: _r(Action.keep),
    }
    if tier in (AccessTier.open, AccessTier.registered):
        return Policy(
            tier=tier,
            k=5,
            by_entity={
                Entity.IIN: _r(Action.pseudonymise if tier is AccessTier.registered else Action.drop),
                Entity.BIN: _r(Action.keep),
            },
            by_kind={
                ColumnKind.direct_identifier: _r(Action.drop),
                ColumnKind.quasi_identifier: _r(Action.generalise),
                **kinds_common,
            },
        )
    if tier is AccessTier.restricted:
        return Policy(
            tier=tier,
            k=1,
            allow_residual_identifiers=True,
            by_entity={
                Entity.IIN: _r(Action.pseudonymise),
                Entity.PERSON: _r(Action.pseudonymise),
                Entity.BIN: _r(Action.keep),
            },
            by_kind={
                ColumnKind.direct_identifier: _r(Action.mask),
                ColumnKind.quasi_identifier: _r(Action.keep),
                **kinds_common,
            },
        )
    return Policy(
        tier=tier,
        k=1,
        allow_residual_identifiers=True,
        by_entity={Entity.IIN: _r(Action.pseudonymise)},
        by_kind={
            ColumnKind.direct_identifier: _r(Action.keep),
            ColumnKind.quasi_identifier: _r(Action.keep),
            ColumnKind.free_text: _r(Action.keep),
            ColumnKind.sensitive: _r(Action.keep),
            ColumnKind.non_personal: _r(Action.keep),
        },
    )
