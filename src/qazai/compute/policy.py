"""Who may do what with compute projects, jobs and quotas. Every service function calls these.

``membership`` is the actor's active role in the project (None: not a member, or revoked).
"""

from __future__ import annotations

from qazai.compute.models import MemberRole
from qazai.core.enums import OrgRole, PlatformRole
from qazai.identity.actor import Actor


def _operator(actor: Actor) -> bool:
    return actor.has_platform_role(PlatformRole.operator)


def can_create_project(actor: Actor, organisation_id: str) -> bool:
    """Any member of the organisation (it becomes the project's lead), or an operator."""
    if not actor.allows_scope("write") or (actor.user_id is None and not actor.is_system):
        return False
    return _operator(actor) or actor.has_org_role(organisation_id, OrgRole.member)


def can_see_project(actor: Actor, organisation_id: str, membership: MemberRole | None) -> bool:
    """Its members, the organisation's admins, operators (and regulators, who audit)."""
    if not actor.allows_scope("read"):
        return False
    return (
        membership is not None
        or _operator(actor)
        or actor.has_platform_role(PlatformRole.regulator)
        or actor.has_org_role(organisation_id, OrgRole.org_admin)
    )


def can_manage_project(actor: Actor, organisation_id: str, membership: MemberRole | None) -> bool:
    """Add and revoke members, add inputs, close: the project's lead, the organisation's admins."""
    if not actor.allows_scope("write"):
        return False
    return (
        membership == MemberRole.lead
        or _operator(actor)
        or actor.has_org_role(organisation_id, OrgRole.org_admin)
    )


def can_submit_job(actor: Actor, membership: MemberRole | None) -> bool:
    """Active members only: an operator or an admin who is not a member runs nothing."""
    return actor.allows_scope("write") and actor.user_id is not None and membership is not None


def can_cancel_job(
    actor: Actor, organisation_id: str, membership: MemberRole | None, submitted_by: str | None
) -> bool:
    if not actor.allows_scope("write"):
        return False
    if actor.user_id is not None and actor.user_id == submitted_by and membership is not None:
        return True
    return can_manage_project(actor, organisation_id, membership)


def can_set_quota(actor: Actor) -> bool:
    return actor.allows_scope("admin") and _operator(actor)


def can_see_usage(actor: Actor, organisation_id: str) -> bool:
    if not actor.allows_scope("read"):
        return False
    return _operator(actor) or actor.has_org_role(organisation_id, OrgRole.org_admin)
