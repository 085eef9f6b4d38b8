"""Commands and read models of the identity capability."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qazai.core.enums import Language, OrgKind, OrgRole, PlatformRole
from qazai.core.kzid import is_valid_bin
from qazai.core.text import LocalizedText

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrganisationCreate(Command):
    slug: str = Field(description="lower-case letters, digits and dashes, e.g. `stat-gov`")
    name: LocalizedText
    kind: OrgKind
    bin: str | None = Field(default=None, description="12-digit business identification number")

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(
                "use 1-64 lower-case letters, digits and dashes, not starting or ending with a dash"
            )
        return value

    @field_validator("bin")
    @classmethod
    def _bin(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not is_valid_bin(value):
            raise ValueError("not a valid BIN (12 digits with a correct control digit and structure)")
        return value


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    slug: str
    name: LocalizedText
    kind: OrgKind
    bin: str | None
    created_at: datetime


class UserCreate(Command):
    email: str
    name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    language: Language = Language.kk

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value) or len(value) > 320:
            raise ValueError("not an e-mail address")
        return value.lower()


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    language: Language
    platform_roles: list[PlatformRole]
    active: bool
    created_at: datetime


class MembershipGrant(Command):
    user_id: str
    role: OrgRole


class MembershipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: str
    organisation_id: str
    role: OrgRole


class PlatformRoleGrant(Command):
    role: PlatformRole


TOKEN_SCOPES = ("read", "write", "admin", "label")  # label: only label output of AI systems


class TokenCreate(Command):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(default_factory=lambda: ["read"])
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(TOKEN_SCOPES))
        if unknown:
            raise ValueError(f"unknown scope(s) {', '.join(unknown)}; choose from {', '.join(TOKEN_SCOPES)}")
        if not value:
            raise ValueError("give at least one scope")
        return sorted(set(value))


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    """Returned once, at creation: ``token`` is never shown again."""

    token: str


class SessionCreate(Command):
    email: str
    password: str = Field(min_length=1, max_length=1024)


class SessionCreated(BaseModel):
    session_id: str
    csrf_token: str
    user: UserRead
    expires_at: datetime
    first_sign_in: bool = False  # the user's first session: the portal saves the language it showed
