"""One helper for the registry's audit events (one per change, in the change's transaction)."""

from __future__ import annotations

from typing import Any

from qazai.audit.service import record_event
from qazai.identity.actor import Actor
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import AiSystemRow


def audit(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    system: AiSystemRow | None,
    summary: dict[str, Any],
    *,
    object_type: str = "ai_system",
    object_id: str | None = None,
    organisation_id: str | None = None,
) -> None:
    record_event(
        uow.session,
        action=action,
        object_type=object_type,
        object_id=object_id or (system.id if system is not None else None),
        actor_id=actor.user_id,
        actor_label=actor.label,
        organisation_id=organisation_id
        or (system.owner_organisation_id if system is not None else actor.primary_organisation_id),
        summary=summary,
        request_id=uow.request_id,
    )
