"""Lineage both ways, and a withdrawn library version flagging the models trained on it and the
systems running them (owners notified, the register shows it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qazai.core.errors import Conflict, NotFound
from qazai.identity.actor import SYSTEM
from qazai.libraries import service as libraries
from qazai.libraries.models import VersionWithdraw
from qazai.models import lineage
from qazai.models.models import TrainingData
from tests.libraries.publishing import make_library, publish
from tests.models.factory import create_repo, full_card, push_folder, write_tiny_model
from tests.registry.support import ok, registered

CSV = "region,year,population\nAstana,2025,1423726\nAlmaty,2025,2291126\nShymkent,2025,1222000\n"


@pytest.fixture
def library_version(platform: Any, people: Any, tmp_path: Path) -> str:
    path = tmp_path / "population.csv"
    path.write_text(CSV, encoding="utf-8")
    make_library(platform, "population")
    assert publish(platform, "population", path).state == "succeeded"
    with platform.db.uow(read_only=True) as uow:
        return libraries.get_version(uow, SYSTEM, "population", 1).id


def test_lineage_both_ways_and_withdrawal_flags_models_and_systems(
    client: TestClient, platform: Any, people: Any, library_version: str, tmp_path: Path
) -> None:
    repo_id = create_repo(platform, "census-forecaster")
    card = full_card(training_data=TrainingData(trained_on_platform=True, library_versions=["population@1"]))
    version = push_folder(platform, repo_id, write_tiny_model(tmp_path / "m"), card=card)
    assert [(t.library_slug, t.number, t.source) for t in version.trained_on] == [
        ("population", 1, "declared")
    ]

    system = registered(client, people)
    owner = people["member"].headers
    link = ok(client.post(f"/api/v1/models/-/lineage/systems/{system['id']}/models",
                          json={"repo_id": repo_id}, headers=owner), 201)  # fmt: skip
    assert link["revision"] == version.revision and link["flagged"] is False
    again = client.post(
        f"/api/v1/models/-/lineage/systems/{system['id']}/models", json={"repo_id": repo_id}, headers=owner
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "model_already_linked"

    use = ok(client.get("/api/v1/models/-/lineage/library-versions/population@1"))
    assert [m["repo_id"] for m in use["models"]] == [repo_id]
    assert [s["system_id"] for s in use["systems"]] == [system["id"]]
    behind = ok(client.get(f"/api/v1/models/-/lineage/systems/{system['id']}"))
    assert [(d["library_slug"], d["via"]) for d in behind["data"]] == [
        ("population", f"{repo_id}@{version.revision}")
    ]
    assert (
        ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))["lineage_flagged"] is False
    )

    with platform.db.uow() as uow:
        libraries.withdraw_version(
            uow, SYSTEM, "population", 1, VersionWithdraw(reason="wrong census totals")
        )

    shown = ok(client.get(f"/api/v1/models/{repo_id}/revisions/main"))
    assert shown["flagged"] is True and "wrong census totals" in shown["flag_reasons"][0]
    system_read = ok(client.get(f"/api/v1/registry/systems/{system['id']}", headers=owner))
    assert system_read["lineage_flagged"] is True
    assert any(repo_id in flag and "wrong census totals" in flag for flag in system_read["lineage_flags"])
    flagged = ok(client.get("/api/v1/registry/systems?flagged=true", headers=people["regulator"].headers))[
        "items"
    ]
    assert system["id"] in {s["id"] for s in flagged}
    notes = ok(client.get("/api/v1/registry/notifications", headers=owner))
    kinds = [(n["kind"], n["system_id"]) for n in notes]
    assert ("model_data_withdrawn", None) in kinds  # the model's organisation
    assert ("model_data_withdrawn", system["id"]) in kinds  # the system running it
    assert any("census-forecaster" in n["message"]["kk"] for n in notes)

    # a model trained on a withdrawn version cannot be pushed again with it
    with pytest.raises(Conflict) as refused:
        push_folder(platform, repo_id, tmp_path / "m", card=card)
    assert refused.value.code == "library_version_not_published"


def test_compute_records_training_data_once(
    platform: Any, people: Any, library_version: str, tmp_path: Path
) -> None:
    repo_id = create_repo(platform)
    version = push_folder(platform, repo_id, write_tiny_model(tmp_path / "m"))
    with platform.db.uow() as uow:
        assert lineage.record_training_data(
            uow, SYSTEM, repo_id, version.revision, [library_version], job_id="J1"
        ) == [library_version]
    with platform.db.uow() as uow:
        assert (
            lineage.record_training_data(uow, SYSTEM, repo_id, "main", [library_version], job_id="J1") == []
        )
    with platform.db.uow(read_only=True) as uow:
        use = lineage.library_version_use(uow, SYSTEM, library_version)
        assert [(m.repo_id, m.source) for m in use.models] == [(repo_id, "compute")]
        with pytest.raises(NotFound):
            lineage.library_version_use(uow, SYSTEM, "population@9")


def test_an_authors_confirmed_optout_reaches_the_models_trained_on_the_work(
    client: TestClient, platform: Any, people: Any, library_version: str, tmp_path: Path
) -> None:
    import hashlib

    repo_id = create_repo(platform, "census-model")
    card = full_card(training_data=TrainingData(trained_on_platform=True, library_versions=["population@1"]))
    push_folder(platform, repo_id, write_tiny_model(tmp_path / "m"), card=card)
    claim = {
        "title": "Population tables",
        "file_sha256": hashlib.sha256(CSV.encode()).hexdigest(),
        "claimant": "Ажар Сейітқызы",
        "evidence": "First published in Жұлдыз 3/2019; copyright certificate KZ-AC 004512 of 12.03.2019.",
    }
    done = ok(client.post("/api/v1/registry/optouts", json=claim, headers=people["outsider"].headers), 201)
    # marked, not withdrawn yet: the model is flagged on read, no withdrawal notice
    marked = ok(client.get(f"/api/v1/models/{repo_id}/revisions/main"))
    assert marked["flagged"] and "opted out" in marked["flag_reasons"][0]
    answer = {"reason": "the tables are the claimant's own compilation"}
    ok(client.post(f"/api/v1/registry/optouts/{done['work']['id']}/confirm", json=answer,
                   headers=people["producer"].headers))  # fmt: skip
    withdrawn = ok(client.get(f"/api/v1/models/{repo_id}/revisions/main"))
    assert any("was withdrawn" in reason for reason in withdrawn["flag_reasons"])
    notes = ok(client.get("/api/v1/registry/notifications", headers=people["member"].headers))
    assert any(n["kind"] == "model_data_withdrawn" and "census-model" in n["message"]["en"] for n in notes)


def test_the_public_register_page_shows_the_models_a_system_runs(
    client: TestClient, platform: Any, people: Any, tmp_path: Path
) -> None:
    repo_id = create_repo(platform, "register-model")
    version = push_folder(platform, repo_id, write_tiny_model(tmp_path / "m"))
    system = registered(client, people)
    ok(client.post(f"/api/v1/models/-/lineage/systems/{system['id']}/models", json={"repo_id": repo_id},
                   headers=people["member"].headers), 201)  # fmt: skip
    client.cookies.set("qazai_lang", "kk")
    page = client.get(f"/register/{system['id']}")
    assert page.status_code == 200
    assert f'href="/models/{repo_id}?revision={version.revision}"' in page.text
    assert "Ол пайдаланатын модельдер" in page.text
