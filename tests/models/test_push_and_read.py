"""Model repositories through the service: create, push a tiny real model, read it back."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from qazai.core.enums import AccessTier
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from qazai.identity.actor import ANONYMOUS, SYSTEM
from qazai.models import reads
from qazai.models.models import FileFormat, ModelSearch
from tests.models.factory import create_repo, full_card, push_folder, push_tiny_model, write_tiny_model


def test_push_stores_files_content_addressed_with_sha256_and_tensor_summary(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    version = push_tiny_model(platform, folder=tmp_path / "m")
    assert len(version.revision) == 40 and int(version.revision, 16) >= 0
    assert version.tag == "v1"
    by_path = {f.path: f for f in version.files}
    assert set(by_path) == {"config.json", "model.safetensors"}
    weights = by_path["model.safetensors"]
    raw = (tmp_path / "m" / "model.safetensors").read_bytes()
    assert weights.sha256 == hashlib.sha256(raw).hexdigest()
    assert weights.object_key.startswith("sha256/") and weights.object_key.endswith(weights.sha256)
    assert b"".join(platform.objects.open(weights.object_key)) == raw
    assert weights.format == FileFormat.safetensors and weights.preferred
    assert weights.tensors is not None
    assert weights.tensors["count"] == 3
    assert weights.tensors["parameters"] == 16 * 8 + 3 * 8 + 4
    assert weights.tensors["dtypes"] == {"F32": 16 * 8 + 3 * 8, "I64": 4}
    assert by_path["config.json"].format == FileFormat.json and not by_path["config.json"].preferred


def test_revisions_resolve_by_main_tag_full_id_and_prefix(platform: Any, people: Any, tmp_path: Path) -> None:
    first = push_tiny_model(platform, folder=tmp_path / "a")
    second = push_folder(
        platform, "stat-gov/tiny-model", write_tiny_model(tmp_path / "b", seed=1), tag="release-2"
    )
    assert second.parent_revision == first.revision and second.revision != first.revision
    with platform.db.uow(read_only=True) as uow:
        assert reads.resolve_revision(uow, ANONYMOUS, "stat-gov/tiny-model").revision == second.revision
        assert reads.resolve_revision(uow, ANONYMOUS, "stat-gov/tiny-model", "main").tag == "release-2"
        assert reads.resolve_revision(uow, ANONYMOUS, "stat-gov/tiny-model", "v1").revision == first.revision
        assert reads.resolve_revision(uow, ANONYMOUS, "stat-gov/tiny-model", first.revision).tag == "v1"
        assert reads.resolve_revision(uow, ANONYMOUS, "stat-gov/tiny-model", first.revision[:10]).tag == "v1"
        with pytest.raises(NotFound) as missing:
            reads.resolve_revision(uow, ANONYMOUS, "stat-gov/tiny-model", "v9")
        assert missing.value.code == "revision_not_found"
        with pytest.raises(NotFound) as nothex:
            reads.resolve_revision(uow, ANONYMOUS, "stat-gov/tiny-model", "0" * 40)
        assert nothex.value.code == "revision_not_found"
        files = reads.list_version_files(uow, ANONYMOUS, "stat-gov/tiny-model", "v1")
        assert [f.path for f in files] == ["config.json", "model.safetensors"]


@pytest.mark.parametrize(
    "bad", ["stat-gov/../x", "../etc", "stat-gov", "a/b/c", "stat-gov/.hidden", "stat-gov/a..b"]
)
def test_bad_repo_ids_are_refused_by_name(platform: Any, bad: str) -> None:
    with platform.db.uow(read_only=True) as uow, pytest.raises(InvalidInput) as err:
        reads.get_model_repo(uow, ANONYMOUS, bad)
    assert err.value.code == "invalid_repo_id"


def test_unknown_organisation_and_taken_name_are_refused(platform: Any, people: Any) -> None:
    with pytest.raises(NotFound) as unknown:
        create_repo(platform, org="no-such-org")
    assert unknown.value.code == "organisation_not_found"
    create_repo(platform)
    with pytest.raises(Conflict):
        create_repo(platform)


def test_only_producers_create_and_push(platform: Any, people: Any, tmp_path: Path) -> None:
    from qazai.identity import service as identity

    with platform.db.uow(read_only=True) as uow:
        member = identity.load_actor(uow, people["member"].user_id)
        producer = identity.load_actor(uow, people["producer"].user_id)
    with pytest.raises(PermissionDenied):
        create_repo(platform, actor=member)
    repo_id = create_repo(platform, actor=producer)
    with pytest.raises(PermissionDenied):
        push_folder(platform, repo_id, write_tiny_model(tmp_path / "m"), actor=member)
    assert push_folder(platform, repo_id, tmp_path / "m", actor=producer).number == 1


def test_tiers_gate_the_bytes_not_the_metadata(platform: Any, people: Any, tmp_path: Path) -> None:
    from qazai.identity import service as identity
    from qazai.models import access

    push_tiny_model(platform, repo_id="stat-gov/gated", tier=AccessTier.registered, folder=tmp_path / "m")
    with platform.db.uow(read_only=True) as uow:
        outsider = identity.load_actor(uow, people["outsider"].user_id)
        assert reads.get_model_repo(uow, ANONYMOUS, "stat-gov/gated").gated
        assert reads.resolve_revision(uow, ANONYMOUS, "stat-gov/gated").files
        with pytest.raises(Unauthenticated):
            reads.resolve_model_file(uow, ANONYMOUS, "stat-gov/gated", "main", "config.json")
        with pytest.raises(PermissionDenied) as terms:
            reads.resolve_model_file(uow, outsider, "stat-gov/gated", "main", "config.json")
        assert terms.value.code == "terms_not_accepted"
    with platform.db.uow() as uow:
        access.accept_model_terms(uow, outsider, "stat-gov/gated")
    with platform.db.uow(read_only=True) as uow:
        served = reads.resolve_model_file(uow, outsider, "stat-gov/gated", "main", "config.json")
        assert not served.public and served.size == (tmp_path / "m" / "config.json").stat().st_size
        with pytest.raises(NotFound) as nofile:
            reads.resolve_model_file(uow, outsider, "stat-gov/gated", "main", "nope.bin")
        assert nofile.value.code == "file_not_found"


def test_search_finds_by_words_in_any_script_and_filters(platform: Any, people: Any) -> None:
    from qazai.core.text import LocalizedText

    create_repo(
        platform, "kazakh-translator", task="translation", title=LocalizedText(kk="Қазақша аударма моделі")
    )
    create_repo(platform, "ner-kk", task="token-classification", languages=["kk"], licence="MIT")
    create_repo(platform, "other", org="other-org", task="translation", languages=["en"])
    with platform.db.uow(read_only=True) as uow:

        def names(**query: Any) -> list[str]:
            return [
                r.repo_id
                for r in reads.list_model_repos(uow, SYSTEM, ModelSearch(sort="name", **query)).items
            ]

        assert names(q="аударма") == ["stat-gov/kazakh-translator"]
        assert names(q="audarma") == ["stat-gov/kazakh-translator"]
        assert names(task="translation") == ["other-org/other", "stat-gov/kazakh-translator"]
        assert names(licence="mit") == ["stat-gov/ner-kk"]
        assert names(language="en") == ["other-org/other"]
        assert names(organisation="other-org") == ["other-org/other"]
        first = reads.list_model_repos(uow, SYSTEM, ModelSearch(sort="name", limit=2))
        assert len(first.items) == 2 and first.next
        rest = reads.list_model_repos(uow, SYSTEM, ModelSearch(sort="name", limit=2, cursor=first.next))
        assert [r.repo_id for r in rest.items] == ["stat-gov/ner-kk"] and rest.next is None
        with pytest.raises(NotFound):
            names(organisation="nobody")


def test_card_is_checked_before_publishing(platform: Any, people: Any, tmp_path: Path) -> None:
    from qazai.models.models import TrainingData

    repo_id = create_repo(platform)
    folder = write_tiny_model(tmp_path / "m")
    with pytest.raises(InvalidInput) as incomplete:
        push_folder(platform, repo_id, folder, card=full_card(evaluation=None, risk_class=None))
    assert incomplete.value.code == "card_incomplete"
    assert incomplete.value.details["missing"] == ["evaluation", "risk_class"]
    with pytest.raises(InvalidInput) as on_platform:
        push_folder(
            platform, repo_id, folder, card=full_card(training_data=TrainingData(trained_on_platform=True))
        )
    assert on_platform.value.details["missing"] == ["training_data.library_versions"]
    with platform.db.uow(read_only=True) as uow:
        assert reads.list_model_versions(uow, SYSTEM, repo_id) == []


def test_search_sees_new_and_updated_repositories_at_once(platform: Any, people: Any, tmp_path: Path) -> None:
    create_repo(platform, "first-model")
    with platform.db.uow(read_only=True) as uow:
        assert [r.repo_id for r in reads.list_model_repos(uow, SYSTEM, ModelSearch(q="model")).items] == [
            "stat-gov/first-model"
        ]
    create_repo(platform, "second-model")
    push_folder(platform, "stat-gov/first-model", write_tiny_model(tmp_path / "m"))  # updates the repo
    with platform.db.uow(read_only=True) as uow:
        newest_first = [r.repo_id for r in reads.list_model_repos(uow, SYSTEM, ModelSearch(q="model")).items]
    assert newest_first == ["stat-gov/first-model", "stat-gov/second-model"]


def test_restricted_models_need_an_approved_unexpired_grant_and_reads_are_audited(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    from datetime import date, timedelta

    from sqlalchemy import select

    from qazai.identity import service as identity
    from qazai.libraries.models import GrantCreate, GrantDecision
    from qazai.models import access
    from qazai.storage.tables.audit import AuditEventRow

    push_tiny_model(platform, repo_id="stat-gov/clinical", tier=AccessTier.restricted, folder=tmp_path / "m")
    with platform.db.uow(read_only=True) as uow:
        outsider = identity.load_actor(uow, people["outsider"].user_id)
        producer = identity.load_actor(uow, people["producer"].user_id)
        with pytest.raises(PermissionDenied) as refused:
            reads.resolve_model_file(uow, outsider, "stat-gov/clinical", "main", "model.safetensors")
        assert refused.value.code == "grant_required"
    with platform.db.uow() as uow:
        grant = access.request_model_grant(
            uow,
            outsider,
            "stat-gov/clinical",
            GrantCreate(purpose="Triage research at KazNMU, ethics 12/2026"),
        )
    approve = GrantDecision(approve=True, expires_on=date.today() + timedelta(days=30))
    with platform.db.uow() as uow, pytest.raises(NotFound):
        access.decide_model_grant(uow, people_actor(platform, people["member"].user_id), grant.id, approve)
    with platform.db.uow() as uow:
        decided = access.decide_model_grant(uow, producer, grant.id, approve)
    assert decided.active
    with platform.db.uow(read_only=True) as uow:
        served = reads.resolve_model_file(uow, outsider, "stat-gov/clinical", "main", "model.safetensors")
    assert served.audited and not served.public
    reads.record_model_file_read(platform.db, outsider, served, served.path, "bytes=0-99")
    with platform.db.uow(read_only=True) as uow:
        actions = uow.session.scalars(select(AuditEventRow.action)).all()
    assert {"model.grant.request", "model.grant.approve", "model.file.read"} <= set(actions)


def people_actor(platform: Any, user_id: str) -> Any:
    from qazai.identity import service as identity

    with platform.db.uow(read_only=True) as uow:
        return identity.load_actor(uow, user_id)


def test_search_forgets_the_old_words_of_an_updated_repository(platform: Any, people: Any) -> None:
    from qazai.core.text import LocalizedText
    from qazai.models import service
    from qazai.models.models import ModelRepoUpdate

    create_repo(platform, "renamed", title=LocalizedText(en="Steppe eagle detector"))
    create_repo(platform, "kept", title=LocalizedText(en="Steppe weather"))

    def found(q: str) -> list[str]:
        with platform.db.uow(read_only=True) as uow:
            return [
                r.repo_id for r in reads.list_model_repos(uow, SYSTEM, ModelSearch(q=q, sort="name")).items
            ]

    assert found("eagle") == ["stat-gov/renamed"] and found("steppe") == ["stat-gov/kept", "stat-gov/renamed"]
    with platform.db.uow() as uow:
        service.update_model_repo(
            uow, SYSTEM, "stat-gov/renamed", ModelRepoUpdate(title=LocalizedText(en="Falcon"))
        )
    assert (
        found("eagle") == []
        and found("falcon") == ["stat-gov/renamed"]
        and found("steppe") == ["stat-gov/kept"]
    )


def test_search_sees_an_update_that_committed_after_a_later_one(platform: Any, people: Any) -> None:
    from datetime import timedelta

    from qazai.storage.tables.models import ModelRepoRow

    create_repo(platform, "early")
    create_repo(platform, "late")
    with platform.db.uow() as uow:  # "early" was last changed an hour ago
        row = uow.session.query(ModelRepoRow).filter_by(name="early").one()
        row.updated_at = row.updated_at - timedelta(hours=1)
        uow.commit()

    def found(q: str) -> list[str]:
        with platform.db.uow(read_only=True) as uow:
            return [
                r.repo_id for r in reads.list_model_repos(uow, SYSTEM, ModelSearch(q=q, sort="name")).items
            ]

    assert found("early") == ["stat-gov/early"]  # the index is built
    with platform.db.uow() as uow:  # a change stamped before the newest one, committed after it
        rows = {r.name: r for r in uow.session.query(ModelRepoRow)}
        rows["early"].title = {"en": "Wolf tracker"}
        rows["early"].updated_at = rows["late"].updated_at - timedelta(seconds=1)
        uow.commit()
    assert found("wolf") == ["stat-gov/early"]
