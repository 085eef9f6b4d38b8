"""CSV and XLSX downloads of a version's tables (issue 17.1): what the files hold, the cache, and
the same tier checks, ETag/304, ranges and audit as the Parquet files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from tests.catalog import module_platform
from tests.catalog.conftest import publish_library

from qazai.core.enums import AccessTier
from qazai.core.text import LocalizedText
from qazai.libraries import formats
from qazai.libraries.formats import BOM, DownloadFormat, XlsxTooManyRows
from qazai.libraries.models import LegalBasis
from qazai.storage.objects import LocalObjectStore
from qazai.storage.tables.audit import AuditEventRow

app = module_platform.app
client = module_platform.client
module_database_url = module_platform.module_database_url
module_tmp = module_platform.module_tmp
people = module_platform.people
platform = module_platform.platform

TITLE = LocalizedText(kk="Өңірлер", ru="Регионы", en="Regions")
CSV_TEXT = (
    "region,year,population,area,counted_on,capital\n"
    "Астана,2023,1350000,797.33,01.01.2023,да\n"
    "Алматы,2023,,682,,нет\n"
    "Шымкент,,1200000,,15.06.2023,нет\n"
    "Қызылорда,2022,320000,,,\n"
)


def _table() -> pa.Table:
    return pa.table(
        {
            "name": pa.array(["Қызылорда", '=HYPERLINK("x")', None]),
            "count": pa.array([1, None, 2**60], pa.int64()),
            "share": pa.array([0.25, float("nan"), None], pa.float64()),
            "ok": pa.array([True, None, False]),
            "day": pa.array([dt.date(2024, 1, 2), None, dt.date(1999, 12, 31)]),
            "at": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5), None, dt.datetime(2024, 1, 2, 3, 4, 5, 120)]),
        }
    )


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_bom_empty_cells_integers_and_iso_dates(tmp_path: Path) -> None:
    source = tmp_path / "t.parquet"
    pq.write_table(_table(), source)
    out = io.BytesIO()
    assert formats.write_csv(source, out) == 3
    data = out.getvalue()
    assert data.startswith(BOM) and not data[3:].startswith(BOM)
    assert b"nan" not in data.lower()
    assert _rows(data) == [
        ["name", "count", "share", "ok", "day", "at"],
        ["Қызылорда", "1", "0.25", "true", "2024-01-02", "2024-01-02 03:04:05"],
        ['=HYPERLINK("x")', "", "", "", "", ""],
        ["", "1152921504606846976", "", "false", "1999-12-31", "2024-01-02 03:04:05.000120"],
    ]


def test_xlsx_has_the_rows_typed_and_text_stays_text(tmp_path: Path) -> None:
    source = tmp_path / "t.parquet"
    pq.write_table(_table(), source)
    target = tmp_path / "t.xlsx"
    assert formats.write_xlsx(source, target, sheet="Халық/саны: 2024") == 3
    sheet = openpyxl.load_workbook(target).active
    assert sheet.title == "Халық_саны_ 2024" and sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("name", "count", "share", "ok", "day", "at")
    assert rows[1] == ("Қызылорда", 1, 0.25, True, dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5))
    # a formula-looking text is stored as text; an integer Excel cannot hold exactly as text
    assert [c.data_type for c in sheet[3]][:2] == ["s", "n"]
    assert rows[2] == ('=HYPERLINK("x")', None, None, None, None, None)
    assert rows[3][1] == "1152921504606846976" and rows[3][3] is False
    # a second, independent reader (calamine, in Rust) reads the same workbook
    from python_calamine import CalamineWorkbook

    other = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert other[0] == list(rows[0]) and other[1][0] == "Қызылорда" and other[2][0] == '=HYPERLINK("x")'
    assert other[1][4] == dt.date(2024, 1, 2) or other[1][4] == dt.datetime(2024, 1, 2)


def test_xlsx_refuses_more_rows_than_a_sheet_holds(tmp_path: Path) -> None:
    assert formats.xlsx_fits(formats.XLSX_MAX_ROWS - 1) and not formats.xlsx_fits(formats.XLSX_MAX_ROWS)
    source = tmp_path / "big.parquet"
    pq.write_table(pa.table({"n": pa.array(range(formats.XLSX_MAX_ROWS), pa.int32())}), source)
    target = tmp_path / "big.xlsx"
    with pytest.raises(XlsxTooManyRows) as refused:
        formats.write_xlsx(source, target, filename="big.parquet")
    assert refused.value.details["alternatives"] == ["big.csv", "big.parquet"]
    assert "1,048,576 rows" in refused.value.message
    assert not target.exists()


def test_concurrent_first_requests_generate_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    objects = LocalObjectStore(tmp_path / "objects")
    source = tmp_path / "t.parquet"
    pq.write_table(_table(), source)
    with source.open("rb") as handle:
        part = objects.put(None, handle)
    calls: list[int] = []
    real = formats._WRITERS[DownloadFormat.csv]

    def counting(*args: Any) -> int:
        calls.append(1)
        return real(*args)

    monkeypatch.setitem(formats._WRITERS, DownloadFormat.csv, counting)
    results: list[formats.DerivedFile] = []

    def fetch() -> None:
        results.append(
            formats.derived_file(
                objects,
                part_key=part.key,
                part_sha256=part.sha256,
                fmt=DownloadFormat.csv,
                table="t",
                filename="t.parquet",
                work_dir=tmp_path / "scratch",
            )
        )

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 4 and len({r.sha256 for r in results}) == 1
    assert b"".join(objects.open(results[0].key)).startswith(BOM)
    assert not list((tmp_path / "scratch").iterdir())  # the scratch folder is gone
    # the library page shows the size of a copy once made, none before
    listed = [{"file": "t.parquet", "sha256": part.sha256}]
    assert formats.download_sizes(objects, listed) == {"t.parquet": {"csv": results[0].size}}
    assert formats.download_sizes(LocalObjectStore(tmp_path / "empty"), listed) == {}


# -- over HTTP -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(platform: Any, people: Any, module_tmp: Path) -> Any:
    publish_library(platform, module_tmp, "regions", csv=CSV_TEXT, title=TITLE)
    publish_library(
        platform,
        module_tmp,
        "secret-regions",
        csv=CSV_TEXT,
        title=TITLE,
        tier=AccessTier.restricted,
        legal_basis=LegalBasis.consent,
    )
    return platform


@pytest.mark.db  # a module database: reruns on PostgreSQL with -m db
def test_csv_download_is_cached_with_etag_and_ranges(
    client: Any, published: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = formats._WRITERS[DownloadFormat.csv]

    def counting(*args: Any) -> int:
        calls.append(1)
        return real(*args)

    monkeypatch.setitem(formats._WRITERS, DownloadFormat.csv, counting)
    url = "/libraries/regions/v/1/data/regions.csv"
    first = client.get(url)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "text/csv; charset=utf-8"
    assert first.headers["content-disposition"] == "attachment; filename*=UTF-8''regions-v1-regions.csv"
    assert first.headers["access-control-allow-origin"] == "*"
    rows = _rows(first.content)
    assert rows[0] == ["region", "year", "population", "area", "counted_on", "capital"]
    assert rows[1][:5] == ["Астана", "2023", "1350000", "797.33", "2023-01-01"]
    assert rows[2][:5] == ["Алматы", "2023", "", "682.0", ""] or rows[2][:5] == [
        "Алматы",
        "2023",
        "",
        "682",
        "",
    ]
    assert rows[3][1] == "" and b"nan" not in first.content
    etag = first.headers["etag"]
    second = client.get(url)
    assert second.content == first.content and second.headers["etag"] == etag
    assert len(calls) == 1  # the second request is served from the cache
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    part = client.get(url, headers={"Range": "bytes=0-2"})
    assert part.status_code == 206 and part.content == BOM
    assert part.headers["content-range"] == f"bytes 0-2/{len(first.content)}"
    head = client.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(first.content)
    beyond = client.get(url, headers={"Range": f"bytes={len(first.content) + 10}-"})
    assert beyond.status_code == 416 and beyond.json()["error"]["code"] == "range_not_satisfiable"
    assert len(calls) == 1


@pytest.mark.db  # a module database: reruns on PostgreSQL with -m db
def test_xlsx_download_opens_with_the_rows(client: Any, published: Any) -> None:
    response = client.get("/libraries/regions/v/1/data/regions.xlsx")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DownloadFormat.xlsx.media_type
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("region", "year", "population", "area", "counted_on", "capital")
    assert len(rows) == 5
    assert rows[1][:5] == ("Астана", 2023, 1350000, 797.33, dt.datetime(2023, 1, 1))
    assert rows[2][2] is None and rows[3][1] is None


@pytest.mark.db  # a module database: reruns on PostgreSQL with -m db
def test_unknown_part_and_parquet_route_still_served(client: Any, published: Any) -> None:
    missing = client.get("/libraries/regions/v/1/data/nope.csv")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "file_not_found"
    assert client.get("/libraries/regions/v/1/data/regions.parquet").content[:4] == b"PAR1"


@pytest.mark.db  # a module database: reruns on PostgreSQL with -m db
def test_restricted_csv_refused_without_grant_and_audited_with_one(
    client: Any, published: Any, people: Any
) -> None:
    url = "/libraries/secret-regions/v/1/data/secret-regions.csv"
    assert client.get(url).status_code == 401
    outsider = people["outsider"].headers
    refused = client.get(url, headers=outsider)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "grant_required"
    requested = client.post(
        "/api/v1/libraries/secret-regions/grants",
        json={"purpose": "Regional planning study"},
        headers=outsider,
    )
    assert requested.status_code == 201, requested.text
    approved = client.post(
        f"/api/v1/grants/{requested.json()['id']}/decision",
        json={"approve": True, "expires_on": "2099-01-01"},
        headers=people["producer"].headers,
    )
    assert approved.status_code == 200
    read = client.get(url, headers=outsider)
    assert read.status_code == 200 and read.content.startswith(BOM)
    assert read.headers["cache-control"] == "private, no-store"
    assert "access-control-allow-origin" not in read.headers
    xlsx = client.get(url.replace(".csv", ".xlsx"), headers={**outsider, "Range": "bytes=0-1"})
    assert xlsx.status_code == 206 and xlsx.content == b"PK"
    with published.db.uow(read_only=True) as uow:
        reads = uow.session.scalars(
            select(AuditEventRow).where(AuditEventRow.action == "library.file.read")
        ).all()
    assert [(r.actor_id, r.summary["file"], r.summary["range"]) for r in reads] == [
        (people["outsider"].user_id, "secret-regions.csv", None),
        (people["outsider"].user_id, "secret-regions.xlsx", "bytes=0-1"),
    ]


@pytest.mark.db  # a module database: reruns on PostgreSQL with -m db
def test_more_rows_than_excel_refused_as_xlsx_served_as_csv(
    client: Any, published: Any, module_tmp: Path
) -> None:
    rows = formats.XLSX_MAX_ROWS  # one more than a sheet holds beside its header
    many = "n\n" + "\n".join(map(str, range(rows))) + "\n"
    publish_library(published, module_tmp, "many-rows", csv=many, title=TITLE)
    refused = client.get("/libraries/many-rows/v/1/data/many-rows.xlsx")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "xlsx_too_many_rows"
    assert error["details"]["alternatives"] == ["many-rows.csv", "many-rows.parquet"]
    served = client.get("/libraries/many-rows/v/1/data/many-rows.csv")
    assert served.status_code == 200
    lines = served.content.split(b"\n")
    assert len(lines) == rows + 2 and lines[-1] == b"" and lines[-2] == str(rows - 1).encode()
    package = client.get("/libraries/many-rows/v/1/datapackage.json").json()
    assert [r["format"] for r in package["resources"]] == ["parquet", "csv"]
