"""The airlock's workflow on a real database and object store: hold, review by two output checkers,
release to project members, and every way it must refuse."""

from __future__ import annotations

import io
from typing import Any

import polars as pl
import pytest
from sqlalchemy import select
from tests.compute.airlock_support import BY_REGION, World, make_world
from tests.conftest import Person

from qazai.compute import airlock
from qazai.compute.airlock_models import (
    Decision,
    FileState,
    HeldFileFilter,
    HeldFileIn,
    HeldFileRead,
    HoldOutputs,
    Variant,
)
from qazai.compute.disclosure import FindingCode, Severity
from qazai.core.errors import Conflict, InvalidInput, PermissionDenied
from qazai.core.ids import new_id
from qazai.storage.tables.audit import AuditEventRow


@pytest.fixture
def world(platform: Any, people: dict[str, Person]) -> World:
    return make_world(platform, people)


def _by_name(files: list[HeldFileRead]) -> dict[str, HeldFileRead]:
    return {f.name: f for f in files}


def _actions(world: World) -> list[str]:
    with world.platform.db.uow(read_only=True) as uow:
        return list(uow.session.scalars(select(AuditEventRow.action).order_by(AuditEventRow.seq)))


def test_outputs_are_held_checked_and_not_downloadable_before_release(world: World) -> None:
    files = _by_name(
        world.hold(
            {
                "tables/by_region.csv": BY_REGION,
                "tables/by_region.csv.sdc.json": b'{"dimensions": ["region"], "count": "n"}',
                "figures/map.png": b"\x89PNG\r\n\x1a\nnot really",
            }
        )
    )

    table = files["tables/by_region.csv"]
    assert table.state is FileState.pending and table.has_safe_version
    assert {(f.code, f.row) for f in table.findings if f.severity is Severity.suppress} == {
        (FindingCode.threshold, 0)
    }
    assert table.secondary == 1  # Total = 96 would give Abai's 4 back: Almaty (40) is hidden too
    assert files["tables/by_region.csv.sdc.json"].state is FileState.evidence
    figure = files["figures/map.png"]
    assert figure.state is FileState.pending and figure.needs_justification and not figure.has_safe_version
    for who in ("member", "producer"):  # the requester, and another project member
        with world.platform.db.uow(read_only=True) as uow:
            seen = airlock.get_held_file(uow, world.actor(who), table.id).findings
        assert seen[0].message.en == "… contributors in this cell, fewer than the minimum of 10"
        assert "count" not in seen[0].values
        for variant in Variant:
            with pytest.raises(PermissionDenied) as refused:
                world.download(who, table.id, variant)
            assert refused.value.code == "output_not_released"
    with world.platform.db.uow(read_only=True) as uow:
        checked = airlock.get_held_file(uow, world.actor("operator"), table.id).findings
    assert checked[0].message.en == "4 contributors in this cell, fewer than the minimum of 10"
    assert _actions(world)[-1] == "airlock.hold"


def test_two_checkers_release_the_safe_version_to_project_members(world: World) -> None:
    table = _by_name(world.hold({"by_region.csv": BY_REGION}))["by_region.csv"]

    first = world.review("operator", table.id, variant=Variant.safe)
    assert first.state is FileState.pending
    second = world.review("regulator", table.id, variant=Variant.safe)

    assert second.state is FileState.released and second.released_variant is Variant.safe
    assert [r.reviewer_name for r in second.reviews] == ["Operator", "Regulator"]
    with world.platform.db.uow(read_only=True) as uow:
        assert [f.id for f in airlock.list_released_files(uow, world.actor("producer"))] == [table.id]
        assert airlock.list_released_files(uow, world.actor("outsider")) == []
    safe = pl.read_csv(io.BytesIO(world.download("producer", table.id, Variant.safe)))
    assert safe["n"].to_list() == [None, None, 52, 96]
    with pytest.raises(PermissionDenied):  # the original stays in the airlock
        world.download("producer", table.id, Variant.original)
    actions = _actions(world)
    assert actions[-4:] == ["airlock.review", "airlock.review", "airlock.release", "airlock.download"]


def test_the_requester_cannot_approve_their_own_output(world: World) -> None:
    table = world.hold({"by_region.csv": BY_REGION}, requester="member")[0]

    with pytest.raises(PermissionDenied) as refused:
        world.review("member", table.id, variant=Variant.safe)  # member holds the checker role too

    assert refused.value.code == "own_output"


def test_one_checker_cannot_approve_twice(world: World) -> None:
    table = world.hold({"by_region.csv": BY_REGION})[0]
    world.review("operator", table.id, variant=Variant.safe)

    with pytest.raises(Conflict) as refused:
        world.review("operator", table.id, variant=Variant.safe)

    assert refused.value.code == "already_reviewed"
    with world.platform.db.uow(read_only=True) as uow:
        assert airlock.get_held_file(uow, world.actor("operator"), table.id).state is FileState.pending


def test_only_output_checkers_review(world: World) -> None:
    table = world.hold({"by_region.csv": BY_REGION})[0]

    with pytest.raises(PermissionDenied) as refused:
        world.review("org_admin", table.id, variant=Variant.safe)

    assert refused.value.code == "not_output_checker"


def test_a_cancelled_jobs_partial_outputs_are_never_offered(world: World) -> None:
    whole = pl.DataFrame({"region": ["a", "b"], "n": [12, 28]})
    buffer = io.BytesIO()
    whole.write_parquet(buffer)
    half = buffer.getvalue()[: len(buffer.getvalue()) // 2]
    files = world.hold({"part.parquet": half}, job_state="cancelled")

    assert [f.state for f in files] == [FileState.withheld]
    with pytest.raises(Conflict) as refused:
        world.review("operator", files[0].id, variant=Variant.original, justification="x" * 40)
    assert refused.value.code == "not_reviewable"


def test_a_half_written_table_of_a_succeeded_job_is_withheld(world: World) -> None:
    whole = pl.DataFrame({"region": ["a", "b"], "n": [12, 28]})
    buffer = io.BytesIO()
    whole.write_parquet(buffer)
    (held,) = world.hold({"part.parquet": buffer.getvalue()[:-40]})

    assert held.state is FileState.withheld
    assert [f.code for f in held.findings] == [FindingCode.unreadable]
    with pytest.raises(Conflict):
        world.review(
            "operator", held.id, variant=Variant.original, justification="it looks fine to me, honest"
        )


def test_an_unchecked_file_needs_a_written_justification(world: World) -> None:
    figure = world.hold({"map.png": b"\x89PNG\r\n\x1a\n"})[0]

    with pytest.raises(InvalidInput) as refused:
        world.review("operator", figure.id, variant=Variant.original, justification="ok")
    assert refused.value.code == "output_justification_required"
    with pytest.raises(InvalidInput) as no_safe:
        world.review("operator", figure.id, variant=Variant.safe)
    assert no_safe.value.code == "no_safe_version"

    words = "A choropleth of regional means, every region over 1,000 people."
    world.review("operator", figure.id, variant=Variant.original, justification=words)
    released = world.review("regulator", figure.id, variant=Variant.original, justification=words)
    assert released.state is FileState.released
    assert world.download("producer", figure.id, Variant.original) == b"\x89PNG\r\n\x1a\n"


def test_contributions_in_a_table_block_its_original(world: World) -> None:
    table = b"sector,n,v,v__top1,v__top2\nA,12,1000,300,200\n"
    held = world.hold({"firms.csv": table})[0]

    with pytest.raises(Conflict) as refused:
        world.review(
            "operator", held.id, variant=Variant.original, justification="the two largest are fine to show"
        )
    assert refused.value.code == "original_blocked"


def test_different_versions_do_not_release(world: World) -> None:
    table = world.hold({"by_region.csv": BY_REGION})[0]
    world.review("operator", table.id, variant=Variant.safe)
    reason = "Abai's four are all one household survey cluster, published already"
    after = world.review("regulator", table.id, variant=Variant.original, justification=reason)
    assert after.state is FileState.pending


def test_a_rejection_ends_it(world: World) -> None:
    table = world.hold({"by_region.csv": BY_REGION})[0]
    with pytest.raises(InvalidInput):
        world.review("operator", table.id, Decision.reject)

    rejected = world.review(
        "operator", table.id, Decision.reject, justification="cells of 4 people in Abai region"
    )

    assert rejected.state is FileState.rejected
    with pytest.raises(Conflict):
        world.review("regulator", table.id, variant=Variant.safe)
    with pytest.raises(PermissionDenied):
        world.download("producer", table.id, Variant.safe)
    assert _actions(world)[-1] == "airlock.reject"


def test_a_non_member_cannot_download_a_released_file(world: World) -> None:
    table = world.hold({"by_region.csv": BY_REGION})[0]
    world.review("operator", table.id, variant=Variant.safe)
    world.review("regulator", table.id, variant=Variant.safe)

    for outsider in ("outsider", "org_admin"):  # another organisation; same organisation, not in the project
        with pytest.raises(PermissionDenied) as refused:
            world.download(outsider, table.id, Variant.safe)
        assert refused.value.code == "not_project_member"
        with world.platform.db.uow(read_only=True) as uow, pytest.raises(PermissionDenied):
            airlock.get_held_file(uow, world.actor(outsider), table.id)


def test_lists_the_queue_for_checkers_and_own_outputs_for_members(world: World) -> None:
    world.hold({"a.csv": BY_REGION})
    world.hold({"b.csv": BY_REGION}, requester="producer")

    with world.platform.db.uow(read_only=True) as uow:
        queue = airlock.list_held_files(
            uow, world.actor("operator"), HeldFileFilter(state=FileState.pending, limit=1)
        )
        assert len(queue.items) == 1 and queue.next is not None
        rest = airlock.list_held_files(
            uow, world.actor("operator"), HeldFileFilter(state=FileState.pending, cursor=queue.next)
        )
        assert [f.name for f in queue.items + rest.items] == ["b.csv", "a.csv"]
        own = airlock.list_held_files(uow, world.actor("producer"), HeldFileFilter())
        assert [f.name for f in own.items] == ["b.csv"]
        project = airlock.list_held_files(
            uow, world.actor("producer"), HeldFileFilter(project_id=world.project_id)
        )
        assert len(project.items) == 2
        with pytest.raises(PermissionDenied):
            airlock.list_held_files(uow, world.actor("outsider"), HeldFileFilter(project_id=world.project_id))


def test_holding_twice_returns_what_is_held(world: World) -> None:
    put = world.platform.objects.put(None, io.BytesIO(BY_REGION))
    command = HoldOutputs(
        job_id=new_id(),
        project_id=world.project_id,
        organisation_id=world.organisation_id,
        requested_by=world.people["member"].user_id,
        files=[HeldFileIn(name="t.csv", object_key=put.key, size=put.size, sha256=put.sha256)],
    )
    done: list[str] = []
    for _ in range(2):
        with world.platform.db.uow() as uow:
            first = airlock.hold_outputs(
                uow, world.platform.objects, command, on_review_done=lambda _u, j: done.append(j)
            )
            uow.commit()
    assert len(first) == 1 and done == []
    assert _actions(world).count("airlock.hold") == 1


def test_bad_output_names_are_refused() -> None:
    for name in ("../etc/passwd", "/abs.csv", "a//b.csv", "a/./b.csv"):
        with pytest.raises(ValueError, match="relative path"):
            HeldFileIn(name=name, object_key="k", size=1, sha256="0" * 64)
