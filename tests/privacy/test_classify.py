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
    assert set(doc) == {"rows_scanned", "columns", "findings"}
    assert doc["rows_scanned"] == 5
    assert set(doc["columns"][0]) == {"name", "kind", "entities", "match_ratio"}
    assert set(doc["findings"][0]) == {"row", "column", "start", "end", "entity", "score"}


def test_short_notes_with_embedded_phones_are_redacted_as_free_text() -> None:
    notes = ["без замечаний", "повторный приём", "звонить 87071234567"] * 10
    col = classify_table(pl.DataFrame({"Комментарий": notes})).column("Комментарий")
    assert col.kind is ColumnKind.free_text
    assert col.entities == {"PHONE_KZ": 10}
