"""Access requests on the portal (issue 17, point 7): the producer sees who asks and why; the
requester's form goes once a request waits or a grant is in force, and the holder sees until when."""

from __future__ import annotations

from typing import Any

from qazai.web.i18n import LANG_COOKIE
from tests.web.helpers import csrf_of, sign_in
from tests.web.test_libraries_pages import publish_through_wizard, worker_client

__all__ = ["worker_client"]

PURPOSE = "Training a forecasting model for akimats"


def _get(client: Any, url: str, language: str) -> str:
    client.cookies.set(LANG_COOKIE, language)
    try:
        return str(client.get(url).text)
    finally:
        client.cookies.delete(LANG_COOKIE)


def _ask(client: Any, people: Any, slug: str) -> None:
    sign_in(client, people["producer"].email)
    publish_through_wizard(client, slug, tier="restricted")
    client.cookies.clear()
    sign_in(client, people["outsider"].email)
    page = client.get(f"/libraries/{slug}")
    assert 'name="purpose"' in page.text
    asked = client.post(
        f"/libraries/{slug}/access", data={"csrf_token": csrf_of(page.text), "purpose": PURPOSE}
    )
    assert asked.status_code == 200


def test_inbox_shows_who_asks_from_which_organisation_and_why(worker_client: Any, people: Any) -> None:
    client = worker_client
    _ask(client, people, "restricted-who")
    waiting = _get(client, "/libraries/restricted-who", "en")
    access = waiting.split('id="access"')[1]
    assert 'name="purpose"' not in access  # no second request while one waits
    assert "waiting for the producer" in access
    client.cookies.clear()
    sign_in(client, people["producer"].email)
    inbox = _get(client, "/access-requests", "en")
    waiting_part = inbox.split('id="waiting"')[1].split('id="mine"')[0]
    outsider = people["outsider"]
    assert outsider.email in waiting_part and "Outsider" in waiting_part
    assert "Other LLP" in waiting_part  # the requester's organisation
    assert PURPOSE in waiting_part
    assert "Requested on" in waiting_part


def test_approved_grant_hides_the_form_and_shows_its_expiry_to_the_holder(
    worker_client: Any, people: Any
) -> None:
    client = worker_client
    _ask(client, people, "restricted-until")
    client.cookies.clear()
    sign_in(client, people["producer"].email)
    inbox = client.get("/access-requests")
    grant_id = inbox.text.split('action="/access-requests/')[1].split('"')[0]
    client.post(
        f"/access-requests/{grant_id}",
        data={"csrf_token": csrf_of(inbox.text), "decision": "approve", "expires_on": "2030-01-31"},
    )
    client.cookies.clear()
    sign_in(client, people["outsider"].email)
    for language, until in (("ru", "Доступ до 2030-01-31"), ("kk", "2030-01-31 дейін")):
        page = _get(client, "/libraries/restricted-until", language)
        access = page.split('id="access"')[1].split("</section>")[0]
        assert 'name="purpose"' not in access
        assert until in access, access
    mine = _get(client, "/access-requests", "en")
    assert "Access until 2030-01-31" in mine.split('id="mine"')[1]


def test_a_stranger_does_not_see_who_asks(worker_client: Any, people: Any) -> None:
    client = worker_client
    _ask(client, people, "restricted-private")
    client.cookies.clear()
    sign_in(client, people["member"].email)  # of the producer's organisation, not a producer
    inbox = client.get("/access-requests").text
    assert people["outsider"].email not in inbox and PURPOSE not in inbox
