"""Encoding and delimiter detection shared by the publish readers and `qazai scan`."""

from __future__ import annotations

import pytest

from qazai.core.textfiles import detect_delimiter, detect_encoding

KAZAKH = (
    "Аты-жөні;Облыс;Ескерту\n"
    "Жұмабаев Нұрлан;Қарағанды;Өтініш қабылданды\n"
    "Үсенова Әйгерім;Түркістан;Жауап берілді\n"
)
RUSSIAN = (
    "ФИО;Область;Примечание\n"
    "Иванов Иван;Карагандинская;Заявление принято\n"
    "Петрова Анна;Туркестанская;Ответ дан\n"
)


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        (KAZAKH, "kz1048", "kz1048"),  # cp1251 would read ө as ґ, ұ as ў...
        (RUSSIAN, "cp1251", "cp1251"),
        (KAZAKH, "utf-8", "utf-8"),
        (KAZAKH, "utf-16-le", "utf-16-le"),  # no BOM: told by the NULs of ASCII characters
    ],
)
def test_legacy_and_unicode_encodings_are_told_apart(text: str, encoding: str, expected: str) -> None:
    head = text.encode(encoding)
    found = detect_encoding(head, None, "t.csv")
    assert found == expected
    assert head.decode(found) == text


def test_the_delimiter_is_the_one_that_splits_rows_consistently() -> None:
    assert detect_delimiter(KAZAKH) == ";"
    assert detect_delimiter(KAZAKH.replace(";", "\t")) == "\t"
    assert detect_delimiter('a,b\n"x; y",2\n"z; w",3\n') == ","
