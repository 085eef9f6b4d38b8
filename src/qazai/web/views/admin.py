"""Operator administration: organisations, users, memberships and platform roles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from qazai.core.enums import OrgKind, OrgRole, PlatformRole
from qazai.core.errors import AppError, PermissionDenied
from qazai.identity import service as identity
from qazai.identity.models import (
    MembershipGrant,
    OrganisationCreate,
    PlatformRoleGrant,
    UserCreate,
)
from qazai.web.context import Web, WebContext
from qazai.web.forms import form_failure, localized, optional, text
from qazai.web.templating import redirect, render

router = APIRouter()


def _operator(ctx: WebContext) -> None:
    ctx.require_user()
    if not ctx.is_operator:
        raise PermissionDenied(ctx._("Only a platform operator can open the administration."))


def _page(ctx: WebContext, status_code: int = 200, **values: Any) -> HTMLResponse:
    return render(
        ctx,
        "admin/index.html",
        status_code=status_code,
        organisations=identity.list_organisations(ctx.uow, ctx.actor, limit=1000).items,
        users=identity.list_users(ctx.uow, ctx.actor, limit=1000).items,
        org_kinds=list(OrgKind),
        org_roles=list(OrgRole),
        platform_roles=list(PlatformRole),
        **values,
    )


@router.get("/admin", response_class=HTMLResponse)
def admin_page(ctx: Web, done: str | None = None) -> HTMLResponse:
    _operator(ctx)
    return _page(ctx, flash=ctx._("Saved.") if done else None)


@router.post("/admin/{action}", response_model=None)
async def admin_action(action: str, ctx: Web) -> Response:
    _operator(ctx)
    form = await ctx.form()
    try:
        if action == "organisations":
            identity.create_organisation(
                ctx.uow,
                ctx.actor,
                OrganisationCreate(
                    slug=text(form, "slug"),
                    name=localized(form, "name"),
                    kind=text(form, "kind"),
                    bin=optional(form, "bin"),
                ),
            )
        elif action == "users":
            identity.create_user(
                ctx.uow,
                ctx.actor,
                UserCreate(
                    email=text(form, "email"),
                    name=text(form, "name"),
                    password=optional(form, "password"),
                    language=text(form, "language") or "kk",
                ),
            )
        elif action == "memberships":
            user = identity.get_user(ctx.uow, ctx.actor, text(form, "email"))
            identity.grant_membership(
                ctx.uow,
                ctx.actor,
                text(form, "organisation"),
                MembershipGrant(user_id=user.id, role=text(form, "role")),
            )
        elif action == "platform-roles":
            identity.grant_platform_role(
                ctx.uow,
                ctx.actor,
                text(form, "email"),
                PlatformRoleGrant(role=text(form, "role")),
            )
        else:
            return _page(ctx, 404, form_error=ctx._("Page not found"))
    except (ValidationError, AppError) as exc:
        status, message = form_failure(ctx, exc, refusals=(401, 403))
        return _page(ctx, status, form_error=message, failed=action)
    return redirect(ctx, "/admin?done=1")
