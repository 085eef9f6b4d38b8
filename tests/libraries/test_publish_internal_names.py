"""User column names never collide with the names the pipeline and the privacy engine use
inside (issue 16 part 9: a text column called ``count`` failed to publish while its preview
passed)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from tests.libraries.publishing import make_library, publish, upload
from tests.libraries.test_publish_pipeline import read_part, versions

from qazai.api.platform import Platform
from qazai.core.enums import OrgKind
from qazai.core.text import LocalizedText
from qazai.identity import service as identity
from qazai.identity.actor import SYSTEM
from qazai.identity.models import OrganisationCreate
from qazai.libraries import preview
from qazai.libraries.models import LegalBasis, UploadPreview
from qazai.libraries.synthetic import citizen_register_csv

# Polars/pandas internals, the privacy engine's helper columns, an empty header, duplicates
HEADER = ["count", "len", "index", "__index_level_0__", "row", "text", "_col", "", "n", "l", "value"]
HEADER += ["entity", "__out", "__rare", "note", "note"]
_BODY = """Ертіс өзені бойынша деректер,3,a,x,r1,Алматы облысы,c1,e1,1,м,v1,ent,o1,q1,first,second
Жылдық есеп кестесі,5,b,y,r2,Ақмола облысы,c2,e2,2,ж,v2,ent,o2,q2,third,fourth
Ертіс өзені бойынша деректер,7,c,z,r3,Абай облысы,c3,e3,3,м,v3,ent,o3,q3,fifth,sixth
"""
ROWS = list(csv.reader(io.StringIO(_BODY)))
# the synthetic citizen register with headers replaced by internal names: identifiers dropped,
# sex (called "n", the engine's class-size column) generalised with the birth dates into
# k-anonymous classes (birth dates keep their header: without it a date is not a quasi-identifier)
REGISTER = {
    "ИИН": "row",
    "ФИО": "text",
    "Дата рождения": "Дата рождения",
    "Пол": "n",
    "Телефон": "_col",
    "Адрес": "count",
    "Регион": "__rare",
    "КАТО": "__out",
    "Статус занятости": "len",
    "Доход": "l",
}


@pytest.fixture
def lib_platform(platform: Platform) -> Platform:
    with platform.db.uow() as uow:
        identity.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(slug="stat-gov", kind=OrgKind.government_body, name=LocalizedText(en="BNS")),
        )
    return platform


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _preview(platform: Platform, slug: str, path: Path) -> UploadPreview:
    upload_id = upload(platform, slug, path)
    with platform.db.uow(read_only=True) as uow:
        return preview.preview_upload(uow, platform.objects, SYSTEM, slug, upload_id)


def test_columns_named_like_internals_publish_with_every_value(
    lib_platform: Platform, tmp_path: Path
) -> None:
    path = _write(tmp_path / "internal-names.csv", HEADER, ROWS * 20)
    make_library(lib_platform, "internals")
    [shown] = _preview(lib_platform, "internals", path).tables
    job = publish(lib_platform, "internals", path)
    assert job.state == "succeeded", job.error
    [version] = versions(lib_platform, "internals")
    frame = read_part(lib_platform, "internals", version.manifest["parts"][0]["file"])
    # every column kept under the name the preview showed, the empty and repeated headers renamed
    assert [c.source for c in shown.columns] == HEADER
    assert frame.columns == [c.name for c in shown.columns]
    assert frame.columns[:7] == HEADER[:7] and "" not in frame.columns
    assert len(set(frame.columns)) == len(HEADER)
    assert {c.action for c in shown.columns} == {"keep"}
    assert frame.height == 60
    for position, column in enumerate(frame.columns):
        expected = [row[position] for row in ROWS * 20]
        assert [str(v) for v in frame[column].to_list()] == expected, column
    profile = {c["name"]: c for c in version.manifest["tables"][0]["profile"]["columns"]}
    assert profile["count"]["top_values"][0] == {"value": "Ертіс өзені бойынша деректер", "count": 40}
    assert profile["len"]["max"] == 7


def test_register_under_internal_names_is_deidentified_as_the_preview_says(
    lib_platform: Platform, tmp_path: Path
) -> None:
    raw = citizen_register_csv(1500).decode()
    header, _, body = raw.partition("\r\n")
    renamed = [REGISTER[name] for name in header.split(",")]
    path = tmp_path / "register.csv"
    path.write_text(",".join(renamed) + "\n" + body, encoding="utf-8")
    make_library(lib_platform, "register", legal_basis=LegalBasis.depersonalised)
    [shown] = _preview(lib_platform, "register", path).tables
    actions = {c.name: c.action for c in shown.columns}
    # the engine still sees what the columns hold, whatever they are called
    assert actions["row"] == actions["text"] == actions["_col"] == "drop"
    assert actions["n"] == actions["Дата рождения"] == "generalise"
    job = publish(lib_platform, "register", path)
    assert job.state == "succeeded", job.error
    [version] = versions(lib_platform, "register")
    frame = read_part(lib_platform, "register", version.manifest["parts"][0]["file"])
    kept = [name for name in renamed if actions[name] != "drop"]
    assert frame.columns == kept
    published = {c["name"]: c["action"] for c in version.manifest["tables"][0]["privacy"]["scan"]["columns"]}
    assert published == actions
    assessment = version.manifest["tables"][0]["privacy"]["assessment"]
    assert assessment["k"] >= 5 and "n" in assessment["quasi_identifiers"]
    assert assessment["rows_out"] == frame.height > 1000
    # generalised birth dates are coarser than a day; nothing else was rewritten
    source = pl.read_csv(path, infer_schema=False)
    assert frame["Дата рождения"].n_unique() < source["Дата рождения"].n_unique()
    assert set(frame["n"].to_list()) <= set(source["n"].to_list()) | {None, "*"}
    for name in ("__rare", "len"):
        assert set(frame[name].to_list()) == set(source[name].to_list()), name


def test_internal_names_survive_the_query_service_and_the_metadata(
    lib_platform: Platform, client: TestClient, tmp_path: Path
) -> None:
    path = _write(tmp_path / "internal-names.csv", HEADER, ROWS * 20)
    make_library(lib_platform, "internals")
    assert publish(lib_platform, "internals", path).state == "succeeded"
    sql = 'SELECT "count", count(*) AS n, sum("len") AS "len" FROM "internals" GROUP BY 1 ORDER BY n DESC'
    result = client.get("/api/v1/query", params={"sql": sql})
    assert result.status_code == 200, result.text
    rows = result.json()["rows"]
    assert rows == [["Ертіс өзені бойынша деректер", 40, 200], ["Жылдық есеп кестесі", 20, 100]]
    metadata = client.get("/libraries/internals/v/1/metadata.json").json()
    [table] = metadata["tables"]
    names = [c["name"] for c in table["profile"]["columns"]]
    assert names[:7] == HEADER[:7] and len(set(names)) == len(HEADER)
    croissant = client.get("/libraries/internals/v/1/croissant.json")
    assert croissant.status_code == 200
    fields = [f["name"] for f in croissant.json()["recordSet"][0]["field"]]
    assert fields == names
