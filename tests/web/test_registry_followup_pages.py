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


def test_a_complainant_gets_a_receipt_and_follows_the_complaint_without_signing_in(
    client: TestClient, people: Any
) -> None:
    system = registered(client, people)
    form = client.get(f"/register/{system['id']}", headers={"Accept-Language": "ru"})
    filed = client.post(
        f"/register/{system['id']}/complaints",
        data={"csrf_token": csrf_of(form.text), "text": "Система отказала мне без объяснения причин."},
        headers={"Accept-Language": "ru"},
    )
    assert filed.status_code == 200 and "/complaints/C-" in str(filed.url)
    assert "Принято. Владелец должен ответить до" in filed.text and 'id="status-link"' in filed.text
    reference = str(filed.url).split("/complaints/")[1].split("?")[0]
    code = str(filed.url).split("code=")[1].split("&")[0]
    assert f"/complaints/{reference}?code={code}" in filed.text
    # later, from the lookup form
    assert "Reference number" in client.get("/complaints", headers={"Accept-Language": "en"}).text
    later = client.get(
        "/complaints", params={"reference": reference, "code": code}, headers={"Accept-Language": "en"}
    )
    assert (
        later.status_code == 200
        and 'id="complaint-state">Awaiting an answer<' in later.text
        and "No answer yet." in later.text
    )
    assert 'id="status-link"' not in later.text  # the code is shown only with the receipt
    wrong = client.get(
        f"/complaints/{reference}", params={"code": "x" * 22}, headers={"Accept-Language": "en"}
    )
    assert wrong.status_code == 404

    complaint = ok(client.get("/api/v1/registry/complaints", headers=people["regulator"].headers))[0]
    assert complaint["reference"] == reference and complaint["language"] == "ru"
    client.cookies.clear()
    sign_in_en(client, people["member"].email)
    overview = client.get(f"/systems/{system['id']}")
    assert reference in overview.text and "Answer in: Русский" in overview.text
    client.cookies.clear()
    ok(
        client.post(
            f"/api/v1/registry/complaints/{complaint['id']}/answer",
            json={"text": "Решение пересмотрено."},
            headers=people["member"].headers,
        )
    )
    answered = client.get(
        f"/complaints/{reference}", params={"code": code}, headers={"Accept-Language": "kk"}
    )
    assert "Решение пересмотрено." in answered.text and 'id="complaint-state">Жауап берілді<' in answered.text


def test_the_regulator_filters_every_complaint(client: TestClient, people: Any) -> None:
    system = registered(client, people)
    for text in ("First complaint about it.", "Second complaint about it."):
        ok(client.post(f"/api/v1/register/{system['id']}/complaints", json={"text": text}), 201)
    sign_in_en(client, people["regulator"].email)
    assert 'href="/review/complaints"' in client.get("/review").text
    everything = client.get("/review/complaints")
    assert everything.status_code == 200 and "All complaints (2)" in everything.text
    assert "All complaints (0)" in client.get("/review/complaints", params={"state": "answered"}).text
    assert "All complaints (2)" in client.get("/review/complaints", params={"system": system["id"]}).text
    bad = client.get("/review/complaints", params={"filed_from": "2026-05-01", "filed_to": "2026-01-01"})
    assert bad.status_code == 422
    client.cookies.clear()
    sign_in_en(client, people["member"].email)
    assert client.get("/review/complaints").status_code == 403


def test_a_flagged_systems_page_shows_the_controls_of_the_regime(client: TestClient, people: Any) -> None:
    from tests.registry.test_infosec import flagged_system, register_flagged

    system = flagged_system(client, people)
    register_flagged(client, people, system["id"])
    page = client.get(f"/register/{system['id']}", headers={"Accept-Language": "en"})
    assert 'id="infosec-controls"' in page.text
    assert "✓ Pilots and compute jobs run only on the platform&#39;s own infrastructure" in page.text
    ru = client.get(f"/register/{system['id']}", headers={"Accept-Language": "ru"})
    assert "Что требует режим" in ru.text and "Рассмотрение регулятором обязательно" in ru.text
    sign_in_en(client, people["member"].email)
    overview = client.get(f"/systems/{system['id']}")
    assert (
        "✓ State information-security regime: The documents of the state information-security"
        in overview.text
    )


def test_the_owner_changes_a_draft_at_once_and_a_registered_system_through_review(
    client: TestClient, people: Any
) -> None:
    from tests.registry.support import create

    draft = create(client, people["member"].headers)
    system = registered(client, people)
    sign_in_en(client, people["member"].email)
    form = client.get(f"/systems/{draft['id']}/edit")
    assert form.status_code == 200 and "Checks census questionnaires" in form.text
    assert 'name="owner_organisation"' not in form.text  # the owner does not change
    fields = {
        "csrf_token": csrf_of(form.text),
        "name_kk": "Халық санағы көмекшісі",
        "name_ru": "Помощник переписи",
        "name_en": "Census assistant",
        "purpose_en": "Checks and explains census questionnaires",
        "sector": "statistics",
        "system_type": "language",
        "deployment_context": "eGov census portal",
        "affected_persons": "residents filling in the census",
        "model_name": "KazLLM",
        "model_hosted_here": "yes",
        "notice_kk": "Бұл қызмет жасанды интеллектті пайдаланады.",
        "notice_ru": "Эта услуга использует искусственный интеллект.",
        "notice_en": "This service uses artificial intelligence.",
        "complaint_contact": "ai@stat.gov.kz",
    }
    saved = client.post(f"/systems/{draft['id']}/edit", data=fields)
    assert saved.status_code == 200 and "Changes waiting for the regulator" not in saved.text
    record = ok(client.get(f"/api/v1/registry/systems/{draft['id']}", headers=people["member"].headers))
    assert record["purpose"]["en"] == "Checks and explains census questionnaires"
    assert record["purpose"]["kk"] is None  # emptied on the form: the draft changes at once

    overview = client.get(f"/systems/{system['id']}")
    assert f"/systems/{system['id']}/edit" in overview.text
    proposed = client.post(f"/systems/{system['id']}/edit", data=fields)
    assert proposed.status_code == 200 and "Changes waiting for the regulator" in proposed.text
    assert "Checks and explains census questionnaires" in proposed.text
    no_kazakh = client.post(f"/systems/{system['id']}/edit", data=fields | {"notice_kk": ""})
    assert no_kazakh.status_code == 422 and "Kazakh, Russian and English" in no_kazakh.text
