"""Request dependencies as ``Annotated`` aliases: the unit of work and the current actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import cookie_parser
from starlette.types import Scope

from qazai.api.platform import Platform
from qazai.core.errors import PermissionDenied, Unauthenticated
from qazai.identity import service as identity
from qazai.identity.actor import ANONYMOUS, Actor
from qazai.storage.db import UnitOfWork

SESSION_COOKIE = "qazai_session"
CSRF_HEADER = "x-csrf-token"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_TOKEN_HEADERS = frozenset({b"authorization", b"x-ckan-api-key"})


def without_credentials(scope: Scope) -> bool:
    """No token header and no session cookie: :func:`get_actor` would answer the anonymous public
    without the database, so hot read paths may skip it (read from the raw ASGI headers)."""
    for name, value in scope["headers"]:
        if name in _TOKEN_HEADERS:
            return False
        if name == b"cookie" and SESSION_COOKIE in cookie_parser(value.decode("latin-1")):
            return False
    return True


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_uow(request: Request, platform: PlatformDep) -> Iterator[UnitOfWork]:
    read_only = request.method in ("GET", "HEAD", "OPTIONS")
    with platform.db.uow(read_only=read_only) as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def session_serializer(platform: Platform) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(platform.settings.secret_key.get_secret_value(), salt="qazai-session")


def _token_from_headers(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        if not value:  # CKAN clients send the raw token without a scheme
            return scheme.strip()
        raise Unauthenticated("use `Authorization: Bearer <token>`", code="invalid_authorization_header")
    key = request.headers.get("x-ckan-api-key")
    return key.strip() if key else None


def get_actor(request: Request, uow: UowDep, platform: PlatformDep) -> Actor:
    """Who is asking: a Bearer token, else a signed session cookie, else the anonymous public.

    Requests authenticated by cookie must carry the session's CSRF token on unsafe methods.
    """
    token = _token_from_headers(request)
    if token is not None:
        actor = identity.authenticate_token(uow, token)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            actor = ANONYMOUS
        else:
            try:
                session_id = session_serializer(platform).loads(
                    cookie, max_age=platform.settings.session_max_age_seconds
                )
            except BadSignature:
                raise Unauthenticated(
                    "your session cookie is not valid; sign in again", code="invalid_session"
                ) from None
            actor, csrf = identity.resolve_session(uow, str(session_id))
            request.state.session_id = str(session_id)
            request.state.csrf_token = csrf
            if request.method in _UNSAFE and request.headers.get(CSRF_HEADER) != csrf:
                raise PermissionDenied("the CSRF token is missing or wrong", code="csrf_failed")
    request.state.actor_label = actor.label
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


def require_user(actor: CurrentActor) -> Actor:
    if not actor.is_authenticated:
        raise Unauthenticated("sign in or send an API token", code="authentication_required")
    return actor


SignedInActor = Annotated[Actor, Depends(require_user)]
