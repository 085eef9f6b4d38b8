"""A synthetic citizen register full of personal data (IINs with valid checksums, names, phones,
addresses, birth dates): what the demo and the tests publish to show it comes out de-identified.
Every person in it is invented."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

_FIRST_M = ("Ерлан", "Нұрлан", "Айдос", "Дәурен", "Асхат", "Серік", "Бауыржан", "Алексей", "Дмитрий", "Тимур")
_FIRST_F = ("Айгүл", "Гүлнар", "Динара", "Жанар", "Сәуле", "Мадина", "Әсел", "Ольга", "Наталья", "Камила")
_LAST = ("Жұмабаев", "Сейітов", "Нұрғалиев", "Әбдірахманов", "Тоқаев", "Ахметов", "Иванов", "Ким", "Омаров")
_STREETS = ("Абай көшесі", "ул. Абая", "Сарыарқа даңғылы", "ул. Кенесары", "Тұран даңғылы", "ул. Сейфуллина")
_REGIONS = (
    ("Астана", "710000000"),
    ("Алматы", "750000000"),
    ("Шымкент", "790000000"),
    ("Карагандинская область", "350000000"),
)
_STATUS = ("employed", "unemployed", "student", "pensioner")


def iin_control_digit(first11: str) -> int | None:
    """The IIN/BIN control digit, or None when no valid number has this prefix (PRIVACY.md)."""
    digits = [int(c) for c in first11]
    c = sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11
    if c == 10:
        c = sum(d * w for d, w in zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], strict=True)) % 11
    return None if c == 10 else c


def make_iin(born: date, female: bool, rng: random.Random) -> str:
    century = 3 if born.year < 2000 else 5
    while True:
        prefix = f"{born:%y%m%d}{century + int(female)}{rng.randrange(10000):04d}"
        control = iin_control_digit(prefix)
        if control is not None:
            return prefix + str(control)


def citizen_register_csv(rows: int = 2000, *, seed: int = 230) -> bytes:
    """The register as UTF-8 CSV bytes (deterministic for a seed)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "ИИН",
            "ФИО",
            "Дата рождения",
            "Пол",
            "Телефон",
            "Адрес",
            "Регион",
            "КАТО",
            "Статус занятости",
            "Доход",
        ]
    )
    for _ in range(rows):
        female = rng.random() < 0.5
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
        first = rng.choice(_FIRST_F if female else _FIRST_M)
        last = rng.choice(_LAST) + ("а" if female and not rng.choice(_LAST).endswith("Ким") else "")
        region, kato = rng.choice(_REGIONS)
        writer.writerow(
            [
                make_iin(born, female, rng),
                f"{last} {first}",
                born.strftime("%d.%m.%Y"),
                "Ж" if female else "М",
                f"+7 (70{rng.randrange(8)}) {rng.randrange(100, 1000)}-"
                f"{rng.randrange(10, 100)}-{rng.randrange(10, 100)}",
                f"{rng.choice(_STREETS)}, {rng.randrange(1, 200)} үй, кв. {rng.randrange(1, 300)}",
                region,
                kato,
                rng.choice(_STATUS),
                rng.randrange(80, 900) * 1000,
            ]
        )
    return out.getvalue().encode("utf-8")
