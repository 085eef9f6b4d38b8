"""Who may label, read certificates, revoke them and manage the CA. Verification is public."""

from __future__ import annotations

from qazai.core.enums import OrgRole, PlatformRole
from qazai.core.errors import PermissionDenied
from qazai.identity.actor import Actor
from qazai.registry import policy as registry_policy
from qazai.storage.tables.registry import AiSystemRow

LABEL_SCOPE = "label"


def can_label_for_system(actor: Actor, system: AiSystemRow) -> bool:
    """Members of the system's owner organisation, signed in or with a token that has ``label``."""
    return actor.allows_scope(LABEL_SCOPE) and registry_policy.is_owner(actor, system)


def can_read_certificates(actor: Actor, system: AiSystemRow) -> bool:
    return actor.allows_scope("read") and (
        registry_policy.is_owner(actor, system)
        or registry_policy.is_regulator(actor)
        or actor.has_platform_role(PlatformRole.operator)
    )


def can_revoke_certificate(actor: Actor, system: AiSystemRow) -> bool:
    """The regulator, the operator, or an administrator of the owner organisation (a lost key)."""
    return actor.allows_scope("write") and (
        registry_policy.is_regulator(actor)
        or actor.has_platform_role(PlatformRole.operator)
        or actor.has_org_role(system.owner_organisation_id, OrgRole.org_admin)
    )


def can_manage_authority(actor: Actor) -> bool:
    return actor.allows_scope("admin") and actor.has_platform_role(PlatformRole.operator)


def refusal(actor: Actor, message: str, *, scope: str) -> PermissionDenied:
    if not actor.allows_scope(scope):
        return PermissionDenied(
            f"this API token lacks the `{scope}` scope; use a token with `{scope}` (or sign in) to do this",
            code="insufficient_scope",
            details={"scope": scope},
        )
    return PermissionDenied(message)
