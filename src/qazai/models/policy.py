"""Who may do what with model repositories. The tiers, terms and grants are the libraries' own:
reading a model's files goes through :func:`qazai.libraries.policy.can_read_data`."""

from __future__ import annotations

from qazai.core.enums import AccessTier
from qazai.identity.actor import Actor
from qazai.libraries import policy as library_policy


def can_create_model_repo(actor: Actor, organisation_id: str) -> bool:
    """Producers (and org admins) of the organisation, or an operator — as for libraries."""
    return library_policy.can_create_library(actor, organisation_id)


def can_push_model_version(actor: Actor, organisation_id: str) -> bool:
    return library_policy.can_publish_version(actor, organisation_id)


def can_withdraw_model_version(actor: Actor, organisation_id: str) -> bool:
    return library_policy.can_withdraw_version(actor, organisation_id)


def can_read_model_files(
    actor: Actor, tier: AccessTier, organisation_id: str, *, accepted_terms: bool, has_grant: bool
) -> bool:
    return library_policy.can_read_data(
        actor, tier, organisation_id, accepted_terms=accepted_terms, has_grant=has_grant
    )


def can_decide_model_grant(actor: Actor, organisation_id: str) -> bool:
    return library_policy.can_decide_grant(actor, organisation_id)


def can_request_model_grant(actor: Actor) -> bool:
    return library_policy.can_request_grant(actor)


def can_accept_model_terms(actor: Actor) -> bool:
    return library_policy.can_accept_terms(actor)
