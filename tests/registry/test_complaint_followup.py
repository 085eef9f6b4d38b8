"""Complainants can follow up (issue 16, part 5): a receipt with a reference and a secret code
(stored hashed), a public status page, notices to the contact address through the outbox in the
complainant's language, and the regulator's list of all complaints with filters."""

from __future__ import annotations

import email
import hashlib
from datetime import date
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.registry.support import ok, registered
from tests.support.live_server import free_port

from qazai.api.wiring import job_handlers
from qazai.storage.jobs import Worker
from qazai.storage.tables.registry import ComplaintRow, RegistryOutboxRow


def run_jobs(platform: Any) -> int:
    worker = Worker(platform.db, job_handlers(platform), lease_seconds=60, backoff_base_seconds=0.0)
    done = 0
    while worker.run_once() is not None:
        done += 1
    return done


def mails(platform: Any) -> list[Message]:
    folder = Path(platform.settings.data_dir) / "outbox"
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body_of(message: Message) -> str:
    part = message.get_payload(decode=True) if not message.is_multipart() else None
    assert isinstance(part, bytes)
    return part.decode(message.get_content_charset() or "utf-8")


def file(client: TestClient, system_id: str, **body: Any) -> dict[str, Any]:
    payload = {"text": "The assistant refused my application without a reason."} | body
    return ok(client.post(f"/api/v1/register/{system_id}/complaints", json=payload), 201)  # type: ignore[no-any-return]


def test_receipt_status_page_and_notices_in_the_complainants_language(
    client: TestClient, people: Any, platform: Any
) -> None:
    system = registered(client, people)
    receipt = file(client, system["id"], contact_email="citizen@example.kz", language="ru")
    reference, code = receipt["reference"], receipt["access_code"]
    assert reference and len(code) >= 20 and receipt["language"] == "ru"
    assert receipt["status_url"] == f"/complaints/{reference}?code={code}"
    with platform.db.uow(read_only=True) as uow:
        row = uow.session.get(ComplaintRow, receipt["id"])
        assert row is not None and code not in (row.access_code_hash or "")
        assert row.access_code_hash == hashlib.sha256(code.encode()).hexdigest()

    status = ok(client.get(f"/api/v1/complaints/{reference}", params={"code": code}))
    assert status["state"] == "open" and status["answer"] is None and status["due_on"] == receipt["due_on"]
    assert status["system_name"]["en"] == "Census assistant" and "contact_email" not in status
    for wrong in ({"code": code[:-1] + ("A" if code[-1] != "A" else "B")}, {}):
        denied = client.get(f"/api/v1/complaints/{reference}", params=wrong)
        assert denied.status_code in (404, 422)
    assert client.get("/api/v1/complaints/C-2026-NOPE", params={"code": code}).status_code == 404

    # The receipt goes to the contact address in Russian, through the outbox and its job.
    assert run_jobs(platform) >= 1
    (receipt_mail,) = mails(platform)
    assert receipt_mail["To"] == "citizen@example.kz"
    assert reference in subject(receipt_mail) and "Жалоба" in subject(receipt_mail)
    text = body_of(receipt_mail)
    assert code in text and "Census assistant" not in text and "Помощник переписи" in text

    ok(
        client.post(
            f"/api/v1/registry/complaints/{receipt['id']}/answer",
            json={"text": "Мы пересмотрели решение: заявка одобрена."},
            headers=people["member"].headers,
        )
    )
    answered = ok(client.get(f"/api/v1/complaints/{reference}", params={"code": code}))
    assert answered["state"] == "answered" and answered["answer"].startswith("Мы пересмотрели")
    run_jobs(platform)
    answer_mail = mails(platform)[-1]
    assert "ответ" in subject(answer_mail).lower() and "заявка одобрена" in body_of(answer_mail)
    with platform.db.uow(read_only=True) as uow:
        sent = uow.session.query(RegistryOutboxRow).all()
        assert {m.state for m in sent} == {"sent"} and {m.language for m in sent} == {"ru"}


def test_anonymous_complaints_get_a_receipt_but_no_mail(
    client: TestClient, people: Any, platform: Any
) -> None:
    system = registered(client, people)
    receipt = file(client, system["id"])  # no contact, default language: Kazakh
    assert receipt["anonymous"] is True and receipt["language"] == "kk" and receipt["access_code"]
    run_jobs(platform)
    assert mails(platform) == []


def test_notices_go_out_by_smtp_when_a_server_is_configured(
    client: TestClient, people: Any, platform: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received: list[Message] = []

    class Collect(MessageHandler):
        def handle_message(self, message: Message) -> None:
            received.append(message)

    port = free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setattr(platform.settings, "smtp_url", f"smtp://127.0.0.1:{port}")
        system = registered(client, people)
        receipt = file(client, system["id"], contact_email="azamat@example.kz", language="en")
        run_jobs(platform)
    finally:
        controller.stop()
    (message,) = received
    assert message["To"] == "azamat@example.kz" and receipt["reference"] in subject(message)
    assert "Complaint" in subject(message) and receipt["access_code"] in body_of(message)
    assert mails(platform) == []


def test_the_regulator_lists_every_complaint_with_filters(
    client: TestClient, people: Any, platform: Any
) -> None:
    first = registered(client, people)
    second = registered(client, people, name={"en": "Traffic light", "kk": "Бағдаршам", "ru": "Светофор"})
    a = file(client, first["id"])
    b = file(client, first["id"], kind="review_request", text="Please review my refused benefit.")
    c = file(client, second["id"])
    ok(
        client.post(
            f"/api/v1/registry/complaints/{a['id']}/answer",
            json={"text": "Answered."},
            headers=people["member"].headers,
        )
    )
    with platform.db.uow() as uow:  # c's deadline passed, and it was filed last year
        row = uow.session.get(ComplaintRow, c["id"])
        assert row is not None
        row.due_on = date(2026, 1, 5)
        row.filed_at = row.filed_at.replace(year=2025)
        uow.commit()
    regulator = people["regulator"].headers

    def ids(query: str) -> set[str]:
        return {x["id"] for x in ok(client.get(f"/api/v1/registry/complaints{query}", headers=regulator))}

    assert ids("") == {a["id"], b["id"], c["id"]}
    assert ids("?state=answered") == {a["id"]}
    assert ids("?state=open") == {b["id"], c["id"]}
    assert ids(f"?system={first['id']}") == {a["id"], b["id"]}
    assert ids("?overdue=true") == {c["id"]}
    assert ids("?kind=review_request") == {b["id"]}
    assert ids("?filed_to=2025-12-31") == {c["id"]}
    assert ids("?filed_from=2026-01-01") == {a["id"], b["id"]}
    bad = client.get(
        "/api/v1/registry/complaints?filed_from=2026-05-01&filed_to=2026-01-01", headers=regulator
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_dates"
    empty = client.get("/api/v1/registry/complaints?system=", headers=regulator)  # found by fuzzing: was 500
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid_input"
    listed = ok(client.get("/api/v1/registry/complaints?state=answered", headers=regulator))
    assert listed[0]["reference"] == a["reference"] and "access_code_hash" not in listed[0]
