"""Data clients against the real server (INTEROP.md): Hugging Face `datasets` (normal and
streaming) from `files.json`, and DuckDB `read_parquet` over HTTP with range requests on a file of
16 MB or more with several row groups, checked in the server's access log."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from tests.catalog.conftest import publish_library

from qazai.core.text import LocalizedText

pytestmark = pytest.mark.slow

BIG_ROWS = 640_000  # five row groups of 128k rows


def _big_parquet(path: Path) -> None:
    """Random floats (no text, so the privacy scan has nothing to find): ~21 MB of zstd Parquet
    that compresses poorly, in row groups of 128k rows (the pipeline rewrites it so too)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(16)
    columns = {"n": pa.array(np.arange(BIG_ROWS, dtype=np.int64))}
    for name in ("x", "y", "z", "w"):
        columns[name] = pa.array(rng.random(BIG_ROWS))
    pq.write_table(pa.table(columns), path, compression="zstd")


@pytest.fixture(scope="module")
def server(live_server: Any, platform: Any, module_tmp: Path) -> dict[str, Any]:
    from tests.libraries.publishing import FULL_META, publish

    from qazai.identity.actor import SYSTEM
    from qazai.libraries import service
    from qazai.libraries.models import LibraryCreate

    publish_library(
        platform, module_tmp, "population-by-region", title=LocalizedText(en="Population by region")
    )
    source = module_tmp / "random-measurements.parquet"
    _big_parquet(source)
    with platform.db.uow() as uow:
        service.create_library(
            uow,
            SYSTEM,
            LibraryCreate(
                slug="random-measurements",
                organisation="stat-gov",
                title=LocalizedText(en="Random measurements"),
                **FULL_META,
            ),
        )
    started = time.perf_counter()
    job = publish(platform, "random-measurements", source)
    seconds = time.perf_counter() - started
    assert job.state.value == "succeeded", job.model_dump_json()
    return {"base": live_server.base, "log": live_server, "big_publish_seconds": seconds}


def _files(base: str, slug: str) -> list[dict[str, Any]]:
    import httpx

    body = httpx.get(f"{base}/libraries/{slug}/v/1/files.json").json()
    return list(body["files"])


def test_files_json_lists_parquet_only(server: dict[str, Any]) -> None:
    """The pipeline publishes Parquet parts only (no CSV copies), so pandas `read_csv` over HTTP
    has nothing to read; `read_parquet` over HTTP is tested in test_clients.py."""
    for slug in ("population-by-region", "random-measurements"):
        assert all(f["url"].endswith(".parquet") for f in _files(server["base"], slug))


@pytest.mark.parametrize("streaming", [False, True])
def test_hugging_face_datasets_load_parquet_urls(server: dict[str, Any], streaming: bool) -> None:
    from datasets import load_dataset

    urls = [f["url"] for f in _files(server["base"], "population-by-region")]
    dataset = load_dataset("parquet", data_files=urls, split="train", streaming=streaming)
    rows = list(dataset)
    assert sorted(r["region"] for r in rows) == ["Almaty", "Astana", "Shymkent"]
    assert sum(r["population"] for r in rows) == 4_750_000


def test_duckdb_read_parquet_uses_range_requests(server: dict[str, Any]) -> None:
    import duckdb
    import duckdb_extension_httpfs
    import httpx
    import pyarrow.parquet as pq

    files = _files(server["base"], "random-measurements")
    assert len(files) == 1
    part = files[0]
    assert part["bytes"] >= 16 * 1024 * 1024, part
    assert part["rows"] == BIG_ROWS

    extension = (
        Path(duckdb_extension_httpfs.__file__).parent
        / "extensions"
        / f"v{duckdb.__version__}"
        / "httpfs.duckdb_extension"
    )
    connection = duckdb.connect(config={"autoinstall_known_extensions": False})
    connection.execute(f"LOAD '{extension}'")
    # No object cache between queries: each query has to fetch what it reads.
    connection.execute("SET enable_http_metadata_cache=false")
    url = part["url"]
    path = url.removeprefix(server["base"])
    log = server["log"]
    before = len(log.access_records())

    row_groups = connection.execute(
        f"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{url}')"
    ).fetchone()
    assert row_groups is not None and row_groups[0] >= 4

    # One column of one row group (n is sorted, so min/max statistics prune the others).
    found = connection.execute(f"SELECT sum(x) FROM read_parquet('{url}') WHERE n < 1000").fetchone()
    assert found is not None and found[0] > 0

    time.sleep(0.2)  # the access log line is written when the response ends
    records = [r for r in log.access_records()[before:] if r.get("path") == path]
    ranged = [r for r in records if r["status"] == 206]
    assert ranged, records
    assert all(r["status"] in (200, 206) for r in records if r["method"] == "GET"), records
    sent = sum(r["bytes"] for r in records if r["method"] == "GET")
    assert sent < part["bytes"] / 4, (sent, part["bytes"])

    # The data DuckDB read equals the data published.
    local = pq.read_table(io.BytesIO(httpx.get(url).content), columns=["n", "x"])
    expected = sum(
        x
        for n, x in zip(local.column("n").to_pylist(), local.column("x").to_pylist(), strict=True)
        if n < 1000
    )
    assert found[0] == pytest.approx(expected)
