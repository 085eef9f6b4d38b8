"""Who may do what with data libraries. Every service function calls these."""

from __future__ import annotations

from qazai.core.enums import AccessTier, OrgRole, PlatformRole
from qazai.identity.actor import Actor


def _operator(actor: Actor) -> bool:
    return actor.has_platform_role(PlatformRole.operator)


def can_create_library(actor: Actor, organisation_id: str) -> bool:
    """Producers (and org admins) of the organisation, or an operator."""
    if not actor.allows_scope("write"):
        return False
    return _operator(actor) or actor.has_org_role(organisation_id, OrgRole.producer)


def can_update_library(actor: Actor, organisation_id: str) -> bool:
    return can_create_library(actor, organisation_id)


def can_publish_version(actor: Actor, organisation_id: str) -> bool:
    """Upload files and publish versions: the producers of the library's organisation."""
    return can_create_library(actor, organisation_id)


def can_withdraw_version(actor: Actor, organisation_id: str) -> bool:
    return can_create_library(actor, organisation_id)


def can_decide_grant(actor: Actor, organisation_id: str) -> bool:
    """Approve or refuse access requests: the library's producers, or an operator."""
    return can_create_library(actor, organisation_id)


def can_see_grants_of(actor: Actor, organisation_id: str) -> bool:
    if not actor.allows_scope("read"):
        return False
    return _operator(actor) or actor.has_org_role(organisation_id, OrgRole.producer)


def can_request_grant(actor: Actor) -> bool:
    return actor.user_id is not None and actor.allows_scope("write")


def can_accept_terms(actor: Actor) -> bool:
    return actor.user_id is not None and actor.allows_scope("write")


def can_read_data(
    actor: Actor,
    tier: AccessTier,
    organisation_id: str,
    *,
    accepted_terms: bool,
    has_grant: bool,
) -> bool:
    """Download a version's data files.

    open: anyone. registered: signed-in users who accepted the terms. restricted: holders of an
    approved, unexpired grant. enclave: nobody downloads (jobs on platform compute read it).
    The producer organisation and operators read registered and restricted data without a grant.
    """
    if tier == AccessTier.open:
        return True
    if tier == AccessTier.enclave:
        return False
    if not actor.is_authenticated or not actor.allows_scope("read"):
        return False
    if _operator(actor) or actor.has_org_role(organisation_id, OrgRole.member):
        return True
    if tier == AccessTier.registered:
        return accepted_terms
    return has_grant
