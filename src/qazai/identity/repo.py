"""SQL for the identity capability (ORM rows stay in here and in service.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from qazai.storage.tables.identity import (
    ApiTokenRow,
    MembershipRow,
    OrganisationRow,
    UserRow,
    WebSessionRow,
)


def get_organisation(session: Session, key: str) -> OrganisationRow | None:
    """By id or by slug."""
    row = session.get(OrganisationRow, key)
    if row is None:
        row = session.execute(select(OrganisationRow).where(OrganisationRow.slug == key)).scalar_one_or_none()
    return row


def list_organisations(session: Session, after: str | None, limit: int) -> Sequence[OrganisationRow]:
    query = select(OrganisationRow).order_by(OrganisationRow.slug)
    if after:
        query = query.where(OrganisationRow.slug > after)
    return session.execute(query.limit(limit)).scalars().all()


def get_user(session: Session, key: str) -> UserRow | None:
    """By id or by e-mail."""
    row = session.get(UserRow, key)
    if row is None:
        row = session.execute(select(UserRow).where(UserRow.email == key.lower())).scalar_one_or_none()
    return row


def list_users(session: Session, after: str | None, limit: int) -> Sequence[UserRow]:
    query = select(UserRow).order_by(UserRow.email)
    if after:
        query = query.where(UserRow.email > after)
    return session.execute(query.limit(limit)).scalars().all()


def memberships_of(session: Session, user_id: str) -> Sequence[MembershipRow]:
    return (
        session.execute(
            select(MembershipRow).where(MembershipRow.user_id == user_id).order_by(MembershipRow.created_at)
        )
        .scalars()
        .all()
    )


def get_membership(session: Session, user_id: str, organisation_id: str) -> MembershipRow | None:
    return session.execute(
        select(MembershipRow).where(
            MembershipRow.user_id == user_id, MembershipRow.organisation_id == organisation_id
        )
    ).scalar_one_or_none()


def members_of(session: Session, organisation_id: str) -> Sequence[MembershipRow]:
    return (
        session.execute(select(MembershipRow).where(MembershipRow.organisation_id == organisation_id))
        .scalars()
        .all()
    )


def token_by_hash(session: Session, token_hash: str) -> ApiTokenRow | None:
    return session.execute(
        select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash)
    ).scalar_one_or_none()


def tokens_of(session: Session, user_id: str) -> Sequence[ApiTokenRow]:
    return (
        session.execute(select(ApiTokenRow).where(ApiTokenRow.user_id == user_id).order_by(ApiTokenRow.id))
        .scalars()
        .all()
    )


def get_web_session(session: Session, session_id: str) -> WebSessionRow | None:
    return session.get(WebSessionRow, session_id)


def has_signed_in(session: Session, user_id: str) -> bool:
    """Whether the user ever opened a web session (sessions are kept, revoked or expired)."""
    found = session.execute(select(WebSessionRow.id).where(WebSessionRow.user_id == user_id).limit(1))
    return found.first() is not None
