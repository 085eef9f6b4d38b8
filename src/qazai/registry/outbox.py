"""Messages to people outside the platform (a complainant's contact address).

A message is a row of ``registry_outbox`` plus a job (kind ``registry.deliver_mail``) added in the
same transaction as the change it tells about, so a notice exists exactly when the change was
committed. The job sends it by SMTP when ``settings.smtp_url`` is set
(``smtp://[user:password@]host:port``; ``smtps://`` for TLS from the start, ``smtp+starttls://``
to upgrade), otherwise it writes an RFC 5322 ``.eml`` file to ``<data_dir>/outbox`` (a pickup
folder for the operator's mail system, and what a test or a local install reads). A failed send
raises, so the queue retries it with back-off; the row keeps the attempts and the last error.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from qazai.config import Settings
from qazai.core.clock import utcnow
from qazai.core.errors import PermissionDenied
from qazai.core.ids import new_id
from qazai.identity.actor import Actor
from qazai.registry import policy
from qazai.storage.db import Database, UnitOfWork
from qazai.storage.jobs import Handler, JobContext, enqueue
from qazai.storage.tables.registry import RegistryOutboxRow

DELIVER_MAIL_JOB = "registry.deliver_mail"
SMTP_TIMEOUT_SECONDS = 30


class OutboxMessageRead(BaseModel):
    """A message as the operator sees it (no body: it may quote a complainant's answer)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    to_address: str
    language: str
    subject: str
    complaint_id: str | None
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def list_outbox(
    uow: UnitOfWork, actor: Actor, state: str | None = None, limit: int = 200
) -> list[OutboxMessageRead]:
    """The newest messages (``queued`` ones wait or are being retried; see ``last_error``).
    Operator only."""
    if not policy.can_edit_reference(actor):
        raise PermissionDenied("only the platform operator reads the outbox")
    query = select(RegistryOutboxRow).order_by(RegistryOutboxRow.created_at.desc()).limit(limit)
    if state is not None:
        query = query.where(RegistryOutboxRow.state == state)
    return [OutboxMessageRead.model_validate(r) for r in uow.session.scalars(query).all()]


def queue_mail(
    uow: UnitOfWork,
    *,
    kind: str,
    to: str,
    language: str,
    subject: str,
    body: str,
    secret: str | None = None,
    complaint_id: str | None = None,
) -> str:
    """Add a message and its delivery job to the caller's transaction; the caller commits.

    ``body`` may show ``{base_url}`` (the platform's address, filled in when sent) and ``{code}``
    (``secret``, kept in the row only until the message is sent, then erased)."""
    row = RegistryOutboxRow(
        id=new_id(),
        kind=kind,
        to_address=to,
        language=language,
        subject=subject[:300],
        body=body,
        secret=secret,
        complaint_id=complaint_id,
        state="queued",
        attempts=0,
        created_at=utcnow(),
    )
    uow.session.add(row)
    uow.session.flush()
    enqueue(uow.session, DELIVER_MAIL_JOB, {"message_id": row.id}, dedupe_key=f"{DELIVER_MAIL_JOB}:{row.id}")
    return row.id


def _message(row: RegistryOutboxRow, settings: Settings) -> EmailMessage:
    sender = settings.mail_from
    body = row.body.replace("{base_url}", settings.public_base_url).replace("{code}", row.secret or "")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(idstring=row.id, domain=sender.rsplit("@", 1)[-1])
    message["Content-Language"] = row.language
    message.set_content(body, charset="utf-8")
    return message


def _send_smtp(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise ValueError(
            f"smtp_url must be smtp://, smtps:// or smtp+starttls://host:port, not {parts.scheme}://"
        )
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(parts.hostname, port, timeout=SMTP_TIMEOUT_SECONDS)
    else:
        client = smtplib.SMTP(parts.hostname, port, timeout=SMTP_TIMEOUT_SECONDS)
    with client:
        if parts.scheme == "smtp+starttls":
            client.starttls()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _write_eml(folder: Path, row: RegistryOutboxRow, message: EmailMessage) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{row.id}.eml.tmp"
    partial.write_bytes(message.as_bytes())
    partial.replace(folder / f"{row.id}.eml")  # whole or not at all, for the pickup


def deliver_mail(db: Database, settings: Settings, message_id: str) -> dict[str, Any]:
    """Send one queued message (idempotent: a sent message is not sent again)."""
    with db.uow() as uow:
        row = uow.session.get(RegistryOutboxRow, message_id, with_for_update=True)
        if row is None or row.state == "sent":
            return {"sent": False}
        row.attempts += 1
        message = _message(row, settings)
        try:
            if settings.smtp_url:
                _send_smtp(settings.smtp_url, message)
                via = "smtp"
            else:
                _write_eml(settings.data_dir / "outbox", row, message)
                via = "file"
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            uow.commit()
            raise
        row.state = "sent"
        row.secret = None
        row.sent_at = utcnow()
        row.last_error = None
        uow.commit()
        return {"sent": True, "via": via}


def deliver_mail_handler(settings: Settings) -> Handler:
    def handle(context: JobContext) -> dict[str, Any]:
        return deliver_mail(context.db, settings, str(context.payload["message_id"]))

    return handle
