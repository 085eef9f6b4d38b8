"""Form validation errors, script messages and job progress in the visitor's language.

Pydantic's English messages stay available under "Technical detail"; what a visitor reads first
is translated by error type and field (`qazai.web.error_messages`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from qazai.core.enums import Language
from qazai.web.error_messages import (
    ERROR_MESSAGES,
    FIELD_LABELS,
    TYPE_MESSAGES,
    VALUE_ERRORS,
    problem_text,
    validation_text,
)
from qazai.web.i18n import translations_for
from qazai.web.job_messages import PROGRESS_MESSAGES, progress_text
from tests.web.helpers import csrf_of, sign_in


def _technical(html: str) -> str:
    """The part of a page under "Technical detail" (where English may stay)."""
    return "".join(re.findall(r'<details class="technical">.*?</details>', html, flags=re.S))


def _outside_technical(html: str) -> str:
    return re.sub(r'<details class="technical">.*?</details>', "", html, flags=re.S)


# -- through the forms --------------------------------------------------------------------------


@pytest.fixture
def listed(platform: Any, people: Any) -> str:
    from qazai.identity.actor import ANONYMOUS
    from qazai.registry import register
    from qazai.registry.demo import seed_registry_demo

    seed_registry_demo(platform.db, platform.objects)
    with platform.db.uow(read_only=True) as uow:
        return register.browse_register(uow, ANONYMOUS).items[0].id


def test_a_too_short_complaint_is_explained_in_kazakh_naming_the_field(
    client: TestClient, listed: str
) -> None:
    page = client.get(f"/register/{listed}")
    short = client.post(
        f"/register/{listed}/complaints",
        data={"csrf_token": csrf_of(page.text), "text": "no"},
        headers={"Accept-Language": "kk"},
    )
    assert short.status_code == 422 and '<html lang="kk">' in short.text
    assert "Сіздің шағымыңыз немесе өтінішіңіз: Тым қысқа: кемінде 5 таңба." in short.text
    assert "String should have at least 5 characters" not in _outside_technical(short.text)
    assert "text: String should have at least 5 characters" in _technical(short.text)


def test_token_form_problems_are_listed_in_russian(client: TestClient, people: Any) -> None:
    sign_in(client, people["member"].email)
    client.post("/language", data={"csrf_token": csrf_of(client.get("/").text), "lang": "ru", "next": "/"})
    page = client.get("/account/tokens")
    refused = client.post(
        "/account/tokens",
        data={"csrf_token": csrf_of(page.text), "name": "", "expires_in_days": "0"},
    )
    assert refused.status_code == 422 and '<html lang="ru">' in refused.text
    shown = _outside_technical(refused.text)
    assert "Название: Это поле обязательно." in shown
    assert "Срок действия (дней): Введите число не меньше 1." in shown
    assert "should" not in shown.split("<main", 1)[1]
    assert "<code>greater_than_equal</code>" in _technical(refused.text)


def test_wizard_without_a_name_asks_for_a_text_in_one_language(client: TestClient, people: Any) -> None:
    sign_in(client, people["member"].email)
    page = client.get("/systems/new", headers={"Accept-Language": "kk"})
    refused = client.post(
        "/systems",
        data={
            "csrf_token": csrf_of(page.text),
            "owner_organisation": "stat-gov",
            "purpose_en": "Checks survey answers.",
            "sector": "public_services",
            "system_type": "language",
            "deployment_context": "Inside the survey tool",
            "affected_persons": "Respondents",
            "notice_en": "This service uses AI.",
            "complaint_contact": "ai@stat.gov.kz",
        },
        headers={"Accept-Language": "kk"},
    )
    assert refused.status_code == 422
    assert "Мәтінді кемінде бір тілде жазыңыз: қазақ, орыс немесе ағылшын." in refused.text
    assert "Input should be a valid dictionary" not in _outside_technical(refused.text)


def test_a_bad_slug_of_a_new_library_is_explained_in_russian(client: TestClient, people: Any) -> None:
    sign_in(client, people["producer"].email)
    client.post("/language", data={"csrf_token": csrf_of(client.get("/").text), "lang": "ru", "next": "/"})
    page = client.get("/publish")
    refused = client.post(
        "/publish/libraries",
        data={
            "csrf_token": csrf_of(page.text),
            "slug": "Not A Slug",
            "organisation": "stat-gov",
            "title_en": "Population",
        },
    )
    assert refused.status_code == 422
    assert (
        "Короткое имя (slug): Используйте строчные латинские буквы, цифры и дефисы (от 1 до 100 симв.)"
        in (refused.text)
    )
    assert "use 1-100 lower-case letters" in _technical(refused.text)


def test_an_operator_giving_a_wrong_bin_reads_kazakh(client: TestClient, people: Any) -> None:
    sign_in(client, people["operator"].email)
    page = client.get("/admin", headers={"Accept-Language": "kk"})
    refused = client.post(
        "/admin/organisations",
        data={
            "csrf_token": csrf_of(page.text),
            "slug": "new-org",
            "name_kk": "Жаңа ұйым",
            "kind": "company",
            "bin": "123",
        },
        headers={"Accept-Language": "kk"},
    )
    assert refused.status_code == 422
    assert "БСН: Бұл жарамды БСН емес: 12 цифр және дұрыс бақылау цифры қажет." in refused.text


def test_a_query_parameter_of_the_wrong_kind_is_explained_on_the_error_page(client: TestClient) -> None:
    page = client.get("/catalog?page=soon", headers={"Accept-Language": "ru"})
    assert page.status_code == 422 and '<html lang="ru">' in page.text
    assert "Страница: Введите целое число." in page.text
    assert "page: Input should be a valid integer" in _technical(page.text)


# -- script requests ------------------------------------------------------------------------------


def test_an_upload_refused_to_the_script_carries_a_translated_text(client: TestClient, people: Any) -> None:
    sign_in(client, people["producer"].email)
    client.post("/language", data={"csrf_token": csrf_of(client.get("/").text), "lang": "kk", "next": "/"})
    token = csrf_of(client.get("/publish").text)
    refused = client.post(
        "/publish/upload/no-such-library",
        data={"csrf_token": token},
        files={"file": ("empty.csv", b"", "text/csv")},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/json")
    error = refused.json()["error"]
    assert error["code"] == "file_required"
    assert error["text"] == "Жүктеу үшін файлды таңдаңыз."
    # the API's own envelope has no translated text
    assert "text" not in client.get("/api/v1/libraries/no-such-library").json()["error"]


def test_upload_form_and_copy_buttons_carry_their_words_for_the_script(
    client: TestClient, people: Any
) -> None:
    from qazai.web.templating import environment

    source = environment.loader.get_source(environment, "publish/upload.html")[0]  # type: ignore[union-attr]
    for attribute in ("data-failed", "data-progress", "data-processing"):
        assert f'{attribute}="{{{{ _(' in source, attribute
    for name in ("libraries/library.html", "account/tokens.html"):
        source = environment.loader.get_source(environment, name)[0]  # type: ignore[union-attr]
        assert source.count("data-copy=") == source.count("data-copied=\"{{ _('Copied') }}\""), name


def test_job_progress_is_polled_in_the_visitors_language(
    client: TestClient, people: Any, platform: Any
) -> None:
    from qazai.storage.jobs import enqueue

    with platform.db.uow() as uow:
        job = enqueue(uow.session, "test.nothing", {"actor_id": people["producer"].user_id})
        uow.commit()
    sign_in(client, people["producer"].email)
    progress = client.get(f"/publish/jobs/{job.id}/progress", headers={"Accept-Language": "ru"})
    assert progress.status_code == 200 and progress.headers["cache-control"] == "no-store"
    # the producer's saved language (Kazakh) comes before the browser's
    assert progress.json()["state_label"] == "Кезекте" and progress.json()["final"] is False
    page = client.get(f"/publish/jobs/{job.id}")
    assert f'data-job="/publish/jobs/{job.id}/progress"' in page.text
    sign_in(client, people["outsider"].email)
    assert client.get(f"/publish/jobs/{job.id}/progress").status_code == 404


# -- the tables -----------------------------------------------------------------------------------


def _gettexts() -> list[tuple[Language, Callable[[str], str]]]:
    return [(lang, translations_for(lang).gettext) for lang in (Language.kk, Language.ru)]


def test_every_field_label_type_message_and_progress_message_is_translated() -> None:
    sources = [
        *FIELD_LABELS.values(),
        *TYPE_MESSAGES.values(),
        *(message for _, message in VALUE_ERRORS),
        *(message for _, message in PROGRESS_MESSAGES),
    ]
    for lang, gettext in _gettexts():
        untranslated = [s for s in sources if gettext(s) == s]
        assert untranslated == [], (lang, untranslated)


def _errors(model: type[BaseModel], data: dict[str, Any]) -> list[Any]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return list(caught.value.errors())


def _value_error_cases() -> list[tuple[type[BaseModel], dict[str, Any]]]:
    from qazai.identity.models import OrganisationCreate, TokenCreate, UserCreate
    from qazai.libraries.models import LibraryCreate, Spatial
    from qazai.registry.models import PilotCreate

    library = {"slug": "ok", "organisation": "stat-gov", "title": {"en": "T"}}
    return [
        (LibraryCreate, {**library, "title": {}}),
        (LibraryCreate, {**library, "slug": "Not A Slug"}),
        (LibraryCreate, {**library, "keywords": ["x" * 201]}),
        (LibraryCreate, {**library, "licence": "my own licence"}),
        (OrganisationCreate, {"slug": "-bad-", "name": {"kk": "Ұйым"}, "kind": "company"}),
        (OrganisationCreate, {"slug": "ok", "name": {"kk": "Ұйым"}, "kind": "company", "bin": "123"}),
        (UserCreate, {"email": "not-an-address", "name": "A"}),
        (TokenCreate, {"name": "t", "scopes": ["everything"]}),
        (TokenCreate, {"name": "t", "scopes": []}),
        (Spatial, {"kato": "12"}),
        (
            PilotCreate,
            {"description": "d", "starts_at": datetime(2026, 1, 1), "ends_at": datetime(2026, 2, 1)},
        ),
    ]


@pytest.mark.parametrize(("model", "data"), _value_error_cases())
def test_every_custom_validator_message_is_recognised(model: type[BaseModel], data: dict[str, Any]) -> None:
    """A model's English validator text changed? Update `VALUE_ERRORS` (and the catalogs)."""
    english = translations_for(Language.en).gettext
    for error in _errors(model, data):
        if error["type"] != "value_error":
            continue
        shown = problem_text(english, error)
        assert shown != TYPE_MESSAGES["value_error"], (model.__name__, error["msg"])


def test_every_field_of_the_commands_the_portal_builds_has_a_label() -> None:
    from qazai.identity.models import (
        MembershipGrant,
        OrganisationCreate,
        PlatformRoleGrant,
        SessionCreate,
        TokenCreate,
        UserCreate,
    )
    from qazai.libraries.models import GrantCreate, GrantDecision, LibraryCreate, PublishRequest, UploadCreate
    from qazai.registry.models import (
        AttestationCreate,
        ClassificationCreate,
        ComplaintCreate,
        LineageLink,
        ModelUsed,
        SystemCreate,
        TransitionCreate,
    )

    commands: list[type[BaseModel]] = [
        SessionCreate,
        TokenCreate,
        OrganisationCreate,
        UserCreate,
        MembershipGrant,
        PlatformRoleGrant,
        GrantCreate,
        GrantDecision,
        LibraryCreate,
        PublishRequest,
        UploadCreate,
        ComplaintCreate,
        TransitionCreate,
        SystemCreate,
        ClassificationCreate,
        AttestationCreate,
        LineageLink,
    ]
    missing = [
        f"{c.__name__}.{name}" for c in commands for name in c.model_fields if name not in FIELD_LABELS
    ]
    missing += [f"models.{name}" for name in ModelUsed.model_fields if f"models.{name}" not in FIELD_LABELS]
    assert missing == []


def test_several_problems_make_a_list_and_everything_is_escaped() -> None:
    gettext = translations_for(Language.kk).gettext
    shown = str(
        validation_text(
            gettext,
            [
                {"type": "missing", "loc": ("body", "email"), "msg": "Field <required>"},
                {"type": "string_too_long", "loc": ("name",), "msg": "too long", "ctx": {"max_length": 200}},
                {"type": "mystery", "loc": ("<b>",), "msg": "what <b>"},
            ],
        )
    )
    assert shown.startswith(gettext(ERROR_MESSAGES["invalid_input"]) + "<ul>")
    assert "<li>Электрондық пошта: Бұл өрісті толтыру міндетті.</li>" in shown
    assert "<li>Атауы: Тым ұзын: ең көбі 200 таңба.</li>" in shown
    assert "<li>Мән жарамсыз.</li>" in shown  # an unknown type and an unknown field
    assert "<b>" not in shown and "&lt;b&gt;" in shown and "Field &lt;required&gt;" in shown


def test_progress_messages_are_translated_and_unknown_ones_kept() -> None:
    gettext = translations_for(Language.ru).gettext
    assert progress_text(gettext, "reading the upload") == "Чтение загруженного файла"
    assert (
        progress_text(gettext, "Population_KZ: read 12,345 rows")
        == "Population_KZ: прочитано строк — 12\u00a0345"
    )
    assert (
        progress_text(gettext, "Population_KZ: de-identified 2/5")
        == "Population_KZ: обезличено частей — 2 из 5"
    )
    assert progress_text(gettext, "calibrating the flux") == "calibrating the flux"
    assert progress_text(gettext, None) == ""


def test_missing_metadata_before_an_upload_is_named_in_kazakh(client: TestClient, people: Any) -> None:
    sign_in(client, people["producer"].email)
    page = client.get("/publish")
    created = client.post(
        "/publish/libraries",
        data={
            "csrf_token": csrf_of(page.text),
            "slug": "bare",
            "organisation": "stat-gov",
            "title_en": "Bare",
        },
    )
    # refused at creation (nothing is created), the mandatory fields named in Kazakh
    assert created.status_code == 422
    needs = created.text.split("Жариялау алдында мына өрістер міндетті:", 1)[1].split("</ul>", 1)[0]
    assert "Сипаттамасы" in needs and "Лицензия" in needs and "description" not in needs, needs


def test_every_plain_progress_message_of_the_pipeline_is_translated() -> None:
    """The pipeline reports progress in English; a new or reworded message needs a pattern in
    `PROGRESS_MESSAGES` (or it shows in English on the job page)."""
    from pathlib import Path

    import qazai.libraries.pipeline as pipeline

    gettext = translations_for(Language.kk).gettext
    said = []
    for source in Path(pipeline.__file__).parent.glob("*.py"):
        said += re.findall(r'progress\([^,()]+,\s*"([^"{}]+)"\)', source.read_text(encoding="utf-8"))
    assert said, "the pipeline reports progress with progress(percent, message)"
    assert [m for m in said if progress_text(gettext, m) == m] == []
