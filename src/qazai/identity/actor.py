"""Who is asking: the authenticated principal every service function receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from qazai.core.enums import Language, OrgRole, PlatformRole

_ROLE_RANK = {OrgRole.member: 1, OrgRole.producer: 2, OrgRole.org_admin: 3}


@dataclass(frozen=True)
class Actor:
    """An authenticated user (or the anonymous public, or the system itself).

    ``scopes`` is None for a full session; for an API token it is the set of scopes granted.
    """

    user_id: str | None
    label: str
    platform_roles: frozenset[PlatformRole] = frozenset()
    memberships: dict[str, OrgRole] = field(default_factory=dict)
    language: Language = Language.en
    scopes: frozenset[str] | None = None
    is_system: bool = False

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.is_system

    def has_platform_role(self, role: PlatformRole) -> bool:
        return self.is_system or role in self.platform_roles

    def role_in(self, organisation_id: str) -> OrgRole | None:
        return self.memberships.get(organisation_id)

    def has_org_role(self, organisation_id: str, at_least: OrgRole) -> bool:
        role = self.memberships.get(organisation_id)
        return role is not None and _ROLE_RANK[role] >= _ROLE_RANK[at_least]

    def allows_scope(self, scope: str) -> bool:
        """Whether the credential allows ``scope`` (``read``, ``write``, ``admin``)."""
        if self.scopes is None or self.is_system:
            return True
        return scope in self.scopes or "admin" in self.scopes or (scope == "read" and "write" in self.scopes)

    @property
    def primary_organisation_id(self) -> str | None:
        return next(iter(self.memberships), None)


ANONYMOUS = Actor(user_id=None, label="anonymous")
SYSTEM = Actor(user_id=None, label="system", is_system=True)
