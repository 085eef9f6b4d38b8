"""The AI system pages: public register and system page, complaints, the registration wizard,
the owner's view and the regulator's review queue — through the `client` fixture."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.helpers import csrf_of, sign_in

MINIMAL_ANSWERS = {
    "q_failure_impact": "negligible",
    "q_decisions_about_people": "no",
    "q_human_control": "human_always",
    "q_critical_ict": "no",
    "q_state_information_resource": "no",
}
CHECKLIST = (
    "subliminal_manipulation",
    "unlawful_personal_data",
    "exploiting_vulnerabilities",
    "social_scoring",
    "emotion_recognition_without_consent",
    "realtime_remote_biometric_id",
)
REQUIRED_FOR_MINIMAL = ("purpose", "user_instructions", "terms_of_use")
SYSTEM_FORM = {
    "owner_organisation": "stat-gov",
    "name_kk": "Сауалнама көмекшісі",
    "name_ru": "Помощник анкеты",
    "name_en": "Survey helper",
    "purpose_en": "Checks survey answers for typing mistakes.",
    "sector": "public_services",
    "system_type": "language",
    "deployment_context": "Inside the Bureau's survey tool",
    "affected_persons": "Respondents of surveys",
    "model_name": "KazLLM",
    "notice_kk": "Бұл қызметте жасанды интеллект қолданылады.",
    "notice_ru": "В этом сервисе используется искусственный интеллект.",
    "notice_en": "This service uses artificial intelligence.",
    "complaint_contact": "ai@stat.gov.kz",
}


@pytest.fixture
def listed(platform: Any, people: Any) -> str:
    """The demo census assistant of stat-gov: registered, piloting. Returns its id."""
    from qazai.identity.actor import ANONYMOUS
    from qazai.registry import register
    from qazai.registry.demo import seed_registry_demo

    seed_registry_demo(platform.db, platform.objects)
    with platform.db.uow(read_only=True) as uow:
        entries = register.browse_register(uow, ANONYMOUS).items
    assert len(entries) == 1
    return entries[0].id


def use_language(client: TestClient, lang: str) -> None:
    """Signed-in people see their saved language (Accept-Language only counts for anonymous visitors)."""
    token = csrf_of(client.get("/").text)
    client.post("/language", data={"csrf_token": token, "lang": lang, "next": "/"})


def sign_in_en(client: TestClient, email: str) -> None:
    sign_in(client, email)
    use_language(client, "en")


def system_id_of(url: str) -> str:
    match = re.search(r"/systems/([^/?#]+)", url)
    assert match, url
    return match.group(1)


def register_through_wizard(client: TestClient) -> str:
    """A member creates, classifies, attests, documents and submits a minimal-risk system."""
    start = client.get("/systems/new")
    assert start.status_code == 200
    token = csrf_of(start.text)
    created = client.post("/systems", data={"csrf_token": token, **SYSTEM_FORM})
    assert created.status_code == 200 and str(created.url).endswith("/classify"), created.text
    system_id = system_id_of(str(created.url))
    proposed = client.post(
        f"/systems/{system_id}/classify", data={"csrf_token": token, "action": "propose", **MINIMAL_ANSWERS}
    )
    assert proposed.status_code == 200 and 'name="risk_class"' in proposed.text
    confirmed = client.post(
        f"/systems/{system_id}/classify",
        data={
            "csrf_token": token,
            "action": "confirm",
            "risk_class": "minimal",
            "autonomy_class": "low",
            **MINIMAL_ANSWERS,
        },
    )
    assert str(confirmed.url).endswith("/attest"), confirmed.text
    attested = client.post(
        f"/systems/{system_id}/attest", data={"csrf_token": token, **{f"item_{k}": "no" for k in CHECKLIST}}
    )
    assert str(attested.url).endswith("/documents"), attested.text
    assert "<progress" in attested.text and 'value="0"' in attested.text
    for key in REQUIRED_FOR_MINIMAL:
        uploaded = client.post(
            f"/publish/upload/ai-systems/{system_id}",
            data={"csrf_token": token, "template": key},
            files={"file": (f"{key}.md", f"# {key}\n".encode(), "text/markdown")},
        )
        assert uploaded.status_code == 200, uploaded.text
    assert 'value="100"' in uploaded.text and "purpose.md" in uploaded.text
    submitted = client.post(f"/systems/{system_id}/transition", data={"csrf_token": token, "to": "submitted"})
    assert submitted.status_code == 200 and 'id="system-state">Submitted<' in submitted.text.replace(
        "Жіберілді", "Submitted"
    ), submitted.text
    return system_id


# -- the public register and the system page ------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "heading", "name"),
    [
        ("kk", "Жасанды интеллект жүйелерінің ашық тізілімі", "Санақ сауалнамасының көмекшісі"),
        ("ru", "Открытый реестр систем искусственного интеллекта", "Помощник анкеты переписи"),
        ("en", "Public register of AI systems", "Census questionnaire assistant"),
    ],
)
def test_register_lists_systems_in_each_language_without_sign_in(
    client: TestClient, listed: str, lang: str, heading: str, name: str
) -> None:
    page = client.get("/register", headers={"Accept-Language": lang})
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert heading in page.text and name in page.text and f"/register/{listed}" in page.text


def test_register_search_keeps_matching_systems(client: TestClient, listed: str) -> None:
    assert f"/register/{listed}" in client.get("/register", params={"q": "census"}).text
    assert f"/register/{listed}" in client.get("/register", params={"q": "санақ"}).text
    nothing = client.get("/register", params={"q": "no-such-words"}, headers={"Accept-Language": "en"})
    assert f"/register/{listed}" not in nothing.text and "No AI system matches" in nothing.text


@pytest.mark.parametrize(
    ("lang", "notice_word"), [("kk", "жасанды интеллект"), ("ru", "искусственный интеллект"), ("en", "")]
)
def test_system_page_shows_notice_classes_pilots_in_the_visitors_language(
    client: TestClient, listed: str, lang: str, notice_word: str
) -> None:
    page = client.get(f"/register/{listed}", headers={"Accept-Language": lang})
    assert page.status_code == 200, page.text
    html = page.text
    assert notice_word.lower() in html.lower()
    assert 'action="/register/' in html and 'name="csrf_token"' in html  # the complaint form
    assert "ai@" in html or "@" in html  # the complaint contact
    if lang == "en":
        assert "Risk class" in html and "Pilots" in html and "Running" in html


def test_system_not_on_the_register_is_a_404_page(client: TestClient, people: Any) -> None:
    sign_in_en(client, people["member"].email)
    system_id = register_through_wizard(client)
    client.cookies.clear()
    page = client.get(f"/register/{system_id}")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


def test_anonymous_complaint_is_filed_and_the_owner_answers_it(
    client: TestClient, listed: str, people: Any
) -> None:
    page = client.get(f"/register/{listed}", headers={"Accept-Language": "en"})
    filed = client.post(
        f"/register/{listed}/complaints",
        data={"csrf_token": csrf_of(page.text), "kind": "complaint", "text": "It misread my answer."},
        headers={"Accept-Language": "en"},
    )
    assert filed.status_code == 200 and "Received. The owner must answer by" in filed.text
    sign_in_en(client, people["member"].email)
    overview = client.get(f"/systems/{listed}", headers={"Accept-Language": "en"})
    assert "It misread my answer." in overview.text and "Anonymous" in overview.text
    complaint_id = overview.text.split(f'action="/systems/{listed}/complaints/')[1].split('"')[0]
    answered = client.post(
        f"/systems/{listed}/complaints/{complaint_id}",
        data={"csrf_token": csrf_of(overview.text), "action": "answer", "answer": "Corrected by a person."},
    )
    assert answered.status_code == 200 and "Corrected by a person." in answered.text


def test_complaint_without_csrf_is_refused_and_too_short_text_is_shown(
    client: TestClient, listed: str
) -> None:
    refused = client.post(f"/register/{listed}/complaints", data={"text": "A real complaint"})
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    page = client.get(f"/register/{listed}", headers={"Accept-Language": "en"})
    short = client.post(
        f"/register/{listed}/complaints",
        data={"csrf_token": csrf_of(page.text), "text": "no", "contact_email": "me@example.kz"},
        headers={"Accept-Language": "en"},
    )
    assert short.status_code == 422 and "text:" in short.text and 'value="me@example.kz"' in short.text


# -- the wizard -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "title"),
    [("kk", "ЖИ жүйесін тіркеу"), ("ru", "Зарегистрировать систему ИИ"), ("en", "Register an AI system")],
)
def test_wizard_start_renders_in_each_language(
    client: TestClient, people: Any, lang: str, title: str
) -> None:
    sign_in_en(client, people["member"].email)
    use_language(client, lang)
    page = client.get("/systems/new")
    assert page.status_code == 200 and title in page.text


def test_member_registers_a_system_through_the_wizard(client: TestClient, people: Any) -> None:
    sign_in_en(client, people["member"].email)
    system_id = register_through_wizard(client)
    mine = client.get("/systems", headers={"Accept-Language": "en"})
    assert f"/systems/{system_id}" in mine.text and "Submitted" in mine.text


def test_questionnaire_proposes_with_reasons_and_an_override_needs_a_justification(
    client: TestClient, people: Any
) -> None:
    sign_in_en(client, people["member"].email)
    token = csrf_of(client.get("/systems/new").text)
    created = client.post("/systems", data={"csrf_token": token, **SYSTEM_FORM})
    system_id = system_id_of(str(created.url))
    page = client.get(f"/systems/{system_id}/classify", headers={"Accept-Language": "en"})
    assert page.text.count("<fieldset") == 5 and page.text.count("<legend>") == 5
    answers = {**MINIMAL_ANSWERS, "q_failure_impact": "moral_or_material"}
    proposed = client.post(
        f"/systems/{system_id}/classify",
        data={"csrf_token": token, "action": "propose", **answers},
        headers={"Accept-Language": "en"},
    )
    assert "A failure may cause moral harm or material damage" in proposed.text
    override = client.post(
        f"/systems/{system_id}/classify",
        data={
            "csrf_token": token,
            "action": "confirm",
            "risk_class": "minimal",
            "autonomy_class": "low",
            **answers,
        },
        headers={"Accept-Language": "en"},
    )
    assert override.status_code == 422 and "justification" in override.text
    justified = client.post(
        f"/systems/{system_id}/classify",
        data={
            "csrf_token": token,
            "action": "confirm",
            "risk_class": "minimal",
            "autonomy_class": "low",
            "justification": "Only internal staff see the output.",
            **answers,
        },
    )
    assert str(justified.url).endswith("/attest")


def test_attestation_needs_every_answer_and_submission_lists_what_is_missing(
    client: TestClient, people: Any
) -> None:
    sign_in_en(client, people["member"].email)
    token = csrf_of(client.get("/systems/new").text)
    system_id = system_id_of(str(client.post("/systems", data={"csrf_token": token, **SYSTEM_FORM}).url))
    partial = client.post(
        f"/systems/{system_id}/attest",
        data={"csrf_token": token, "item_social_scoring": "no"},
        headers={"Accept-Language": "en"},
    )
    assert partial.status_code == 422 and "Answer every question of the checklist." in partial.text
    early = client.post(f"/systems/{system_id}/transition", data={"csrf_token": token, "to": "submitted"})
    assert early.status_code == 409 and "classify the system" in early.text


def test_wizard_refuses_people_outside_organisations_and_without_csrf(
    client: TestClient, people: Any
) -> None:
    assert client.get("/systems/new").status_code == 401
    sign_in_en(client, people["regulator"].email)
    assert client.get("/systems/new").status_code == 403
    client.cookies.clear()
    sign_in_en(client, people["member"].email)
    assert client.post("/systems", data=SYSTEM_FORM).status_code == 403  # no CSRF token
    client.cookies.clear()
    sign_in_en(client, people["outsider"].email)  # member of another organisation
    token = csrf_of(client.get("/systems/new").text)
    refused = client.post("/systems", data={"csrf_token": token, **SYSTEM_FORM})
    assert refused.status_code == 403


def test_document_upload_without_csrf_is_refused(client: TestClient, people: Any) -> None:
    sign_in_en(client, people["member"].email)
    response = client.post(
        "/publish/upload/ai-systems/x",
        data={"template": "purpose"},
        files={"file": ("a.md", b"# a", "text/markdown")},
    )
    assert response.status_code == 403


def test_an_outsider_cannot_open_someone_elses_system(client: TestClient, people: Any) -> None:
    sign_in_en(client, people["member"].email)
    system_id = register_through_wizard(client)
    client.cookies.clear()
    sign_in_en(client, people["outsider"].email)
    assert client.get(f"/systems/{system_id}").status_code == 404
    assert client.get(f"/systems/{system_id}/classify").status_code == 404


# -- the regulator ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "title"), [("kk", "Қарау кезегі"), ("ru", "Очередь на рассмотрение"), ("en", "Review queue")]
)
def test_review_queue_renders_in_each_language(
    client: TestClient, people: Any, lang: str, title: str
) -> None:
    sign_in_en(client, people["regulator"].email)
    use_language(client, lang)
    page = client.get("/review")
    assert page.status_code == 200 and title in page.text


def test_review_queue_is_for_the_regulator(client: TestClient, people: Any) -> None:
    assert client.get("/review").status_code == 401
    sign_in_en(client, people["member"].email)
    assert client.get("/review").status_code == 403
    assert 'href="/review"' not in client.get("/").text


def test_regulator_returns_a_submission_and_the_owner_sees_the_reason(
    client: TestClient, people: Any
) -> None:
    sign_in_en(client, people["member"].email)
    system_id = register_through_wizard(client)
    client.cookies.clear()
    sign_in_en(client, people["regulator"].email)
    queue = client.get("/review", headers={"Accept-Language": "en"})
    assert f"/review/{system_id}" in queue.text
    opened = client.get(f"/review/{system_id}", headers={"Accept-Language": "en"})
    token = csrf_of(opened.text)
    assert 'value="in_review"' in opened.text and 'value="registered"' not in opened.text
    taken = client.post(f"/review/{system_id}", data={"csrf_token": token, "to": "in_review"})
    assert 'value="returned"' in taken.text and 'value="registered"' in taken.text
    no_reason = client.post(
        f"/review/{system_id}",
        data={"csrf_token": token, "to": "returned"},
        headers={"Accept-Language": "en"},
    )
    assert no_reason.status_code == 422 and "Give a reason" in no_reason.text
    returned = client.post(
        f"/review/{system_id}",
        data={"csrf_token": token, "to": "returned", "reason": "Describe the survey tool's users."},
    )
    assert returned.status_code == 200 and "Describe the survey tool" in returned.text
    assert f"/review/{system_id}" not in client.get("/review").text
    client.cookies.clear()
    sign_in_en(client, people["member"].email)
    mine = client.get("/systems", headers={"Accept-Language": "en"})
    assert "Returned by the regulator" in mine.text and "Describe the survey tool" in mine.text
    overview = client.get(f"/systems/{system_id}", headers={"Accept-Language": "en"})
    assert 'id="system-state">Returned<' in overview.text and 'id="returned-reason"' in overview.text


def test_regulator_registers_and_the_system_appears_on_the_register(client: TestClient, people: Any) -> None:
    sign_in_en(client, people["member"].email)
    system_id = register_through_wizard(client)
    client.cookies.clear()
    sign_in_en(client, people["regulator"].email)
    token = csrf_of(client.get(f"/review/{system_id}").text)
    client.post(f"/review/{system_id}", data={"csrf_token": token, "to": "in_review"})
    client.post(f"/review/{system_id}", data={"csrf_token": token, "to": "registered"})
    client.cookies.clear()
    assert f"/register/{system_id}" in client.get("/register", params={"q": "survey"}).text
    assert "Бұл қызметте жасанды интеллект қолданылады." in client.get(f"/register/{system_id}").text
