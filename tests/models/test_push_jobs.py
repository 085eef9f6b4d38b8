"""Publishing a model version is a background job on the durable queue: the push is accepted
``processing`` (no reader sees it), the job stores, hashes and scans the files, then the version
appears whole or the push is refused with its findings and the copies nothing else needs are
deleted. A crashed or repeated job never publishes twice or loses a shared object."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from qazai.core.errors import InvalidInput
from qazai.identity.actor import SYSTEM
from qazai.models import reads, service
from qazai.models.models import ModelPushRead, PushState, VersionPush
from qazai.storage.jobs import get_job
from qazai.storage.objects import content_key
from qazai.storage.tables.model_pushes import ModelPushRow
from tests.libraries.publishing import run_jobs
from tests.models.factory import create_repo, full_card, push_folder, write_tiny_model
from tests.models.test_safety import RunsACommand


def _queue(platform: Any, repo_id: str, folder: Path, tag: str | None = None) -> ModelPushRead:
    files = [(p.name, p) for p in sorted(folder.iterdir()) if p.is_file()]
    sources = service.upload_model_files(
        platform.db, platform.objects, SYSTEM, repo_id, files, max_bytes=10**9, retention_days=1
    )
    return service.start_model_push(
        platform.db, SYSTEM, repo_id, VersionPush(tag=tag, card=full_card(), files=sources)
    )


def _push(platform: Any, repo_id: str, push_id: str) -> ModelPushRead:
    with platform.db.uow(read_only=True) as uow:
        return service.get_model_push(uow, SYSTEM, repo_id, push_id)


def _stored(platform: Any) -> set[str]:
    return set(platform.objects.list("sha256/"))


def _versions(platform: Any, repo_id: str) -> list[str]:
    with platform.db.uow(read_only=True) as uow:
        return [v.tag for v in reads.list_model_versions(uow, SYSTEM, repo_id)]


def test_a_refused_push_leaves_nothing_but_what_others_use(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    repo_id, other = create_repo(platform), create_repo(platform, "other")
    shared = write_tiny_model(tmp_path / "shared", seed=1)
    push_folder(platform, other, shared)  # another repo already stores these bytes
    before = _stored(platform)
    folder = write_tiny_model(tmp_path / "bad", seed=2)
    (folder / "config.json").write_bytes((shared / "config.json").read_bytes())
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"hook": RunsACommand()}, protocol=4))
    accepted = _queue(platform, repo_id, folder, tag="v1")
    assert accepted.state == PushState.processing and accepted.version is None

    [job] = run_jobs(platform)
    assert job.state.value == "failed" and job.error is not None and job.error.code == "unsafe_pickle"
    refused = _push(platform, repo_id, accepted.push_id)
    assert refused.state == PushState.refused and refused.version is None and refused.error is not None
    assert (
        refused.error["code"] == "unsafe_pickle" and refused.error["details"]["path"] == "pytorch_model.bin"
    )
    assert any("system" in f["message"] for f in refused.error["details"]["findings"])
    # model.safetensors (new bytes) was copied before the pickle was scanned: it is gone again;
    # config.json is the other repo's too and stays; nothing half-published.
    assert _stored(platform) == before
    assert _versions(platform, repo_id) == [] and _versions(platform, other) == ["v1"]
    with platform.db.uow(read_only=True) as uow:
        assert reads.get_model_repo(uow, SYSTEM, repo_id).latest_revision is None
    # The tag is free again, and running the refused push again refuses it the same way.
    with pytest.raises(InvalidInput) as again:
        service.run_model_push(platform.db, platform.objects, accepted.push_id)
    assert again.value.code == "unsafe_pickle"
    assert push_folder(platform, repo_id, write_tiny_model(tmp_path / "good"), tag="v1").tag == "v1"


def test_a_crash_before_the_version_is_written_is_retried_once_whole(
    platform: Any, people: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo_id = create_repo(platform)
    folder = write_tiny_model(tmp_path / "m")
    accepted = _queue(platform, repo_id, folder)
    write = service._write_version
    calls: list[int] = []

    def crash_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the worker's disk went away")  # after every file was stored
        return write(*args, **kwargs)

    monkeypatch.setattr(service, "_write_version", crash_once)
    run_jobs(platform)
    assert len(calls) == 2
    with platform.db.uow(read_only=True) as uow:
        job = get_job(uow.session, accepted.job_id or "")
    assert job.state.value == "succeeded" and job.attempts == 2
    done = _push(platform, repo_id, accepted.push_id)
    assert done.state == PushState.published and done.version is not None
    assert _versions(platform, repo_id) == ["v1"]
    keys = {content_key(f.sha256) for f in done.version.files}
    assert keys <= _stored(platform) and len(_stored(platform)) == len(keys)
    assert job.result == {
        "push_id": accepted.push_id, "repo": repo_id, "revision": done.version.revision, "tag": "v1"
    }  # fmt: skip


def test_a_job_run_again_after_publishing_returns_the_same_version(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    repo_id = create_repo(platform)
    accepted = _queue(platform, repo_id, write_tiny_model(tmp_path / "m"))
    # The handler finished but the worker died before recording it: the job runs a second time.
    first = service.run_model_push(platform.db, platform.objects, accepted.push_id)
    [job] = run_jobs(platform)
    assert job.state.value == "succeeded" and job.result is not None
    assert job.result["revision"] == first.revision
    assert _versions(platform, repo_id) == ["v1"]


def test_a_clean_up_keeps_what_a_push_in_progress_will_need(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    repo_id = create_repo(platform)
    folder = write_tiny_model(tmp_path / "m", seed=3)
    waiting = _queue(platform, repo_id, folder)
    with platform.db.uow(read_only=True) as uow:
        row = uow.session.get(ModelPushRow, waiting.push_id)
        assert row is not None
        key = content_key(row.request["files"][0]["sha256"])
        # another push's clean-up must keep it; only this push's own refusal may consider it
        assert service.referenced_object_keys(uow.session, [key]) == {key}
        assert service.referenced_object_keys(uow.session, [key], except_push=waiting.push_id) == set()
