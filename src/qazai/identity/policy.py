"""Who may do what with organisations, users and tokens. Every service function calls these."""

from __future__ import annotations

from qazai.core.enums import OrgRole, PlatformRole
from qazai.identity.actor import Actor


def can_create_organisation(actor: Actor) -> bool:
    return actor.has_platform_role(PlatformRole.operator) and actor.allows_scope("admin")


def can_list_organisations(actor: Actor) -> bool:
    # The list of organisations is public: producers' names appear on every library.
    return True


def can_manage_organisation(actor: Actor, organisation_id: str) -> bool:
    """Add members and change their roles."""
    if not actor.allows_scope("admin"):
        return False
    return actor.has_platform_role(PlatformRole.operator) or actor.has_org_role(
        organisation_id, OrgRole.org_admin
    )


def can_create_user(actor: Actor) -> bool:
    return actor.has_platform_role(PlatformRole.operator) and actor.allows_scope("admin")


def can_list_users(actor: Actor) -> bool:
    return actor.has_platform_role(PlatformRole.operator) and actor.allows_scope("read")


def can_grant_platform_role(actor: Actor) -> bool:
    return actor.has_platform_role(PlatformRole.operator) and actor.allows_scope("admin")


def can_manage_tokens(actor: Actor, user_id: str) -> bool:
    """Create, list and revoke API tokens: your own, or anyone's for an operator."""
    if not actor.is_authenticated or not actor.allows_scope("write"):
        return False
    return actor.user_id == user_id or actor.has_platform_role(PlatformRole.operator)


def can_read_audit(actor: Actor) -> bool:
    return (
        actor.has_platform_role(PlatformRole.operator) or actor.has_platform_role(PlatformRole.regulator)
    ) and actor.allows_scope("read")


def can_read_job(actor: Actor, created_by: str | None) -> bool:
    if not actor.is_authenticated:
        return False
    return actor.user_id == created_by or actor.has_platform_role(PlatformRole.operator)
