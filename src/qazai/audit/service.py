"""Writing, reading, verifying and exporting the audit trail.

Each event stores the hash of the event before it, so changing, inserting or deleting a row
breaks the chain at that row, and :func:`verify_chain` names it. Appends are serialised: on
PostgreSQL by a transaction-scoped advisory lock, on SQLite by the writer lock every writing unit
of work already holds (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from qazai.audit.models import AuditEventRead, ChainReport
from qazai.core.clock import as_utc, utcnow
from qazai.core.context import current_request_id
from qazai.core.ids import new_id
from qazai.storage.tables.audit import AuditEventRow

GENESIS_HASH = "0" * 64
_PG_AUDIT_LOCK = 0x51A2A1  # arbitrary constant shared by every writer


def _canonical_time(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(
    *,
    seq: int,
    id: str,
    at: datetime,
    actor_id: str | None,
    actor_label: str | None,
    organisation_id: str | None,
    action: str,
    object_type: str,
    object_id: str | None,
    summary: dict[str, Any],
    request_id: str | None,
    prev_hash: str,
) -> str:
    """sha256 over a canonical JSON of every field of the event and the previous hash."""
    body = {
        "seq": seq,
        "id": id,
        "at": _canonical_time(at),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "organisation_id": organisation_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": summary,
        "request_id": request_id,
        "prev_hash": prev_hash,
    }
    encoded = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def record_event(
    session: Session,
    *,
    action: str,
    object_type: str,
    object_id: str | None,
    actor_id: str | None,
    actor_label: str | None = None,
    organisation_id: str | None = None,
    summary: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEventRead:
    """Append one event inside the caller's transaction (committed with the change it records)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
    last = session.execute(
        select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
    ).first()
    seq = (last.seq + 1) if last else 1
    prev_hash = last.hash if last else GENESIS_HASH
    # Round-trip through JSON so the hash is computed over what the database will give back.
    clean_summary: dict[str, Any] = json.loads(json.dumps(summary or {}, ensure_ascii=False, default=str))
    fields: dict[str, Any] = {
        "seq": seq,
        "id": new_id(),
        "at": utcnow(),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "organisation_id": organisation_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": clean_summary,
        "request_id": request_id if request_id is not None else current_request_id(),
        "prev_hash": prev_hash,
    }
    row = AuditEventRow(**fields, hash=compute_hash(**fields))
    session.add(row)
    session.flush()
    return AuditEventRead.model_validate(row)


def _row_fields(row: AuditEventRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "id": row.id,
        "at": row.at,
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "organisation_id": row.organisation_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "summary": row.summary,
        "request_id": row.request_id,
        "prev_hash": row.prev_hash,
    }


def iter_events(session: Session, *, after_seq: int = 0, batch: int = 1000) -> Iterator[AuditEventRow]:
    """Every event in chain order, read in batches (bounded memory)."""
    while True:
        rows = (
            session.execute(
                select(AuditEventRow)
                .where(AuditEventRow.seq > after_seq)
                .order_by(AuditEventRow.seq)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        after_seq = rows[-1].seq
        session.expunge_all()


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash; report the first event whose content or link does not match."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for row in iter_events(session):
        checked += 1
        if row.seq != expected_seq:
            return ChainReport(
                ok=False,
                events_checked=checked,
                first_broken_seq=row.seq,
                first_broken_id=row.id,
                reason=f"sequence gap: expected event {expected_seq}, found {row.seq} (events removed)",
            )
        if row.prev_hash != expected_prev:
            return ChainReport(
                ok=False,
                events_checked=checked,
                first_broken_seq=row.seq,
                first_broken_id=row.id,
                reason="prev_hash does not match the hash of the event before it",
            )
        if compute_hash(**_row_fields(row)) != row.hash:
            return ChainReport(
                ok=False,
                events_checked=checked,
                first_broken_seq=row.seq,
                first_broken_id=row.id,
                reason="content does not match its hash (the row was changed)",
            )
        expected_prev = row.hash
        expected_seq += 1
    return ChainReport(ok=True, events_checked=checked)


def list_events(
    session: Session,
    *,
    after_seq: int = 0,
    limit: int = 50,
    object_type: str | None = None,
    object_id: str | None = None,
    organisation_id: str | None = None,
) -> list[AuditEventRead]:
    query = select(AuditEventRow).where(AuditEventRow.seq > after_seq)
    if object_type:
        query = query.where(AuditEventRow.object_type == object_type)
    if object_id:
        query = query.where(AuditEventRow.object_id == object_id)
    if organisation_id:
        query = query.where(AuditEventRow.organisation_id == organisation_id)
    rows = session.execute(query.order_by(AuditEventRow.seq).limit(limit)).scalars().all()
    return [AuditEventRead.model_validate(r) for r in rows]


def count_events(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one())


def export_events(session: Session) -> Iterator[str]:
    """Every event as one JSON line, in chain order."""
    for row in iter_events(session):
        yield AuditEventRead.model_validate(row).model_dump_json()
