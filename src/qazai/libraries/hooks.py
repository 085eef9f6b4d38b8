"""How capabilities above libraries learn that a version was withdrawn.

Libraries sits below models and compute and may not import them; they register a callback here
(the composition root, :mod:`qazai.api.wiring`, does it at start). Callbacks run inside the
withdrawing transaction, after the version's status changed and before the commit, so what they
write (flags, notifications, audit events) commits or rolls back with the withdrawal.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from qazai.identity.actor import Actor

VersionWithdrawn = Callable[[Session, Actor, str, str], None]
"""``(session, actor, library version id, reason)``."""

_withdrawn: list[VersionWithdrawn] = []


def on_version_withdrawn(hook: VersionWithdrawn) -> None:
    """Register ``hook`` (registering the same callable twice keeps one)."""
    if hook not in _withdrawn:
        _withdrawn.append(hook)


def version_withdrawn(session: Session, actor: Actor, version_id: str, reason: str) -> None:
    for hook in list(_withdrawn):
        hook(session, actor, version_id, reason)
