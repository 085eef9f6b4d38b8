"""Entity names, column kinds and the finding record shared by every part of the engine."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Entity(StrEnum):
    """What a detected span is. The value is stable: it appears in JSON reports and policies."""

    IIN = "IIN"
    BIN = "BIN"
    IBAN_KZ = "IBAN_KZ"
    CARD = "CARD"
    PHONE_KZ = "PHONE_KZ"
    EMAIL = "EMAIL"
    IP = "IP"
    PASSPORT_KZ = "PASSPORT_KZ"
    ID_CARD_KZ = "ID_CARD_KZ"
    VEHICLE_PLATE_KZ = "VEHICLE_PLATE_KZ"
    PERSON = "PERSON"
    ADDRESS = "ADDRESS"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"


class ColumnKind(StrEnum):
    direct_identifier = "direct_identifier"
    quasi_identifier = "quasi_identifier"
    sensitive = "sensitive"
    free_text = "free_text"
    non_personal = "non_personal"


#: Entities that point at one natural person. BIN names a company, so it is reported but is not
#: a personal direct identifier; DATE_OF_BIRTH is a quasi-identifier.
PERSONAL_DIRECT: frozenset[Entity] = frozenset(
    {
        Entity.IIN,
        Entity.IBAN_KZ,
        Entity.CARD,
        Entity.PHONE_KZ,
        Entity.EMAIL,
        Entity.IP,
        Entity.PASSPORT_KZ,
        Entity.ID_CARD_KZ,
        Entity.VEHICLE_PLATE_KZ,
        Entity.PERSON,
        Entity.ADDRESS,
    }
)

#: Redaction placeholder per entity, as written into free text.
PLACEHOLDER: dict[Entity, str] = {
    Entity.PHONE_KZ: "[PHONE]",
    Entity.IBAN_KZ: "[IBAN]",
    Entity.PASSPORT_KZ: "[PASSPORT]",
    Entity.ID_CARD_KZ: "[ID_CARD]",
    Entity.VEHICLE_PLATE_KZ: "[PLATE]",
    Entity.DATE_OF_BIRTH: "[DATE_OF_BIRTH]",
}


def placeholder(entity: Entity) -> str:
    """The text that replaces a redacted span of ``entity``."""
    return PLACEHOLDER.get(entity, f"[{entity.value}]")


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected span. ``start``/``end`` are character offsets inside the cell (or text line);
    ``row`` counts data rows from 0; ``column`` is None for plain text. The matched text itself
    is deliberately not stored, so a report can never leak a value."""

    row: int
    column: str | None
    start: int
    end: int
    entity: Entity
    score: float
