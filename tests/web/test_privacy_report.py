"""The privacy report said in sentences: no raw keys or True/False, names of columns as code (and
escaped), numbers in the page's format, a broken rule recognised by its numbers."""

from __future__ import annotations

from markupsafe import escape

from qazai.core.enums import Language
from qazai.web.i18n import translations_for
from qazai.web.privacy_report import privacy_report

FAILED = {
    "assessment": {
        "tier": "open",
        "passed": False,
        "violations": [
            "k=2 is below the target 5",
            "l=1 for 'Доход' is below the target 2",
            "a rule from tomorrow",
        ],
        "k_target": 5,
        "k": 2,
        "classes": 1234,
        "share_below_k": 0.125,
        "average_risk": 0.044,
        "max_risk": 0.5,
        "l_diversity": {"Доход": 1},
        "quasi_identifiers": ["Регион", "<script>"],
        "generalisation_levels": {"Регион": 0, "Дата рождения": 2},
        "rows_in": 12345,
        "rows_out": 12000,
        "records_suppressed": 345,
        "cells_suppressed": 0,
        "dropped_columns": ["ИИН"],
        "information_loss": 0.4933,
        "residual_identifiers": {"IIN": 3},
    },
    "scan": {
        "columns": [
            {"name": "ИИН", "kind": "direct_identifier", "entity": "IIN", "action": "drop"},
            {"name": "Пол", "kind": "non_personal", "action": "keep"},
        ]
    },
}


def _all_text(lang: Language) -> str:
    report = privacy_report(translations_for(lang).gettext, lang, FAILED)
    parts = [*report.sentences, *report.problems]
    parts += [f"{c.name} {c.kind} {c.action} {c.override}" for c in report.columns]
    return " | ".join(str(escape(p)) for p in parts)


def test_a_failed_report_reads_as_russian_sentences() -> None:
    text = _all_text(Language.ru)
    assert "Данные не прошли проверку конфиденциальности" in text
    assert "Прочитано строк: 12\u00a0345; опубликовано строк: 12\u00a0000." in text  # no-break spaces
    assert (
        "<code>Дата рождения</code>" in text and "<code>Регион</code>" not in text.split("точностью")[1][:60]
    )
    assert "<code>&lt;script&gt;</code>" in text  # a column's name is data: escaped
    assert "в среднем 4,4%, не более 50%" in text
    assert "ИИН: 3" in text  # residual identifiers by their word
    assert "Некоторые сочетания значений встречаются лишь в 2 строках" in text
    assert '<span lang="en">a rule from tomorrow</span>' in text  # unknown: kept in English, marked
    assert "Прямой идентификатор (ИИН)" in text and "Удалить" in text
    for raw in (
        "k_target",
        "share_below_k",
        "passed",
        "True",
        "False",
        "non_personal",
        "direct_identifier",
        "drop",
    ):
        assert raw not in text.replace('lang="en"', ""), raw


def test_the_kazakh_report_has_no_latin_words_but_the_unknown_rule() -> None:
    text = _all_text(Language.kk)
    assert "ЖСН" in text and "Деректер өз қолжетімділік деңгейінің" in text
    latin = [
        w
        for w in text.replace('<span lang="en">a rule from tomorrow</span>', "").split()
        if w.isascii() and w.isalpha()
    ]
    assert latin == [], latin
