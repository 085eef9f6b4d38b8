"""Notifications to organisations (e.g. an author's opt-out touched a library version a system used)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.errors import NotFound
from qazai.core.ids import new_id
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.registry import policy, repo
from qazai.registry.models import NotificationRead
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import RegistryNotificationRow


def list_notifications(
    uow: UnitOfWork, actor: Actor, organisation: str | None = None
) -> list[NotificationRead]:
    """The newest notifications of ``organisation`` (its id or its slug, the name users see;
    default: all of the actor's organisations; the regulator may ask for any, or all with None).
    NotFound for an unknown organisation."""
    if organisation is not None:
        org = identity_repo.get_organisation(uow.session, organisation)
        if org is None:
            raise NotFound(f"no organisation {organisation!r}")
        if not policy.can_read_notifications(actor, org.id):
            raise policy.refusal(
                actor, "only members of the organisation read its notifications", scope="read"
            )
        orgs: list[str] | None = [org.id]
    elif policy.is_regulator(actor):
        orgs = None
    else:
        orgs = list(actor.memberships)
    return [NotificationRead.model_validate(r) for r in repo.notifications_of(uow.session, orgs)]


def notify_organisation(
    session: Session,
    organisation_id: str,
    kind: str,
    message: dict[str, str],
    data: dict[str, Any],
    *,
    system_id: str | None = None,
) -> None:
    """Add a notification (kk/ru/en ``message``) for an organisation, in the caller's transaction
    (no commit): for capabilities above the registry, e.g. a model trained on a withdrawn version."""
    session.add(
        RegistryNotificationRow(
            id=new_id(),
            organisation_id=organisation_id,
            system_id=system_id,
            kind=kind[:32],
            message=message,
            data=data,
            created_at=utcnow(),
            read_at=None,
        )
    )
