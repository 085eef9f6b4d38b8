"""Search keys: script folding and word forms in Kazakh, Russian and English."""

from __future__ import annotations

import pytest

from qazai.catalog.text import query_terms, text_keys


def _matches(query: str, document: str) -> bool:
    keys = set(text_keys(document))
    return all(set(word) & keys for word in query_terms(query))


@pytest.mark.parametrize(
    ("query", "document"),
    [
        ("халық саны", "Халықтың саны"),
        ("Halyq sany", "Халықтың саны"),
        ("Halyqtyń", "Халық"),
        ("halyk", "Халықтың саны"),
        ("население", "Численность населения"),
        ("Өскемен", "Oskemen"),
        ("Şymkent", "Шымкент"),
        ("zhumyssyzdyk", "жұмыссыздық деңгейі"),
        ("populations", "Population of Kazakhstan"),
    ],
)
def test_query_finds_other_script_and_word_form(query: str, document: str) -> None:
    assert _matches(query, document)


def test_unrelated_words_do_not_match() -> None:
    assert not _matches("население", "Water basins")
    assert not _matches("халық", "су бассейндері")
