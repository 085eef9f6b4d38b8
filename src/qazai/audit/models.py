"""Read models of the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    id: str
    at: datetime
    actor_id: str | None
    actor_label: str | None
    organisation_id: str | None
    action: str
    object_type: str
    object_id: str | None
    summary: dict[str, Any]
    request_id: str | None
    prev_hash: str
    hash: str
    chain_version: int


class SignedHead(BaseModel):
    """The chain's head at one moment, signed with the audit key: stored in the object store so
    that removing or rewriting events up to ``sequence`` is detected later."""

    format: str = "qazai-audit-head/1"
    sequence: int
    hash: str
    time: datetime
    signature: str


class ChainReport(BaseModel):
    """The result of recomputing the chain: ``ok`` or the first broken link."""

    ok: bool
    events_checked: int
    legacy_events: int = 0
    first_broken_seq: int | None = None
    first_broken_id: str | None = None
    reason: str | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    checked_head: SignedHead | None = None
    exported_head: SignedHead | None = None
