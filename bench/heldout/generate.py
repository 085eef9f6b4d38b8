# ruff: noqa: E501
"""Build the held-out privacy evaluation set (text_cases.jsonl and table_cases/).

    .venv/bin/python bench/heldout/generate.py        # rewrites the files; seed fixed, output stable

Written without looking at the detector's patterns or word lists (see README.md). Text cases come
from hand_cases.txt (written by hand) and from the templates below filled from names.py; every span
is computed while the text is assembled and checked against the intended substring.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import names as N  # noqa: E402
import tables  # noqa: E402

SEED = 20261202
CODES = {"A": "ADDRESS", "P": "PERSON", "T": "PHONE_KZ", "I": "IIN", "E": "EMAIL", "D": "DATE_OF_BIRTH"}
MARK = re.compile(r"\[\[([APTIED])\|(.+?)\]\]")
MONTHS_RU = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
             "ноября", "декабря"]  # fmt: skip
MONTHS_KK = ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек", "қазан",
             "қараша", "желтоқсан"]  # fmt: skip
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]  # fmt: skip


def parse_marked(marked: str) -> tuple[str, list[dict[str, object]]]:
    """Turn ``[[X|value]]`` marks into plain text and character spans (checked)."""
    text, spans, pos = "", [], 0
    for m in MARK.finditer(marked):
        text += marked[pos : m.start()]
        value = m.group(2)
        spans.append({"start": len(text), "end": len(text) + len(value), "entity": CODES[m.group(1)]})
        text += value
        pos = m.end()
    text += marked[pos:]
    assert "[[" not in text and "]]" not in text, marked
    for s in spans:
        piece = text[int(s["start"]) : int(s["end"])]  # type: ignore[call-overload]
        assert piece == piece.strip() and piece, (marked, piece)
    return text, spans


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    # --- identifiers -------------------------------------------------------------------------
    def iin(self) -> str:
        r = self.r
        while True:
            year = r.randint(1940, 2015)
            month, day = r.randint(1, 12), r.randint(1, 28)
            century = (3 if year < 2000 else 5) + r.randint(0, 1)  # 3/4 for the 1900s, 5/6 for the 2000s
            digits = [
                int(c) for c in f"{year % 100:02d}{month:02d}{day:02d}{century}{r.randint(0, 9999):04d}"
            ]
            check = sum(w * d for w, d in zip(range(1, 12), digits, strict=True)) % 11
            if check == 10:
                weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
                check = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
                if check == 10:
                    continue
            return "".join(map(str, digits)) + str(check)

    def phone(self, prefixed: bool = True) -> str:
        r = self.r
        code = r.choice(N.MOBILE_CODES)
        a, b, c = f"{r.randint(0, 999):03d}", f"{r.randint(0, 99):02d}", f"{r.randint(0, 99):02d}"
        if not prefixed:
            fmt = r.choice(
                ["{k} {a} {b} {c}", "{k}-{a}-{b}-{c}", "{k}{a}{b}{c}", "({k}) {a}-{b}-{c}", "{k} {a}{b}{c}"]
            )
            return fmt.format(k=code, a=a, b=b, c=c)
        if r.random() < 0.15:  # landline with a city code
            city = r.choice(N.CITY_CODES)
            rest = f"{r.randint(200, 399)}-{b}-{c}" if len(city) == 3 else f"{r.randint(20, 99)}-{b}-{c}"
            return r.choice(["8 ({city}) {rest}", "+7 ({city}) {rest}", "8 {city} {rest}"]).format(
                city=city, rest=rest
            )
        fmt = r.choice([
            "+7 {k} {a} {b} {c}", "+7 ({k}) {a}-{b}-{c}", "8 {k} {a} {b} {c}", "8({k}){a}{b}{c}", "8{k}{a}{b}{c}",
            "+7{k}{a}{b}{c}", "8 ({k}) {a} {b} {c}", "+7-{k}-{a}-{b}-{c}", "8-{k}-{a}-{b}{c}", "+7 {k} {a}{b}{c}",
        ])  # fmt: skip
        return fmt.format(k=code, a=a, b=b, c=c)

    def email(self, first: str = "", last: str = "") -> str:
        r = self.r
        first = first or r.choice(N.LATIN_FIRST)
        last = last or r.choice(N.LATIN_SUR)
        local = r.choice(["{f}.{l}", "{f0}.{l}", "{f}_{l}", "{l}{n}", "{f}{n}", "{f0}{l}"]).format(
            f=first.lower(), l=last.lower(), f0=first[0].lower(), n=r.randint(1, 99)
        )
        return f"{local}@{r.choice(N.MAIL_DOMAINS)}"

    def dob(self, lang: str) -> str:
        r = self.r
        y, m, d = r.randint(1945, 2012), r.randint(1, 12), r.randint(1, 28)
        if lang == "kk":
            return r.choice(
                [f"{d:02d}.{m:02d}.{y}", f"{y} жылғы {d} {MONTHS_KK[m - 1]}", f"{d} {MONTHS_KK[m - 1]} {y}"]
            )
        if lang == "ru":
            return r.choice([f"{d:02d}.{m:02d}.{y}", f"{d} {MONTHS_RU[m - 1]} {y}", f"{y}-{m:02d}-{d:02d}"])
        return r.choice([f"{d} {MONTHS_EN[m - 1]} {y}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}.{m:02d}.{y}"])

    # --- persons -----------------------------------------------------------------------------
    def kk_person(self) -> str:
        r = self.r
        female = r.random() < 0.5
        first = r.choice(N.FIRST_F if female else N.FIRST_M)
        sur = r.choice(N.SURNAMES_OV + N.SURNAMES_PLAIN)
        if female and sur in N.SURNAMES_OV:
            sur += "а"
        style = r.randint(0, 6)
        if style == 0:
            return f"{sur} {first}"
        if style == 1:
            return f"{first} {sur}"
        if style == 2:
            return f"{sur} {first} {r.choice(N.FATHERS)}{'қызы' if female else 'ұлы'}"
        if style == 3:
            return f"{sur} {first[0]}.{r.choice(N.FATHERS)[0]}."
        if style == 4:
            return f"{first[0]}. {sur}"
        if style == 5:
            patr = r.choice(N.PATRONYMIC_RU_F if female else N.PATRONYMIC_RU_M)
            return f"{sur} {first} {patr}"
        return f"{first} {r.choice(N.FATHERS)}{'қызы' if female else 'ұлы'}"

    def ru_person(self) -> str:
        r = self.r
        if r.random() < 0.5:
            return self.kk_person()
        female = r.random() < 0.5
        first = r.choice(N.FIRST_RU_F if female else N.FIRST_RU_M)
        sur = r.choice([*N.SURNAMES_OV[-9:], "Петренко", "Шмидт", "Ким", "Пак"])
        if female and sur.endswith("ов"):
            sur += "а"
        patr = r.choice(N.PATRONYMIC_RU_F if female else N.PATRONYMIC_RU_M)
        style = r.randint(0, 3)
        return [f"{sur} {first} {patr}", f"{first} {sur}", f"{sur} {first[0]}.{patr[0]}.", f"{first} {patr}"][
            style
        ]

    def lat_person(self) -> str:
        r = self.r
        first = r.choice(N.LATIN_FIRST)
        sur = r.choice(N.LATIN_SUR)
        if first in N.FEMALE_LATIN and sur.endswith(("ov", "ev")):
            sur += "a"
        return r.choice(
            [f"{first} {sur}", f"{sur} {first}", f"{first[0]}. {sur}", f"{sur.upper()} {first.upper()}"]
        )

    def person(self, lang: str) -> str:
        if lang == "en":
            return self.lat_person()
        return self.kk_person() if lang == "kk" else self.ru_person()

    # --- addresses ---------------------------------------------------------------------------
    def _num(self) -> str:
        r = self.r
        n = str(r.randint(1, 320))
        roll = r.random()
        if roll < 0.12:
            n += r.choice(["А", "Б", "В"])
        elif roll < 0.2:
            n += f"/{r.randint(1, 9)}"
        return n

    def kk_address(self) -> str:
        r = self.r
        street = r.choice(N.STREETS_PERSON + N.STREETS_PLAIN)[0]
        n, flat = self._num(), r.randint(1, 240)
        form = r.randint(0, 8)
        if form == 0:
            return f"{street} көшесі, {n} үй, {flat} пәтер"
        if form == 1:
            return f"{street} к-сі, {n}-үй, {flat}-пәтер"
        if form == 2:
            return f"{r.choice(N.AVENUES)} даңғылы, {n}"
        if form == 3:
            return f"{r.choice(N.AVENUES)} даңғ. {n}"
        if form == 4:
            return f"{r.choice(N.MICRO)}-{r.randint(1, 12)} шағын ауданы, {n} үй"
        if form == 5:
            return f"{r.choice(N.MICRO)} ш/а, {n}-үй, {flat}-пәтер"
        if form == 6:
            return f"{r.choice(N.CITIES_KK)} қ., {street} көшесі, {n}"
        if form == 7:
            return f"{street} көш., {n}, {flat} п."
        return f"{r.choice(N.CITIES_KK)} қаласы, {street} көшесі, {n} үй, {flat} пәтер"

    def ru_address(self) -> str:
        r = self.r
        kk, ru, _ = r.choice(N.STREETS_PERSON + N.STREETS_PLAIN)
        n, flat = self._num(), r.randint(1, 240)
        form = r.randint(0, 10)
        if form == 0:
            return f"ул. {ru}, д. {n}, кв. {flat}"
        if form == 1:
            return f"ул. {ru} {n}"
        if form == 2:
            return f"пр. {r.choice(N.AVENUES_RU)} {r.randint(1, 300)}-{flat}"
        if form == 3:
            return f"мкр. {r.choice(N.MICRO_RU)}-{r.randint(1, 12)}, д. {n}, кв. {flat}"
        if form == 4:
            return f"г. {r.choice(N.CITIES_RU)}, ул. {ru} {n}"
        if form == 5:
            return f"{r.randint(1, 35)} мкр., д. {r.randint(1, 80)}, кв. {flat}"
        if form == 6:
            return f"ул. {kk}, дом {n}, квартира {flat}"
        if form == 7:
            return f"проспект {r.choice(N.AVENUES_RU)}, {n}, корп. {r.randint(1, 5)}, кв. {flat}"
        if form == 8:
            return f"{ru} {n}, кв {flat}"
        if form == 9:
            return f"мкрн {r.choice(N.MICRO_RU)}-{r.randint(1, 12)}, {n}"
        return f"г. {r.choice(N.CITIES_RU)}, пр. {r.choice(N.AVENUES_RU)}, д. {n}, кв. {flat}"

    def en_address(self) -> str:
        r = self.r
        lat = r.choice(N.STREETS_PERSON + N.STREETS_PLAIN)[2]
        n, flat = r.randint(1, 320), r.randint(1, 240)
        form = r.randint(0, 7)
        if form == 0:
            return f"{lat} St {n}, apt {flat}"
        if form == 1:
            return f"{r.choice(N.AVENUES_LAT)} Ave {n}"
        if form == 2:
            return f"{n} {lat} Street, apt {flat}"
        if form == 3:
            return f"{r.choice(N.AVENUES_LAT)} avenue {n}, flat {flat}"
        if form == 4:
            return f"{r.choice(N.MICRO_LAT)}-{r.randint(1, 12)} microdistrict, {n}, apt {flat}"
        if form == 5:
            return f"{r.choice(N.CITIES_LAT)}, {lat} str. {n}-{flat}"
        if form == 6:
            return f"ul. {lat}a {n}, kv. {flat}" if not lat.endswith("a") else f"ul. {lat} {n}, kv. {flat}"
        return f"{lat} street {n}"

    def address(self, lang: str) -> str:
        return {"kk": self.kk_address, "ru": self.ru_address, "en": self.en_address}[lang]()


Slot = Callable[[Gen], str]


def _p(lang: str) -> Slot:
    return lambda g: f"[[P|{g.person(lang)}]]"


def _a(lang: str) -> Slot:
    return lambda g: f"[[A|{g.address(lang)}]]"


def _t(prefixed: bool = True) -> Slot:
    return lambda g: f"[[T|{g.phone(prefixed)}]]"


def _d(lang: str) -> Slot:
    return lambda g: f"[[D|{g.dob(lang)}]]"


def _i(g: Gen) -> str:
    return f"[[I|{g.iin()}]]"


def _e(g: Gen) -> str:
    return f"[[E|{g.email()}]]"


# Positive templates: "{0}" etc. are filled by the slot functions in order.
POS: list[tuple[str, str, str, list[Slot]]] = [
    (
        "kk",
        "complaint",
        "Өтініш беруші {0}, мекенжайы: {1}, байланыс тел: {2}.",
        [_p("kk"), _a("kk"), _t(False)],
    ),
    (
        "kk",
        "complaint",
        "{0} мекенжайында тұратын {1} жылу берілмей тұр деп хабарлады.",
        [_a("kk"), _p("kk")],
    ),
    ("kk", "form", "Аты-жөні: {0}; ЖСН: {1}; туған күні: {2}", [_p("kk"), _i, _d("kk")]),
    ("kk", "reply", "Құрметті {0}! Сіздің өтінішіңіз қаралды. Қосымша ақпарат: {1}", [_p("kk"), _t()]),
    ("kk", "complaint", "{0} ауласындағы ағаштарды кесу керек. Тел.: {1}", [_a("kk"), _t()]),
    ("kk", "form", "Тұрғылықты мекенжайы: {0}. Эл. пошта: {1}", [_a("kk"), _e]),
    ("kk", "chat", "мен {0} тұрамын, ұялы {1}", [_a("kk"), _t(False)]),
    ("kk", "reply", "Жауап {0} мекенжайына, {1} атына жіберілді.", [_a("kk"), _p("kk")]),
    (
        "ru",
        "complaint",
        "Прошу принять меры. {0}, проживающий по адресу: {1}, тел. {2}",
        [_p("ru"), _a("ru"), _t()],
    ),
    ("ru", "complaint", "Во дворе дома по адресу {0} прорвало трубу. Заявитель {1}.", [_a("ru"), _p("ru")]),
    ("ru", "form", "ФИО: {0}, ИИН: {1}, дата рождения: {2}", [_p("ru"), _i, _d("ru")]),
    ("ru", "reply", "Ответ направлен заявителю {0} по адресу {1}.", [_p("ru"), _a("ru")]),
    ("ru", "chat", "мой адрес {0}, моб. {1}", [_a("ru"), _t(False)]),
    ("ru", "form", "Адрес регистрации: {0}; контактный телефон: {1}; e-mail: {2}", [_a("ru"), _t(), _e]),
    ("ru", "news", "Задержан {0}, {1} г.р., проживающий в {2}.", [_p("ru"), _d("ru"), _a("ru")]),
    (
        "ru",
        "complaint",
        "Обращение №{n} от 12.03.2024: {0} просит отремонтировать подъезд по {1}.",
        [_p("ru"), _a("ru")],
    ),
    ("en", "form", "Name: {0}. Address: {1}. Phone: {2}.", [_p("en"), _a("en"), _t()]),
    ("en", "chat", "hi, I'm at {0}, call {1}", [_a("en"), _t(False)]),
    ("en", "form", "Applicant {0}, date of birth {1}, IIN {2}, email {3}", [_p("en"), _d("en"), _i, _e]),
    ("en", "reply", "Dear {0}, the inspector will visit {1} on Tuesday.", [_p("en"), _a("en")]),
    (
        "en",
        "complaint",
        "Garbage has not been collected at {0} for two weeks. {1}, {2}",
        [_a("en"), _p("en"), _t()],
    ),
    ("mixed", "chat", "Сәлем, адрес {0}, номер {1}, спросите {2}", [_a("ru"), _t(), _p("kk")]),
    ("mixed", "form", "Мекенжайы / Address: {0}, тел/phone {1}", [_a("en"), _t()]),
    ("mixed", "chat", "{0} жауап бер pls, мен {1} күтіп тұрмын", [_p("kk"), _a("kk")]),
]

# Negative templates: nothing personal. Slots are plain strings.
NEG: list[tuple[str, str, str, list[Slot]]] = [
    ("ru", "neg-legal", "Производство прекращено по п. {a} ч. 1 ст. {b} УПК РК.", []),
    ("ru", "neg-legal", "Привлечен к ответственности по ч. {a} ст. {b} КоАП РК, штраф {c} МРП.", []),
    ("kk", "neg-legal", "ҚР ҚПК {b}-бабының {a}-бөлігіне сәйкес іс тоқтатылды.", []),
    ("en", "neg-legal", "Fined under Article {b}, Part {a} of the Administrative Code.", []),
    ("ru", "neg-stat", "{region}: зарегистрировано {num} обращений в {year} году.", []),
    ("kk", "neg-stat", "{region_kk} бойынша {year} жылы {num} жаңа жұмыс орны ашылды.", []),
    ("en", "neg-stat", "In {year}, {num} applications were received from {region_en}.", []),
    ("ru", "neg-order", "Приказ № {order} от {date} «Об утверждении правил» отменен.", []),
    ("kk", "neg-order", "{date} № {order} бұйрығы бекітілді.", []),
    ("ru", "neg-amount", "Сумма задолженности составила {amount} тенге.", []),
    ("kk", "neg-amount", "Бюджеттен {amount} теңге бөлінді.", []),
    ("ru", "neg-street", "Ремонт на {street_ru_loc} продлится до конца месяца.", []),
    ("kk", "neg-street", "{street_kk} көшесінде түнгі жарықтандыру орнатылды.", []),
    ("en", "neg-street", "{street_en} Street will be closed on {date_en}.", []),
    ("ru", "neg-date", "Прием граждан проводится {date} с 9:00 до 13:00.", []),
    ("ru", "neg-cap", "{capword} {rest}", []),
    ("kk", "neg-cap", "{capword_kk} {rest_kk}", []),
    ("ru", "neg-occupation", "{occupation}: {num} человек, средняя зарплата {amount} тенге.", []),
    ("ru", "neg-category", "Преступления: {crime} — {num}, рост {pct}%.", []),
    ("ru", "neg-region", "{region} и {region2} вошли в программу модернизации.", []),
    ("kk", "neg-region", "{region_kk} мен {region_kk2} арасында жаңа жол салынады.", []),
    ("ru", "neg-code", "Кадастровый номер {cad}, площадь {area} кв. м.", []),
    ("mixed", "neg-stat", "{year} ж. / {year} г.: {num} / {num2} (KZ total)", []),
]
CAPWORDS = [("Заявление", "рассмотрено, меры приняты."), ("Кадастровый", "учет ведется в электронном виде."),
            ("Решение", "принято большинством голосов."), ("Справка", "выдается в течение 3 рабочих дней."),
            ("Обращение", "перенаправлено по компетенции."), ("Протокол", "заседания размещен на сайте."),
            ("Ведомость", "начисления заработной платы утверждена."), ("Согласно", "плану работы на 2024 год."),
            ("Жалоба", "признана обоснованной частично."), ("Информация", "предоставлена в полном объеме.")]  # fmt: skip
CAPWORDS_KK = [("Өтініш", "қаралып, шара қабылданды."), ("Шешім", "көпшілік дауыспен қабылданды."),
               ("Анықтама", "3 жұмыс күні ішінде беріледі."), ("Хаттама", "сайтта жарияланды."),
               ("Жоспар", "толық орындалды."), ("Ақпарат", "толық көлемде ұсынылды.")]  # fmt: skip


def _fill_neg(g: Gen, text: str) -> str:
    r = g.r
    cap, rest = r.choice(CAPWORDS)
    cap_kk, rest_kk = r.choice(CAPWORDS_KK)
    kk, ru, lat = r.choice(N.STREETS_PERSON + N.STREETS_PLAIN)
    values = {
        "a": str(r.randint(1, 5)), "b": str(r.randint(20, 450)), "c": str(r.choice([5, 10, 20, 50, 100])),
        "region": r.choice(N.REGIONS_RU), "region2": r.choice(N.REGIONS_RU), "region_kk": r.choice(N.REGIONS_KK),
        "region_kk2": r.choice(N.REGIONS_KK), "region_en": r.choice(["Almaty region", "Karaganda region", "Astana"]),
        "year": str(r.randint(2015, 2024)), "num": f"{r.randint(1, 99)} {r.randint(100, 999)}",
        "num2": f"{r.randint(1, 9)} {r.randint(100, 999)} {r.randint(100, 999)}", "order": str(r.randint(10, 9999)),
        "date": f"{r.randint(1, 28):02d}.{r.randint(1, 12):02d}.{r.randint(2018, 2024)}",
        "date_en": f"{r.randint(1, 28)} {r.choice(MONTHS_EN)} {r.randint(2023, 2025)}",
        "amount": f"{r.randint(1, 999)} {r.randint(100, 999)} {r.randint(100, 999)}",
        "street_ru_loc": r.choice(["улице ", "проспекте "]) + ru, "street_kk": kk, "street_en": lat,
        "capword": cap, "rest": rest, "capword_kk": cap_kk, "rest_kk": rest_kk,
        "occupation": r.choice(N.OCCUPATIONS_RU), "crime": r.choice(N.CRIME_RU), "pct": f"{r.randint(1, 30)},{r.randint(0, 9)}",
        "cad": f"{r.randint(1, 21):02d}:{r.randint(100, 399)}:{r.randint(1, 99):03d}:{r.randint(1, 9999)}",
        "area": str(r.randint(300, 2000)), "n": str(r.randint(100, 9999)),
    }  # fmt: skip
    return text.format(**values)


def build_text_cases() -> list[dict[str, object]]:
    g = Gen(SEED)
    cases: list[dict[str, object]] = []

    def add(lang: str, tag: str, marked: str) -> None:
        text, spans = parse_marked(marked)
        assert "\n" not in text
        cases.append({"id": f"t{len(cases) + 1:04d}", "lang": lang, "tag": tag, "text": text, "spans": spans})

    for line in (HERE / "hand_cases.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lang, tag, marked = line.split("\t")
        while "{IIN}" in marked:
            marked = marked.replace("{IIN}", _i(g), 1)
        add(lang, tag, marked)
    for _ in range(10):  # 10 rounds over 24 positive templates
        for lang, tag, text, slots in POS:
            filled = [s(g) for s in slots]
            add(lang, tag, text.replace("{n}", str(g.r.randint(100, 9999))).format(*filled))
    for _ in range(4):  # 4 rounds over 23 negative templates
        for lang, tag, text, _slots in NEG:
            add(lang, tag, _fill_neg(g, text))
    return cases


def main() -> None:
    cases = build_text_cases()
    with (HERE / "text_cases.jsonl").open("w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    out = HERE / "table_cases"
    out.mkdir(exist_ok=True)
    labels: dict[str, dict[str, str]] = {}
    for name, header, rows, kinds in tables.build(Gen(SEED + 1)):
        with (out / name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        labels[name] = dict(zip(header, kinds, strict=True))
    (out / "labels.json").write_text(
        json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    neg = sum(1 for c in cases if not c["spans"])
    print(f"{len(cases)} text cases ({neg} without spans), {len(labels)} tables")


if __name__ == "__main__":
    main()
