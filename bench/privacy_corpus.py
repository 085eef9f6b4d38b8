# ruff: noqa: E501
"""Labelled synthetic corpus for the privacy engine (tables + kk/ru/en free text).

Names used here are held apart from the names the detector ships: any candidate whose folded
key is in the detector's lexicon is dropped at generation time (``held_out_names``), so the
figures measure generalisation, not memory. Every generated span carries its true entity.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from qazai.core import kzid
from qazai.privacy.checksums import luhn_ok
from qazai.privacy.lexicon import load_lexicon, skeleton

_FIRST_KK = [
    "Бекзат",
    "Нұрсұлу",
    "Ақерке",
    "Дінмұхамед",
    "Жасұлан",
    "Еркебұлан",
    "Айзере",
    "Балжан",
    "Томирис",
    "Мөлдір",
    "Нұрбол",
    "Санжар",
    "Алихан",
    "Жандос",
    "Құралай",
    "Шұғыла",
    "Ақбота",
    "Аружан",
    "Бауыржан",
    "Тілек",
    "Ернұр",
    "Нұрдәулет",
    "Мейірім",
    "Сымбат",
    "Ақмарал",
    "Гүлім",
    "Бибігүл",
    "Қарлығаш",
    "Талғат",
    "Ғалымжан",
    "Мұратбек",
    "Сағындық",
    "Төрехан",
    "Есенгелді",
    "Нұржігіт",
    "Қуаныш",
    "Аяулым",
    "Інжу",
    "Меруерт",
    "Жансая",
    "Дариға",
    "Әсемгүл",
    "Ақниет",
    "Бекарыс",
    "Ерасыл",
    "Жанибек",
    "Қайсар",
    "Темірлан",
    "Ерболат",
    "Диас",
    "Әмина",
    "Айым",
    "Нұрай",
    "Ботагөз",
    "Мадияр",
    "Ақылжан",
    "Ерназар",
    "Әділжан",
    "Нұрislam",
    "Жәнібек",
    "Әлібек",
    "Сұңқар",
    "Тоғжан",
    "Аққу",
    "Көркем",
    "Ләззат",
    "Назым",
    "Шынгыс",
    # second pool (added for the harder corpus): rarer names, written by hand, filtered below
    "Ақжол",
    "Әлнұр",
    "Бақдәулет",
    "Дәурен",
    "Ерсұлтан",
    "Жарқын",
    "Зейнолла",
    "Іңкәр",
    "Қарақат",
    "Ләйлім",
    "Мағжан",
    "Нұрислам",
    "Өркен",
    "Сырым",
    "Тұмар",
    "Ұлпан",
    "Шаттық",
    "Ырысбек",
    "Әйгерім",
    "Бағлан",
    "Гүлназ",
    "Еркеназ",
    "Жұлдызай",
    "Кәусар",
    "Нұрсезім",
    "Сезім",
    "Толғанай",
    "Шырын",
    "Аңсар",
    "Бекнұр",
    "Дастан",
    "Елнұр",
    "Ибраһим",
    "Нұрғиса",
    "Райымбек",
    "Тамерлан",
]
_FIRST_RU = [
    "Всеволод",
    "Ростислав",
    "Святослав",
    "Елисей",
    "Тимофей",
    "Прохор",
    "Савелий",
    "Ульяна",
    "Василиса",
    "Злата",
    "Милана",
    "Есения",
    "Стефания",
    "Агата",
    "Варвара",
    "Таисия",
    "Матвей",
    "Арсений",
    "Ефим",
    "Ярослав",
    "Серафима",
    "Фёдор",
    "Эмилия",
    "Мирослава",
    "Глеб",
    "Захар",
    "Лука",
    "Трофим",
    "Ксения",
    "Ермолай",
    "Евстафий",
    "Аристарх",
    "Феофан",
    "Любомир",
    "Велимир",
    "Изабелла",
    "Евдокия",
    "Агния",
    "Пелагея",
    "Ефросинья",
    "Аглая",
    "Доминика",
    "Ульян",
    "Мирон",
    "Платон",
    "Демид",
    "Родион",
    "Всемила",
]
_SURNAME_STEMS = [
    "Жақсылық",
    "Төлеубай",
    "Қасымбек",
    "Сейітқали",
    "Бөкейхан",
    "Тұрсынбай",
    "Әбілқайыр",
    "Есімхан",
    "Шәкәрім",
    "Бейсенбай",
    "Омарбек",
    "Нұрмағамбет",
    "Құдайберген",
    "Көшербай",
    "Сәрсенбай",
    "Жұмағұл",
    "Тоқтарбай",
    "Мырзахмет",
    "Исабек",
    "Дүйсенбай",
    "Кенжебай",
    "Ермекбай",
    "Байжан",
    "Тасболат",
    "Орынбасар",
    "Громыхал",
    "Белоусь",
    "Кочетк",
    "Синицын",
    "Воробь",
    "Журавл",
    "Лебед",
    "Соколовск",
    "Черемухин",
    "Тлеуберді",
    "Шалабай",
    "Есенжол",
    "Қалдыбай",
    "Мұқаш",
    "Рысқұл",
    "Жолдасбек",
    "Әуелбек",
    "Бесбай",
    "Түгелбай",
    "Сапарғали",
    "Жантөре",
    "Оспанқұл",
    "Тайманқұл",
    "Снегир",
    "Перепелк",
    "Дроздк",
    "Овсянник",
    "Клюкв",
    "Брусничк",
]
# Surnames that no ending gives away; disjoint from the detector's shipped list (surnames_kz.txt)
_PLAIN_SURNAMES = ["Лигай", "Мегай", "Тягай", "Сегай", "Пегай", "Хе", "Лян", "Дю", "Шек", "Ро",
                   "Габдуллин", "Гейдт", "Лемке", "Дитрих", "Штрек", "Юсупжан", "Хамраев", "Нуриддин"]  # fmt: skip
_TITLES = ["азамат", "гражданин", "гражданка", "мырза", "ханым", "Mr.", "Ms.", "г-н", "г-жа"]
_PATRON_KK = ["Серікұлы", "Болатқызы", "Маратұлы", "Ерланқызы", "Асқарұлы"]
_PATRON_RU = ["Всеволодович", "Ростиславовна", "Тимофеевич", "Савельевна", "Прохорович"]

_LAT = str.maketrans({"ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i", "й": "y",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya"})  # fmt: skip
_LAT21 = str.maketrans({"ә": "ä", "ғ": "ğ", "қ": "q", "ң": "ñ", "ө": "ö", "ұ": "ū", "ү": "ü", "і": "i", "ж": "j",
    "ш": "ş", "ч": "ç", "й": "i", "ы": "y", "х": "h", "у": "u"})  # fmt: skip


def latin(word: str, official: bool = False) -> str:
    low = word.lower()
    if official:
        low = low.translate(_LAT21)
    out = low.translate(_LAT)
    return out[:1].upper() + out[1:]


def held_out_names() -> tuple[list[str], list[str]]:
    """First names and surname stems whose folded keys the detector does not know."""
    lex = load_lexicon()
    extra = ("geo", "geo_person", "surnames", "short_surnames")  # absent from older lexicons
    known = (
        lex.given
        | lex.ordinary
        | lex.not_names
        | frozenset().union(*(getattr(lex, a, frozenset()) for a in extra))
    )
    first = [
        n
        for n, k in zip(_FIRST_KK + _FIRST_RU, skeleton(_FIRST_KK + _FIRST_RU), strict=True)
        if k not in known
    ]
    stems = [s for s, k in zip(_SURNAME_STEMS, skeleton(_SURNAME_STEMS), strict=True) if k not in known]
    return first, stems


def plain_surnames() -> list[str]:
    """Surnames without a surname ending that the detector's lists do not hold."""
    lex = load_lexicon()
    extra = ("geo", "geo_person", "surnames", "short_surnames")
    known = lex.given | lex.not_names | frozenset().union(*(getattr(lex, a, frozenset()) for a in extra))
    return [s for s, k in zip(_PLAIN_SURNAMES, skeleton(_PLAIN_SURNAMES), strict=True) if k not in known]


@dataclass
class Cell:
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)


class Gen:
    def __init__(self, seed: int = 0) -> None:
        self.r = random.Random(seed)
        self.first, self.stems = held_out_names()
        self.plain = plain_surnames()

    # -- values ---------------------------------------------------------------------------------
    def iin(self) -> str:
        while True:
            y, m, d = self.r.randint(1940, 2015), self.r.randint(1, 12), self.r.randint(1, 28)
            cent = self.r.choice("34") if y < 2000 else self.r.choice("56")
            prefix = f"{y % 100:02d}{m:02d}{d:02d}{cent}{self.r.randint(0, 9999):04d}"
            c = kzid.control_digit(prefix)
            if c is not None:
                return prefix + str(c)

    def bin(self) -> str:
        while True:
            prefix = f"{self.r.randint(0, 24):02d}{self.r.randint(1, 12):02d}{self.r.choice('456')}{self.r.choice('01')}{self.r.randint(0, 99999):05d}"
            c = kzid.control_digit(prefix)
            if c is not None:
                return prefix + str(c)

    def checksum_only(self) -> str:
        """Checksum-valid 12 digits that are neither an IIN nor a BIN (a near-miss)."""
        while True:
            prefix = f"{self.r.randint(0, 99):02d}{self.r.randint(13, 99):02d}{self.r.randint(32, 99):02d}{self.r.choice('0789')}{self.r.randint(0, 9999):04d}"
            c = kzid.control_digit(prefix)
            if (
                c is not None
                and not kzid.is_valid_iin(prefix + str(c))
                and not kzid.is_valid_bin(prefix + str(c))
            ):
                return prefix + str(c)

    def iban(self) -> str:
        bank = f"{self.r.randint(100, 999)}"
        body = bank + "".join(self.r.choice("0123456789ABCDEFGHJK") for _ in range(13))
        num = "".join(str(int(ch, 36)) for ch in body + "KZ00")
        check = 98 - int(num) % 97
        raw = f"KZ{check:02d}{body}"
        return " ".join(raw[i : i + 4] for i in range(0, 20, 4)) if self.r.random() < 0.5 else raw

    def card(self) -> str:
        while True:
            digits = self.r.choice(["4400", "4405", "5169", "4149"]) + "".join(
                str(self.r.randint(0, 9)) for _ in range(12)
            )
            if luhn_ok(digits):
                return (
                    " ".join(digits[i : i + 4] for i in range(0, 16, 4)) if self.r.random() < 0.5 else digits
                )

    def phone(self) -> str:
        op = self.r.choice(["701", "702", "705", "707", "747", "771", "775", "777", "778"])
        a, b, c = self.r.randint(100, 999), self.r.randint(10, 99), self.r.randint(10, 99)
        return self.r.choice(
            [
                f"+7 ({op}) {a}-{b}-{c}",
                f"8 {op} {a} {b} {c}",
                f"+7{op}{a}{b}{c}",
                f"8{op}{a}{b}{c}",
                f"+7 {op} {a} {b} {c}",
            ]
        )

    def email(self) -> str:
        return f"{latin(self.r.choice(self.first)).lower()}.{self.r.randint(1, 99)}@{self.r.choice(['mail.kz', 'gmail.com', 'gov.kz', 'inbox.ru'])}"

    def passport(self) -> str:
        return f"N{self.r.randint(0, 99999999):08d}"

    def address(self) -> str:
        street = self.r.choice(["Абая", "Сейфуллина", "Жібек Жолы", "Тәуелсіздік", "Кенесары", "Достық"])
        n, f = self.r.randint(1, 200), self.r.randint(1, 300)
        return self.r.choice([
            f"ул. {street}, д. {n}, кв. {f}", f"{street.rstrip('а')} көшесі, {n} үй, {f} пәтер",
            f"пр. {street} {n}", f"мкр. Самал-{self.r.randint(1, 3)}, д. {n}", f"{latin(street)} street, {n}",
        ])  # fmt: skip

    def dob(self) -> str:
        d, m, y = self.r.randint(1, 28), self.r.randint(1, 12), self.r.randint(1945, 2010)
        return self.r.choice([f"{d:02d}.{m:02d}.{y}", f"{y}-{m:02d}-{d:02d}"])

    def person(self) -> str:
        first = self.r.choice(self.first)
        stem = self.r.choice(self.stems)
        female = self.r.random() < 0.5
        surname = (
            stem + ("ова" if female else "ов")
            if not stem.endswith(("ь", "к", "л"))
            else stem + ("ева" if female else "ев")
        )
        if stem.endswith("ин"):
            surname = stem + ("а" if female else "")
        style = self.r.random()
        if style < 0.3:
            name = f"{surname} {first}"
        elif style < 0.5:
            name = f"{surname} {first} {self.r.choice(_PATRON_KK + _PATRON_RU)}"
        elif style < 0.65:
            name = f"{first} {surname}"
        elif style < 0.8:
            name = f"{latin(first)} {latin(surname)}"
        elif style < 0.9:
            name = f"{latin(surname, True)} {latin(first, True)}"
        else:
            name = f"{surname} {first}".upper()
        return name

    # -- OCR noise: Kazakh letters typed as Russian ones, Latin look-alikes -----------------------
    def noisy(self, text: str) -> str:
        if self.r.random() < 0.15:
            return text.translate(str.maketrans("әғқңөұүһі", "агкноуухи"))
        return text
