"""The label helpers pages use: column types, entities, yes/no and facet values as words of the
page's language, never a raw value."""

from __future__ import annotations

from qazai.core.enums import Language
from qazai.web.i18n import translations_for
from qazai.web.labels import translated_labels


def test_types_entities_and_yes_no_read_as_russian_words() -> None:
    labels = translated_labels(translations_for(Language.ru).gettext)
    types = [labels["type_label"](t) for t in ("int64", "float64", "large_string", "timestamp[us]", "bool")]
    assert types == ["Целое число", "Дробное число", "Текст", "Дата и время", "Да или нет"]
    assert labels["type_label"]("struct<a: int64>") == "Другое"  # never the raw type
    assert [labels["entity_label"](e) for e in ("IIN", "PERSON", "ADDRESS")] == [
        "ИИН",
        "Имя человека",
        "Адрес",
    ]
    assert [labels["yes_no"](v) for v in (True, False, "False", "true", None)] == [
        "Да",
        "Нет",
        "Нет",
        "Да",
        "—",
    ]
    assert labels["yes_no"]("частично") == "частично"  # not a yes/no: shown as it is


def test_facet_values_in_kazakh() -> None:
    facet = translated_labels(translations_for(Language.kk).gettext)["facet_value_label"]
    assert facet("theme", "public services") == "Мемлекеттік қызметтер"
    assert facet("region", "Kazakhstan") == "Қазақстан"
    assert facet("format", "parquet") == "Parquet"
    assert facet("tier", "open") == translations_for(Language.kk).gettext("Open")
    assert facet("theme", "балық шаруашылығы") == "балық шаруашылығы"  # the producer's own word
