"""The registration wizard asks whether a system produces synthetic content (issue 15, Law on AI
Art. 21), in kk/ru/en; the answer shows on the owner's page and the public register page."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.registry.support import ANSWERS_MINIMAL, MINIMAL_DOCS, create, move, ok, prepare
from tests.web.helpers import csrf_of, sign_in
from tests.web.test_registry_pages import SYSTEM_FORM, sign_in_en, system_id_of, use_language

QUESTION = "Does the system produce synthetic content?"


@pytest.mark.parametrize(
    ("lang", "question", "art21"),
    [
        ("en", QUESTION, "machine-readable mark and a visible warning"),
        ("ru", "Создаёт ли система синтетический контент?", "машиночитаемую метку и видимое предупреждение"),
        ("kk", "Жүйе синтетикалық мазмұн жасай ма?", "машинада оқылатын белгі мен көзге көрінетін ескертуді"),
    ],
)
def test_the_wizard_asks_the_question(
    client: TestClient, people: Any, lang: str, question: str, art21: str
) -> None:
    sign_in_en(client, people["member"].email)
    use_language(client, lang)
    form = client.get("/systems/new").text
    assert question in form and art21 in form
    assert form.count('name="produces_synthetic_content"') == 2
    assert 'value="yes" required' in form and 'value="no" required' in form


def test_the_owners_answer_is_kept_and_shown(client: TestClient, people: Any) -> None:
    sign_in_en(client, people["member"].email)
    token = csrf_of(client.get("/systems/new").text)

    # A generative system answered "no": the answer wins over the type.
    created = client.post(
        "/systems",
        data={
            "csrf_token": token,
            **SYSTEM_FORM,
            "system_type": "generative",
            "produces_synthetic_content": "no",
        },
    )
    assert str(created.url).endswith("/classify"), created.text
    no_id = system_id_of(str(created.url))
    overview = client.get(f"/systems/{no_id}").text
    assert "✓ Produces synthetic content: No" in overview

    # A language system answered "yes": the owner's page says a test label must verify first.
    created = client.post(
        "/systems", data={"csrf_token": token, **SYSTEM_FORM, "produces_synthetic_content": "yes"}
    )
    yes_id = system_id_of(str(created.url))
    overview = client.get(f"/systems/{yes_id}").text
    assert "✗ Produces synthetic content: Yes" in overview and 'href="/verify"' in overview
    edit = client.get(f"/systems/{yes_id}/edit").text
    assert 'value="yes" required checked' in edit and 'value="no" required>' in edit

    # Anything but yes or no is refused, naming the question; nothing is created.
    before = client.get("/systems").text.count("/systems/")
    refused = client.post(
        "/systems", data={"csrf_token": token, **SYSTEM_FORM, "produces_synthetic_content": "maybe"}
    )
    assert refused.status_code == 422 and "Produces synthetic content" in refused.text
    assert client.get("/systems").text.count("/systems/") == before

    # The owner changes the answer on the record's form.
    saved = client.post(
        f"/systems/{yes_id}/edit",
        data={
            "csrf_token": token,
            **{k: v for k, v in SYSTEM_FORM.items() if k != "owner_organisation"},
            "produces_synthetic_content": "no",
        },
    )
    assert saved.status_code == 200 and "✓ Produces synthetic content: No" in saved.text


def test_the_public_page_shows_the_answer(client: TestClient, people: Any) -> None:
    owner, regulator = people["member"].headers, people["regulator"].headers
    system = create(client, owner, system_type="generative", produces_synthetic_content=False)
    prepare(client, owner, system["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)
    ok(move(client, owner, system["id"], "submitted"))
    ok(move(client, regulator, system["id"], "in_review"))
    ok(move(client, regulator, system["id"], "registered"))
    for lang, label, answer in (
        ("en", "Produces synthetic content", "No"),
        ("ru", "Создаёт синтетический контент", "Нет"),
    ):
        page = client.get(f"/register/{system['id']}", headers={"Accept-Language": lang}).text
        assert f'<dt>{label}</dt><dd id="synthetic-content">{answer}</dd>' in page


def test_the_regulator_sees_a_changed_answer_as_yes_or_no(client: TestClient, people: Any) -> None:
    owner, regulator = people["member"].headers, people["regulator"].headers
    system = create(client, owner)
    prepare(client, owner, system["id"], answers=ANSWERS_MINIMAL, docs=MINIMAL_DOCS)
    ok(move(client, owner, system["id"], "submitted"))
    ok(move(client, regulator, system["id"], "in_review"))
    ok(move(client, regulator, system["id"], "registered"))
    ok(
        client.patch(
            f"/api/v1/registry/systems/{system['id']}",
            json={"produces_synthetic_content": True},
            headers=owner,
        )
    )
    sign_in(client, people["regulator"].email)
    use_language(client, "ru")
    review = client.get(f"/review/{system['id']}").text
    assert (
        '<th scope="row">Создаёт синтетический контент</th><td><del>Нет</del></td><td><ins>Да</ins></td>'
        in review
    )
