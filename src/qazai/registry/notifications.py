"""Notifications to organisations (e.g. an author's opt-out touched a library version a system used)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.enums import Language
from qazai.core.errors import NotFound
from qazai.core.ids import new_id
from qazai.core.text import LocalizedText
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.registry import outbox, policy, repo
from qazai.registry.models import NotificationRead
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import AiSystemRow, RegistryNotificationRow


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


_PLACEHOLDER = re.compile(r"\{(system|reason|system_id)\}")

# The regulator returned a system for changes: {system} and {reason}; {base_url} is filled in by
# the outbox when the mail is sent.
_RETURNED = {
    "kk": (
        "«{system}» жүйесі өзгертуге қайтарылды",
        "Реттеуші «{system}» жүйесін өзгертуге қайтарды.\n\nСебебі: {reason}\n\n"
        "Жазбаны түзетіп, қайта жіберіңіз: {base_url}/systems/{system_id}",
    ),
    "ru": (
        "Система «{system}» возвращена на доработку",
        "Регулятор вернул систему «{system}» на доработку.\n\nПричина: {reason}\n\n"
        "Исправьте запись и отправьте её снова: {base_url}/systems/{system_id}",
    ),
    "en": (
        "“{system}” was returned for changes",
        "The regulator returned “{system}” for changes.\n\nReason: {reason}\n\n"
        "Correct the record and submit it again: {base_url}/systems/{system_id}",
    ),
}


def notify_returned(uow: UnitOfWork, system: AiSystemRow, reason: str) -> str | None:
    """Tell the owner that the regulator returned ``system``, in the caller's transaction: a
    notification of the owning organisation (on its systems page, kk/ru/en) and a mail through
    the outbox to whoever last submitted it (else its creator), in that person's language.
    Returns the address mailed, if any."""
    name = LocalizedText.model_validate(system.name)

    def filled(template: str, lang: str) -> str:
        # One pass, not format(): the reason and the name are written by people (braces included).
        values = {"system": name.get(Language(lang)), "reason": reason, "system_id": system.id}
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)

    notify_organisation(
        uow.session,
        system.owner_organisation_id,
        "system_returned",
        {
            lang: filled(subject, lang) + ". " + filled("{reason}", lang)
            for lang, (subject, _) in _RETURNED.items()
        },
        {"reason": reason},
        system_id=system.id,
    )
    submitter = next(
        (t.actor_id for t in reversed(repo.transitions(uow.session, system.id)) if t.to_state == "submitted"),
        None,
    )
    user = identity_repo.get_user(uow.session, submitter or system.created_by or "")
    if user is None or not user.active:
        return None
    lang = user.language if user.language in _RETURNED else "en"
    subject, body = _RETURNED[lang]
    outbox.queue_mail(
        uow,
        kind="system_returned",
        to=user.email,
        language=lang,
        subject=filled(subject, lang),
        body=filled(body, lang),
    )
    return user.email
