"""The in-process perceptual-hash index: sees new labels at once and survives vanished ones."""

from __future__ import annotations

import time
from typing import Any

from tests.labels.support import CONFIG, actor_of, draft_system, encoded, picture, reencode

from qazai.core.ids import new_id
from qazai.identity.actor import Actor
from qazai.labels import phash_index, service, verify
from qazai.labels.models import Match, MediaLabelCreate, Verdict
from qazai.storage.tables.labels import LabelRow


def test_ulid_floor_sorts_before_ids_made_at_that_time() -> None:
    before = int(time.time() * 1000)
    made = new_id()
    assert phash_index.ulid_floor(before) <= made
    assert phash_index.ulid_floor(before + 60_000) > made


def test_index_finds_each_new_label_and_forgets_deleted_ones(platform: Any, people: dict[str, Any]) -> None:
    owner: Actor = actor_of(platform.db, people["member"].user_id)
    system_id = draft_system(platform.db, owner)

    def label(seed: int) -> Any:
        with platform.db.uow() as uow:
            return service.label_media(
                uow,
                owner,
                CONFIG,
                MediaLabelCreate(system_id=system_id),
                encoded(picture(seed), "JPEG", quality=95),
            )

    def check(data: bytes) -> Any:
        with platform.db.uow() as uow:
            return verify.verify_media(uow, CONFIG, data)

    first = label(71)
    assert check(reencode(first.data)).label.id == first.label.id
    second = label(72)  # made after the index was loaded: found on the next check
    found = check(reencode(second.data))
    assert found.match is Match.perceptual_hash and found.label.id == second.label.id
    with platform.db.uow() as uow:  # a label vanishes (a restored backup, an emptied test database)
        row = uow.session.get(LabelRow, second.label.id)
        uow.session.delete(row)
        uow.commit()
    assert check(reencode(second.data)).verdict is Verdict.not_found
    assert check(reencode(first.data)).label.id == first.label.id
