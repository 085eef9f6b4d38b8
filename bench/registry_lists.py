"""How fast the registry's lists answer with many systems (issue 16's second pass added a pending
revision and the infosec controls to every read, and the regulator's list of all complaints).

Seeds N registered systems (every 10th with a pending revision, every 7th under the state
information-security regime, 3 complaints each) through the service functions, then times, in the
same run and on the same database, each list beside a reference: a bare SELECT of the same rows
(the floor any list pays). Prints milliseconds (median of R runs) and the ratio to the reference.

    .venv/bin/python bench/registry_lists.py [--systems 300] [--runs 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from _common import median_ms
from qazai.api.wiring import build_platform
from qazai.config import load_settings
from qazai.core.enums import OrgKind, OrgRole, PlatformRole
from qazai.core.text import LocalizedText
from qazai.identity import service as identity
from qazai.identity.actor import SYSTEM, Actor
from qazai.identity.models import MembershipGrant, OrganisationCreate, UserCreate
from qazai.registry import complaints, register, service
from qazai.registry.models import ComplaintCreate, ComplaintFilter, SystemUpdate
from qazai.storage.tables.registry import AiSystemRow, ComplaintRow

NOTICE = LocalizedText(kk="ЖИ қолданылады.", ru="Используется ИИ.", en="AI is used.")


def _seed(platform: Any, systems: int) -> Actor:
    from qazai.registry.models import ModelUsed, SystemCreate

    with platform.db.uow() as uow:
        org = identity.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(slug="bench-org", kind=OrgKind.company, name=LocalizedText(en="Bench")),
        )
    with platform.db.uow() as uow:
        user = identity.create_user(
            uow, SYSTEM, UserCreate(email="bench@example.kz", name="B", password="x" * 12)
        )
    with platform.db.uow() as uow:
        identity.grant_membership(uow, SYSTEM, org.id, MembershipGrant(user_id=user.id, role=OrgRole.member))
    owner = Actor(user_id=user.id, label="bench", memberships={org.id: OrgRole.member})
    for i in range(systems):
        with platform.db.uow() as uow:
            read = service.create_system(
                uow,
                owner,
                SystemCreate(
                    owner_organisation="bench-org",
                    name=LocalizedText(en=f"System {i}", ru=f"Система {i}"),
                    purpose=LocalizedText(en=f"Purpose {i}"),
                    sector="public_services",
                    deployment_context="bench",
                    affected_persons="nobody",
                    system_type="language",
                    models=[ModelUsed(name="KazLLM", hosted_here=True)],
                    notice=NOTICE,
                    complaint_contact="bench@example.kz",
                ),
            )
        with platform.db.uow() as uow:  # registered directly: the workflow is not what is measured
            row = uow.session.get(AiSystemRow, read.id)
            assert row is not None
            row.state, row.risk_class, row.autonomy_class = "registered", "minimal", "low"
            row.state_infosec_regime = i % 7 == 0
            uow.commit()
        if i % 10 == 0:
            with platform.db.uow() as uow:
                service.update_system(uow, owner, read.id, SystemUpdate(purpose=LocalizedText(en=f"New {i}")))
        for k in range(3):
            with platform.db.uow() as uow:
                complaints.file_complaint(
                    uow, SYSTEM, read.id, ComplaintCreate(text=f"Complaint {k} about {i}")
                )
    return owner


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp), database_url=args.database_url, argon2_time_cost=1, argon2_memory_kib=64
        )
        platform = build_platform(settings, start_workers=False)
        try:
            started = time.perf_counter()
            _seed(platform, args.systems)
            print(f"seeded {args.systems} systems in {time.perf_counter() - started:.1f} s")
            regulator = Actor(
                user_id=None, label="regulator", platform_roles=frozenset({PlatformRole.regulator})
            )

            def read(fn: Callable[[Any], object]) -> Callable[[], object]:
                def run() -> object:
                    with platform.db.uow(read_only=True) as uow:
                        return fn(uow)

                return run

            reference_systems = median_ms(
                read(lambda uow: uow.session.scalars(select(AiSystemRow).limit(500)).all()), args.runs
            )
            reference_complaints = median_ms(
                read(lambda uow: uow.session.scalars(select(ComplaintRow).limit(1000)).all()), args.runs
            )
            rows = [
                (
                    "list_systems (regulator, 500)",
                    read(lambda uow: service.list_systems(uow, regulator, limit=500)),
                    reference_systems,
                ),
                (
                    "browse_register (500)",
                    read(lambda uow: register.browse_register(uow, regulator, limit=500)),
                    reference_systems,
                ),
                (
                    "list_complaints (all, 1000)",
                    read(lambda uow: complaints.list_complaints(uow, regulator, ComplaintFilter(limit=1000))),
                    reference_complaints,
                ),
                (
                    "list_complaints (state=open)",
                    read(
                        lambda uow: complaints.list_complaints(
                            uow, regulator, ComplaintFilter(state="open", limit=1000)
                        )
                    ),
                    reference_complaints,
                ),
            ]
            print(f"{'operation':38} {'ms':>9} {'reference ms':>13} {'ratio':>7}")
            for name, fn, reference in rows:
                ms = median_ms(fn, args.runs)
                print(f"{name:38} {ms:9.1f} {reference:13.1f} {ms / reference:7.1f}")
        finally:
            platform.close()


if __name__ == "__main__":
    main()
