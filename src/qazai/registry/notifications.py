"""Notifications to organisations (e.g. an author's opt-out touched a library version a system used)."""

from __future__ import annotations

from qazai.core.errors import PermissionDenied
from qazai.identity.actor import Actor
from qazai.registry import policy, repo
from qazai.registry.models import NotificationRead
from qazai.storage.db import UnitOfWork


def list_notifications(
    uow: UnitOfWork, actor: Actor, organisation_id: str | None = None
) -> list[NotificationRead]:
    """The newest notifications of ``organisation_id`` (default: all of the actor's organisations;
    the regulator may ask for any, or all with None)."""
    if organisation_id is not None:
        if not policy.can_read_notifications(actor, organisation_id):
            raise PermissionDenied("only members of the organisation read its notifications")
        orgs: list[str] | None = [organisation_id]
    elif policy.is_regulator(actor):
        orgs = None
    else:
        orgs = list(actor.memberships)
    return [NotificationRead.model_validate(r) for r in repo.notifications_of(uow.session, orgs)]
