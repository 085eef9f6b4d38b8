"""Signed heads: the chain's last event, exported to the object store to catch truncation.

A keyed chain cannot be rewritten without the secret, but deleting its last events leaves a
shorter chain that still verifies. So the head of the chain (sequence number and hash) is written,
signed with the audit key, to ``audit/heads/<sequence>.json`` periodically (the
``audit.export_head`` job) and on every verification; each verification first checks the latest
exported head against the chain: an event at that sequence must still exist and have that hash.

Put the heads where the database's administrators cannot delete them (a separate bucket with
S3 Object Lock in compliance mode, or a replica): docs/operations.md, "Audit trail".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from qazai.audit.models import AuditEventRead, ChainReport, SignedHead
from qazai.audit.service import audit_key, verify_chain, verify_events
from qazai.core.clock import as_utc, utcnow
from qazai.storage.db import Database
from qazai.storage.jobs import Handler, JobContext, enqueue
from qazai.storage.objects import ObjectStore

HEAD_PREFIX = "audit/heads/"
HEAD_FORMAT = "qazai-audit-head/1"
EXPORT_HEAD_JOB = "audit.export_head"

log = logging.getLogger("qazai.audit")


def head_key(sequence: int) -> str:
    """Zero-padded, so that the object store's lexicographic listing is in sequence order."""
    return f"{HEAD_PREFIX}{sequence:020d}.json"


def _signed_bytes(sequence: int, hash_: str, time: datetime) -> bytes:
    body = {
        "format": HEAD_FORMAT,
        "sequence": sequence,
        "hash": hash_,
        "time": as_utc(time).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign_head(key: bytes, sequence: int, hash_: str, time: datetime) -> SignedHead:
    signature = hmac.new(key, _signed_bytes(sequence, hash_, time), hashlib.sha256).hexdigest()
    return SignedHead(format=HEAD_FORMAT, sequence=sequence, hash=hash_, time=time, signature=signature)


def head_signature_ok(key: bytes, head: SignedHead) -> bool:
    if head.format != HEAD_FORMAT:
        return False
    expected = sign_head(key, head.sequence, head.hash, head.time).signature
    return hmac.compare_digest(expected, head.signature)


def head_json(head: SignedHead) -> bytes:
    data: dict[str, Any] = head.model_dump(mode="json")
    data["time"] = as_utc(head.time).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return (json.dumps(data, sort_keys=True, indent=2) + "\n").encode("utf-8")


def latest_head(objects: ObjectStore) -> tuple[str, SignedHead | None] | None:
    """The newest exported head (its key, and the head or None if the object is unreadable)."""
    keys = list(objects.list(HEAD_PREFIX))
    if not keys:
        return None
    key = keys[-1]
    try:
        return key, SignedHead.model_validate_json(b"".join(objects.open(key)))
    except ValidationError:
        return key, None


def export_head(objects: ObjectStore, key: bytes, report: ChainReport) -> SignedHead | None:
    """Write the signed head of a chain that ``report`` found intact; None for an empty chain."""
    if not report.ok or report.last_seq is None or report.last_hash is None:
        return None
    head = sign_head(key, report.last_seq, report.last_hash, utcnow())
    objects.put(head_key(head.sequence), [head_json(head)])
    return head


def verify_and_anchor(session: Session, objects: ObjectStore) -> ChainReport:
    """Verify the chain against the latest signed head, then export the new head if intact.

    Catches a changed, inserted or deleted row (the chain), a chain recomputed without the
    secret (the HMAC), and removed trailing events (the head). A head whose signature does not
    verify is reported as broken too: someone wrote into the heads, or the secret changed.
    """
    key = audit_key(session)
    found = latest_head(objects)
    head = None
    if found is not None:
        object_key, head = found
        if head is None or not head_signature_ok(key, head):
            return ChainReport(
                ok=False,
                events_checked=0,
                reason=f"the signed head {object_key} does not verify with this platform's secret key "
                "(it was forged or changed, or the secret key differs)",
                checked_head=head,
            )
    report = verify_chain(
        session,
        anchor_seq=head.sequence if head else None,
        anchor_hash=head.hash if head else None,
    )
    report.checked_head = head
    if report.ok and (head is None or report.last_seq != head.sequence):
        report.exported_head = export_head(objects, key, report)
    return report


def verify_export(lines: Iterable[str], key: bytes, head: SignedHead | None) -> ChainReport:
    """Verify an export (``qazai audit export``, JSON lines) offline, as an external party does:
    the chain under ``key`` and, given a signed head, that the export reaches it unchanged."""
    if head is not None and not head_signature_ok(key, head):
        return ChainReport(ok=False, events_checked=0, reason="the signed head does not verify with this key")
    events = (AuditEventRead.model_validate_json(line) for line in lines if line.strip())
    return verify_events(
        events,
        key,
        anchor_seq=head.sequence if head else None,
        anchor_hash=head.hash if head else None,
    )


def schedule_head_export(db: Database, interval_seconds: int) -> None:
    """Queue the next periodic export (one per time slot, whatever the number of processes)."""
    if interval_seconds <= 0:
        return
    now = utcnow()
    slot = int(now.timestamp()) // interval_seconds + 1
    with db.uow() as uow:
        enqueue(
            uow.session,
            EXPORT_HEAD_JOB,
            {"interval_seconds": interval_seconds},
            dedupe_key=f"audit-head:{interval_seconds}:{slot}",
            run_after=datetime.fromtimestamp(slot * interval_seconds, tz=UTC),
            max_attempts=3,
        )
        uow.commit()


def job_handlers(db: Database, objects: ObjectStore) -> dict[str, Handler]:
    """``audit.export_head``: verify, export the head, schedule the next run."""

    def export(context: JobContext) -> dict[str, Any]:
        with db.uow(read_only=True) as uow:
            report = verify_and_anchor(uow.session, objects)
        if not report.ok:
            log.error("audit trail BROKEN at event %s: %s", report.first_broken_seq, report.reason)
        schedule_head_export(db, int(context.payload.get("interval_seconds", 0)))
        return {
            "ok": report.ok,
            "events_checked": report.events_checked,
            "reason": report.reason,
            "head": report.exported_head.sequence if report.exported_head else None,
        }

    return {EXPORT_HEAD_JOB: export}
