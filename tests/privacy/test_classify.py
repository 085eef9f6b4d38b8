from __future__ import annotations

import polars as pl

from qazai.privacy import ColumnKind, classify_table


def test_columns_get_kinds_from_headers_and_values(people_table: pl.DataFrame) -> None:
    report = classify_table(people_table)
    kinds = {c.name: c.kind for c in report.columns}
    assert kinds == {
        "ИИН": ColumnKind.direct_identifier,
        "ФИО": ColumnKind.direct_identifier,
        "Телефон": ColumnKind.direct_identifier,
        "Пол": ColumnKind.quasi_identifier,
        "Дата рождения": ColumnKind.quasi_identifier,
        "КАТО": ColumnKind.quasi_identifier,
        "Диагноз": ColumnKind.sensitive,
        "Комментарий": ColumnKind.free_text,
    }
    iin = report.column("ИИН")
    assert iin.entities == {"IIN": people_table.height}
    assert iin.match_ratio == 1.0
    assert any("header" in r for r in iin.reasons)


def test_identifiers_found_by_values_under_an_unhelpful_header() -> None:
    frame = pl.DataFrame({"col_7": ["900315301237", "851221400572", None, "780712400909"]})
    col = classify_table(frame).column("col_7")
    assert col.kind is ColumnKind.direct_identifier
    assert col.match_ratio == 1.0


def test_bin_column_is_not_personal_but_reported() -> None:
    col = classify_table(pl.DataFrame({"БИН": ["040540001230"] * 3})).column("БИН")
    assert col.kind is ColumnKind.non_personal
    assert col.entities == {"BIN": 3}


def test_plain_numbers_are_not_personal() -> None:
    frame = pl.DataFrame({"count": [str(i) for i in range(100)], "price": [f"{i}.50" for i in range(100)]})
    assert {c.kind for c in classify_table(frame).columns} == {ColumnKind.non_personal}


def test_scan_json_shape(people_table: pl.DataFrame) -> None:
    doc = classify_table(people_table.head(5)).to_json()
    assert set(doc) == {"rows_scanned", "aggregate", "columns", "findings"}
    assert doc["rows_scanned"] == 5
    assert set(doc["columns"][0]) == {"name", "kind", "entities", "match_ratio", "evidence"}
    evidence = doc["columns"][0]["evidence"]
    assert set(evidence) == {"cells", "findings", "header", "rule", "threshold", "attention"}
    assert set(doc["findings"][0]) == {"row", "column", "start", "end", "entity", "score"}


def test_short_notes_with_embedded_phones_are_redacted_as_free_text() -> None:
    notes = ["без замечаний", "повторный приём", "звонить 87071234567"] * 10
    col = classify_table(pl.DataFrame({"Комментарий": notes})).column("Комментарий")
    assert col.kind is ColumnKind.free_text
    assert col.entities == {"PHONE_KZ": 10}


def test_a_statistical_form_with_suppressed_cells_and_marks_is_kept_whole() -> None:
    """Totals row, column-number row, numbers as text with spaces, footnote marks, ``-``, ``х``
    and ``...`` for suppressed values, a long row label and a legal reference: all statistics."""
    frame = pl.DataFrame(
        {
            "Наименование показателей": ["А", "Всего", "Убийство (ст.99 УК РК)", "из них",
                                         "на улицах, площадях, парках",
                                         "руководители и государственные служащие",
                                         "Республика Казахстан", "Кадастровый учёт земель"],
            "Шифр строки": ["Б", "1", "2", "3", "4", "5", "6", "7"],
            "2021": ["1", "14 901 641", "3 152", "-", "х", "...", "4,9*", "201 234 567 890"],
            "2022": [2, 15_000_000, 3_200, 12, 0, 7, 5, 900315301237],
            "Контактный телефон": [3, 10, 11, 12, 13, 14, 15, 16],
        }
    )  # fmt: skip
    report = classify_table(frame)
    assert report.aggregate
    assert {c.kind for c in report.columns} == {ColumnKind.non_personal}
    assert report.findings.height == 0
    phone = report.column("Контактный телефон")
    assert (
        phone.evidence is not None and phone.evidence.rule.value == "header_only" and phone.evidence.attention
    )


def test_a_header_alone_never_makes_an_identifier() -> None:
    frame = pl.DataFrame({"ИИН": ["скрыт", "скрыт", "нет данных"], "Возраст": [1.5, 2.25, 3.75]})
    report = classify_table(frame)
    assert report.column("ИИН").kind is ColumnKind.non_personal
    assert report.column("Возраст").kind is ColumnKind.non_personal  # flows, not ages


def test_a_person_table_keeps_its_quasi_identifiers() -> None:
    frame = pl.DataFrame(
        {
            "ИИН": ["900315301237", "851221400572", "780712400909"] * 4,
            "Регион": ["Алматы", "Астана", "Алматы"] * 4,
            "Возраст": [34, 40, 47] * 4,
        }
    )
    report = classify_table(frame)
    assert not report.aggregate
    assert report.column("ИИН").kind is ColumnKind.direct_identifier
    assert report.column("Регион").kind is ColumnKind.quasi_identifier
    assert report.column("Возраст").kind is ColumnKind.quasi_identifier
