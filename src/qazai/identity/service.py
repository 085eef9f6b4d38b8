"""Identity operations: every surface (API, web, CLI) calls these.

Each function authorises with ``policy``, validates, changes rows and writes one audit event in
the same transaction, then commits.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from qazai.audit.service import record_event
from qazai.core.clock import as_utc, utcnow
from qazai.core.enums import Language, OrgRole, PlatformRole
from qazai.core.errors import Conflict, NotFound, PermissionDenied, Unauthenticated
from qazai.core.ids import new_id
from qazai.core.pagination import Page, check_limit, decode_text_cursor, encode_cursor
from qazai.identity import policy, repo
from qazai.identity.actor import Actor
from qazai.identity.models import (
    MembershipGrant,
    MembershipRead,
    OrganisationCreate,
    OrganisationRead,
    PlatformRoleGrant,
    SessionCreate,
    SessionCreated,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
)
from qazai.identity.security import (
    hash_password,
    hash_token,
    new_csrf_token,
    new_session_id,
    new_token_secret,
    verify_password,
)
from qazai.identity.throttle import (
    SignInLimits,
    account_key,
    check_sign_in_allowed,
    forget_account_failures,
    record_sign_in_failure,
)
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.identity import (
    ApiTokenRow,
    MembershipRow,
    OrganisationRow,
    UserRow,
    WebSessionRow,
)


def _audit(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None,
    summary: dict[str, object],
    organisation_id: str | None = None,
) -> None:
    record_event(
        uow.session,
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor.user_id,
        actor_label=actor.label,
        organisation_id=organisation_id or actor.primary_organisation_id,
        summary=dict(summary),
    )


# -- organisations ---------------------------------------------------------------------------


def create_organisation(uow: UnitOfWork, actor: Actor, cmd: OrganisationCreate) -> OrganisationRead:
    """Register an organisation. Needs the operator role. Conflict when the slug or BIN exists."""
    if not policy.can_create_organisation(actor):
        raise PermissionDenied("only a platform operator can register organisations")
    if repo.get_organisation(uow.session, cmd.slug) is not None:
        raise Conflict(f"an organisation with slug {cmd.slug!r} already exists", code="slug_taken")
    row = OrganisationRow(
        id=new_id(),
        slug=cmd.slug,
        name=cmd.name.model_dump(exclude_none=True),
        kind=cmd.kind.value,
        bin=cmd.bin,
        created_at=utcnow(),
    )
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict("an organisation with this BIN is already registered", code="bin_taken") from None
    _audit(
        uow,
        actor,
        "organisation.create",
        "organisation",
        row.id,
        {"slug": row.slug, "kind": row.kind, "bin": row.bin},
        organisation_id=row.id,
    )
    uow.commit()
    return OrganisationRead.model_validate(row)


def get_organisation(uow: UnitOfWork, actor: Actor, key: str) -> OrganisationRead:
    row = repo.get_organisation(uow.session, key)
    if row is None:
        raise NotFound(f"no organisation {key!r}")
    return OrganisationRead.model_validate(row)


def list_organisations(
    uow: UnitOfWork, actor: Actor, *, cursor: str | None = None, limit: int = 50
) -> Page[OrganisationRead]:
    check_limit(limit)
    rows = repo.list_organisations(uow.session, decode_text_cursor(cursor), limit + 1)
    items = [OrganisationRead.model_validate(r) for r in rows[:limit]]
    return Page(items=items, next=encode_cursor(items[-1].slug) if len(rows) > limit else None)


def grant_membership(
    uow: UnitOfWork, actor: Actor, organisation_key: str, cmd: MembershipGrant
) -> MembershipRead:
    """Add a user to an organisation or change their role there."""
    org = repo.get_organisation(uow.session, organisation_key)
    if org is None:
        raise NotFound(f"no organisation {organisation_key!r}")
    if not policy.can_manage_organisation(actor, org.id):
        raise PermissionDenied("only the organisation's admins or an operator can change its members")
    user = repo.get_user(uow.session, cmd.user_id)
    if user is None:
        raise NotFound(f"no user {cmd.user_id!r}")
    row = repo.get_membership(uow.session, user.id, org.id)
    before = row.role if row else None
    if before == cmd.role.value:
        return MembershipRead(user_id=user.id, organisation_id=org.id, role=cmd.role)
    if row is None:
        row = MembershipRow(
            id=new_id(), user_id=user.id, organisation_id=org.id, role=cmd.role.value, created_at=utcnow()
        )
        uow.session.add(row)
    else:
        row.role = cmd.role.value
    uow.session.flush()
    _audit(
        uow,
        actor,
        "membership.grant",
        "user",
        user.id,
        {"organisation": org.slug, "role": {"from": before, "to": cmd.role.value}},
        organisation_id=org.id,
    )
    uow.commit()
    return MembershipRead(user_id=user.id, organisation_id=org.id, role=cmd.role)


def list_members(uow: UnitOfWork, actor: Actor, organisation_key: str) -> list[MembershipRead]:
    org = repo.get_organisation(uow.session, organisation_key)
    if org is None:
        raise NotFound(f"no organisation {organisation_key!r}")
    if not (policy.can_manage_organisation(actor, org.id) or actor.has_org_role(org.id, OrgRole.member)):
        raise PermissionDenied("only members of the organisation can see its members")
    return [
        MembershipRead(user_id=m.user_id, organisation_id=m.organisation_id, role=OrgRole(m.role))
        for m in repo.members_of(uow.session, org.id)
    ]


# -- users -----------------------------------------------------------------------------------


def create_user(uow: UnitOfWork, actor: Actor, cmd: UserCreate) -> UserRead:
    if not policy.can_create_user(actor):
        raise PermissionDenied("only a platform operator can create users")
    if repo.get_user(uow.session, cmd.email) is not None:
        raise Conflict(f"a user with e-mail {cmd.email} already exists", code="email_taken")
    row = UserRow(
        id=new_id(),
        email=cmd.email,
        name=cmd.name,
        password_hash=hash_password(cmd.password) if cmd.password else None,
        language=cmd.language.value,
        platform_roles=[],
        active=True,
        created_at=utcnow(),
    )
    uow.session.add(row)
    uow.session.flush()
    _audit(uow, actor, "user.create", "user", row.id, {"email": row.email, "language": row.language})
    uow.commit()
    return UserRead.model_validate(row)


def get_user(uow: UnitOfWork, actor: Actor, key: str) -> UserRead:
    row = repo.get_user(uow.session, key)
    if row is None or not (actor.user_id == row.id or policy.can_list_users(actor)):
        raise NotFound(f"no user {key!r}")
    return UserRead.model_validate(row)


def list_users(
    uow: UnitOfWork, actor: Actor, *, cursor: str | None = None, limit: int = 50
) -> Page[UserRead]:
    if not policy.can_list_users(actor):
        raise PermissionDenied("only a platform operator can list users")
    check_limit(limit)
    rows = repo.list_users(uow.session, decode_text_cursor(cursor), limit + 1)
    items = [UserRead.model_validate(r) for r in rows[:limit]]
    return Page(items=items, next=encode_cursor(items[-1].email) if len(rows) > limit else None)


def grant_platform_role(uow: UnitOfWork, actor: Actor, user_key: str, cmd: PlatformRoleGrant) -> UserRead:
    if not policy.can_grant_platform_role(actor):
        raise PermissionDenied("only a platform operator can grant platform roles")
    row = repo.get_user(uow.session, user_key)
    if row is None:
        raise NotFound(f"no user {user_key!r}")
    roles = sorted(set(row.platform_roles) | {cmd.role.value})
    if roles != sorted(row.platform_roles):
        row.platform_roles = roles
        uow.session.flush()
        _audit(uow, actor, "user.grant_platform_role", "user", row.id, {"role": cmd.role.value})
        uow.commit()
    return UserRead.model_validate(row)


def set_language(uow: UnitOfWork, actor: Actor, language: Language) -> None:
    if actor.user_id is None:
        raise Unauthenticated("sign in to save a language preference")
    row = repo.get_user(uow.session, actor.user_id)
    if row is None:
        raise NotFound("no such user")
    if row.language != language.value:
        row.language = language.value
        _audit(uow, actor, "user.set_language", "user", row.id, {"language": language.value})
        uow.commit()


# -- building an actor -----------------------------------------------------------------------


def load_actor(uow: UnitOfWork, user_id: str, *, scopes: frozenset[str] | None = None) -> Actor:
    row = repo.get_user(uow.session, user_id)
    if row is None or not row.active:
        raise Unauthenticated("the account is disabled or no longer exists", code="account_disabled")
    return _actor_for(uow, row, scopes)


def _actor_for(uow: UnitOfWork, row: UserRow, scopes: frozenset[str] | None) -> Actor:
    memberships = {m.organisation_id: OrgRole(m.role) for m in repo.memberships_of(uow.session, row.id)}
    return Actor(
        user_id=row.id,
        label=row.email,
        platform_roles=frozenset(PlatformRole(r) for r in row.platform_roles),
        memberships=memberships,
        language=Language(row.language),
        scopes=scopes,
    )


# -- API tokens --------------------------------------------------------------------------------


def create_token(
    uow: UnitOfWork, actor: Actor, cmd: TokenCreate, *, for_user: str | None = None
) -> TokenCreated:
    """Create an API token; the secret is in the result and never stored or shown again."""
    user_id = for_user or actor.user_id
    if user_id is None:
        raise Unauthenticated("sign in to create API tokens")
    if not policy.can_manage_tokens(actor, user_id):
        raise PermissionDenied("you can create tokens only for yourself")
    user = repo.get_user(uow.session, user_id)
    if user is None:
        raise NotFound(f"no user {user_id!r}")
    if actor.scopes is not None and not set(cmd.scopes) <= set(actor.scopes) | (
        {"read", "write", "label"} if "admin" in actor.scopes else set()
    ):
        raise PermissionDenied("a token cannot create a token with more scopes than its own")
    secret = new_token_secret()
    now = utcnow()
    row = ApiTokenRow(
        id=new_id(),
        user_id=user.id,
        name=cmd.name,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        scopes=list(cmd.scopes),
        created_at=now,
        expires_at=now + timedelta(days=cmd.expires_in_days) if cmd.expires_in_days else None,
        revoked_at=None,
    )
    uow.session.add(row)
    uow.session.flush()
    _audit(
        uow,
        actor,
        "token.create",
        "api_token",
        row.id,
        {
            "user": user.email,
            "name": cmd.name,
            "scopes": row.scopes,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        },
    )
    uow.commit()
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), token=secret)


def list_tokens(uow: UnitOfWork, actor: Actor, *, for_user: str | None = None) -> list[TokenRead]:
    user_id = for_user or actor.user_id
    if user_id is None:
        raise Unauthenticated("sign in to see your API tokens")
    if not policy.can_manage_tokens(actor, user_id):
        raise PermissionDenied("you can see only your own tokens")
    return [TokenRead.model_validate(r) for r in repo.tokens_of(uow.session, user_id)]


def revoke_token(uow: UnitOfWork, actor: Actor, token_id: str) -> TokenRead:
    row = uow.session.get(ApiTokenRow, token_id)
    if row is None or not policy.can_manage_tokens(actor, row.user_id):
        raise NotFound(f"no token {token_id!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        _audit(uow, actor, "token.revoke", "api_token", row.id, {"name": row.name})
        uow.commit()
    return TokenRead.model_validate(row)


def authenticate_token(uow: UnitOfWork, secret: str) -> Actor:
    """The actor behind an API token; Unauthenticated with a precise code when it cannot be used."""
    row = repo.token_by_hash(uow.session, hash_token(secret))
    if row is None:
        raise Unauthenticated("the API token is not valid", code="invalid_token")
    now = utcnow()
    if row.revoked_at is not None:
        raise Unauthenticated("the API token was revoked", code="token_revoked")
    if row.expires_at is not None and as_utc(row.expires_at) <= now:
        raise Unauthenticated("the API token has expired", code="token_expired")
    user = repo.get_user(uow.session, row.user_id)
    if user is None or not user.active:
        raise Unauthenticated("the account is disabled", code="account_disabled")
    return _actor_for(uow, user, frozenset(row.scopes))


# -- web sessions ----------------------------------------------------------------------------


def sign_in(
    uow: UnitOfWork,
    cmd: SessionCreate,
    *,
    max_age_seconds: int,
    client: str | None = None,
    limits: SignInLimits | None = None,
) -> SessionCreated:
    """Check the password and open a server-side session (the cookie carries its signed id).

    ``client`` is the caller's network address. Raises RateLimited (429) while the account is
    locked or the address throttled (:mod:`qazai.identity.throttle`), Unauthenticated for a wrong
    e-mail or password. A failure is recorded and audited (never the password) and committed
    before the error is raised. An unknown e-mail costs one argon2 verification like a known one.
    """
    limits = limits or SignInLimits()
    account = account_key(cmd.email)
    client = client[:64] if client else None  # the column's width; an IPv6 address takes 45
    check_sign_in_allowed(uow.session, limits, account=account, client=client, now=utcnow())
    user = repo.get_user(uow.session, cmd.email)
    ok = verify_password(user.password_hash if user else None, cmd.password)
    if user is None or not ok or not user.active:
        _sign_in_failed(uow, limits, user, account, client, "wrong_password" if user else "unknown_account")
        raise Unauthenticated("wrong e-mail or password", code="bad_credentials")
    forget_account_failures(uow.session, account)
    first_sign_in = not repo.has_signed_in(uow.session, user.id)
    now = utcnow()
    row = WebSessionRow(
        id=new_session_id(),
        user_id=user.id,
        csrf_token=new_csrf_token(),
        created_at=now,
        expires_at=now + timedelta(seconds=max_age_seconds),
        revoked_at=None,
    )
    uow.session.add(row)
    uow.session.flush()
    record_event(
        uow.session,
        action="session.sign_in",
        object_type="user",
        object_id=user.id,
        actor_id=user.id,
        actor_label=user.email,
        summary={},
    )
    uow.commit()
    return SessionCreated(
        session_id=row.id,
        csrf_token=row.csrf_token,
        user=UserRead.model_validate(user),
        expires_at=row.expires_at,
        first_sign_in=first_sign_in,
    )


def _sign_in_failed(
    uow: UnitOfWork,
    limits: SignInLimits,
    user: UserRow | None,
    account: str,
    client: str | None,
    reason: str,
) -> None:
    """Record, audit and commit one failed sign-in; RateLimited if it locked the account.

    The audit event names a known account by id and e-mail; for an unknown one it keeps only a
    prefix of the e-mail's hash (enough to see one e-mail tried many times, and no typed secret).
    """
    now = utcnow()
    failures = record_sign_in_failure(uow.session, limits, account=account, client=client, now=now)
    summary: dict[str, object] = {"reason": reason, "client": client, "failures_in_window": failures}
    if user is None:
        summary["account_sha256"] = account[:16]
    record_event(
        uow.session,
        action="session.sign_in_failed",
        object_type="user",
        object_id=user.id if user else None,
        actor_id=None,
        actor_label=user.email if user else None,
        summary=summary,
    )
    locked = failures == limits.max_per_account
    if locked:
        record_event(
            uow.session,
            action="session.account_locked",
            object_type="user",
            object_id=user.id if user else None,
            actor_id=None,
            actor_label=user.email if user else None,
            summary={
                "client": client,
                "failures_in_window": failures,
                "window_seconds": limits.window_seconds,
            },
        )
    uow.commit()
    if locked:  # tell the user now, not at the next attempt
        check_sign_in_allowed(uow.session, limits, account=account, client=client, now=now)


def resolve_session(uow: UnitOfWork, session_id: str) -> tuple[Actor, str]:
    """The actor and CSRF token of a live session."""
    row = repo.get_web_session(uow.session, session_id)
    if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= utcnow():
        raise Unauthenticated("your session has ended; sign in again", code="session_expired")
    return load_actor(uow, row.user_id), row.csrf_token


def sign_out(uow: UnitOfWork, actor: Actor, session_id: str) -> None:
    row = repo.get_web_session(uow.session, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        record_event(
            uow.session,
            action="session.sign_out",
            object_type="user",
            object_id=row.user_id,
            actor_id=actor.user_id,
            actor_label=actor.label,
            summary={},
        )
        uow.commit()
