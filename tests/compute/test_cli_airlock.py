"""`qazai airlock list|review|approve|reject` against a real database and object store."""

from __future__ import annotations

from typing import Any

import pytest
from tests.compute.airlock_support import BY_REGION, World, make_world
from tests.conftest import Person
from typer.testing import CliRunner

from qazai.cli.main import app


@pytest.fixture
def world(platform: Any, people: dict[str, Person]) -> World:
    return make_world(platform, people)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, platform: Any) -> Any:
    monkeypatch.setenv("QAZAI_DATABASE_URL", platform.settings.effective_database_url)
    monkeypatch.setenv("QAZAI_DATA_DIR", str(platform.settings.data_dir))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_list_review_approve_and_refusals(cli: Any, world: World) -> None:
    table = world.hold({"by_region.csv": BY_REGION})[0]
    operator, regulator, member = (world.people[n].email for n in ("operator", "regulator", "member"))

    listed = cli("airlock", "list")
    assert listed.exit_code == 0, listed.output
    assert table.id in listed.output and "by_region.csv" in listed.output

    summary = cli("airlock", "review", table.id)  # without --as: findings, no cells
    assert summary.exit_code == 0 and "threshold" in summary.output and "Abai" not in summary.output
    shown = cli("airlock", "review", table.id, "--as", operator, "--lang", "ru")
    assert shown.exit_code == 0, shown.output
    assert "В ячейке 4 наблюдений" in shown.output and "Abai" in shown.output

    own = cli("airlock", "approve", table.id, "--as", member)
    assert own.exit_code == 1 and "you ran this job" in own.output
    assert cli("airlock", "approve", table.id, "--as", operator).exit_code == 0
    twice = cli("airlock", "approve", table.id, "--as", operator)
    assert twice.exit_code == 1 and "already reviewed" in twice.output
    released = cli("airlock", "approve", table.id, "--as", regulator, "--variant", "safe")
    assert released.exit_code == 0 and "released (safe)" in released.output


def test_reject_needs_a_reason(cli: Any, world: World) -> None:
    table = world.hold({"by_region.csv": BY_REGION})[0]
    operator = world.people["operator"].email

    short = cli("airlock", "reject", table.id, "--as", operator, "--reason", "no")
    assert short.exit_code == 1 and "at least 20 characters" in short.output
    done = cli("airlock", "reject", table.id, "--as", operator, "--reason", "Abai's cell is four households")
    assert done.exit_code == 0 and "rejected" in done.output
    unknown = cli("airlock", "approve", "nope", "--as", operator)
    assert unknown.exit_code == 1 and "no held output" in unknown.output


def test_publication_needs_a_released_table_of_a_known_job(cli: Any, world: World) -> None:
    table = world.hold({"by_region.csv": BY_REGION})[0]
    producer = world.people["producer"].email

    early = cli("airlock", "allow-publication", table.id, "--as", producer)
    assert early.exit_code == 1 and "not a released table" in early.output
    world.review("operator", table.id, variant="safe")
    world.review("regulator", table.id, variant="safe")
    orphan = cli("airlock", "allow-publication", table.id, "--as", producer)
    assert orphan.exit_code == 1 and "is not known any more" in orphan.output  # a job compute never ran
    bad = cli(
        "airlock", "publish", table.id, "--as", producer, "--library", "Bad Slug", "--title", "T",
        "--description", "D", "--contact", "data@stat.gov.kz",
    )  # fmt: skip
    assert bad.exit_code == 1 and "slug" in bad.output
