"""The airlock over HTTP (/api/v1/airlock) and in the portal (/airlock), on the real app."""

from __future__ import annotations

from typing import Any

import pytest
from tests.compute.airlock_support import BY_REGION, World, make_world
from tests.conftest import Person

from qazai.compute.airlock_models import Variant


@pytest.fixture
def world(platform: Any, people: dict[str, Person]) -> World:
    return make_world(platform, people)


def _error(response: Any) -> str:
    body = response.json()
    assert body["ok"] is False
    return str(body["error"]["code"])


def test_review_and_download_over_http(world: World, client: Any) -> None:
    people = world.people
    table = world.hold({"by_region.csv": BY_REGION})[0]
    url = f"/api/v1/airlock/files/{table.id}"

    queue = client.get("/api/v1/airlock/files?state=pending", headers=people["operator"].headers)
    assert queue.status_code == 200
    assert [f["id"] for f in queue.json()["items"]] == [table.id]
    assert client.get("/api/v1/airlock/files").status_code == 401
    before = client.get(f"{url}/content", headers=people["producer"].headers)
    assert (before.status_code, _error(before)) == (403, "output_not_released")

    preview = client.get(f"{url}/preview", headers=people["operator"].headers)
    assert preview.status_code == 200
    assert preview.json()["marks"] == {"0:n": "suppress", "1:n": "secondary"}

    own = client.post(
        f"{url}/reviews", json={"decision": "approve", "variant": "safe"}, headers=people["member"].headers
    )
    assert (own.status_code, _error(own)) == (403, "own_output")
    first = client.post(
        f"{url}/reviews", json={"decision": "approve", "variant": "safe"}, headers=people["operator"].headers
    )
    assert first.status_code == 201 and first.json()["state"] == "pending"
    again = client.post(
        f"{url}/reviews", json={"decision": "approve", "variant": "safe"}, headers=people["operator"].headers
    )
    assert (again.status_code, _error(again)) == (409, "already_reviewed")
    bad = client.post(
        f"{url}/reviews", json={"decision": "approve", "variant": "both"}, headers=people["regulator"].headers
    )
    assert bad.status_code == 422
    second = client.post(
        f"{url}/reviews", json={"decision": "approve", "variant": "safe"}, headers=people["regulator"].headers
    )
    assert second.json()["state"] == "released"

    released = client.get("/api/v1/airlock/released", headers=people["producer"].headers)
    assert [f["id"] for f in released.json()] == [table.id]
    whole = client.get(f"{url}/content", headers=people["producer"].headers)
    assert whole.status_code == 200
    assert whole.content == b"region,n\nAbai,\nAlmaty,\nAstana,52\nTotal,96\n"
    assert whole.headers["cache-control"] == "private, no-store"
    part = client.get(f"{url}/content", headers={**people["producer"].headers, "Range": "bytes=0-5"})
    assert (part.status_code, part.content) == (206, b"region")
    assert part.headers["content-range"] == f"bytes 0-5/{len(whole.content)}"
    past = client.get(f"{url}/content", headers={**people["producer"].headers, "Range": "bytes=9999-"})
    assert past.status_code == 416
    original = client.get(f"{url}/content?variant=original", headers=people["producer"].headers)
    assert (original.status_code, _error(original)) == (403, "output_not_released")
    outsider = client.get(f"{url}/content", headers=people["outsider"].headers)
    assert (outsider.status_code, _error(outsider)) == (403, "not_project_member")
    audit = client.get("/api/v1/audit/events?limit=100", headers=people["operator"].headers)
    if audit.status_code == 200:
        actions = [e["action"] for e in audit.json()["items"]]
        assert actions.count("airlock.download") == 2  # the whole file and the range; not the 416


def test_unknown_file_and_variant(world: World, client: Any) -> None:
    missing = client.get("/api/v1/airlock/files/nope", headers=world.people["operator"].headers)
    assert (missing.status_code, _error(missing)) == (404, "output_not_found")
    table = world.hold({"by_region.csv": BY_REGION})[0]
    odd = client.get(
        f"/api/v1/airlock/files/{table.id}/content?variant=x", headers=world.people["operator"].headers
    )
    assert (odd.status_code, _error(odd)) == (404, "no_such_variant")


def _sign_in(client: Any, person: Person) -> str:
    response = client.post(
        "/api/v1/sessions", json={"email": person.email, "password": "correct horse battery"}
    )
    assert response.status_code in (200, 201), response.text
    return str(response.json()["csrf_token"])


def test_portal_review_queue_highlights_findings_and_takes_a_decision(world: World, client: Any) -> None:
    table = world.hold({"by_region.csv": BY_REGION})[0]
    csrf = _sign_in(client, world.people["operator"])

    queue = client.get("/airlock", headers={"Accept-Language": "ru"})
    assert queue.status_code == 200
    assert "by_region.csv" in queue.text and "Нәтижелерді тексеру" in queue.text  # the user's language: kk
    page = client.get(f"/airlock/{table.id}", headers={"Accept-Language": "kk"})
    assert page.status_code == 200
    assert 'class="sdc-cell sdc-suppress"' in page.text and 'class="sdc-cell sdc-secondary"' in page.text
    assert "Ұяшықта 4 бақылау бар" in page.text
    decided = client.post(
        f"/airlock/{table.id}",
        data={"decision": "approve", "variant": Variant.safe.value, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    refused = client.post(
        f"/airlock/{table.id}", data={"decision": "reject", "justification": "no", "csrf_token": csrf}
    )
    assert refused.status_code == 409  # this checker has already decided


def test_portal_refuses_a_non_member_and_shows_the_requester_no_bytes(world: World, client: Any) -> None:
    table = world.hold({"by_region.csv": BY_REGION})[0]
    _sign_in(client, world.people["outsider"])
    assert client.get(f"/airlock/{table.id}").status_code == 403
    client.cookies.clear()
    _sign_in(client, world.people["member"])  # the requester (an output checker too)
    page = client.get(f"/airlock/{table.id}")
    assert page.status_code == 200
    assert "sdc-table" not in page.text and 'name="decision"' not in page.text  # no preview, no form
    assert "Abai" not in page.text
    # where the problem is and which rule, not the small count itself
    assert "Ұяшықта … бақылау бар" in page.text and "Ұяшықта 4 бақылау" not in page.text
