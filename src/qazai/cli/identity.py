"""`qazai orgs`, `qazai users`, `qazai tokens`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from qazai.cli.context import cli_actor, console, open_platform
from qazai.core.enums import Language, OrgKind, OrgRole, PlatformRole
from qazai.core.errors import InvalidInput

# The identity service (SQLAlchemy, the tables, password hashing), its models and rich are
# imported when a command runs, so that `qazai users --help` stays fast (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from qazai.core.pagination import Page

T = TypeVar("T")
orgs = typer.Typer(help="Organisations: government bodies, companies, universities...", no_args_is_help=True)
users = typer.Typer(help="Users, their organisation roles and platform roles.", no_args_is_help=True)
tokens = typer.Typer(help="API tokens (shown once, stored hashed).", no_args_is_help=True)


@orgs.command("create")
def orgs_create(
    slug: Annotated[str, typer.Argument(help="short name in URLs, e.g. stat-gov")],
    name: Annotated[str, typer.Option(help="name (English or as used)")],
    kind: Annotated[OrgKind, typer.Option(help="kind of organisation")],
    name_kk: Annotated[str | None, typer.Option(help="name in Kazakh")] = None,
    name_ru: Annotated[str | None, typer.Option(help="name in Russian")] = None,
    bin: Annotated[str | None, typer.Option("--bin", help="12-digit BIN (checked)")] = None,
) -> None:
    """Register an organisation.

    Example: qazai orgs create stat-gov --name "Bureau of National Statistics" --kind government_body
    """
    from qazai.core.text import LocalizedText
    from qazai.identity import service
    from qazai.identity.models import OrganisationCreate

    with open_platform() as platform, platform.db.uow() as uow:
        org = service.create_organisation(
            uow,
            cli_actor(),
            OrganisationCreate(
                slug=slug, name=LocalizedText(en=name, kk=name_kk, ru=name_ru), kind=kind, bin=bin
            ),
        )
    console().print(f"created organisation [bold]{org.slug}[/] ({org.id})")


@orgs.command("list")
def orgs_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """List organisations."""
    from rich.table import Table

    from qazai.identity import service

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        items = _all_pages(
            lambda cursor: service.list_organisations(uow, cli_actor(), cursor=cursor, limit=500)
        )
    if as_json:
        typer.echo(json.dumps([o.model_dump(mode="json") for o in items], ensure_ascii=False))
        return
    table = Table("slug", "name", "kind", "BIN")
    for o in items:
        table.add_row(o.slug, o.name.get("en"), o.kind.value, o.bin or "")
    console().print(table)


@users.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="e-mail, used to sign in")],
    name: Annotated[str, typer.Option(help="full name")],
    password: Annotated[str | None, typer.Option(help="password (prompted if omitted)")] = None,
    language: Annotated[Language, typer.Option(help="preferred language")] = Language.kk,
    org: Annotated[str | None, typer.Option(help="organisation slug to join")] = None,
    role: Annotated[OrgRole, typer.Option(help="role in --org")] = OrgRole.member,
    no_password: Annotated[bool, typer.Option("--no-password", help="create without a password")] = False,
) -> None:
    """Create a user, optionally joining an organisation.

    Example: qazai users create aigerim@stat.gov.kz --name "Aigerim S." --org stat-gov --role producer
    """
    from qazai.identity import service
    from qazai.identity.models import MembershipGrant, UserCreate

    if password is None and not no_password:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    actor = cli_actor()
    with open_platform() as platform:
        with platform.db.uow() as uow:
            user = service.create_user(
                uow, actor, UserCreate(email=email, name=name, password=password, language=language)
            )
        if org:
            with platform.db.uow() as uow:
                service.grant_membership(uow, actor, org, MembershipGrant(user_id=user.id, role=role))
    console().print(
        f"created user [bold]{user.email}[/] ({user.id})" + (f", {role.value} of {org}" if org else "")
    )


@users.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """List users."""
    from rich.table import Table

    from qazai.identity import service

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        items = _all_pages(lambda cursor: service.list_users(uow, cli_actor(), cursor=cursor, limit=500))
    if as_json:
        typer.echo(json.dumps([u.model_dump(mode="json") for u in items], ensure_ascii=False))
        return
    table = Table("email", "name", "language", "platform roles")
    for u in items:
        table.add_row(u.email, u.name, u.language.value, ", ".join(r.value for r in u.platform_roles))
    console().print(table)


@users.command("grant-role")
def users_grant_role(
    email: Annotated[str, typer.Argument(help="the user's e-mail or id")],
    role: Annotated[
        str, typer.Argument(help="operator | regulator, or member | producer | org_admin with --org")
    ],
    org: Annotated[str | None, typer.Option(help="organisation slug, for an organisation role")] = None,
) -> None:
    """Grant a platform role, or a role inside an organisation.

    Examples: qazai users grant-role reviewer@mdai.gov.kz regulator;
    qazai users grant-role aigerim@stat.gov.kz producer --org stat-gov
    """
    from qazai.identity import service
    from qazai.identity.models import MembershipGrant, PlatformRoleGrant

    actor = cli_actor()
    with open_platform() as platform, platform.db.uow() as uow:
        if org:
            if role not in OrgRole.__members__:
                raise InvalidInput(f"{role!r} is not an organisation role (member, producer, org_admin)")
            user = service.get_user(uow, actor, email)
            service.grant_membership(uow, actor, org, MembershipGrant(user_id=user.id, role=OrgRole(role)))
        else:
            if role not in PlatformRole.__members__:
                raise InvalidInput(
                    f"{role!r} is not a platform role (operator, regulator); "
                    "for an organisation role add --org"
                )
            service.grant_platform_role(uow, actor, email, PlatformRoleGrant(role=PlatformRole(role)))
    console().print(f"granted {role} to {email}" + (f" in {org}" if org else ""))


@tokens.command("create")
def tokens_create(
    email: Annotated[str, typer.Argument(help="the token's owner (e-mail or id)")],
    name: Annotated[str, typer.Option(help="what the token is for")],
    scope: Annotated[list[str] | None, typer.Option(help="read, write, admin or label (repeatable)")] = None,
    expires_in_days: Annotated[int, typer.Option(help="days until it expires")] = 90,
) -> None:
    """Create an API token and print it once.

    Example: qazai tokens create aigerim@stat.gov.kz --name laptop --scope read --scope write
    """
    from qazai.identity import service
    from qazai.identity.models import TokenCreate

    actor = cli_actor()
    with open_platform() as platform, platform.db.uow() as uow:
        user = service.get_user(uow, actor, email)
        created = service.create_token(
            uow,
            actor,
            TokenCreate(name=name, scopes=scope or ["read"], expires_in_days=expires_in_days),
            for_user=user.id,
        )
    console().print(f"token {created.id} for {email} (scopes: {', '.join(created.scopes)}); shown once:")
    typer.echo(created.token)


@tokens.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="the token id")]) -> None:
    """Revoke an API token."""
    from qazai.identity import service

    with open_platform() as platform, platform.db.uow() as uow:
        token = service.revoke_token(uow, cli_actor(), token_id)
    console().print(f"revoked token {token.id} ({token.name})")


def _all_pages(fetch: Callable[[str | None], Page[T]]) -> list[T]:
    items: list[T] = []
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        items.extend(page.items)
        if not page.next:
            return items
        cursor = page.next


def register(app: typer.Typer) -> None:
    """Add `orgs`, `users` and `tokens` to the `qazai` command."""
    from qazai.cli.errors import CliGroup

    for name, group in (("orgs", orgs), ("users", users), ("tokens", tokens)):
        group.info.cls = CliGroup
        app.add_typer(group, name=name)
