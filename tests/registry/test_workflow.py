"""The workflow state machine: every move not in the table is refused with a clear message."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.registry.support import create, move, ok, registered

from qazai.core.errors import Conflict, PermissionDenied
from qazai.registry.workflow import TRANSITIONS, SystemState, Who, allowed_next, check_transition

PAIRS = {(t.source, t.target) for t in TRANSITIONS}
FORBIDDEN = [(s, t) for s, t in product(SystemState, SystemState) if (s, t) not in PAIRS]


@pytest.mark.parametrize(("source", "target"), FORBIDDEN, ids=[f"{s.value}->{t.value}" for s, t in FORBIDDEN])
def test_every_move_outside_the_table_is_a_conflict_naming_the_states(
    source: SystemState, target: SystemState
) -> None:
    with pytest.raises(Conflict) as caught:
        check_transition(source, target, {Who.owner, Who.regulator, Who.screening}, "a reason")
    message = caught.value.message
    assert f"from {source.value} to {target.value}" in message
    nexts = allowed_next(source)
    if nexts:
        assert all(n.value in message for n in nexts)
    else:
        assert "final state" in message
    assert caught.value.details["allowed"] == [n.value for n in nexts]


def test_a_move_in_the_table_needs_the_right_role() -> None:
    with pytest.raises(PermissionDenied):
        check_transition(SystemState.submitted, SystemState.in_review, {Who.owner}, None)
    with pytest.raises(PermissionDenied):
        check_transition(SystemState.draft, SystemState.rejected, {Who.owner, Who.regulator}, "x")
    assert check_transition(SystemState.submitted, SystemState.in_review, {Who.regulator}, None)


def test_forbidden_moves_through_the_api_draft(client: TestClient, people: Any) -> None:
    system = create(client, people["member"].headers)
    for target in ("in_review", "registered", "returned", "suspended", "retired", "draft"):
        response = move(client, people["regulator"].headers, system["id"], target, "because")
        assert response.status_code == 409, (target, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_transition"
        assert error["message"] == (
            f"cannot move a system from draft to {target}; from draft it can go to: submitted, rejected"
        )
        assert error["details"] == {"state": "draft", "target": target, "allowed": ["submitted", "rejected"]}
    # A regulator cannot submit someone else's draft either (not the owner).
    assert move(client, people["regulator"].headers, system["id"], "submitted").status_code == 403
    # An outsider does not even see the draft.
    assert move(client, people["outsider"].headers, system["id"], "submitted").status_code == 404


def test_final_states_allow_nothing(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    ok(move(client, people["member"].headers, system["id"], "retired", "decommissioned"))
    response = move(client, people["regulator"].headers, system["id"], "registered", "again")
    assert response.status_code == 409
    assert "from retired it can go to: none (final state)" in response.json()["error"]["message"]


def test_review_freezes_the_record(client: TestClient, people: Any) -> None:
    owner = people["member"].headers
    system = registered(client, people)
    other = create(client, owner)
    from tests.registry.support import ANSWERS_MINIMAL, MINIMAL_DOCS, prepare

    prepare(client, owner, other["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)
    ok(move(client, owner, other["id"], "submitted"))
    response = client.patch(
        f"/api/v1/registry/systems/{other['id']}", json={"deployment_context": "x"}, headers=owner
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_editable"
    # A registered system can change once the regulator approves the revision, and a material
    # change then asks for re-classification.
    changed = ok(
        client.patch(
            f"/api/v1/registry/systems/{system['id']}", json={"system_type": "generative"}, headers=owner
        )
    )
    assert changed["needs_reclassification"] is False and changed["system_type"] == "language"
    ok(
        client.post(
            f"/api/v1/registry/revisions/{changed['pending_revision']['id']}/decision",
            json={"decision": "approve"},
            headers=people["regulator"].headers,
        )
    )
    entry = ok(client.get("/api/v1/register"))["items"][0]
    assert entry["needs_reclassification"] is True
