"""What a column header says, in Kazakh, Russian or English (ИИН, ЖСН, IIN, iin_bin, Тегі, ФИО...)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from qazai.privacy.entities import ColumnKind, Entity

_E = Entity
_HEADER_ENTITIES: tuple[tuple[str, frozenset[Entity]], ...] = (
    (r"иин.?бин|жсн.?бсн|iin.?bin|бин.?иин", frozenset({_E.IIN, _E.BIN})),
    (r"\bиин\b|\bжсн\b|\biin\b|иин|жсн|^iin|iin$|_iin|iin_|\bинн\b|индивидуальн.*идентиф|жеке сәйкестенд", frozenset({_E.IIN})),  # noqa: E501
    (r"\bбин\b|\bбсн\b|\bbin\b|^bin|bin$|_bin|бизнес.?идентиф", frozenset({_E.BIN})),
    (r"iban|\bиик\b|\bжск\b|\bсч[её]т\b|\bсч[её]та\b|лицев\w* сч|account|\bшот\b|\bшоты\b", frozenset({_E.IBAN_KZ})),  # noqa: E501
    (r"\bкарт[аыу]?\b|номер карт|карт[аы] номер|card|\bpan\b", frozenset({_E.CARD})),
    (r"\bтел\b|\bтел\.|телефон|phone|\bмоб\b|\bмоб\.|мобильн|ұялы|mobile|\bбайланыс|whatsapp|contact_?n", frozenset({_E.PHONE_KZ})),  # noqa: E501
    (r"e-?mail|почт|пошта|эл.*адрес|электрон", frozenset({_E.EMAIL})),
    (r"\bip\b|ip.?addr|ip.?адрес|^ip", frozenset({_E.IP})),
    (r"паспорт|passport|төлқұжат", frozenset({_E.PASSPORT_KZ})),
    (r"удостоверени|куәлі|id.?card|уд\.?.?личн|id_?number|doc_?num|номер докум|құжат нөмірі", frozenset({_E.ID_CARD_KZ})),  # noqa: E501
    (r"гос.?номер|госномер|г/н|plate|мемлекеттік нөмір|vehicle|көлік нөмірі|номер авто", frozenset({_E.VEHICLE_PLATE_KZ})),  # noqa: E501
    (r"фио|\bфамилия|\bимя\b|отчество|тегі|\bаты\b|аты.?жөні|әкесінің|(?<![a-z])name|surname|full.?name|"
     r"сотрудник|пациент|клиент|заявитель|ф\.и\.о|получатель|recipient|employee|patient|person", frozenset({_E.PERSON})),  # noqa: E501
    (r"адрес|мекен|address|мекенжай|\bулица\b|\bкөше(?:сі)?\b|street|прожива|тұратын|тұрғылықты", frozenset({_E.ADDRESS})),  # noqa: E501
    (r"дата.?рожд|туған|birth|\bdob\b|(?:^|\s)д\.?\s?р\.?$|туылған|\bborn\b", frozenset({_E.DATE_OF_BIRTH})),
)  # fmt: skip

_QI: tuple[tuple[str, str], ...] = (
    (r"дата.?рожд|туған|birth|dob|туылған|год.?рожд|born", "date"),
    (r"возраст|\bжас\b|жасы|(?<![a-z])age(?![a-z])", "age"),
    (r"\bпол\b|^пол|жыныс|\bsex\b|gender|^sex", "sex"),
    (r"като|kato|\bкато", "kato"),
    (r"индекс|postcode|post_?code|zip|почтов", "postcode"),
    (r"национальн|ұлт|nationality|ethnic|этнос", "categorical"),
    (r"област|облыс|регион|region|район|аудан|district|город|қала|city|населен|елді мекен|settlement|oblast", "categorical"),  # noqa: E501
    (r"профессия|должност|кәсіб|кәсіп|лауазым|occupation|job|position|специальн|мамандығ", "categorical"),
    (r"работодател|место работы|жұмыс орны|employer|организация|мекеме", "categorical"),
    (r"дата|date|күні|datetime|registered|зарегистр", "date"),
)  # fmt: skip

_SENSITIVE = (
    r"диагноз|diagnos|мкб|icd|болезн|ауру|доход|табыс|income|salary|зарплат|жалақы|оклад|судим|"
    r"conviction|criminal|пособи|жәрдемақы|benefit|инвалид|мүгедек|disabil|религи|дін|religion|"
    r"\bвич\b|hiv|беремен|pregnan|заболеван|treatment|лечени|емдеу|debt|долг|қарыз|welfare"
)

# headers of columns that name places: a PERSON finding there needs far more evidence
_PLACE = (
    r"регион|region|облыс|област|oblast|район|аудан|district|өзен|река|\bрек|river|\bкөл(?:і|дер)?\b|"
    r"озер|lake|basin|бассейн|водохран|reservoir|\bқала|город|\bcity|settlement|населенн|елді мекен|"
    r"\bауыл|\bсело|village|\btown|\bкато\b|\bkato\b|place|location|местност|жер атау|топоним|"
    r"mountain|\bгор[аы]\b|\bтау\b|country|страна|ел\b"
)

_NON_PERSONAL = r"^(id|row|№|n|no|номер|index|нөмір)$|количество|count|сумма|amount|total|итого"


@dataclass(frozen=True)
class HeaderHint:
    """What the header alone suggests: entities, a kind and a quasi-identifier type."""

    entities: frozenset[Entity] = field(default_factory=frozenset)
    kind: ColumnKind | None = None
    qi_type: str | None = None
    reasons: tuple[str, ...] = ()
    #: the header names places (region, river, lake...): names of people are not expected there
    place: bool = False


def fold_header(header: str) -> str:
    return re.sub(r"\s+", " ", header.strip().lower().replace("ё", "е"))


def read_header(header: str) -> HeaderHint:
    """Interpret one column header (case- and script-insensitive)."""
    h = fold_header(header)
    hint = _read_folded(header, h)
    if re.search(_PLACE, h) and not (
        hint.entities - {Entity.PERSON} or re.search(r"фио|тегі|surname|full.?name", h)
    ):
        # "Lakename", "Region": a place, not a person (an explicit person header still wins)
        entities = hint.entities - {Entity.PERSON}
        reasons = (*(hint.reasons if entities == hint.entities else ()), f"header '{header}' names places")
        return replace(hint, entities=entities, reasons=reasons, place=True)
    return hint


def _read_folded(header: str, h: str) -> HeaderHint:
    if re.search(_SENSITIVE, h):
        return HeaderHint(
            kind=ColumnKind.sensitive, reasons=(f"header '{header}' names a sensitive attribute",)
        )
    for pattern, qi_type in _QI[:1]:
        if re.search(pattern, h):
            return HeaderHint(
                entities=frozenset({Entity.DATE_OF_BIRTH}),
                kind=ColumnKind.quasi_identifier,
                qi_type=qi_type,
                reasons=(f"header '{header}' names a birth date",),
            )
    for pattern, entities in _HEADER_ENTITIES:
        if re.search(pattern, h):
            names = ",".join(sorted(e.value for e in entities))
            return HeaderHint(entities=entities, reasons=(f"header '{header}' suggests {names}",))
    for pattern, qi_type in _QI[1:]:
        if re.search(pattern, h):
            return HeaderHint(
                kind=ColumnKind.quasi_identifier,
                qi_type=qi_type,
                reasons=(f"header '{header}' names a quasi-identifier ({qi_type})",),
            )
    if re.search(_NON_PERSONAL, h):
        return HeaderHint(
            kind=ColumnKind.non_personal, reasons=(f"header '{header}' is a counter or amount",)
        )
    return HeaderHint()
