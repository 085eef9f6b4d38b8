"""A later author's opt-out (LAW.md row 12, issue 16 part 1): a claim with the claimant's identity
and evidence; confirmed, it withdraws the library versions built from the work (410 with the
reason, ``latest`` moves back, new links refused, systems flagged); disputed, the regulator decides;
a wrongful one is removed. Every step audited."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.libraries.publishing import make_library, publish
from tests.registry.support import create, ok, registered
from tests.registry.test_lineage_optouts import CLAIM

from qazai.identity.actor import SYSTEM
from qazai.libraries import service as libraries

FIRST = "region,year,population\nAstana,2024,1354556\nAlmaty,2024,2228675\n"
SECOND = "region,year,population\nAstana,2025,1423726\nAlmaty,2025,2291126\n"


@pytest.fixture
def versions(platform: Any, people: Any, tmp_path: Path) -> dict[str, Any]:
    """Two published versions of stat-gov's `population`; v2 is built from the work to be claimed."""
    make_library(platform, "population")
    ids = []
    for number, text in ((1, FIRST), (2, SECOND)):
        path = tmp_path / f"population-{number}.csv"
        path.write_text(text, encoding="utf-8")
        assert publish(platform, "population", path).state == "succeeded"
        with platform.db.uow(read_only=True) as uow:
            ids.append(libraries.get_version(uow, SYSTEM, "population", number).id)
    return {"v1": ids[0], "v2": ids[1], "sha256": hashlib.sha256(SECOND.encode()).hexdigest()}


def _claim(client: TestClient, headers: dict[str, str], sha256: str) -> dict[str, Any]:
    body = {"title": "Population tables 2025", "file_sha256": sha256, **CLAIM}
    return ok(client.post("/api/v1/registry/optouts", json=body, headers=headers), 201)  # type: ignore[no-any-return]


def _actions(client: TestClient, regulator: dict[str, str]) -> list[str]:
    events = ok(client.get("/api/v1/audit/events?limit=1000", headers=regulator))
    return [e["action"] for e in (events["items"] if isinstance(events, dict) else events)]


def test_confirmed_claim_withdraws_the_versions_from_the_work(
    client: TestClient, people: Any, versions: dict[str, Any]
) -> None:
    system = registered(client, people, lineage_version=versions["v2"])
    producer, owner = people["producer"].headers, people["member"].headers
    regulator, author = people["regulator"].headers, people["outsider"].headers
    done = _claim(client, author, versions["sha256"])
    # a claim from anyone signed in: flagged and announced, nothing withdrawn yet
    assert done["work"]["state"] == "pending" and done["work"]["claimant"] == CLAIM["claimant"]
    assert done["versions_marked"] == [versions["v2"]] and done["versions_withdrawn"] == []
    assert client.get("/libraries/population/v/2/files.json").status_code == 200
    work_id = done["work"]["id"]
    notes = ok(client.get("/api/v1/registry/notifications?organisation=stat-gov", headers=producer))
    claim_note = next(n for n in notes if n["kind"] == "optout_claim")
    assert (
        claim_note["data"]["versions"] == ["population v2"]
        and CLAIM["claimant"] in claim_note["message"]["en"]
    )
    # the evidence is for the producer and the regulator, not for the public or other users
    evidence = ok(client.get(f"/api/v1/registry/optouts/{work_id}/claim", headers=producer))
    assert evidence["evidence"] == CLAIM["evidence"] and evidence["versions"] == ["population v2 (published)"]
    assert client.get(f"/api/v1/registry/optouts/{work_id}/claim", headers=author).status_code == 403
    answer = {"reason": "the tables are the claimant's own compilation"}
    refused = client.post(f"/api/v1/registry/optouts/{work_id}/confirm", json=answer, headers=author)
    assert refused.status_code == 403 and refused.json()["ok"] is False

    confirmed = ok(client.post(f"/api/v1/registry/optouts/{work_id}/confirm", json=answer, headers=producer))
    assert confirmed["versions_withdrawn"] == [versions["v2"]] and confirmed["work"]["state"] == "active"
    assert confirmed["systems_notified"] == [system["id"]]
    gone = client.get("/libraries/population/v/2/data/population-2.parquet")
    assert gone.status_code == 410 and "Population tables 2025" in gone.json()["error"]["message"]
    assert client.get("/libraries/population/v/2/files.json").status_code == 410
    latest = client.get("/libraries/population/latest/files.json", follow_redirects=False)
    assert latest.status_code == 302 and latest.headers["location"].startswith("/libraries/population/v/1/")
    assert client.get("/libraries/population/v/1/files.json").status_code == 200  # v1 untouched
    read = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))
    assert read["lineage_flagged"] and "withdrawn" in read["lineage_flags"][0]
    draft = create(client, owner)
    link = {"library_slug": "population", "number": 2}
    linked = client.post(f"/api/v1/registry/systems/{draft['id']}/lineage", json=link, headers=owner)
    assert linked.status_code == 409 and linked.json()["error"]["code"] == "version_withdrawn"
    kinds = [n["kind"] for n in ok(client.get("/api/v1/registry/notifications", headers=owner))]
    assert "optout_withdrawn" in kinds
    again = client.post(f"/api/v1/registry/optouts/{work_id}/confirm", json=answer, headers=producer)
    assert again.status_code == 409 and again.json()["error"]["code"] == "optout_not_pending"
    actions = _actions(client, regulator)
    assert {"optout.register", "optout.confirm", "library.version.withdraw"} <= set(actions)


def test_a_claim_the_regulator_registers_withdraws_at_once(
    client: TestClient, people: Any, versions: dict[str, Any]
) -> None:
    done = _claim(client, people["regulator"].headers, versions["sha256"])
    assert done["work"]["state"] == "active" and done["versions_withdrawn"] == [versions["v2"]]
    assert client.get("/libraries/population/v/2/files.json").status_code == 410


def test_a_disputed_claim_is_decided_by_the_regulator_and_a_wrongful_one_removed(
    client: TestClient, people: Any, platform: Any, versions: dict[str, Any], tmp_path: Path
) -> None:
    system = registered(client, people, lineage_version=versions["v2"])
    producer, owner = people["producer"].headers, people["member"].headers
    regulator, author = people["regulator"].headers, people["outsider"].headers
    work_id = _claim(client, author, versions["sha256"])["work"]["id"]
    assert ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))["lineage_flagged"]
    reason = {"reason": "the Bureau compiled these totals itself from the census"}
    url = f"/api/v1/registry/optouts/{work_id}"
    assert client.post(f"{url}/dispute", json=reason, headers=author).status_code == 403
    disputed = ok(client.post(f"{url}/dispute", json=reason, headers=producer))
    assert disputed["state"] == "disputed"
    assert client.post(f"{url}/confirm", json=reason, headers=producer).status_code == 409
    assert ok(client.get(f"{url}/claim", headers=regulator))["dispute_reason"] == reason["reason"]
    # while disputed, the claim still stops the file from being published again
    path = tmp_path / "again.csv"
    path.write_text(SECOND, encoding="utf-8")
    blocked = publish(platform, "population", path)
    assert blocked.state == "failed" and blocked.error is not None
    assert "Population tables 2025" in blocked.error.message
    decision = {"uphold": False, "reason": "the claimant showed no authorship of official statistics"}
    assert client.post(f"{url}/decide", json=decision, headers=producer).status_code == 403
    removed = ok(client.post(f"{url}/decide", json=decision, headers=regulator))
    assert removed["work"]["state"] == "removed" and removed["versions_withdrawn"] == []
    # the version was never withdrawn; its flag is gone; the file publishes again
    assert client.get("/libraries/population/v/2/files.json").status_code == 200
    read = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))
    assert read["lineage_flagged"] is False
    notes = ok(client.get("/api/v1/registry/notifications?organisation=stat-gov", headers=producer))
    removed_note = next(n for n in notes if n["kind"] == "optout_removed")
    assert (
        removed_note["data"]["reason"] == decision["reason"] and "wrongful" in removed_note["message"]["en"]
    )
    assert publish(platform, "population", path).state == "succeeded"
    assert client.post(f"{url}/decide", json=decision, headers=regulator).status_code == 409
    actions = _actions(client, regulator)
    assert {"optout.dispute", "optout.decide"} <= set(actions)


def test_the_regulator_upholds_a_disputed_claim(
    client: TestClient, people: Any, versions: dict[str, Any]
) -> None:
    work_id = _claim(client, people["outsider"].headers, versions["sha256"])["work"]["id"]
    url = f"/api/v1/registry/optouts/{work_id}"
    ok(
        client.post(
            f"{url}/dispute", json={"reason": "we doubt the claim"}, headers=people["producer"].headers
        )
    )
    decision = {"uphold": True, "reason": "the certificate KZ-AC 004512 is genuine"}
    upheld = ok(client.post(f"{url}/decide", json=decision, headers=people["regulator"].headers))
    assert upheld["work"]["state"] == "active" and upheld["versions_withdrawn"] == [versions["v2"]]
    assert client.get("/libraries/population/v/2/files.json").status_code == 410


def test_a_producer_confirms_for_its_own_libraries_only(
    client: TestClient, people: Any, platform: Any, versions: dict[str, Any], tmp_path: Path
) -> None:
    # other-org (the outsider is its admin) published the same file in its own library
    make_library(platform, "population-copy", org="other-org")
    path = tmp_path / "copy.csv"
    path.write_text(SECOND, encoding="utf-8")
    assert publish(platform, "population-copy", path).state == "succeeded"
    done = _claim(client, people["operator"].headers, versions["sha256"])
    assert len(done["versions_marked"]) == 2
    url = f"/api/v1/registry/optouts/{done['work']['id']}/confirm"
    answer = {"reason": "we accept the claimant's certificate"}
    first = ok(client.post(url, json=answer, headers=people["producer"].headers))
    assert first["versions_withdrawn"] == [versions["v2"]] and first["work"]["state"] == "pending"
    assert client.get("/libraries/population-copy/v/1/files.json").status_code == 200
    second = ok(client.post(url, json=answer, headers=people["outsider"].headers))
    assert len(second["versions_withdrawn"]) == 1 and second["work"]["state"] == "active"
    assert client.get("/libraries/population-copy/v/1/files.json").status_code == 410


def test_an_unanswered_claim_is_overdue_in_the_regulator_s_queue(
    client: TestClient, people: Any, platform: Any, versions: dict[str, Any]
) -> None:
    from datetime import timedelta

    from qazai.core.clock import utcnow
    from qazai.storage.tables.registry import OptOutWorkRow

    work = _claim(client, people["outsider"].headers, versions["sha256"])["work"]
    assert work["answer_due_on"] is not None and work["overdue"] is False
    queue = ok(client.get("/api/v1/registry/optouts?state=pending"))
    assert [w["id"] for w in queue] == [work["id"]] and ok(
        client.get("/api/v1/registry/optouts?state=active")
    ) == []
    with platform.db.uow() as uow:  # the claim was filed a month ago and nobody answered
        row = uow.session.get(OptOutWorkRow, work["id"])
        assert row is not None
        row.created_at = utcnow() - timedelta(days=31)
        uow.commit()
    [late] = ok(client.get("/api/v1/registry/optouts?state=pending"))
    assert late["overdue"] is True
    bad = client.get("/api/v1/registry/optouts?state=lost")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_state"
