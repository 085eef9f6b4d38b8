"""Real clients against a real server on 127.0.0.1 (INTEROP.md): ckanapi, mlcroissant, frictionless."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.catalog.conftest import publish_library

from qazai.core.text import LocalizedText

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(live_server: Any, platform: Any, module_tmp: Path) -> str:
    """The real server with one published library (published once for the module)."""
    publish_library(
        platform,
        module_tmp,
        "population-by-region",
        title=LocalizedText(en="Population by region"),
        themes=["demography"],
    )
    return str(live_server.base)


def test_ckanapi_library_post_and_get_only(server: str) -> None:
    import ckanapi

    for get_only in (False, True):
        ckan = ckanapi.RemoteCKAN(server, get_only=get_only)
        found = ckan.action.package_search(
            q="population", rows=10, sort="id asc", **{"facet.field": '["organization"]'}
        )
        assert found["count"] == 1
        assert found["facets"]["organization"] == {"stat-gov": 1}
        assert ckan.action.package_show(id="population-by-region")["name"] == "population-by-region"
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id="nope")
        with pytest.raises(ckanapi.SearchQueryError):
            ckan.action.package_search(fq="broken:(")


def test_ckanapi_cli_search_datasets(server: str, tmp_path: Path) -> None:
    cli = Path(sys.executable).parent / "ckanapi"
    out = subprocess.run(
        [str(cli), "search", "datasets", "q=population", "-r", server],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ},
    )
    assert out.returncode == 0, out.stderr
    assert "population-by-region" in out.stdout


# mlcroissant builds rdflib ConjunctiveGraphs, which rdflib 7 deprecates; not our code.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
# mlcroissant calls DataFrame.reset_index(inplace=True), deprecated in pandas 3.1; not our code.
@pytest.mark.filterwarnings("ignore:The inplace keyword:FutureWarning")
@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
def test_mlcroissant_validate_and_records(server: str) -> None:
    url = f"{server}/libraries/population-by-region/v/1/croissant.json"
    cli = Path(sys.executable).parent / "mlcroissant"
    validated = subprocess.run(
        [str(cli), "validate", "--jsonld", url], capture_output=True, text=True, timeout=120, check=False
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    import mlcroissant

    dataset = mlcroissant.Dataset(url)
    record_set = dataset.metadata.record_sets[0].uuid
    records = list(dataset.records(record_set=record_set))
    regions = sorted(
        r[f"{record_set}/region"].decode()
        if isinstance(r[f"{record_set}/region"], bytes)
        else r[f"{record_set}/region"]
        for r in records
    )
    assert regions == ["Almaty", "Astana", "Shymkent"]


def test_frictionless_validate(server: str) -> None:
    cli = Path(sys.executable).parent / "frictionless"
    url = f"{server}/libraries/population-by-region/v/1/datapackage.json"
    out = subprocess.run(
        [str(cli), "validate", url], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_pandas_and_duckdb_read_parquet_over_http(server: str) -> None:
    import duckdb
    import pandas as pd

    files = __import__("httpx").get(f"{server}/libraries/population-by-region/v/1/files.json").json()
    url = files["files"][0]["url"]
    frame = pd.read_parquet(url)
    assert sorted(frame["region"]) == ["Almaty", "Astana", "Shymkent"]
    import duckdb_extension_httpfs

    ext = (
        Path(duckdb_extension_httpfs.__file__).parent
        / "extensions"
        / f"v{duckdb.__version__}"
        / "httpfs.duckdb_extension"
    )
    connection = duckdb.connect()
    connection.execute(f"LOAD '{ext}'")
    assert connection.execute(f"SELECT sum(population) FROM read_parquet('{url}')").fetchone() == (4750000,)
