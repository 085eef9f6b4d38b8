"""Model repos with the real ``huggingface_hub`` client against a real server (``endpoint=``, a
cache in a temp folder, a tiny model made in the test; nothing from any hub): snapshot_download,
hf_hub_download, model_info, list_models, list_repo_files, revisions, the client's own exceptions,
gated access with a QazAI token, and the resume of a download broken halfway."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from safetensors.numpy import save_file
from tests.interop.hf_proxy import CuttingProxy
from tests.models.factory import create_repo, push_folder, write_tiny_model

from qazai.core.enums import AccessTier

pytestmark = pytest.mark.slow

# huggingface_hub writes what it receives in chunks of DOWNLOAD_CHUNK_SIZE (10 MiB) and resumes after
# the last whole chunk: a file just under two chunks, cut just past one, resumes at its half.
BIG_TENSOR_BYTES = 2 * 10 * 1024 * 1024 - 4096


def _sha256(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def _no_ambient_hub_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The client sends no token unless a test gives one (none from the environment or a login)."""
    from huggingface_hub import constants

    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))


@pytest.fixture(scope="module")
def hub(live_server: Any, platform: Any, people: Any, module_tmp: Path) -> dict[str, Any]:
    """``stat-gov/tiny-model`` v1 and v2 (other weights), ``stat-gov/recalled-model`` (v1 withdrawn),
    ``stat-gov/big-model`` (20 MiB of weights, for the resume), ``stat-gov/restricted-model`` with a
    grant for the regulator."""
    from qazai.identity.actor import SYSTEM
    from qazai.identity.service import load_actor
    from qazai.libraries.models import GrantCreate, GrantDecision
    from qazai.models import access, service

    tiny_v1 = write_tiny_model(module_tmp / "tiny-v1", seed=1)
    tiny_v2 = write_tiny_model(module_tmp / "tiny-v2", seed=2)
    create_repo(platform, "tiny-model")
    v1 = push_folder(platform, "stat-gov/tiny-model", tiny_v1)
    v2 = push_folder(platform, "stat-gov/tiny-model", tiny_v2)
    big = module_tmp / "big"
    write_tiny_model(big)
    rng = np.random.default_rng(3)
    save_file(
        {"weight": rng.standard_normal(BIG_TENSOR_BYTES // 4).astype(np.float32)},
        str(big / "model.safetensors"),
    )
    create_repo(platform, "big-model")
    push_folder(platform, "stat-gov/big-model", big)
    create_repo(platform, "recalled-model")
    recalled = push_folder(
        platform, "stat-gov/recalled-model", write_tiny_model(module_tmp / "recalled-1", seed=5)
    )
    push_folder(platform, "stat-gov/recalled-model", write_tiny_model(module_tmp / "recalled-2", seed=6))
    with platform.db.uow() as uow:
        service.withdraw_model_version(
            uow,
            SYSTEM,
            "stat-gov/recalled-model",
            recalled.revision,
            "trained on a withdrawn library version",
        )
    create_repo(platform, "restricted-model", tier=AccessTier.restricted)
    push_folder(platform, "stat-gov/restricted-model", write_tiny_model(module_tmp / "restricted", seed=4))
    with platform.db.uow() as uow:
        grantee = load_actor(uow, people["regulator"].user_id)
        producer = load_actor(uow, people["producer"].user_id)
    with platform.db.uow() as uow:
        grant = access.request_model_grant(
            uow,
            grantee,
            "stat-gov/restricted-model",
            GrantCreate(purpose="evaluate the model for a ministry"),
        )
    with platform.db.uow() as uow:
        access.decide_model_grant(
            uow, producer, grant.id, GrantDecision(approve=True, expires_on=date.today() + timedelta(days=30))
        )
    return {
        "base": live_server.base,
        "server": live_server,
        "v1": v1,
        "v2": v2,
        "folders": {"v1": tiny_v1, "v2": tiny_v2, "big": big},
    }


def _api(hub: dict[str, Any], token: str | bool = False) -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub["base"], token=token)


def test_snapshot_download_gets_every_file_of_the_latest_version(hub: dict[str, Any], tmp_path: Path) -> None:
    from huggingface_hub import snapshot_download
    from safetensors.numpy import load_file

    folder = Path(
        snapshot_download("stat-gov/tiny-model", endpoint=hub["base"], cache_dir=tmp_path, token=False)
    )
    source = hub["folders"]["v2"]
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    for name in ("config.json", "model.safetensors"):
        assert _sha256(folder / name) == _sha256(source / name)
    assert folder.name == hub["v2"].revision  # the cache's snapshot is named by the revision id
    assert load_file(str(folder / "model.safetensors"))["head.steps"].tolist() == [0, 1, 2, 3]


def test_revision_v1_and_a_revision_id_give_the_fixed_first_version(
    hub: dict[str, Any], tmp_path: Path
) -> None:
    from huggingface_hub import hf_hub_download, snapshot_download

    by_tag = hf_hub_download(
        "stat-gov/tiny-model", "model.safetensors", revision="v1", endpoint=hub["base"], cache_dir=tmp_path
    )
    assert _sha256(by_tag) == _sha256(hub["folders"]["v1"] / "model.safetensors")
    by_id = snapshot_download(
        "stat-gov/tiny-model", revision=hub["v1"].revision, endpoint=hub["base"], cache_dir=tmp_path / "ids"
    )
    assert _sha256(Path(by_id) / "model.safetensors") == _sha256(by_tag)


def test_model_info_list_models_and_list_repo_files(hub: dict[str, Any]) -> None:
    api = _api(hub)
    info = api.model_info("stat-gov/tiny-model", files_metadata=True)
    assert info.sha == hub["v2"].revision and info.pipeline_tag == "text-classification"
    assert {s.rfilename: s.lfs.sha256 for s in info.siblings} == {
        name: _sha256(hub["folders"]["v2"] / name) for name in ("config.json", "model.safetensors")
    }
    assert api.model_info("stat-gov/tiny-model", revision="v1").sha == hub["v1"].revision
    assert api.list_repo_files("stat-gov/tiny-model") == ["config.json", "model.safetensors"]
    listed = {m.id: m.gated for m in api.list_models(author="stat-gov")}
    assert listed == {
        "stat-gov/big-model": False,
        "stat-gov/recalled-model": False,
        "stat-gov/restricted-model": "manual",
        "stat-gov/tiny-model": False,
    }
    assert [m.id for m in api.list_models(search="restricted")] == ["stat-gov/restricted-model"]
    # pages of two, followed through the Link header by the client's own paginator
    from huggingface_hub.utils._pagination import paginate

    paged = [m["id"] for m in paginate(f"{hub['base']}/api/models", {"author": "stat-gov", "limit": 2}, {})]
    assert sorted(paged) == sorted(listed) and len(paged) == len(listed)
    assert 'rel="next"' in httpx.get(f"{hub['base']}/api/models", params={"limit": 2}).headers["link"]
    assert list(api.list_models(author="nobody-here")) == []


def test_resolve_head_sends_the_hubs_file_headers(hub: dict[str, Any]) -> None:
    url = f"{hub['base']}/stat-gov/tiny-model/resolve/v1/model.safetensors"
    head = httpx.head(url)
    sha = _sha256(hub["folders"]["v1"] / "model.safetensors")
    size = (hub["folders"]["v1"] / "model.safetensors").stat().st_size
    assert head.status_code == 200
    assert head.headers["x-repo-commit"] == hub["v1"].revision
    assert head.headers["x-linked-etag"] == head.headers["etag"] == f'"{sha}"'
    assert head.headers["x-linked-size"] == head.headers["content-length"] == str(size)
    assert head.headers["accept-ranges"] == "bytes"
    middle = httpx.get(url, headers={"Range": "bytes=8-15"})
    assert (
        middle.status_code == 206
        and middle.content == (hub["folders"]["v1"] / "model.safetensors").read_bytes()[8:16]
    )
    assert httpx.get(url, headers={"If-None-Match": f'"{sha}"'}).status_code == 304
    preflight = httpx.options(
        url, headers={"Origin": "https://app.example", "Access-Control-Request-Headers": "range"}
    )
    assert preflight.status_code == 204 and "Range" in preflight.headers["access-control-allow-headers"]
    assert head.headers["access-control-allow-origin"] == "*"
    assert "X-Repo-Commit" in head.headers["access-control-expose-headers"]


def test_unknown_repo_revision_and_file_raise_the_clients_exceptions(
    hub: dict[str, Any], tmp_path: Path
) -> None:
    from huggingface_hub import hf_hub_download, snapshot_download
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    with pytest.raises(RepositoryNotFoundError):
        _api(hub).model_info("stat-gov/no-such-model")
    with pytest.raises(RepositoryNotFoundError):
        snapshot_download("other-org/tiny-model", endpoint=hub["base"], cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        snapshot_download("stat-gov/tiny-model", revision="v9", endpoint=hub["base"], cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(
            "stat-gov/tiny-model", "config.json", revision="0" * 40, endpoint=hub["base"], cache_dir=tmp_path
        )
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("stat-gov/tiny-model", "pytorch_model.bin", endpoint=hub["base"], cache_dir=tmp_path)
    missing = httpx.head(f"{hub['base']}/stat-gov/tiny-model/resolve/main/pytorch_model.bin")
    assert missing.headers["x-error-code"] == "EntryNotFound"
    assert missing.headers["x-repo-commit"] == hub["v2"].revision  # the client caches the absence
    answer = httpx.get(f"{hub['base']}/api/models/stat-gov/tiny-model/revision/v9")
    assert answer.status_code == 404 and answer.headers["x-error-code"] == "RevisionNotFound"
    assert answer.json()["error"]["code"] == "revision_not_found"  # QazAI's envelope stays


def test_gated_repo_needs_a_qazai_token_with_a_grant(
    hub: dict[str, Any], people: Any, platform: Any, tmp_path: Path
) -> None:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError
    from sqlalchemy import select

    from qazai.storage.tables.audit import AuditEventRow

    repo = "stat-gov/restricted-model"
    assert _api(hub).model_info(repo).gated == "manual"  # the metadata is public
    with pytest.raises(GatedRepoError, match="send an API token"):
        snapshot_download(repo, endpoint=hub["base"], cache_dir=tmp_path / "a", token=False)
    with pytest.raises(GatedRepoError, match="request a grant"):
        snapshot_download(
            repo, endpoint=hub["base"], cache_dir=tmp_path / "b", token=people["outsider"].token
        )
    folder = snapshot_download(
        repo, endpoint=hub["base"], cache_dir=tmp_path / "c", token=people["regulator"].token
    )
    assert (Path(folder) / "model.safetensors").stat().st_size > 0
    with platform.db.uow(read_only=True) as uow:
        reads = uow.session.scalars(
            select(AuditEventRow).where(AuditEventRow.action == "model.file.read")
        ).all()
    assert {r.summary["file"] for r in reads if r.actor_id == people["regulator"].user_id} == {
        "config.json",
        "model.safetensors",
    }


def test_a_download_broken_halfway_resumes_without_reading_the_first_half_again(
    hub: dict[str, Any], tmp_path: Path
) -> None:
    from huggingface_hub import hf_hub_download

    source = hub["folders"]["big"] / "model.safetensors"
    size = source.stat().st_size
    proxy = CuttingProxy(upstream_port=int(hub["base"].rsplit(":", 1)[1]), cut_after=10 * 1024 * 1024 + 65536)
    try:
        path = hf_hub_download(
            "stat-gov/big-model", "model.safetensors", endpoint=proxy.base, cache_dir=tmp_path
        )
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert _sha256(path) == _sha256(source)
    gets = [r for r in proxy.requests if r.startswith("GET /stat-gov/big-model/resolve/")]
    assert len(gets) == 2, gets
    ranges = [line for line in gets[1].split("\r\n") if line.lower().startswith("range:")]
    resumed_at = int(ranges[0].split("=")[1].split("-")[0])
    assert size // 2 <= resumed_at < size  # nothing of the first half is asked for again
    served = [
        r
        for r in hub["server"].access_records()
        if r.get("path") == "/stat-gov/big-model/resolve/main/model.safetensors" and r.get("method") == "GET"
    ]
    assert served[-1]["status"] == 206 and served[-1]["bytes"] == size - resumed_at


def test_a_withdrawn_version_says_why_and_main_moves_back(hub: dict[str, Any], tmp_path: Path) -> None:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import RevisionNotFoundError

    with pytest.raises(RevisionNotFoundError, match="trained on a withdrawn library version"):
        hf_hub_download(
            "stat-gov/recalled-model", "config.json", revision="v1", endpoint=hub["base"], cache_dir=tmp_path
        )
    answer = httpx.get(f"{hub['base']}/stat-gov/recalled-model/resolve/v1/config.json")
    assert answer.status_code == 410 and answer.json()["error"]["code"] == "model_version_withdrawn"
    assert (
        _api(hub).model_info("stat-gov/recalled-model").sha
        == _api(hub).model_info("stat-gov/recalled-model", revision="v2").sha
    )


def test_repo_ids_that_cannot_exist_are_repo_not_found(hub: dict[str, Any]) -> None:
    for path in (
        "/api/models/bert-base-uncased",  # a Hub id without a namespace
        "/api/models/no-such-org/tiny-model",
        "/api/models/stat-gov/a..b",
        "/stat-gov/a..b/resolve/main/config.json",
    ):
        answer = httpx.get(hub["base"] + path)
        assert answer.headers.get("x-error-code") == "RepoNotFound", (path, answer.status_code, answer.text)
        assert answer.json()["ok"] is False


def test_the_hf_command_downloads_with_hf_endpoint_and_hf_token(
    hub: dict[str, Any], people: Any, tmp_path: Path
) -> None:
    """The Hub's own CLI, configured only by environment variables, as a user would."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update(
        HF_ENDPOINT=hub["base"],
        HF_HOME=str(tmp_path / "hf-home"),
        HF_TOKEN=people["regulator"].token,
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    hf = Path(sys.executable).with_name("hf")
    for repo, revision in (("stat-gov/tiny-model", "v1"), ("stat-gov/restricted-model", "main")):
        target = tmp_path / repo.replace("/", "--")
        done = subprocess.run(
            [str(hf), "download", repo, "--revision", revision, "--local-dir", str(target)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert (target / "model.safetensors").stat().st_size > 0
    assert _sha256(tmp_path / "stat-gov--tiny-model" / "model.safetensors") == _sha256(
        hub["folders"]["v1"] / "model.safetensors"
    )


def test_paths_info_takes_form_or_json_and_refuses_anything_else(hub: dict[str, Any]) -> None:
    url = f"{hub['base']}/api/models/stat-gov/tiny-model/paths-info/main"
    as_form = httpx.post(url, data={"paths": ["config.json", "nothing"]})
    as_json = httpx.post(url, json={"paths": ["config.json"]})
    assert [e["path"] for e in as_form.json()] == [e["path"] for e in as_json.json()] == ["config.json"]
    for body in (b"[" * 50_000, b'{"paths": [1, 2]}', b'["config.json"]'):
        answer = httpx.post(url, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code in (413, 422), (body[:20], answer.status_code)
        assert answer.json()["ok"] is False
