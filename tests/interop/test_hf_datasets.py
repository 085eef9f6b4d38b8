"""The data libraries as Hugging Face dataset repos, with the real clients against a real server:
``datasets.load_dataset("stat-gov/population-by-region")`` with ``HF_ENDPOINT`` pointed at QazAI
(in a subprocess: both libraries read the variable once, at import), and ``huggingface_hub``'s
``HfApi`` / ``hf_hub_download`` with ``endpoint=``. Nothing comes from any hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.catalog.conftest import CSV, publish_library

from qazai.core.enums import AccessTier
from qazai.core.text import LocalizedText

pytestmark = pytest.mark.slow

CSV_V2 = CSV + "Karaganda,2023,500000\n"

# Runs in a fresh interpreter with HF_ENDPOINT set; prints one JSON object with what each load gave.
LOAD_SCRIPT = r"""
import json, sys
from datasets import load_dataset

def rows(repo, **kw):
    try:
        return {"rows": [dict(r) for r in load_dataset(repo, split="train", **kw)]}
    except Exception as error:
        return {"error": type(error).__name__, "message": str(error)}

def hf_urls():
    import pandas as pd
    from huggingface_hub import HfFileSystem

    listed = sorted(HfFileSystem().ls("datasets/stat-gov/population-by-region/data", detail=False))
    frame = pd.read_parquet("hf://datasets/stat-gov/population-by-region@v1/data/population-by-region.parquet")
    return {"listed": listed, "rows": frame.to_dict("records")}

tokens = json.loads(sys.argv[1])
print(json.dumps({
    "hf_urls": hf_urls(),
    "latest": rows("stat-gov/population-by-region"),
    "v1": rows("stat-gov/population-by-region", revision="v1"),
    "streaming": rows("stat-gov/population-by-region", streaming=True),
    "missing_revision": rows("stat-gov/population-by-region", revision="v9"),
    "missing_repo": rows("stat-gov/no-such-library"),
    "restricted_anonymous": rows("stat-gov/restricted-survey"),
    "restricted_no_grant": rows("stat-gov/restricted-survey", token=tokens["outsider"]),
    "restricted_granted": rows("stat-gov/restricted-survey", token=tokens["grantee"]),
    "workbook_default": rows("stat-gov/regions-workbook"),
    "workbook_schools": rows("stat-gov/regions-workbook", name="schools"),
}))
"""


@pytest.fixture(autouse=True)
def _no_ambient_hub_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The client sends no token unless a test gives one (none from the environment or a login)."""
    from huggingface_hub import constants

    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))


@pytest.fixture(scope="module")
def server(live_server: Any, platform: Any, people: Any, module_tmp: Path) -> dict[str, Any]:
    """``population-by-region`` with two versions (v2 adds a row), a restricted library, and an
    approved grant for the regulator (not a member of stat-gov) to read it."""
    import openpyxl
    from tests.libraries.publishing import FULL_META, publish

    from qazai.identity.actor import SYSTEM, Actor
    from qazai.identity.service import load_actor
    from qazai.libraries import access
    from qazai.libraries import service as libraries
    from qazai.libraries.models import GrantCreate, GrantDecision, LibraryCreate, VersionWithdraw

    publish_library(
        platform, module_tmp, "population-by-region", title=LocalizedText(en="Population by region")
    )
    second = module_tmp / "v2" / "population-by-region.csv"  # same name: same part name in v2
    second.parent.mkdir()
    second.write_text(CSV_V2, encoding="utf-8")
    assert publish(platform, "population-by-region", second).state.value == "succeeded"
    publish_library(
        platform,
        module_tmp,
        "restricted-survey",
        title=LocalizedText(en="Restricted survey"),
        tier=AccessTier.restricted,
        csv="district,households\nEsil,1200\nSaryarka,900\n",
    )
    publish_library(
        platform,
        module_tmp,
        "registered-survey",
        title=LocalizedText(kk="Мектептер сауалнамасы", en="Registered survey"),
        tier=AccessTier.registered,
        csv="city,schools\nAstana,210\nAlmaty,300\n",
    )
    workbook = openpyxl.Workbook()
    people_sheet = workbook.active
    people_sheet.title = "Халық саны"
    for row in (("region", "population"), ("Astana", 1350000), ("Almaty", 2200000)):
        people_sheet.append(row)
    schools = workbook.create_sheet("Schools")
    for row in (("region", "schools"), ("Astana", 210), ("Almaty", 300), ("Shymkent", 250)):
        schools.append(row)
    workbook.save(module_tmp / "regions-workbook.xlsx")
    with platform.db.uow() as uow:
        libraries.create_library(
            uow,
            SYSTEM,
            LibraryCreate(
                slug="regions-workbook",
                organisation="stat-gov",
                title=LocalizedText(en="Regions"),
                **FULL_META,
            ),
        )
    assert (
        publish(platform, "regions-workbook", module_tmp / "regions-workbook.xlsx").state.value == "succeeded"
    )
    publish_library(platform, module_tmp, "corrected-counts", title=LocalizedText(en="Corrected counts"))
    corrected = module_tmp / "v2" / "corrected-counts.csv"
    corrected.write_text(CSV_V2, encoding="utf-8")
    assert publish(platform, "corrected-counts", corrected).state.value == "succeeded"
    with platform.db.uow() as uow:
        libraries.withdraw_version(
            uow, SYSTEM, "corrected-counts", 1, VersionWithdraw(reason="counts of Karaganda were missing")
        )
    with platform.db.uow() as uow:
        grantee: Actor = load_actor(uow, people["regulator"].user_id)
        producer: Actor = load_actor(uow, people["producer"].user_id)
    with platform.db.uow() as uow:
        grant = access.request_grant(
            uow, grantee, "restricted-survey", GrantCreate(purpose="household statistics for a study")
        )
    with platform.db.uow() as uow:
        access.decide_grant(
            uow, producer, grant.id, GrantDecision(approve=True, expires_on=date.today() + timedelta(days=30))
        )
    return {"base": live_server.base, "log": live_server}


@pytest.fixture(scope="module")
def loads(server: dict[str, Any], people: Any, module_tmp: Path) -> dict[str, Any]:
    """What ``datasets.load_dataset`` gave for each case, from one fresh interpreter."""
    home = module_tmp / "datasets-client"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update(
        HF_ENDPOINT=server["base"],
        HF_HOME=str(home / "hf"),
        HF_DATASETS_CACHE=str(home / "datasets"),
        HOME=str(home),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    tokens = {"outsider": people["outsider"].token, "grantee": people["regulator"].token}
    done = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, json.dumps(tokens)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _regions(load: dict[str, Any]) -> list[str]:
    assert "rows" in load, load
    return sorted(row.get("region") or row.get("district") for row in load["rows"])


def test_load_dataset_reads_the_latest_version(loads: dict[str, Any]) -> None:
    assert _regions(loads["latest"]) == ["Almaty", "Astana", "Karaganda", "Shymkent"]
    assert {row["population"] for row in loads["latest"]["rows"]} >= {500_000, 1_350_000}


def test_load_dataset_revision_v1_reads_the_fixed_first_version(loads: dict[str, Any]) -> None:
    assert _regions(loads["v1"]) == ["Almaty", "Astana", "Shymkent"]


def test_load_dataset_streaming_reads_with_ranges(loads: dict[str, Any]) -> None:
    assert _regions(loads["streaming"]) == ["Almaty", "Astana", "Karaganda", "Shymkent"]


def test_hf_urls_work_through_the_hubs_file_system(loads: dict[str, Any]) -> None:
    """``hf://`` paths (HfFileSystem, as pandas, polars and DuckDB read them) over the same routes."""
    assert loads["hf_urls"]["listed"] == [
        "datasets/stat-gov/population-by-region/data/population-by-region.parquet"
    ]
    assert _regions(loads["hf_urls"]) == ["Almaty", "Astana", "Shymkent"]


def test_load_dataset_unknown_revision_and_repo_are_the_clients_not_found(loads: dict[str, Any]) -> None:
    assert loads["missing_revision"]["error"] == "DatasetNotFoundError"
    assert "Revision 'v9' doesn't exist" in loads["missing_revision"]["message"]
    assert loads["missing_repo"]["error"] == "DatasetNotFoundError"


def test_load_dataset_restricted_library_needs_a_token_with_a_grant(loads: dict[str, Any]) -> None:
    assert "restricted: send an API token" in loads["restricted_anonymous"]["message"]
    assert "request a grant" in loads["restricted_no_grant"]["message"]
    assert _regions(loads["restricted_granted"]) == ["Esil", "Saryarka"]


def test_each_table_of_a_workbook_is_a_configuration(loads: dict[str, Any]) -> None:
    assert sorted(r["population"] for r in loads["workbook_default"]["rows"]) == [1_350_000, 2_200_000]
    assert sorted(r["schools"] for r in loads["workbook_schools"]["rows"]) == [210, 250, 300]


def test_restricted_reads_through_the_hub_routes_are_audited(
    loads: dict[str, Any], platform: Any, people: Any
) -> None:
    from sqlalchemy import select

    from qazai.storage.tables.audit import AuditEventRow

    with platform.db.uow(read_only=True) as uow:
        reads = uow.session.scalars(
            select(AuditEventRow).where(AuditEventRow.action == "library.file.read")
        ).all()
    assert any(r.actor_id == people["regulator"].user_id for r in reads)
    assert all(r.actor_id != people["outsider"].user_id for r in reads)


# -- huggingface_hub against the dataset repos -------------------------------------------------------


def _api(server: dict[str, Any]) -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=server["base"], token=False)


def test_dataset_info_lists_card_and_parquet_parts_with_their_sha256(server: dict[str, Any]) -> None:
    info = _api(server).dataset_info("stat-gov/population-by-region", files_metadata=True)
    files = httpx.get(f"{server['base']}/libraries/population-by-region/v/2/files.json").json()["files"]
    parts = {s.rfilename: s.lfs.sha256 for s in info.siblings if s.lfs is not None}
    assert parts == {f"data/{f['url'].rsplit('/', 1)[1]}": f["sha256"] for f in files}
    assert "README.md" in {s.rfilename for s in info.siblings}
    assert len(info.sha) == 40 and info.gated is False
    assert info.card_data.configs[0]["data_files"][0]["split"] == "train"
    v1 = _api(server).dataset_info("stat-gov/population-by-region", revision="v1")
    assert v1.sha != info.sha
    assert _api(server).dataset_info("stat-gov/population-by-region", revision=v1.sha[:12]).sha == v1.sha


def test_list_repo_files_and_list_datasets(server: dict[str, Any]) -> None:
    api = _api(server)
    assert api.list_repo_files("stat-gov/population-by-region", repo_type="dataset") == [
        "README.md",
        "data/population-by-region.parquet",
    ]
    found = {d.id: d.gated for d in api.list_datasets(author="stat-gov")}
    assert found == {
        "stat-gov/corrected-counts": False,
        "stat-gov/population-by-region": False,
        "stat-gov/regions-workbook": False,
        "stat-gov/registered-survey": "auto",
        "stat-gov/restricted-survey": "manual",
    }
    assert [d.id for d in api.list_datasets(search="restricted")] == ["stat-gov/restricted-survey"]
    # the catalogue's search: Kazakh in Latin letters finds the Cyrillic title
    # the survey's Kazakh title in Latin letters; the workbook's sheet "Schools" matches too
    # (мектеп, школа and school are one word in the themes' thesaurus, catalog/thesaurus.toml)
    assert {d.id for d in api.list_datasets(search="mektepter")} == {
        "stat-gov/registered-survey",
        "stat-gov/regions-workbook",
    }
    assert list(api.list_datasets(author="no-such-org")) == []
    # pages of two, followed through the Link header by the client's own paginator
    from huggingface_hub.utils._pagination import paginate

    paged = [
        d["id"] for d in paginate(f"{server['base']}/api/datasets", {"author": "stat-gov", "limit": 2}, {})
    ]
    assert sorted(paged) == sorted(found)


def test_hf_hub_download_of_a_part_checks_size_and_etag(server: dict[str, Any], module_tmp: Path) -> None:
    import pyarrow.parquet as pq
    from huggingface_hub import hf_hub_download

    path = hf_hub_download(
        "stat-gov/population-by-region",
        "data/population-by-region.parquet",
        repo_type="dataset",
        revision="v1",
        endpoint=server["base"],
        cache_dir=module_tmp / "hub-cache",
        token=False,
    )
    assert pq.read_table(path).num_rows == 3
    assert "/snapshots/" in path


def test_resolve_head_sends_the_hubs_headers_and_answers_ranges(server: dict[str, Any]) -> None:
    repo = f"{server['base']}/datasets/stat-gov/population-by-region"
    url = f"{repo}/resolve/v1/data/population-by-region.parquet"
    head = httpx.head(url)
    info = _api(server).dataset_info("stat-gov/population-by-region", revision="v1", files_metadata=True)
    part = next(s for s in info.siblings if s.lfs is not None)
    assert head.status_code == 200
    assert head.headers["x-repo-commit"] == info.sha
    assert head.headers["x-linked-etag"] == head.headers["etag"] == f'"{part.lfs.sha256}"'
    assert int(head.headers["x-linked-size"]) == int(head.headers["content-length"]) == part.size
    tail = httpx.get(url, headers={"Range": "bytes=4-"})
    assert tail.status_code == 206 and len(tail.content) == part.size - 4
    assert tail.headers["content-range"] == f"bytes 4-{part.size - 1}/{part.size}"
    assert httpx.get(url, headers={"Range": f"bytes={part.size}-"}).status_code == 416


def test_errors_raise_the_clients_exceptions_and_keep_the_envelope(server: dict[str, Any]) -> None:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    api = _api(server)
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("stat-gov/no-such-library")
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("other-org/population-by-region")  # the library belongs to stat-gov
    with pytest.raises(RevisionNotFoundError):
        api.dataset_info("stat-gov/population-by-region", revision="v7")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(
            "stat-gov/population-by-region", "data/nothing.parquet", repo_type="dataset",
            endpoint=server["base"], token=False,
        )  # fmt: skip
    with pytest.raises(GatedRepoError):
        hf_hub_download(
            "stat-gov/restricted-survey", "data/restricted-survey.parquet", repo_type="dataset",
            endpoint=server["base"], token=False,
        )  # fmt: skip
    answer = httpx.get(f"{server['base']}/api/datasets/stat-gov/population-by-region/revision/v7")
    assert answer.status_code == 404
    assert answer.headers["x-error-code"] == "RevisionNotFound"
    assert answer.json()["ok"] is False and answer.json()["error"]["code"] == "revision_not_found"
    bad_token = httpx.get(
        f"{server['base']}/api/datasets/stat-gov/population-by-region",
        headers={"Authorization": "Bearer qz_x"},
    )
    assert bad_token.status_code == 401
    assert bad_token.headers["x-error-message"] == "Invalid credentials in Authorization header"


def test_get_paths_info_tells_files_from_folders(server: dict[str, Any]) -> None:
    from huggingface_hub.hf_api import RepoFile, RepoFolder

    found = _api(server).get_paths_info(
        "stat-gov/population-by-region", ["data", "README.md", "nothing.txt"], repo_type="dataset"
    )
    assert [(type(f), f.path) for f in found] == [(RepoFolder, "data"), (RepoFile, "README.md")]


def test_registered_library_needs_the_terms_accepted(
    server: dict[str, Any], platform: Any, people: Any, tmp_path: Path
) -> None:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import GatedRepoError

    from qazai.identity.service import load_actor
    from qazai.libraries import access

    def download() -> str:
        return str(
            hf_hub_download(
                "stat-gov/registered-survey",
                "data/registered-survey.parquet",
                repo_type="dataset",
                endpoint=server["base"],
                cache_dir=tmp_path,
                token=people["outsider"].token,
            )
        )

    with pytest.raises(GatedRepoError, match="accept the terms"):
        download()
    with platform.db.uow() as uow:
        access.accept_terms(uow, load_actor(uow, people["outsider"].user_id), "registered-survey")
    assert Path(download()).stat().st_size > 0


def test_a_withdrawn_version_says_why_and_main_moves_back(server: dict[str, Any], tmp_path: Path) -> None:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import RevisionNotFoundError

    with pytest.raises(RevisionNotFoundError, match="counts of Karaganda were missing"):
        hf_hub_download(
            "stat-gov/corrected-counts",
            "data/corrected-counts.parquet",
            repo_type="dataset",
            revision="v1",
            endpoint=server["base"],
            cache_dir=tmp_path,
        )
    gone = httpx.get(f"{server['base']}/api/datasets/stat-gov/corrected-counts/revision/v1")
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "version_withdrawn"
    main = _api(server).dataset_info("stat-gov/corrected-counts")
    assert main.sha == _api(server).dataset_info("stat-gov/corrected-counts", revision="v2").sha


def test_repo_ids_that_cannot_exist_are_repo_not_found(server: dict[str, Any]) -> None:
    base = server["base"]
    bare = httpx.get(f"{base}/api/datasets/population-by-region")
    assert bare.status_code == 404 and bare.headers["x-error-code"] == "RepoNotFound"
    assert "did you mean stat-gov/population-by-region?" in bare.json()["error"]["message"]
    for path in (
        "/api/datasets/no-such-org/population-by-region",
        "/api/datasets/stat-gov/a..b",
        "/api/datasets/Stat-Gov/population-by-region",
        "/datasets/stat-gov/a..b/resolve/main/README.md",
    ):
        answer = httpx.get(base + path)
        assert answer.headers.get("x-error-code") == "RepoNotFound", (path, answer.status_code, answer.text)
        assert answer.json()["ok"] is False
