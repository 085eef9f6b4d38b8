"""Lineage to library versions, flags on withdrawal, and authors' opt-outs (check, marking, notices,
enforcement in the libraries' publish pipeline)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.libraries.publishing import make_library, publish
from tests.registry.support import ok, registered

from qazai.identity.actor import SYSTEM
from qazai.libraries import service as libraries
from qazai.libraries.models import VersionWithdraw
from qazai.registry.optouts import check_against_optouts, text_sha256

CSV = "region,year,population\nAstana,2025,1423726\nAlmaty,2025,2291126\nShymkent,2025,1222000\n"
# who claims a work, and on what evidence (required: every source's SHA-256 is public)
CLAIM = {
    "claimant": "Ажар Сейітқызы",
    "evidence": "First published in Жұлдыз 3/2019; copyright certificate KZ-AC 004512 of 12.03.2019.",
}


@pytest.fixture
def version(platform: Any, people: Any, tmp_path: Path) -> dict[str, Any]:
    """A published open library version of stat-gov, with its id and source sha256."""
    path = tmp_path / "population.csv"
    path.write_text(CSV, encoding="utf-8")
    make_library(platform, "population")
    job = publish(platform, "population", path)
    assert job.state == "succeeded", job
    with platform.db.uow(read_only=True) as uow:
        read = libraries.get_version(uow, SYSTEM, "population", 1)
    return {"id": read.id, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "path": path}


def test_withdrawing_a_version_flags_every_system_that_used_it(
    client: TestClient, people: Any, platform: Any, version: dict[str, Any]
) -> None:
    first = registered(client, people, lineage_version=version["id"])
    second = registered(client, people, lineage_version=version["id"])
    owner, regulator = people["member"].headers, people["regulator"].headers
    lineage = ok(client.get(f"/api/v1/registry/systems/{first['id']}/lineage"))
    assert lineage[0]["library_slug"] == "population" and lineage[0]["number"] == 1
    assert 0 < lineage[0]["metadata_completeness"] <= 1 and lineage[0]["flagged"] is False
    users = ok(client.get(f"/api/v1/registry/library-versions/{version['id']}/systems"))
    assert {u["system_id"] for u in users} == {first["id"], second["id"]}
    assert ok(client.get("/api/v1/registry/systems?flagged=true", headers=regulator))["items"] == []

    with platform.db.uow() as uow:
        libraries.withdraw_version(
            uow, SYSTEM, "population", 1, VersionWithdraw(reason="wrong census totals")
        )

    read = ok(client.get(f"/api/v1/registry/systems/{first['id']}", headers=owner))
    assert read["lineage_flagged"] is True and "wrong census totals" in read["lineage_flags"][0]
    flagged = ok(client.get("/api/v1/registry/systems?flagged=true", headers=regulator))["items"]
    assert {s["id"] for s in flagged} == {first["id"], second["id"]}
    assert {
        s["id"] for s in ok(client.get("/api/v1/registry/systems?flagged=true", headers=owner))["items"]
    } == {
        first["id"],
        second["id"],
    }
    assert (
        ok(client.get("/api/v1/registry/systems?flagged=true", headers=people["outsider"].headers))["items"]
        == []
    )
    assert ok(client.get("/api/v1/register"))["items"][0]["lineage_flagged"] is True
    # A withdrawn version cannot be linked any more.
    from tests.registry.support import create

    draft = create(client, owner)
    refused = client.post(
        f"/api/v1/registry/systems/{draft['id']}/lineage",
        json={"library_slug": "population", "number": 1},
        headers=owner,
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "version_withdrawn"


def test_optout_check_matches_every_kind(client: TestClient, people: Any, platform: Any) -> None:
    author = people["outsider"].headers
    works = [
        {"title": "Абай жолы", "isbn": "978-601-7000-00-4"},
        {"title": "Paper", "doi": "https://doi.org/10.1234/ABC.5"},
        {"title": "Blog", "url": "https://www.example.kz/essay/"},
        {"title": "Poem", "text": "Жаз келді,  ЖАЙНАП гүлдер!"},
        {"title": "Archive item", "identifier": "KZ-ARCH-7781"},
        {"title": "Scan", "file_sha256": "a" * 64},
    ]
    for work in works:
        ok(client.post("/api/v1/registry/optouts", json={**work, **CLAIM}, headers=author), 201)
    assert (
        client.post(
            "/api/v1/registry/optouts",
            json={"title": "x", "isbn": "978-601-7000-00-5", **CLAIM},
            headers=author,
        ).status_code
        == 422
    )
    assert (
        client.post("/api/v1/registry/optouts", json={"title": "x", **CLAIM}, headers=author).status_code
        == 422
    )
    for missing in ("claimant", "evidence"):
        partial = {"title": "x", "url": "http://a.kz", **CLAIM}
        del partial[missing]
        assert client.post("/api/v1/registry/optouts", json=partial, headers=author).status_code == 422
    short = {"title": "x", "url": "http://a.kz", **CLAIM, "evidence": "mine"}
    assert client.post("/api/v1/registry/optouts", json=short, headers=author).status_code == 422
    assert (
        client.post(
            "/api/v1/registry/optouts", json={"title": "x", "url": "http://a.kz", **CLAIM}
        ).status_code
        == 401
    )
    public = ok(client.get("/api/v1/registry/optouts"))
    assert len(public) == 6 and "registered_by" not in public[0] and "evidence" not in public[0]
    assert {w["state"] for w in public} == {"active"} and public[0]["claimant"] == CLAIM["claimant"]

    texts = [
        "see ISBN 9786017000004 p. 5",
        "doi:10.1234/abc.5.",
        "read at http://example.kz/essay/ now",
        "жаз келді, жайнап гүлдер!",
        "box kz-arch-7781",
        "nothing here 1234567890123",
    ]
    with platform.db.uow(read_only=True) as uow:
        result = check_against_optouts(uow.session, sha256s=["A" * 64, "b" * 64], texts=iter(texts))
    kinds = sorted(m.match_kind for m in result.matched)
    assert kinds == ["doi", "file_hash", "identifier", "isbn", "text_hash", "url"]
    assert result.works_checked == 6
    assert next(m for m in result.matched if m.match_kind == "text_hash").detail == text_sha256(
        "Жаз келді, жайнап гүлдер!"
    )


def test_optout_check_is_one_pass_over_many_cells(platform: Any) -> None:
    from qazai.core.clock import utcnow
    from qazai.storage.tables.registry import OptOutWorkRow

    with platform.db.uow() as uow:
        for i in range(200):
            uow.session.add(
                OptOutWorkRow(
                    id=f"W{i:025d}",
                    title=f"w{i}",
                    identifier=f"WORK-{i:05d}",
                    registered_by_label="t",
                    created_at=utcnow(),
                )
            )
        uow.commit()
    cells = [f"row {i} plain text" for i in range(50_000)] + ["cites WORK-00042"]
    with platform.db.uow(read_only=True) as uow:
        result = check_against_optouts(uow.session, sha256s=[], texts=cells)
    assert [m.title for m in result.matched] == ["w42"] and result.works_checked == 200


def test_later_optout_marks_versions_and_notifies_system_owners(
    client: TestClient, people: Any, platform: Any, version: dict[str, Any]
) -> None:
    system = registered(client, people, lineage_version=version["id"])
    done = ok(
        client.post(
            "/api/v1/registry/optouts",
            json={"title": "Population tables", "file_sha256": version["sha256"], **CLAIM},
            headers=people["outsider"].headers,
        ),
        201,
    )
    assert done["versions_marked"] == [version["id"]] and done["systems_notified"] == [system["id"]]
    read = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=people["member"].headers))
    assert read["lineage_flagged"] and "opted out" in read["lineage_flags"][0]
    # stat-gov hears twice: as the system's owner, and as the producer asked to confirm or dispute
    notes = ok(client.get("/api/v1/registry/notifications", headers=people["member"].headers))
    assert sorted(n["kind"] for n in notes) == ["optout", "optout_claim"]
    note = next(n for n in notes if n["kind"] == "optout")
    assert note["system_id"] == system["id"]
    assert "Population tables" in note["message"]["kk"] and note["data"]["library"] == "population"
    assert ok(client.get("/api/v1/registry/notifications", headers=people["outsider"].headers)) == []
    assert len(ok(client.get("/api/v1/registry/notifications", headers=people["regulator"].headers))) == 2
    events = ok(client.get("/api/v1/audit/events", headers=people["regulator"].headers))
    items = events["items"] if isinstance(events, dict) else events
    assert any(e["action"] == "optout.register" for e in items)


def test_publish_refuses_an_opted_out_file(
    client: TestClient, people: Any, platform: Any, tmp_path: Path
) -> None:
    path = tmp_path / "essays.csv"
    path.write_text("id,text\n1,An essay about the steppe\n2,Another one\n", encoding="utf-8")
    ok(
        client.post(
            "/api/v1/registry/optouts",
            json={"title": "Essays", "file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(), **CLAIM},
            headers=people["outsider"].headers,
        ),
        201,
    )
    make_library(platform, "essays")
    job = publish(platform, "essays", path)
    with platform.db.uow(read_only=True) as uow:
        versions = libraries.list_versions(uow, SYSTEM, "essays")
    items = getattr(versions, "items", versions)
    published = [v for v in items if getattr(v, "status", None) == "published"]
    assert published == [], (job, items)
    text = str(job.result) + str(job.error) + str(items)
    assert "Essays" in text
