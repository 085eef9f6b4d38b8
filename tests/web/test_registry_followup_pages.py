"""Portal pages of the registry's second pass (issue 16): pending revisions of registered systems,
the complainant's status page, the complaints list, trusted lists and opt-out claims."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.registry.support import ok, registered
from tests.web.helpers import csrf_of
from tests.web.test_registry_pages import sign_in_en

NEW_PURPOSE = {"kk": "Жаңа мақсат", "ru": "Новое назначение", "en": "A new purpose for review"}


def test_the_regulator_sees_the_diff_and_approves_and_the_owner_sees_it_pending(
    client: TestClient, people: Any
) -> None:
    system = registered(client, people)
    ok(
        client.patch(
            f"/api/v1/registry/systems/{system['id']}",
            json={"purpose": NEW_PURPOSE},
            headers=people["member"].headers,
        )
    )
    sign_in_en(client, people["member"].email)
    overview = client.get(f"/systems/{system['id']}")
    assert (
        "Changes waiting for the regulator" in overview.text and "A new purpose for review" in overview.text
    )
    assert f"/systems/{system['id']}/revision/" in overview.text  # the owner may withdraw
    client.cookies.clear()

    sign_in_en(client, people["regulator"].email)
    queue = client.get("/review")
    assert (
        "Changes of registered systems (1)" in queue.text and f"/review/{system['id']}#revision" in queue.text
    )
    opened = client.get(f"/review/{system['id']}")
    assert (
        "<del>en: Checks census questionnaires" in opened.text
        or "Checks census questionnaires" in opened.text
    )
    assert "<ins>kk: Жаңа мақсат · ru: Новое назначение · en: A new purpose for review</ins>" in opened.text
    revision_id = system_revision(client, people, system["id"])
    token = csrf_of(opened.text)
    no_reason = client.post(
        f"/review/{system['id']}/revision/{revision_id}", data={"csrf_token": token, "decision": "reject"}
    )
    assert no_reason.status_code == 422 and "Give a reason" in no_reason.text
    approved = client.post(
        f"/review/{system['id']}/revision/{revision_id}", data={"csrf_token": token, "decision": "approve"}
    )
    assert approved.status_code == 200 and "Changes waiting for the regulator" not in approved.text
    client.cookies.clear()
    assert (
        "A new purpose for review"
        in client.get(f"/register/{system['id']}", headers={"Accept-Language": "en"}).text
    )


def system_revision(client: TestClient, people: Any, system_id: str) -> str:
    revisions = ok(
        client.get(f"/api/v1/registry/systems/{system_id}/revisions", headers=people["regulator"].headers)
    )
    return str(revisions[-1]["id"])
