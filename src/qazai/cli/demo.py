"""Demo seeding for `qazai serve --demo`: organisations, users and data, idempotently."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qazai.cli.context import cli_actor
from qazai.core.enums import Language, OrgKind, OrgRole, PlatformRole
from qazai.core.errors import Conflict
from qazai.core.text import LocalizedText
from qazai.identity import service
from qazai.identity.models import MembershipGrant, OrganisationCreate, PlatformRoleGrant, UserCreate

if TYPE_CHECKING:
    from qazai.api.platform import Platform

DEMO_PASSWORD = "qazai-demo-2026"  # noqa: S105 - printed on start; demo mode only


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    language: Language
    org: str | None
    org_role: OrgRole | None
    platform_role: PlatformRole | None
    what: str


DEMO_ORGS = (
    OrganisationCreate(
        slug="stat-gov",
        kind=OrgKind.government_body,
        bin="160140000014",
        name=LocalizedText(
            kk="Ұлттық статистика бюросы",
            ru="Бюро национальной статистики",
            en="Bureau of National Statistics",
        ),
    ),
    OrganisationCreate(
        slug="mdai",
        kind=OrgKind.government_body,
        bin="190840000025",
        name=LocalizedText(
            kk="Жасанды интеллект және цифрлық даму министрлігі",
            ru="Министерство искусственного интеллекта и цифрового развития",
            en="Ministry of Artificial Intelligence and Digital Development",
        ),
    ),
    OrganisationCreate(
        slug="astana-akimat",
        kind=OrgKind.government_body,
        bin="081140000030",
        name=LocalizedText(kk="Астана қаласының әкімдігі", ru="Акимат города Астаны", en="Akimat of Astana"),
    ),
    OrganisationCreate(
        slug="qazdata-lab",
        kind=OrgKind.company,
        bin="101140000046",
        name=LocalizedText(kk="QazData Lab", ru="QazData Lab", en="QazData Lab (Astana Hub startup)"),
    ),
)

DEMO_USERS = (
    DemoUser(
        "operator@qazai.kz",
        "Платформа Операторы",
        Language.kk,
        None,
        None,
        PlatformRole.operator,
        "platform operator",
    ),
    DemoUser(
        "regulator@mdai.gov.kz",
        "Айгүл Регулятор",
        Language.ru,
        "mdai",
        OrgRole.member,
        PlatformRole.regulator,
        "regulator (Ministry of AI)",
    ),
    DemoUser(
        "producer@stat.gov.kz",
        "Ерлан Продюсер",
        Language.kk,
        "stat-gov",
        OrgRole.producer,
        None,
        "producer (Bureau of National Statistics)",
    ),
    DemoUser(
        "producer@astana.gov.kz",
        "Дана Әкімдік",
        Language.ru,
        "astana-akimat",
        OrgRole.producer,
        None,
        "producer (Akimat of Astana)",
    ),
    DemoUser(
        "dev@qazdata.kz",
        "Developer QazData",
        Language.en,
        "qazdata-lab",
        OrgRole.org_admin,
        None,
        "startup developer and org admin",
    ),
)


def seed_demo(platform: Platform) -> None:
    """Create the demo organisations and users unless they exist, then run the capability steps."""
    actor = cli_actor()
    for org in DEMO_ORGS:
        with platform.db.uow() as uow, contextlib.suppress(Conflict):
            service.create_organisation(uow, actor, org)
    for user in DEMO_USERS:
        with platform.db.uow() as uow:
            try:
                created = service.create_user(
                    uow,
                    actor,
                    UserCreate(
                        email=user.email, name=user.name, password=DEMO_PASSWORD, language=user.language
                    ),
                )
                user_id = created.id
            except Conflict:
                user_id = service.get_user(uow, actor, user.email).id
        if user.org and user.org_role:
            with platform.db.uow() as uow:
                service.grant_membership(
                    uow, actor, user.org, MembershipGrant(user_id=user_id, role=user.org_role)
                )
        if user.platform_role:
            with platform.db.uow() as uow:
                service.grant_platform_role(uow, actor, user_id, PlatformRoleGrant(role=user.platform_role))
    for step in DEMO_STEPS:
        step(platform)


def demo_banner(base_url: str) -> str:
    lines = [
        "",
        "QazAI demo is running",
        f"  web:     {base_url}/",
        f"  API:     {base_url}/api/v1/docs",
        f"  health:  {base_url}/api/v1/health",
        f"  sign in with any of these (password: {DEMO_PASSWORD}):",
    ]
    lines += [f"    {u.email:<26} {u.what}" for u in DEMO_USERS]
    return "\n".join(lines) + "\n"


def seed_registry(platform: Platform) -> None:
    """The AI systems of the public register, one at each interesting stage."""
    from qazai.registry.demo import seed_registry_demo

    seed_registry_demo(platform.db, platform.objects)


def seed_libraries(platform: Platform) -> None:
    """The shared government files and a synthetic register, queued for publishing."""
    from qazai.libraries.demo import seed_demo_libraries

    seed_demo_libraries(
        platform.db,
        platform.objects,
        cli_actor(),
        max_bytes=platform.settings.upload_max_bytes,
        retention_days=platform.settings.raw_retention_days,
    )


def seed_models(platform: Platform) -> None:
    """A tiny open model of the demo startup, with its card."""
    from qazai.models.demo import seed_demo_models

    seed_demo_models(
        platform.db,
        platform.objects,
        cli_actor(),
        max_bytes=platform.settings.upload_max_bytes,
        retention_days=platform.settings.raw_retention_days,
    )


# Every capability's demo data, in order (the registry first, as it always ran first); each step
# is idempotent and imports its capability only when it runs. A static list, so `seed_demo` seeds
# everything whichever CLI modules happen to be imported. A new capability adds its step here.
DEMO_STEPS: tuple[Callable[[Platform], None], ...] = (seed_registry, seed_libraries, seed_models)
