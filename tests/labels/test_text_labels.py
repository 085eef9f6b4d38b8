"""Text labels: the signed record, the notice, the invisible mark and the check by hash."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from tests.labels.support import CONFIG, actor_of, draft_system

from qazai.core.enums import Language
from qazai.core.errors import InvalidInput
from qazai.identity.actor import Actor
from qazai.labels import text as text_labels
from qazai.labels import verify
from qazai.labels.models import Match, TextBatchCreate, TextLabelCreate, Verdict
from qazai.labels.service import label_text, label_texts
from qazai.storage.db import Database

BODY = "Алматы — Қазақстанның ең үлкен қаласы.\nОның халқы екі миллионнан асады."


@pytest.fixture
def owner(platform: Any, people: dict[str, Any]) -> Actor:
    return actor_of(platform.db, people["member"].user_id)


@pytest.fixture
def system_id(platform: Any, owner: Actor) -> str:
    return draft_system(platform.db, owner)


def check(db: Database, given: str) -> Any:
    with db.uow() as uow:
        return verify.verify_text(uow, CONFIG, given)


def test_normalisation_folds_forms_and_drops_invisibles() -> None:
    given = "Ｆｕｌｌ\u200bwidth  ﬁne\r\n\r\n\r\n\u00a0 next\u2060 line "
    result = text_labels.normalise_text(given)
    assert result.text == "Fullwidth fine\n\nnext line"
    assert result.invisible_removed == 2
    assert text_labels.normalise_text("Pаris and Алматы").mixed_script_words == ["Pаris"]


def test_labelled_text_carries_the_notice_and_a_verifiable_record(
    platform: Any, owner: Actor, system_id: str
) -> None:
    with platform.db.uow() as uow:
        result = label_text(
            uow, owner, CONFIG, TextLabelCreate(system_id=system_id, text=BODY, language="kk")
        )
    assert result.text.startswith(BODY)
    assert "Бұл мәтінді жасанды интеллект жасаған" in result.text
    assert f"https://qazai.example.kz/register/{system_id}" in result.text
    record = text_labels.open_record(base64.b64decode(result.record))
    assert record is not None
    assert record.payload["sha256"] == text_labels.sha256_text(BODY)
    assert record.payload["system"] == system_id and record.serial == result.label.signer_serial

    checked = check(platform.db, result.text)
    assert checked.verdict is Verdict.trusted and checked.match is Match.record
    assert checked.label.id == result.label.id
    edited = check(platform.db, result.text.replace("Алматы", "Астана"))
    assert edited.verdict is Verdict.not_found
    assert [n.code for n in edited.notes] == ["notice_without_label"]
    # Without the notice, the body alone is still found by its hash.
    alone = check(platform.db, BODY)
    assert alone.verdict is Verdict.registry_match and alone.match is Match.sha256
    assert "registry_record_valid" in [n.code for n in alone.notes]


def test_invisible_mark_verifies_and_detects_a_changed_text(
    platform: Any, owner: Actor, system_id: str
) -> None:
    with platform.db.uow() as uow:
        result = label_text(
            uow,
            owner,
            CONFIG,
            TextLabelCreate(system_id=system_id, text=BODY, visible_notice=False, invisible_mark=True),
        )
    assert text_labels.normalise_text(result.text).text == text_labels.normalise_text(BODY).text
    checked = check(platform.db, result.text)
    assert checked.verdict is Verdict.trusted and checked.match is Match.record
    assert checked.notes == []  # the mark's own invisible characters are not reported
    changed = result.text.replace("екі миллионнан", "бес миллионнан")
    tampered = check(platform.db, changed)
    assert tampered.verdict is Verdict.invalid
    assert [r.code for r in tampered.reasons] == ["content_changed"]


def test_zero_width_characters_and_mixed_scripts_are_reported_and_survived(
    platform: Any, owner: Actor, system_id: str
) -> None:
    with platform.db.uow() as uow:
        label_text(uow, owner, CONFIG, TextLabelCreate(system_id=system_id, text=BODY, visible_notice=False))
    sneaky = BODY.replace("Алматы", "Ал\u200bма\u200dты")
    checked = check(platform.db, sneaky)
    assert checked.verdict is Verdict.registry_match
    assert [n.code for n in checked.notes] == ["invisible_characters_removed", "registry_record_valid"]
    assert checked.notes[0].details["count"] == 2
    # A Latin "a" in a Cyrillic word changes the hash; the check points it out and finds the label
    # with the look-alikes folded back.
    lookalike = check(platform.db, BODY.replace("Алматы", "Алмaты").replace("халқы", "xaлқы"))
    assert lookalike.verdict is Verdict.registry_match
    assert [n.code for n in lookalike.notes] == ["mixed_scripts", "lookalikes_folded"]
    assert "Алмaты" in lookalike.notes[0].message.en
    other = check(platform.db, "Бұл мүлдем бaсқa мәтін")
    assert other.verdict is Verdict.not_found and "mixed_scripts" in [n.code for n in other.notes]
    assert "Nothing found. This proves nothing" in other.summary.en


def test_batch_labels_all_or_none(platform: Any, owner: Actor, system_id: str) -> None:
    with platform.db.uow() as uow:
        results = label_texts(
            uow,
            owner,
            CONFIG,
            TextBatchCreate(system_id=system_id, texts=["Бір", "Two", "Три"], language="en"),
        )
    assert len({r.label.id for r in results}) == 3
    assert all("This text was generated by artificial intelligence" in r.text for r in results)
    with platform.db.uow() as uow, pytest.raises(InvalidInput) as empty:
        label_texts(uow, owner, CONFIG, TextBatchCreate(system_id=system_id, texts=["fine", "\u200b \u200b"]))
    assert empty.value.code == "empty_text" and empty.value.details == {"index": 1}
    assert check(platform.db, "fine").verdict is Verdict.not_found  # the batch left nothing behind


def test_notice_in_every_language_is_recognised() -> None:
    for lang in Language:
        labelled = f"{BODY}\n\n{text_labels.notice_text(lang, 'Sys', 'https://x/register/1')}"
        body, notice = text_labels.split_notice(text_labels.normalise_text(labelled).text)
        assert body == text_labels.normalise_text(BODY).text and notice is not None
