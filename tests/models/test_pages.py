"""Portal pages of models in kk/ru/en: the catalogue with search and filters, a model's page with
its card (rendered safely), files and sizes, licence, the huggingface_hub snippet, lineage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from qazai.core.text import LocalizedText
from tests.models.factory import create_repo, full_card, push_folder, write_tiny_model


def _get(client: TestClient, lang: str, url: str, **kwargs: Any) -> Any:
    client.cookies.set("qazai_lang", lang)
    return client.get(url, **kwargs)


def test_catalogue_and_model_page_in_three_languages(
    client: TestClient, platform: Any, people: Any, tmp_path: Path
) -> None:
    repo_id = create_repo(platform, "kk-translator", task="translation", title=LocalizedText(kk="Аудармашы"))
    create_repo(platform, "other", task="text-classification", licence="MIT")
    card = full_card(description=LocalizedText(kk="Қазақша **сипаттама**", en="English *description*"))
    version = push_folder(platform, repo_id, write_tiny_model(tmp_path / "m"), card=card)

    found = _get(client, "kk", "/models", params={"q": "аудармашы"})
    assert (
        found.status_code == 200
        and "stat-gov/kk-translator" in found.text
        and "stat-gov/other" not in found.text
    )
    filtered = _get(client, "ru", "/models", params={"licence": "MIT"})
    assert "stat-gov/other" in filtered.text and "stat-gov/kk-translator" not in filtered.text

    page = _get(client, "kk", f"/models/{repo_id}")
    assert page.status_code == 200
    html = page.text
    assert "Қазақша <strong>сипаттама</strong>" in html
    assert "model.safetensors" in html and "Apache-2.0" in html and version.revision in html
    assert (
        "snapshot_download(&#34;stat-gov/kk-translator&#34;" in html
        or 'snapshot_download("stat-gov/kk-translator"' in html
    )
    assert f"/{repo_id}/resolve/{version.revision}/model.safetensors" in html
    english = _get(client, "en", f"/models/{repo_id}").text
    assert "English <em>description</em>" in english and "Model card" in english
    russian = _get(client, "ru", f"/models/{repo_id}").text
    assert "Model card" not in russian  # translated


def test_unknown_model_page_is_a_404_page(client: TestClient, people: Any) -> None:
    assert client.get("/models/stat-gov/nothing").status_code == 404


def test_the_registration_wizard_offers_the_platforms_models(
    client: TestClient, platform: Any, people: Any, tmp_path: Path
) -> None:
    from tests.registry.support import create
    from tests.web.helpers import csrf_of, sign_in

    repo_id = create_repo(platform, "triage-model", title=LocalizedText(en="Triage"))
    version = push_folder(platform, repo_id, write_tiny_model(tmp_path / "m"))
    create_repo(platform, "empty-model")  # nothing published: not offered
    system = create(client, people["member"].headers)
    sign_in(client, people["member"].email)
    client.cookies.set("qazai_lang", "en")
    step = client.get(f"/systems/{system['id']}/documents")
    assert step.status_code == 200
    assert f'<option value="{repo_id}">' in step.text and "empty-model" not in step.text
    linked = client.post(
        f"/systems/{system['id']}/models", data={"csrf_token": csrf_of(step.text), "repo_id": repo_id}
    )
    assert linked.status_code == 200 and version.revision[:10] in linked.text
    again = client.post(
        f"/systems/{system['id']}/models", data={"csrf_token": csrf_of(linked.text), "repo_id": repo_id}
    )
    assert again.status_code == 409 and "triage-model" in again.text


def test_a_model_whose_versions_are_all_withdrawn_still_has_a_page(
    client: TestClient, platform: Any, people: Any, tmp_path: Path
) -> None:
    from qazai.identity.actor import SYSTEM
    from qazai.models import service

    repo_id = create_repo(platform, "retired-model")
    version = push_folder(platform, repo_id, write_tiny_model(tmp_path / "m"))
    with platform.db.uow() as uow:
        service.withdraw_model_version(uow, SYSTEM, repo_id, version.revision, "labels were shuffled")
    client.cookies.set("qazai_lang", "en")
    page = client.get(f"/models/{repo_id}")
    assert page.status_code == 200 and version.revision in page.text and "Withdrawn" in page.text
