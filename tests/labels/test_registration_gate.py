"""A system that makes synthetic content is registered only once a test label of it verified."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.labels.support import encoded, picture
from tests.registry.support import ANSWERS_MINIMAL, MINIMAL_DOCS, create, move, ok, prepare


def test_generative_system_waits_for_a_verified_test_label(
    client: TestClient, people: dict[str, Any]
) -> None:
    owner, regulator = people["member"].headers, people["regulator"].headers
    system = create(client, owner, system_type="generative")
    prepare(client, owner, system["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)
    ok(move(client, owner, system["id"], "submitted"))
    ok(move(client, regulator, system["id"], "in_review"))
    blocked = move(client, regulator, system["id"], "registered")
    assert blocked.status_code == 409
    error = blocked.json()["error"]
    assert error["code"] == "registration_blocked"
    assert "synthetic content" in error["details"]["problems"][0]

    # A label that is made but never checked is not enough; a trusted check is.
    labelled = client.post(
        "/api/v1/labels",
        headers=owner,
        data={"system_id": system["id"]},
        files={"file": ("t.png", encoded(picture(), "PNG"))},
    )
    assert labelled.status_code == 201
    assert move(client, regulator, system["id"], "registered").status_code == 409
    assert (
        ok(client.post("/api/v1/labels/verify", files={"file": ("t.png", labelled.content)}))["verdict"]
        == "trusted"
    )
    assert ok(move(client, regulator, system["id"], "registered"))["state"] == "registered"
    counts = ok(client.get(f"/api/v1/labels/systems/{system['id']}/counts"))
    assert counts["test"] == 1  # made before registration


def test_other_systems_are_registered_without_labels(client: TestClient, people: dict[str, Any]) -> None:
    owner, regulator = people["member"].headers, people["regulator"].headers
    system = create(client, owner)  # a language system: informs users, makes no synthetic media
    prepare(client, owner, system["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)
    ok(move(client, owner, system["id"], "submitted"))
    ok(move(client, regulator, system["id"], "in_review"))
    assert ok(move(client, regulator, system["id"], "registered"))["state"] == "registered"


def test_the_owners_answer_decides_not_the_type(client: TestClient, people: dict[str, Any]) -> None:
    owner, regulator = people["member"].headers, people["regulator"].headers
    # A language system that makes synthetic voices or texts of a person: it declared so, it waits.
    declared = create(client, owner, produces_synthetic_content=True)
    prepare(client, owner, declared["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)
    ok(move(client, owner, declared["id"], "submitted"))
    ok(move(client, regulator, declared["id"], "in_review"))
    blocked = move(client, regulator, declared["id"], "registered")
    assert blocked.status_code == 409
    error = blocked.json()["error"]
    assert error["code"] == "registration_blocked"
    assert "synthetic content" in error["details"]["problems"][0]

    # A generative system whose owner answered no (it only ranks, it makes nothing that imitates).
    answered_no = create(client, owner, system_type="generative", produces_synthetic_content=False)
    prepare(client, owner, answered_no["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)
    ok(move(client, owner, answered_no["id"], "submitted"))
    ok(move(client, regulator, answered_no["id"], "in_review"))
    assert ok(move(client, regulator, answered_no["id"], "registered"))["state"] == "registered"
