"""The developer hears when the regulator returns a system (issue 17, point 7): a mail through the
outbox in the submitter's language, and a notification on the owner's systems page."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.registry.support import ANSWERS_MINIMAL, MINIMAL_DOCS, create, move, ok, prepare
from tests.registry.test_complaint_followup import body_of, mails, run_jobs, subject
from tests.web.helpers import sign_in

from qazai.storage.tables.identity import UserRow

REASON = "Опишите, кто проверяет ответы ассистента {system}"


def _returned(client: TestClient, people: Any) -> dict[str, Any]:
    owner, regulator = people["member"].headers, people["regulator"].headers
    system = create(client, owner)
    prepare(client, owner, system["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)
    ok(move(client, owner, system["id"], "submitted"))
    ok(move(client, regulator, system["id"], "in_review"))
    return ok(move(client, regulator, system["id"], "returned", REASON))  # type: ignore[no-any-return]


def _speak(platform: Any, email: str, language: str) -> None:
    with platform.db.uow() as uow:
        user = uow.session.query(UserRow).filter_by(email=email).one()
        user.language = language
        uow.commit()


def test_returning_a_system_mails_the_submitter_in_their_language(
    client: TestClient, people: Any, platform: Any
) -> None:
    _speak(platform, people["member"].email, "ru")
    system = _returned(client, people)
    assert run_jobs(platform) >= 1
    sent = [m for m in mails(platform) if m["To"] == people["member"].email]
    assert len(sent) == 1
    assert subject(sent[0]) == "Система «Помощник переписи» возвращена на доработку"
    body = body_of(sent[0])
    assert f"Причина: {REASON}" in body  # the reason as written, braces and all
    assert f"/systems/{system['id']}" in body and "{base_url}" not in body


def test_the_owners_systems_page_shows_the_return(client: TestClient, people: Any, platform: Any) -> None:
    _speak(platform, people["member"].email, "kk")
    system = _returned(client, people)
    notices = ok(client.get("/api/v1/registry/notifications", headers=people["member"].headers))
    mine = [n for n in notices if n["system_id"] == system["id"] and n["kind"] == "system_returned"]
    assert len(mine) == 1 and REASON in mine[0]["message"]["kk"]
    sign_in(client, people["member"].email)
    page = client.get("/systems").text
    notifications = page.split('id="notifications-title"')[1]
    assert "өзгертуге қайтарылды" in notifications and REASON in notifications
    # nobody else's organisation hears of it
    assert not [
        n
        for n in ok(client.get("/api/v1/registry/notifications", headers=people["outsider"].headers))
        if n["system_id"] == system["id"]
    ]
