"""Who is asking and in which language: the request context every view receives.

The web reads the same signed session cookie as the API (``qazai.api.deps``). A bad or expired
cookie makes the visitor anonymous (and is deleted) instead of failing every page.

CSRF: every form carries ``csrf_token``. For a signed-in visitor it is the session's token; for an
anonymous visitor (sign-in, complaint, language forms) it is a random value whose signed copy sits
in the ``qazai_csrf`` cookie (double submit: a cross-site page can neither read nor forge it).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.datastructures import FormData
from itsdangerous import BadSignature, URLSafeSerializer

from qazai.api.deps import SESSION_COOKIE, get_platform, session_serializer
from qazai.api.platform import Platform
from qazai.core.enums import Language, PlatformRole
from qazai.core.errors import AppError, PermissionDenied, Unauthenticated
from qazai.identity import service as identity
from qazai.identity.actor import ANONYMOUS, Actor
from qazai.storage.db import UnitOfWork
from qazai.web.i18n import LANG_COOKIE, choose_language, translations_for

CSRF_COOKIE = "qazai_csrf"
CSRF_FIELD = "csrf_token"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def csrf_serializer(platform: Platform) -> URLSafeSerializer:
    return URLSafeSerializer(platform.settings.secret_key.get_secret_value(), salt="qazai-web-csrf")


def secure_cookies(platform: Platform) -> bool:
    return platform.settings.public_base_url.startswith("https://")


@dataclass
class WebContext:
    """One request of the portal: the platform, a unit of work, the actor and the language."""

    request: Request
    platform: Platform
    uow: UnitOfWork
    actor: Actor
    lang: Language
    session_id: str | None
    csrf_token: str
    cookies: dict[str, tuple[str, int | None, bool]] = field(default_factory=dict)
    expired_cookies: list[str] = field(default_factory=list)

    def _(self, message: str) -> str:
        return translations_for(self.lang).gettext(message)

    def set_cookie(self, name: str, value: str, max_age: int | None, *, http_only: bool = True) -> None:
        self.cookies[name] = (value, max_age, http_only)

    def forget_cookie(self, name: str) -> None:
        self.expired_cookies.append(name)

    def apply_cookies(self, response: Any) -> None:
        secure = secure_cookies(self.platform)
        for name in self.expired_cookies:
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")
        for name, (value, max_age, http_only) in self.cookies.items():
            response.set_cookie(
                name, value, max_age=max_age, path="/", secure=secure, httponly=http_only, samesite="lax"
            )

    @property
    def signed_in(self) -> bool:
        return self.actor.user_id is not None

    @property
    def is_operator(self) -> bool:
        return PlatformRole.operator in self.actor.platform_roles

    @property
    def is_regulator(self) -> bool:
        return PlatformRole.regulator in self.actor.platform_roles

    def require_user(self) -> Actor:
        if not self.signed_in:
            raise Unauthenticated(self._("Sign in to see this page."), code="authentication_required")
        return self.actor

    async def form(self) -> FormData:
        """The submitted form, after checking its CSRF token (PermissionDenied ``csrf_failed``)."""
        data = await self.request.form()
        given = data.get(CSRF_FIELD)
        if not isinstance(given, str) or not secrets.compare_digest(given, self.csrf_token):
            raise PermissionDenied(
                self._("The form has expired or did not come from this site. Reload the page and try again."),
                code="csrf_failed",
            )
        return data

    def check_header_csrf(self) -> None:
        """For script requests (upload with progress): the token in the ``X-CSRF-Token`` header."""
        given = self.request.headers.get("x-csrf-token", "")
        if not secrets.compare_digest(given, self.csrf_token):
            raise PermissionDenied(self._("The CSRF token is missing or wrong."), code="csrf_failed")


def _session(request: Request, uow: UnitOfWork, platform: Platform) -> tuple[Actor, str | None, str | None]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return ANONYMOUS, None, None
    try:
        session_id = str(
            session_serializer(platform).loads(cookie, max_age=platform.settings.session_max_age_seconds)
        )
        actor, csrf = identity.resolve_session(uow, session_id)
    except (BadSignature, AppError):
        raise _StaleSession from None
    return actor, session_id, csrf


class _StaleSession(Exception):
    pass


def anonymous_csrf(request: Request, platform: Platform) -> tuple[str, str | None]:
    """The visitor's double-submit token, and a new signed cookie value when one must be set."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if cookie:
        try:
            return str(csrf_serializer(platform).loads(cookie)), None
        except BadSignature:
            pass
    token = secrets.token_urlsafe(32)
    return token, csrf_serializer(platform).dumps(token)


def build_context(request: Request, platform: Platform, uow: UnitOfWork) -> WebContext:
    stale = False
    try:
        actor, session_id, session_csrf = _session(request, uow, platform)
    except _StaleSession:
        actor, session_id, session_csrf, stale = ANONYMOUS, None, None, True
    new_cookie = None
    if session_csrf is None:
        csrf, new_cookie = anonymous_csrf(request, platform)
    else:
        csrf = session_csrf
    lang = choose_language(
        saved=actor.language if actor.user_id else None,
        cookie=request.cookies.get(LANG_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )
    ctx = WebContext(
        request=request,
        platform=platform,
        uow=uow,
        actor=actor,
        lang=lang,
        session_id=session_id,
        csrf_token=csrf,
    )
    if stale:
        ctx.forget_cookie(SESSION_COOKIE)
    if new_cookie:
        ctx.set_cookie(CSRF_COOKIE, new_cookie, None)
    request.state.web = ctx
    request.state.actor_label = actor.label
    return ctx


def get_web_context(
    request: Request, platform: Annotated[Platform, Depends(get_platform)]
) -> Iterator[WebContext]:
    read_only = request.method in ("GET", "HEAD", "OPTIONS")
    with platform.db.uow(read_only=read_only) as uow:
        yield build_context(request, platform, uow)


Web = Annotated[WebContext, Depends(get_web_context)]
