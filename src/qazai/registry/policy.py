"""Who may do what in the registry. Every service function calls these.

Owners are the members (any role) of the system's owner organisation: in the platform's model a
member is the staff who registers AI systems. The holder organisation's members may read the
record. The regulator reviews, suspends, extends pilots and reads everything; the operator edits
the reference data (questionnaire, checklist, templates, sectors, deadlines).
"""

from __future__ import annotations

from qazai.core.enums import OrgRole, PlatformRole
from qazai.core.errors import PermissionDenied
from qazai.identity.actor import Actor
from qazai.storage.tables.registry import AiSystemRow


def refusal(actor: Actor, message: str, *, scope: str = "write") -> PermissionDenied:
    """The PermissionDenied to raise when a ``can_*`` check failed: ``message`` names the role that
    may act, unless the cause is an API token without ``scope`` (a read-only token of an owner
    would otherwise be told it is not a member)."""
    if not actor.allows_scope(scope):
        return PermissionDenied(
            f"this API token lacks the `{scope}` scope; use a token with `{scope}` (or sign in) to do this",
            code="insufficient_scope",
            details={"scope": scope},
        )
    return PermissionDenied(message)


def is_regulator(actor: Actor) -> bool:
    return actor.has_platform_role(PlatformRole.regulator)


def is_owner(actor: Actor, system: AiSystemRow) -> bool:
    return actor.is_system or actor.has_org_role(system.owner_organisation_id, OrgRole.member)


def can_create_system(actor: Actor, owner_organisation_id: str) -> bool:
    return actor.allows_scope("write") and (
        actor.is_system or actor.has_org_role(owner_organisation_id, OrgRole.member)
    )


def can_read_system(actor: Actor, system: AiSystemRow) -> bool:
    """Drafts and reviews are private to the owner, the holder and the authorities."""
    if not actor.allows_scope("read"):
        return False
    return (
        is_owner(actor, system)
        or (
            system.holder_organisation_id is not None
            and actor.role_in(system.holder_organisation_id) is not None
        )
        or is_regulator(actor)
        or actor.has_platform_role(PlatformRole.operator)
    )


def can_edit_system(actor: Actor, system: AiSystemRow) -> bool:
    """Edit the record, classify, attest, upload documents, link libraries, apply, pilot."""
    return actor.allows_scope("write") and is_owner(actor, system)


def can_review_system(actor: Actor) -> bool:
    return actor.allows_scope("write") and is_regulator(actor)


def is_body_member(actor: Actor, body_organisation_id: str | None) -> bool:
    """A member of the sectoral state body (an organisation whose slug is the body's key)."""
    return body_organisation_id is not None and actor.has_org_role(body_organisation_id, OrgRole.member)


def can_decide_trusted_application(actor: Actor, body_organisation_id: str | None) -> bool:
    """The sectoral body keeps its sector's trusted list (Art. 19); the regulator, as the
    authorized body, may decide any sector's application."""
    return actor.allows_scope("write") and (
        is_regulator(actor) or is_body_member(actor, body_organisation_id)
    )


def can_extend_pilot(actor: Actor) -> bool:
    return actor.allows_scope("write") and is_regulator(actor)


def can_answer_complaint(actor: Actor, system: AiSystemRow) -> bool:
    return actor.allows_scope("write") and is_owner(actor, system)


def can_list_all_complaints(actor: Actor) -> bool:
    return actor.allows_scope("read") and is_regulator(actor)


def can_list_revisions(actor: Actor) -> bool:
    """The regulator's queue of pending revisions of registered systems."""
    return actor.allows_scope("read") and is_regulator(actor)


def can_edit_reference(actor: Actor) -> bool:
    return actor.allows_scope("admin") and actor.has_platform_role(PlatformRole.operator)


def can_register_optout(actor: Actor) -> bool:
    # Any signed-in person may register their own works; anonymous registrations could be abused
    # to block libraries, so an author signs in (the audit trail then names them).
    return actor.is_authenticated and actor.allows_scope("write")


def can_read_notifications(actor: Actor, organisation_id: str) -> bool:
    return actor.allows_scope("read") and (
        actor.has_org_role(organisation_id, OrgRole.member) or is_regulator(actor)
    )


def can_list_flagged(actor: Actor) -> bool:
    return actor.is_authenticated and actor.allows_scope("read")


def can_export_system(actor: Actor, system: AiSystemRow) -> bool:
    return actor.allows_scope("read") and (is_owner(actor, system) or is_regulator(actor))
