"""The audit trail, for operators and regulators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qazai.api.deps import PlatformDep, SignedInActor, UowDep
from qazai.audit import service
from qazai.audit.heads import verify_and_anchor
from qazai.audit.models import AuditEventRead, ChainReport
from qazai.core.errors import PermissionDenied
from qazai.core.pagination import Page, decode_int_cursor, encode_cursor
from qazai.identity.policy import can_read_audit

router = APIRouter(tags=["audit"])


@router.get("/audit/events", response_model=Page[AuditEventRead])
def list_events(
    uow: UowDep,
    actor: SignedInActor,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(alias="next")] = None,
    object_type: str | None = None,
    object_id: str | None = None,
) -> Page[AuditEventRead]:
    if not can_read_audit(actor):
        raise PermissionDenied("only operators and regulators can read the audit trail")
    after = decode_int_cursor(cursor)
    items = service.list_events(
        uow.session, after_seq=after or 0, limit=limit + 1, object_type=object_type, object_id=object_id
    )
    page = items[:limit]
    return Page(items=page, next=encode_cursor(page[-1].seq) if len(items) > limit else None)


@router.get("/audit/verify", response_model=ChainReport)
def verify(uow: UowDep, actor: SignedInActor, platform: PlatformDep) -> ChainReport:
    """Recompute the keyed chain, check it against the latest signed head, export the new head."""
    if not can_read_audit(actor):
        raise PermissionDenied("only operators and regulators can verify the audit trail")
    return verify_and_anchor(uow.session, platform.objects)
