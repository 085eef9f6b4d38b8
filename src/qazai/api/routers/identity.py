"""Organisations, users, memberships, API tokens and sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from qazai.api.deps import (
    SESSION_COOKIE,
    CurrentActor,
    PlatformDep,
    SignedInActor,
    UowDep,
    session_serializer,
)
from qazai.core.pagination import Page
from qazai.identity import service
from qazai.identity.models import (
    MembershipGrant,
    MembershipRead,
    OrganisationCreate,
    OrganisationRead,
    PlatformRoleGrant,
    SessionCreate,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
)
from qazai.identity.throttle import SignInLimits

router = APIRouter(tags=["identity"])

Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Cursor = Annotated[str | None, Query(alias="next", description="the `next` value of the previous page")]


@router.get("/me", response_model=UserRead)
def me(uow: UowDep, actor: SignedInActor) -> UserRead:
    assert actor.user_id is not None
    return service.get_user(uow, actor, actor.user_id)


@router.post("/sessions", status_code=status.HTTP_201_CREATED)
def sign_in(
    cmd: SessionCreate, request: Request, uow: UowDep, platform: PlatformDep, response: Response
) -> dict[str, object]:
    """Sign in with e-mail and password; sets the session cookie and returns the CSRF token.

    Throttled: 429 with `Retry-After` (code `account_locked` or `too_many_sign_in_attempts`)
    after too many failures for the account or from the address (docs/operations.md, Security).
    """
    created = service.sign_in(
        uow,
        cmd,
        max_age_seconds=platform.settings.session_max_age_seconds,
        client=request.client.host if request.client else None,
        limits=SignInLimits.from_settings(platform.settings),
    )
    response.set_cookie(
        SESSION_COOKIE,
        session_serializer(platform).dumps(created.session_id),
        max_age=platform.settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=platform.settings.public_base_url.startswith("https://"),
        path="/",
    )
    return {
        "ok": True,
        "csrf_token": created.csrf_token,
        "user": created.user.model_dump(mode="json"),
        "expires_at": created.expires_at.isoformat(),
    }


@router.delete("/sessions/current", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(request: Request, uow: UowDep, actor: SignedInActor, response: Response) -> Response:
    session_id = getattr(request.state, "session_id", None)
    if session_id:
        service.sign_out(uow, actor, session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/organisations", response_model=Page[OrganisationRead])
def list_organisations(
    uow: UowDep, actor: CurrentActor, limit: Limit = 50, cursor: Cursor = None
) -> Page[OrganisationRead]:
    return service.list_organisations(uow, actor, cursor=cursor, limit=limit)


@router.post("/organisations", response_model=OrganisationRead, status_code=status.HTTP_201_CREATED)
def create_organisation(cmd: OrganisationCreate, uow: UowDep, actor: SignedInActor) -> OrganisationRead:
    return service.create_organisation(uow, actor, cmd)


@router.get("/organisations/{key}", response_model=OrganisationRead)
def get_organisation(key: str, uow: UowDep, actor: CurrentActor) -> OrganisationRead:
    return service.get_organisation(uow, actor, key)


@router.get("/organisations/{key}/members", response_model=list[MembershipRead])
def list_members(key: str, uow: UowDep, actor: SignedInActor) -> list[MembershipRead]:
    return service.list_members(uow, actor, key)


@router.post("/organisations/{key}/members", response_model=MembershipRead)
def grant_membership(key: str, cmd: MembershipGrant, uow: UowDep, actor: SignedInActor) -> MembershipRead:
    return service.grant_membership(uow, actor, key, cmd)


@router.get("/users", response_model=Page[UserRead])
def list_users(uow: UowDep, actor: SignedInActor, limit: Limit = 50, cursor: Cursor = None) -> Page[UserRead]:
    return service.list_users(uow, actor, cursor=cursor, limit=limit)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(cmd: UserCreate, uow: UowDep, actor: SignedInActor) -> UserRead:
    return service.create_user(uow, actor, cmd)


@router.post("/users/{key}/platform-roles", response_model=UserRead)
def grant_platform_role(key: str, cmd: PlatformRoleGrant, uow: UowDep, actor: SignedInActor) -> UserRead:
    return service.grant_platform_role(uow, actor, key, cmd)


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(uow: UowDep, actor: SignedInActor) -> list[TokenRead]:
    return service.list_tokens(uow, actor)


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(cmd: TokenCreate, uow: UowDep, actor: SignedInActor) -> TokenCreated:
    """Create an API token. The `token` value is shown only in this response."""
    return service.create_token(uow, actor, cmd)


@router.delete("/tokens/{token_id}", response_model=TokenRead)
def revoke_token(token_id: str, uow: UowDep, actor: SignedInActor) -> TokenRead:
    return service.revoke_token(uow, actor, token_id)
