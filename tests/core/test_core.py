"""The shared kernel: ids, IIN/BIN checksums, multilingual text, cursors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from qazai.core.errors import InvalidInput
from qazai.core.ids import new_id
from qazai.core.kzid import is_valid_bin, is_valid_iin
from qazai.core.pagination import decode_cursor, encode_cursor
from qazai.core.text import LocalizedText


def test_ids_sort_in_creation_order_even_within_one_millisecond() -> None:
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 26 for i in ids)


@pytest.mark.parametrize("iin", ["900315301237", "851221400572", "780712400909"])
def test_worked_iin_examples_from_privacy_md_are_valid(iin: str) -> None:
    assert is_valid_iin(iin)


@pytest.mark.parametrize(
    "iin", ["900315301238", "901315301237", "90031530123", "9003153012370", "90031530123a"]
)
def test_broken_iins_are_refused(iin: str) -> None:
    assert not is_valid_iin(iin)


def test_bin_structure_and_checksum() -> None:
    assert is_valid_bin("040540001230")
    assert not is_valid_bin("040540001231")
    assert not is_valid_bin("900315301237")  # an IIN: digit 5 is not a legal-entity type


def test_localized_text_needs_one_language_and_falls_back() -> None:
    text = LocalizedText(ru="Население")
    assert text.get("kk") == "Население" and text.get("en") == "Население"
    assert LocalizedText(kk="Халық", ru="Население").get("kk") == "Халық"
    with pytest.raises(ValidationError):
        LocalizedText(kk="  ")


def test_cursor_round_trip_and_garbage() -> None:
    assert decode_cursor(encode_cursor(["a", 3])) == ["a", 3]
    assert decode_cursor(None) is None
    with pytest.raises(InvalidInput):
        decode_cursor("!!!not-base64")
