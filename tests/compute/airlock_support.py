"""A compute project with members for the airlock's tests."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from tests.conftest import Person

from qazai.compute import airlock
from qazai.compute.airlock_models import (
    Decision,
    HeldFileIn,
    HeldFileRead,
    HoldOutputs,
    ReviewCreate,
    Variant,
)
from qazai.core.enums import PlatformRole
from qazai.core.ids import new_id
from qazai.identity import service as identity
from qazai.identity.actor import SYSTEM, Actor
from qazai.identity.models import PlatformRoleGrant

BY_REGION = b"region,n\nAbai,4\nAlmaty,40\nAstana,52\nTotal,96\n"


def make_project(platform: Any, people: dict[str, Person], *, members: list[str]) -> str:
    """A project of ``stat-gov`` led by the first of ``members``, with the others as members; its id."""
    from qazai.compute import projects
    from qazai.compute.models import MemberAdd, ProjectCreate

    with platform.db.uow(read_only=True) as uow:
        lead = identity.load_actor(uow, people[members[0]].user_id)
    with platform.db.uow() as uow:
        project = projects.create_project(
            uow,
            lead,
            ProjectCreate(
                slug="airlock-regions",
                organisation="stat-gov",
                title="Population by region",
                purpose="Aggregate the population by region for a forecasting model",
                legal_basis="Law on AI, article 11; data sharing agreement No. 7",
            ),
        )
    for name in members[1:]:
        with platform.db.uow() as uow:
            projects.add_member(uow, lead, project.id, MemberAdd(user=people[name].email))
    return project.id


@dataclass
class World:
    platform: Any
    people: dict[str, Person]
    project_id: str
    organisation_id: str

    def actor(self, name: str) -> Actor:
        with self.platform.db.uow(read_only=True) as uow:
            return identity.load_actor(uow, self.people[name].user_id)

    def hold(
        self, files: dict[str, bytes], *, job_state: str = "succeeded", requester: str = "member"
    ) -> list[HeldFileRead]:
        held = []
        for name, data in files.items():
            put = self.platform.objects.put(None, io.BytesIO(data))
            held.append(HeldFileIn(name=name, object_key=put.key, size=put.size, sha256=put.sha256))
        command = HoldOutputs(
            job_id=new_id(),
            project_id=self.project_id,
            organisation_id=self.organisation_id,
            requested_by=self.people[requester].user_id,
            job_state=job_state,
            files=held,
        )
        with self.platform.db.uow() as uow:
            result = airlock.hold_outputs(uow, self.platform.objects, command)
            uow.commit()
        return result

    def review(
        self, who: str, file_id: str, decision: Decision = Decision.approve, **fields: Any
    ) -> HeldFileRead:
        with self.platform.db.uow() as uow:
            return airlock.review_held_file(
                uow, self.actor(who), file_id, ReviewCreate(decision=decision, **fields)
            )

    def download(self, who: str, file_id: str, variant: Variant) -> bytes:
        with self.platform.db.uow(read_only=True) as uow:
            served = airlock.resolve_held_file(uow, self.actor(who), file_id, variant)
        airlock.record_output_read(self.platform.db, self.actor(who), served)
        return b"".join(self.platform.objects.open(served.key))


def make_world(platform: Any, people: dict[str, Person]) -> World:
    """Output checkers operator, regulator and member (who also runs the jobs); a project with
    member and producer."""
    with platform.db.uow() as uow:
        for name in ("operator", "regulator"):  # two output checkers who are not the requester
            identity.grant_platform_role(
                uow, SYSTEM, people[name].user_id, PlatformRoleGrant(role=PlatformRole.output_checker)
            )
    with platform.db.uow() as uow:
        identity.grant_platform_role(
            uow, SYSTEM, people["member"].user_id, PlatformRoleGrant(role=PlatformRole.output_checker)
        )
    project_id = make_project(platform, people, members=["member", "producer"])
    return World(platform, people, project_id, people["member"].org_id or "")
