"""Writing, reading, verifying and exporting the audit trail.

Each event stores the hash of the event before it, so changing, inserting or deleting a row
breaks the chain at that row, and :func:`verify_chain` names it. The hash is an HMAC-SHA256 keyed
with a key derived from the platform secret (``QAZAI_SECRET_KEY``), which is never stored in the
database: someone who can write the database but not read the secret cannot recompute the chain
after rewriting a row. Truncation (deleting the last rows) leaves a valid shorter chain, so the
head of the chain is exported, signed, to the object store (:mod:`qazai.audit.heads`) and every
verification checks that the exported head is still part of the chain.

Rows written before the keyed chain existed (migration 0005) carry ``chain_version`` 1 and a plain
SHA-256; they are accepted only as a prefix of the chain (docs/operations.md, "Audit trail").

Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock, on SQLite by the
writer lock every writing unit of work already holds (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from qazai.audit.models import AuditEventRead, ChainReport
from qazai.config import PLACEHOLDER_SECRET
from qazai.core.clock import as_utc, utcnow
from qazai.core.context import current_request_id
from qazai.core.ids import new_id
from qazai.storage.db import Database
from qazai.storage.tables.audit import AuditEventRow

GENESIS_HASH = "0" * 64
_PG_AUDIT_LOCK = 0x51A2A1  # arbitrary constant shared by every writer

CHAIN_LEGACY = 1  # plain SHA-256, written before migration 0005
CHAIN_HMAC = 2  # HMAC-SHA256 with the audit key
AUDIT_KEY_INFO = "qazai_audit_key"  # where a session finds the key (Database.info)
_KEY_PURPOSE = b"qazai-audit-chain-v1"


def derive_audit_key(secret_key: str) -> bytes:
    """The audit key: HMAC-SHA256(platform secret, purpose label). Knowing it lets one verify and
    also forge the chain, so hand it only to auditors; it reveals nothing else of the secret."""
    return hmac.new(secret_key.encode("utf-8"), _KEY_PURPOSE, hashlib.sha256).digest()


# Sessions of a Database not built by the platform (tests, scripts) use the key of the default
# development secret, exactly what a platform on default settings would use; production settings
# refuse that secret, and build_platform always installs the real key.
_DEV_KEY = derive_audit_key(PLACEHOLDER_SECRET)


def install_audit_key(db: Database, secret_key: str) -> None:
    """Make every session of ``db`` chain (and verify) events with the key of ``secret_key``."""
    db.info[AUDIT_KEY_INFO] = derive_audit_key(secret_key)


def audit_key(session: Session) -> bytes:
    key = session.info.get(AUDIT_KEY_INFO)
    return key if isinstance(key, bytes) else _DEV_KEY


def _canonical_time(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(
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
) -> bytes:
    """The bytes an event's hash covers: canonical JSON (sorted keys, no spaces, UTF-8) of every
    field and the previous hash. docs/operations.md repeats this for external verifiers."""
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
    return encoded.encode("utf-8")


def compute_hash(*, key: bytes, **fields: Any) -> str:
    """HMAC-SHA256 of :func:`canonical_event` under ``key`` (chain version 2)."""
    return hmac.new(key, canonical_event(**fields), hashlib.sha256).hexdigest()


def compute_legacy_hash(**fields: Any) -> str:
    """Plain SHA-256 of :func:`canonical_event` (chain version 1, before migration 0005)."""
    return hashlib.sha256(canonical_event(**fields)).hexdigest()


class Acting(Protocol):
    """Who did something: a user (``user_id``) or the system, with a label for the trail."""

    @property
    def user_id(self) -> str | None: ...

    @property
    def label(self) -> str: ...


def record_action(
    session: Session,
    actor: Acting,
    *,
    action: str,
    object_type: str,
    object_id: str | None,
    organisation_id: str | None,
    summary: dict[str, Any],
) -> None:
    """:func:`record_event` for what ``actor`` did (the capabilities' one audit helper)."""
    record_event(
        session,
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        organisation_id=organisation_id,
        summary=summary,
    )


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
    row = AuditEventRow(
        **fields, hash=compute_hash(key=audit_key(session), **fields), chain_version=CHAIN_HMAC
    )
    session.add(row)
    session.flush()
    return AuditEventRead.model_validate(row)


def _row_fields(row: AuditEventRow | AuditEventRead) -> dict[str, Any]:
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


def _broken(checked: int, row: AuditEventRow | AuditEventRead, reason: str, legacy: int) -> ChainReport:
    return ChainReport(
        ok=False,
        events_checked=checked,
        legacy_events=legacy,
        first_broken_seq=row.seq,
        first_broken_id=row.id,
        reason=reason,
    )


def verify_chain(
    session: Session, *, anchor_seq: int | None = None, anchor_hash: str | None = None
) -> ChainReport:
    """Recompute every hash; report the first event whose content or link does not match.

    With an anchor (the sequence number and hash of a signed head exported earlier), also report
    when the event at ``anchor_seq`` no longer has ``anchor_hash`` (rewritten) or no longer exists
    (the chain was truncated). ``last_seq`` and ``last_hash`` describe the verified chain.
    """
    return verify_events(
        iter_events(session), audit_key(session), anchor_seq=anchor_seq, anchor_hash=anchor_hash
    )


def verify_events(
    events: Iterable[AuditEventRow | AuditEventRead],
    key: bytes,
    *,
    anchor_seq: int | None = None,
    anchor_hash: str | None = None,
) -> ChainReport:
    """:func:`verify_chain` over any events in chain order (rows, or an export read back)."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = legacy = 0
    keyed_seen = False
    for row in events:
        checked += 1
        if row.seq != expected_seq:
            reason = f"sequence gap: expected event {expected_seq}, found {row.seq} (events removed)"
            return _broken(checked, row, reason, legacy)
        if row.prev_hash != expected_prev:
            return _broken(checked, row, "prev_hash does not match the hash of the event before it", legacy)
        fields = _row_fields(row)
        if row.chain_version == CHAIN_HMAC:
            keyed_seen = True
            expected = compute_hash(key=key, **fields)
        elif row.chain_version == CHAIN_LEGACY and not keyed_seen:
            legacy += 1
            expected = compute_legacy_hash(**fields)
        else:  # an unkeyed row after keyed ones would be a downgrade: never written by the platform
            reason = f"chain version {row.chain_version} is not allowed here (only a prefix may be unkeyed)"
            return _broken(checked, row, reason, legacy)
        if not hmac.compare_digest(expected, row.hash):
            return _broken(
                checked,
                row,
                "content does not match its hash (the row was changed, or the hash was not made "
                "with this platform's secret key)",
                legacy,
            )
        if anchor_seq is not None and row.seq == anchor_seq and row.hash != anchor_hash:
            reason = (
                f"event {row.seq} differs from the signed head exported earlier (the chain was rewritten)"
            )
            return _broken(checked, row, reason, legacy)
        expected_prev = row.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if anchor_seq is not None and last_seq < anchor_seq:
        return ChainReport(
            ok=False,
            events_checked=checked,
            legacy_events=legacy,
            first_broken_seq=last_seq + 1,
            reason=(
                f"the chain ends at event {last_seq} but a signed head for event {anchor_seq} was "
                "exported earlier (events were removed from the end)"
            ),
        )
    return ChainReport(
        ok=True,
        events_checked=checked,
        legacy_events=legacy,
        last_seq=last_seq or None,
        last_hash=expected_prev if last_seq else None,
    )


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
