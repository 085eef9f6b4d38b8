"""Detectors: each entity found with exact offsets; near-misses not found."""

from __future__ import annotations

import pytest

from qazai.privacy import Entity, scan_text
from qazai.privacy.detectors import detect_column


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.entity.value, text[f.start : f.end]) for f in scan_text(text)]


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("ИИН 900315301237 указан", "IIN", "900315301237"),
        ("ЖСН: 780712400909", "IIN", "780712400909"),
        ("ИИН 900315 301237 с пробелом", "IIN", "900315 301237"),
        ("БИН 040540001230", "BIN", "040540001230"),
        ("счет KZ73 9990 0000 0001 2345 в банке", "IBAN_KZ", "KZ73 9990 0000 0001 2345"),
        ("оплата картой 4400 4301 2345 6789", "CARD", "4400 4301 2345 6789"),
        ("звоните +7 (701) 123-45-67", "PHONE_KZ", "+7 (701) 123-45-67"),
        ("тел 8 701 123 45 67", "PHONE_KZ", "8 701 123 45 67"),
        ("whatsapp 77011234567", "PHONE_KZ", "77011234567"),
        ("пишите на aigerim.k@mail.kz", "EMAIL", "aigerim.k@mail.kz"),
        ("host 10.12.0.254 down", "IP", "10.12.0.254"),
        ("паспорт N12345678", "PASSPORT_KZ", "N12345678"),
        ("удостоверение личности № 045678912", "ID_CARD_KZ", "045678912"),
        ("авто 123 ABC 02 припарковано", "VEHICLE_PLATE_KZ", "123 ABC 02"),
        ("проживает: ул. Абая, д. 50, кв. 12", "ADDRESS", "ул. Абая, д. 50, кв. 12"),
        ("мекенжайы Абай көшесі, 50 үй", "ADDRESS", "Абай көшесі, 50 үй"),
        ("адрес мкр. Самал-2, 15", "ADDRESS", "мкр. Самал-2, 15"),
        ("lives at 12 Baker Street", "ADDRESS", "12 Baker Street"),
        ("дата рождения 15.03.1990", "DATE_OF_BIRTH", "15.03.1990"),
        ("1990 жылы 15 наурызда туған", "DATE_OF_BIRTH", "1990 жылы 15 наурызда"),
        ("born on 15 March 1990", "DATE_OF_BIRTH", "15 March 1990"),
    ],
)
def test_entity_is_found_with_exact_span(text: str, entity: str, value: str) -> None:
    assert (entity, value) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "заказ №900315301237 оплачен",  # an order number after №
        "сумма 900315301237 тг",  # an amount
        "900315301238",  # wrong control digit
        "123456789012",  # checksum-shaped but not valid
        "кадастровый номер 21:320:036:1234",
        "2023-05-12 14:33:00",  # a timestamp is not a birth date
        "Абай көшесі бойында",  # a street without a number
        "4400 4301 2345 6788",  # Luhn fails
        "KZ749990000000012345",  # IBAN check fails
        "+7 912 123 45 67",  # a Russian mobile
        "version 1.2.3",
    ],
)
def test_near_misses_are_not_found(text: str) -> None:
    assert [e for e, _ in _found(text) if e != "PERSON"] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Жұмабаев Нұрлан Серікұлы келді", "Жұмабаев Нұрлан Серікұлы"),
        ("Документы передать Жұмабаевқа до пятницы", "Жұмабаевқа"),
        ("письмо от Ивановой Марии Петровны", "Ивановой Марии Петровны"),
        ("ZHUMABAYEV NURLAN", "ZHUMABAYEV NURLAN"),
        ("Aigerim Jūmabaeva called", "Aigerim Jūmabaeva"),
        ("подписал Петров И.И.", "Петров И.И."),
    ],
)
def test_person_names_in_scripts_and_case_forms(text: str, value: str) -> None:
    assert ("PERSON", value) in _found(text)


def test_ordinary_words_and_streets_are_not_persons() -> None:
    assert _found("Абай көшесі бойында жөндеу") == []
    assert _found("Министерство юстиции Республики Казахстан") == []


def test_offsets_are_character_offsets_in_cyrillic_text() -> None:
    text = "Өтініш берушінің ЖСН-і 900315301237, тел. +77011234567"
    found = scan_text(text)
    assert {(f.entity, text[f.start : f.end]) for f in found} >= {
        (Entity.IIN, "900315301237"),
        (Entity.PHONE_KZ, "+77011234567"),
    }


def test_lines_are_rows_in_text() -> None:
    found = scan_text("нет данных\nИИН 900315301237")
    assert [(f.row, f.start, f.end) for f in found] == [(1, 4, 16)]


def test_context_raises_score() -> None:
    bare = scan_text("900315301237")[0].score
    with_context = scan_text("ИИН 900315301237")[0].score
    assert with_context > bare


def test_nul_bytes_do_not_shift_offsets() -> None:
    text = "a\x00b ИИН 900315301237"
    (f,) = scan_text(text)
    assert text[f.start : f.end] == "900315301237"


@pytest.mark.parametrize("header", [(), (Entity.PERSON,)])
def test_repeated_cells_are_scanned_once_with_the_same_findings(
    header: tuple[Entity, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """detect_column scans distinct values and copies findings back; the result must equal a
    scan of every row, including the place-column vote (weighted by how often a value repeats)."""
    import polars as pl

    from qazai.privacy import detectors

    cells = [
        "Жұмабаев Нұрлан",
        "ИИН 900315301237, тел +77011234567",
        "Абай",
        "Алматы",
        "звонила Бекзат",
        "привет, это бекзат жақсылықов",
        None,
        "Сатпаев",
        "a@b.kz",
        "Иванов Иван",
        "Петрова Анна Сергеевна",
        "Ким Ли",
        "Сидоров Пётр",
        "Ахметова Айгерим",
        "Серикбаев Данияр",
    ]
    # places repeat most: the place vote must count rows (most rows), not distinct values (few)
    weights = [1, 2, 1, 30, 1, 1, 3, 1, 1, 1, 1, 1, 1, 1, 1]
    values = pl.Series("v", [c for c, w in zip(cells, weights, strict=True) for _ in range(w)] * 3)
    found = detect_column(values, header_hints=header)
    monkeypatch.setattr(detectors, "DEDUPE_SHARE", 0.0)  # never group: every row scanned
    every_row = detect_column(values, header_hints=header)
    assert found.height > 0
    assert found.equals(every_row)


def test_columns_scanned_together_equal_columns_scanned_alone() -> None:
    """detect_columns runs detector by detector across columns (regex cache); each column's
    findings must be what detect_column finds in it alone."""
    import polars as pl

    from qazai.privacy.detectors import ColumnInput, detect_columns

    columns = [
        ColumnInput(pl.Series(["900315301237", "Иванов Иван", None, "ул. Абая 5, кв. 3"])),
        ColumnInput(pl.Series(["Алматы", "Алматы", "Абай", "Алматы", "Алматы"]), place_column=True),
        ColumnInput(pl.Series([], dtype=pl.String)),
        ColumnInput(pl.Series(["звонила Бекзат +77011234567", "a@b.kz"]), frozenset({Entity.PHONE_KZ})),
        ColumnInput(pl.Series([1, 2, 3])),
    ]
    together = detect_columns(columns)
    alone = [
        detect_column(c.values, header_hints=c.header_hints, place_column=c.place_column) for c in columns
    ]
    assert [t.height for t in together] == [a.height for a in alone]
    assert all(t.equals(a) for t, a in zip(together, alone, strict=True))
    assert together[0].height >= 3 and together[3].height >= 3


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        # addresses as written in Kazakhstan (street names that carry a person's name are part of
        # the ADDRESS span, never a PERSON)
        ("Төле би көшесі, 121 үй, 59 пәтер тұрамын", "ADDRESS", "Төле би көшесі, 121 үй, 59 пәтер"),
        ("мекенжайы: Жібек жолы даңғылы, 76", "ADDRESS", "Жібек жолы даңғылы, 76"),
        ("ул. Қабанбай батыр, д. 90, кв. 7", "ADDRESS", "ул. Қабанбай батыр, д. 90, кв. 7"),
        ("во дворе дома №50 по улице Абая, дороги", "ADDRESS", "дома №50 по улице Абая"),
        ("I live at Abay St 147, apt 189.", "ADDRESS", "Abay St 147, apt 189"),
        ("пр-т Абылай хана, 79, кв. 15", "ADDRESS", "пр-т Абылай хана, 79, кв. 15"),
        ("мой адрес 12 мкр., д. 67, кв. 65", "ADDRESS", "12 мкр., д. 67, кв. 65"),
        ("Я живу на Сатпаева 22, кв 14", "ADDRESS", "Сатпаева 22, кв 14"),
        ("Алматы қаласы, Абай көшесі, 50 үйдің ауласы", "ADDRESS", "Алматы қаласы, Абай көшесі, 50 үйдің"),
        # phones without +7/8 where a word says "phone"; the span is the number alone
        ("байланыс тел: 777 627 24 23.", "PHONE_KZ", "777 627 24 23"),
        ("моб. 705-111-22-33", "PHONE_KZ", "705-111-22-33"),
        ("call (701) 852-03-50", "PHONE_KZ", "(701) 852-03-50"),
        ("туған күні: 1978 жылғы 5 тамыз", "DATE_OF_BIRTH", "1978 жылғы 5 тамыз"),
    ],
)
def test_kazakhstan_forms_are_found(text: str, entity: str, value: str) -> None:
    found = _found(text)
    assert (entity, value) in found
    assert not [v for e, v in found if e == "PERSON"], found


@pytest.mark.parametrize(
    "text",
    [
        "Кадастровый номер 19:100:096:12, площадь 1316 кв. м.",
        "Ремонт на улице Сатпаева продлится до конца месяца.",
        "Транспортировка нефти без документов (ст. 35 УПК РК)",
        "руководители и государственные служащие",
        "Республика Казахстан",
        "небольшой тяжести",
        "Показатель 1.40220260580143 за 2020 год",
        "приказ №123 от 12.03.2024, 701 555",
    ],
)
def test_statistics_words_are_not_personal(text: str) -> None:
    assert _found(text) == []
