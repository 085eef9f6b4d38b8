# ruff: noqa: E501  (regular expressions read best unbroken)
"""Regular expressions of the pattern detectors and of the context words (kk/ru/en).

Boundaries: ``(?-u:\\b)`` is an ASCII word boundary, which keeps the Rust regex engine on its
fast DFA path; digits are ASCII, so it is exact for number-shaped entities. Patterns that start
with a letter use a one-character lead group instead (see ``spans.find_spans(lead=True)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from qazai.privacy.entities import Entity

B = r"(?-u:\b)"
LEAD = r"(?:^|[^\p{L}\p{N}_])"

_MONTHS_RU = r"января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
_MONTHS_KK = r"қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан"
_MONTHS_EN = (
    r"January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MON = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"

DATE = (
    rf"{B}{_DAY}[./\-]{_MON}[./\-]{_YEAR}{B}"
    rf"|{B}{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]){B}"
    rf"|{B}{_DAY}\s+(?i:{_MONTHS_RU})\s+{_YEAR}(?:\s?(?:г\.|года|г))?"
    rf"|{B}{_YEAR}\s?(?:ж\.|жылы|жылғы)?\s+{_DAY}\s+(?i:{_MONTHS_KK})(?:да|де|та|те|ы|і)?"
    rf"|{B}{_DAY}\s+(?i:{_MONTHS_KK})(?:да|де|та|те|ы|і)?\s+{_YEAR}(?:\s?(?:ж\.|жылы|жыл))?"
    rf"|{B}{_DAY}\s+(?i:{_MONTHS_EN})\.?,?\s+{_YEAR}{B}"
    rf"|{B}(?i:{_MONTHS_EN})\.?\s+{_DAY},?\s+{_YEAR}{B}"
)

_STREET_RU = (
    r"ул\.|ул|улица|улице|улицы|пр\.|пр-т|пр-кт|проспект|проспекте|мкр\.|мкр|мкрн\.?|микрорайон|"
    r"микрорайоне|бульвар|б-р|пер\.|переулок|шоссе|тупик|наб\.|набережная|пл\.|площадь"
)
_STREET_KK_AFTER = (
    r"көшесі|көш\.|к-сі|даңғылы|даңғ\.|даң\.|шағын ауданы|ш\.а\.|ш/а|шағынауданы|ықшам ауданы|"
    r"тұйық көшесі|алаңы|бульвары"
)
_STREET_EN = (
    r"street|st\.?|avenue|ave\.|ave|str\.|prospekt|pr\.|microdistrict|mkr\.?|kóshesi|koshesi|dańğyly|dangyly"
)
# A street's name: capitalised words, and the lower-case titles that follow a person's name in
# street names (Төле би, Қабанбай батыр, Абылай хана, Райымбек батыра)
_TITLE = r"(?:би|батыр|батыра|хан|хана|ханы|ата|ана|баба|жолы|bi|batyr|khan|han|joly|zholy)"
_NAME_WORDS = rf"[\p{{Lu}}\d][\p{{L}}\d\-’'.]*(?:\s(?:[\p{{Lu}}][\p{{L}}\-’'.]*|{_TITLE})){{0,3}}"
_HOUSE = (
    r"(?:д\.|дом|үй|уй|h\.|house|№|d\.)?\s?\d{1,4}(?:\s?[/\-]\s?\d{1,4})?[\p{L}]?"
    r"(?:\s?(?:үй|уй)\p{L}*)?"
)
_FLAT = (
    r"(?:,?\s?(?:кв\.?|квартира|пәтер|п\.|оф\.?|офис|apt\.?|flat|apartment|kv\.?)\s?\d{1,4}"
    r"(?:\s?(?:пәтер))?)?"
)
_KK_FLAT = r"(?:,?\s?\d{1,4}\s?(?:пәтер|п\.)\p{L}*)?"
_CITY_RU = r"(?:(?:г\.|город)\s?[\p{Lu}][\p{L}\-]+,?\s)?"
_CITY_KK = r"(?:[\p{Lu}][\p{L}\-]+\sқаласы,?\s)?"

# The address forms, in four regexes: one alternation of all of them makes the regex engine's
# lazy DFA thrash (measured 13x slower than the four run one after another).
ADDRESS_FORMS = (
    # Russian street words first, a city before them: "г. Алматы, ул. Абая, д. 50, кв. 12"
    rf"{LEAD}{_CITY_RU}(?i:{_STREET_RU})\s?{_NAME_WORDS},?\s?{_HOUSE}{_FLAT}",
    # Kazakh street words after the name: "Алматы қаласы, Төле би көшесі, 121 үй, 59 пәтер"
    rf"{LEAD}{_CITY_KK}{_NAME_WORDS}\s(?i:{_STREET_KK_AFTER}),?\s?\d{{1,4}}[\p{{L}}]?(?:\s?(?:үй|уй|ү\.)\p{{L}}*)?"
    rf"{_KK_FLAT}{_FLAT}",
    # the house first: "дома №50 по улице Абая", "д. 12 по ул. Сейфуллина"
    rf"{LEAD}(?i:дом[аеу]?|д\.)\s?№?\s?\d{{1,4}}[\p{{L}}]?(?:,?\s?(?:кв\.?|квартира)\s?\d{{1,4}})?"
    rf"\s(?:по\s|на\s)?(?i:улиц[аеыу]|ул\.|проспект[аеу]?|пр\.|пр-т[аеу]?|бульвар[аеу]?)\s?{_NAME_WORDS}"
    # Aktau's numbered microdistricts: "12 мкр., д. 67, кв. 65", "5 шағын аудан, 12 үй"
    rf"|{B}\d{{1,2}}\s?(?i:мкр\.?|мкрн\.?|микрорайон|шағын аудан\w*|ш\.а\.)\s?,?\s?(?:д\.|дом)?\s?\d{{1,4}}"
    rf"[\p{{L}}]?(?:\s?(?:үй|уй)\p{{L}}*)?{_FLAT}{_KK_FLAT}"
    # a street named without "ул.", with a house and a flat: "Сатпаева 22, кв 14"
    rf"|{LEAD}[\p{{Lu}}][\p{{L}}\-]+(?:\s{_TITLE})?\s\d{{1,4}}[\p{{L}}]?,?\s?(?:кв\.?|квартира|пәтер|apt\.?|flat)\s?\d{{1,4}}"
    # named microdistricts: "мкр. Самал-2, 15", "Самал-2 шағын ауданы, 33 үй"
    rf"|{LEAD}(?i:мкр\.?|мкрн\.?|микрорайон)\s?[\p{{Lu}}][\p{{L}}]+-\d{{1,2}}(?:,\s?(?:д\.|дом)?\s?\d{{1,4}}{_FLAT})?"
    rf"|{LEAD}[\p{{Lu}}][\p{{L}}]+-\d{{1,2}}\s(?i:шағын ауданы|ш\.а\.)(?:,?\s?\d{{1,4}}\s?(?:үй|уй)?{_KK_FLAT})?",
    # Latin script: "12 Baker Street", "Abay St 147, apt 189", "ul. Gogola 302, kv. 145"
    rf"{B}\d{{1,4}}\s[A-Z][a-z]+(?:\s[A-Z][a-z]+)?\s(?:Street|St\.|Avenue|Ave\.?|Road|Rd\.){_FLAT}"
    rf"|{LEAD}[A-Z][\p{{L}}\-]+(?:\s[A-Z][\p{{L}}]+)?\s(?i:{_STREET_EN}),?\s?(?:h\.|house|№)?\s?\d{{1,4}}[A-Za-z]?{_FLAT}"
    rf"|{LEAD}(?i:st\.|str\.|ave\.|mkr\.?|microdistrict|ul\.|pr\.)\s?[A-Z][\p{{L}}\-]+(?:\s(?:[A-Z][\p{{L}}]+|{_TITLE}))?"
    rf"(?:-\d{{1,2}})?,?\s?\d{{1,4}}[A-Za-z]?{_FLAT}"
    rf"|{LEAD}[A-Z][\p{{L}}]+-\d{{1,2}}\s(?i:microdistrict|mkr\.?),?\s?\d{{1,4}}[A-Za-z]?{_FLAT}",
)


@dataclass(frozen=True)
class PatternSpec:
    entity: Entity
    regex: str
    lead: bool = False
    needs: str = "digit"  # cheap prefilter: "digit", "alnum" (a digit and a letter), "at" or "" (none)
    #: a context word the pattern includes to be sure (``тел:``), cut off the reported span
    cue: str = ""


PATTERNS: tuple[PatternSpec, ...] = (
    # IIN and BIN share one candidate pattern; the validator decides which one it is.
    PatternSpec(Entity.IIN, rf"{B}\d{{12}}{B}|{B}\d{{6}} \d{{6}}{B}"),
    PatternSpec(
        Entity.IBAN_KZ,
        rf"{B}(?i:KZ)\d{{2}}\s?(?:[0-9A-Za-z]{{4}}\s?){{3}}[0-9A-Za-z]{{4}}{B}",
    ),
    PatternSpec(
        Entity.CARD,
        rf"{B}(?:\d{{4}}(?:[ \-]\d{{4}}){{3}}|\d{{4}}[ \-]\d{{6}}[ \-]\d{{4,5}}|\d{{13,19}}){B}",
    ),
    PatternSpec(
        Entity.PHONE_KZ,
        r"(?:\+\s?|"
        + B
        + r")[78][\s\-]?\(?[67]\d{2}(?:\)[\s\-]?|[\s\-]?)\d{3}[\s\-]?\d{2}[\s\-]?\d{2}"
        + B
        + r"|(?:\+\s?|"
        + B
        + r")[78][\s\-]?\(?[67]\d{3}(?:\)[\s\-]?|[\s\-]?)\d{2}[\s\-]?\d{2}[\s\-]?\d{2}"
        + B,
    ),
    # a Kazakh number written without +7/8 after a word that says "phone": "тел: 777 627 24 23"
    PatternSpec(
        Entity.PHONE_KZ,
        r"(?i:тел|tel|телефон\w*|моб|mob|мобильн\w*|ұялы|байланыс|call|phone|whatsapp|contact|сот\.?)\.?\s?"
        r"(?:тел\.?|телефоны|номер[иі]?|нөмірі|no\.?)?\s?[:\-]?\s?"
        + r"\(?7\d{2}\)?[\s\-]?\d{3}[\s\-]?\d{2}[\s\-]?\d{2}"
        + B
        + r"|(?i:тел|tel|телефон\w*|моб|ұялы|байланыс|call|phone)\.?\s?[:\-]?\s?7\d{2}\s?\d{7}"
        + B,
        cue=r"^[^\d(]*",
        needs="alnum",
    ),
    # a cell that is a Kazakh mobile number written without +7/8: "(707) 889-42-33", "707 1797134"
    PatternSpec(
        Entity.PHONE_KZ,
        r"^\s*\(?7(?:0[0-8]|47|5\d|6\d|7[0-8])\)?[\s\-]?\d{3}[\s\-]?\d{2}[\s\-]?\d{2}\s*$",
    ),
    PatternSpec(
        Entity.EMAIL, r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}", needs="at"
    ),
    PatternSpec(
        Entity.IP,
        rf"{B}(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){{3}}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d){B}",
    ),
    PatternSpec(Entity.PASSPORT_KZ, rf"{LEAD}[NН]\s?\d{{8}}{B}", lead=True),
    PatternSpec(Entity.ID_CARD_KZ, rf"{B}\d{{9}}{B}"),
    PatternSpec(Entity.VEHICLE_PLATE_KZ, rf"{B}\d{{3}}\s?[A-Z]{{2,3}}\s?(?:0[1-9]|1\d|20){B}"),
    *(PatternSpec(Entity.ADDRESS, form, lead=True, needs="alnum") for form in ADDRESS_FORMS),
    PatternSpec(Entity.DATE_OF_BIRTH, DATE),
)

#: Words before a match that make it more likely (lower-cased, searched in the 40 chars before).
POSITIVE_CONTEXT: dict[Entity, str] = {
    Entity.IIN: r"иин|жсн|iin|инн|идентификац|сәйкестенд|individual id",
    Entity.BIN: r"бин|бсн|bin|иин/бин|business id",
    Entity.IBAN_KZ: r"iban|иик|жск|сч[её]т|шот|account",
    Entity.CARD: r"карт|card|visa|master",
    Entity.PHONE_KZ: r"тел|phone|моб|ұялы|whatsapp|байланыс|call|звон|contact",
    Entity.IP: r"ip|айпи|хост|host|address",
    Entity.PASSPORT_KZ: r"паспорт|passport|төлқұжат",
    Entity.ID_CARD_KZ: r"удостоверени|уд\.|куәлі|id.?card|identity|жеке куәлік|уд\. личн",
    Entity.VEHICLE_PLATE_KZ: r"гос|номер|нөмір|plate|авто|көлік|машин|car|vehicle|г/н",
    Entity.DATE_OF_BIRTH: r"туған|туыл|родил|рожд|д\.\s?р|г\.\s?р|born|birth|dob|d\.o\.b|жасы|возраст",
}
#: Words just after a match that make it more likely ("1990 жылы 15 наурызда туған").
POSITIVE_AFTER: dict[Entity, str] = {
    Entity.DATE_OF_BIRTH: r"^\W{0,3}(?:(?:ж\.?|жылы|жылғы)\s*)?(?:туған|туыл|г\.\s?р|года рожд|born|р\.)",
}
#: Context words that make a match unlikely (order numbers, amounts, cadastral numbers).
NEGATIVE_BEFORE = (
    r"(?:№|no\.?|nr\.?|#|заказ\w*|order|сч[её]т-фактур\w*|invoice|сумм\w*|amount|кадастр\w*|"
    r"cadastr\w*|дело|іс|protocol|протокол\w*|тг|тенге|kzt)\s*[:\-]?\s*$"
)
NEGATIVE_AFTER = r"^\s*(?:тг|тенге|kzt|₸|руб|usd|\$|%)"
