"""Every real government file in ../shared/data goes through the readers and inference."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from qazai.libraries.ingest import ColumnType, SourceFormat, open_source


def _row(data: pa.Table, column: str, value: str) -> dict[str, Any]:
    rows = [row for row in data.to_pylist() if row[column] == value]
    assert len(rows) == 1, f"{value!r} appears {len(rows)} times in {column!r}"
    return rows[0]


def test_population_workbook_yields_regions_by_years_as_integers(real_data: Path, read_all: Any) -> None:
    results = read_all(real_data / "stat-population-by-region.xlsx")
    assert len(results) == 9
    table, schema, data, report = results["Population_KZ"]
    assert table.header_row == 5  # five title rows above the header
    assert schema.columns[0].name == "Regions_KZ"
    assert [c.name for c in schema.columns[1:]] == [str(year) for year in range(2000, 2022)]
    assert {c.type for c in schema.columns[1:]} == {ColumnType.integer}
    assert data.schema.field("2000").type == pa.int64()
    kazakhstan = _row(data, "Regions_KZ", "Kazakhstan")
    assert kazakhstan["2000"] == 14_901_641
    assert kazakhstan["2021"] == 18_879_552
    shymkent = _row(data, "Regions_KZ", "Shymkent")
    assert shymkent["2000"] is None  # "-" is a null, not a failure
    assert shymkent["2018"] == 952_169
    assert report.total_failed == 0
    assert data.num_rows == 18


def test_employment_workbook_reads_space_grouped_numbers_as_integers(real_data: Path, read_all: Any) -> None:
    results = read_all(real_data / "employment-authorities-applicants.xlsx")
    assert list(results) == ["raw"]  # the empty sheet "Лист1" is not a table
    table, schema, data, report = results["raw"]
    # The generated "Column1, Column2..." row is skipped; the year row is the header.
    assert table.header_row == 1
    assert schema.column("2001").type is ColumnType.integer
    assert schema.column("2021").type is ColumnType.integer
    # The region column's header cell is empty; it holds region names, so it is named "region".
    assert table.columns[0] == "region"
    assert any("region names" in note for note in table.notes)
    total = _row(data, "region", "Республика Казахстан")
    assert total["2001"] == 332_720
    assert total["2021"] == 681_310
    assert _row(data, "region", "г.Шымкент")["2021"] == 40_330
    turkestan = _row(data, "region", "Туркестанская")
    assert turkestan["2001"] is None
    assert turkestan["2021"] == 104_876  # written "104876", without the space, in the source
    assert report.total_failed == 0


def test_complaints_csv_keeps_kazakh_and_russian_text_intact(real_data: Path, read_all: Any) -> None:
    table, schema, data, report = read_all(real_data / "akimat-complaints.csv")["akimat-complaints"]
    assert table.encoding == "utf-8"
    assert table.delimiter == ","
    assert data.num_rows == 1200
    assert schema.column("id").type is ColumnType.integer
    assert schema.column("duplicate").type is ColumnType.boolean
    assert schema.column("text_kz").type is ColumnType.string
    first = data.slice(0, 1).to_pylist()[0]
    assert first["text_kz"].startswith("Сәлеметсіз бе! Алматы қаласы, Абай көшесі, 50 үйдің ауласындағы")
    assert first["text_ru"].startswith("Здравствуйте! В городе Алматы, во дворе дома №50 по улице Абая")
    assert first["category"] == "дороги"
    assert first["duplicate"] is False
    regions = set(data.column("region").to_pylist())
    assert {"Западно-Казахстанская область", "Усть-Каменогорск", "Улытауская область"} <= regions
    assert data.column("text_kz").null_count == 0
    assert report.total_failed == 0


def test_water_basins_numbers_written_as_text_become_numbers(real_data: Path, read_all: Any) -> None:
    results = read_all(real_data / "water-basins.xlsx")
    assert set(results) == {"Basins_KZ", "Lakes_KZ", "Sheet1", "Rivers_KZ", "Water_consumption"}
    table, schema, data, report = results["Basins_KZ"]
    assert table.columns[0] == "Basins_KZ"  # the empty first column is dropped
    irtysh = _row(data, "Basins_KZ", "Irtysh_Basin")
    assert irtysh["Square(sq)"] == 1_643_000  # "1,643,000"
    aral = _row(data, "Basins_KZ", "Aral_Syrdarya_Basin")
    assert schema.column("Basins_Population").type is ColumnType.integer
    assert aral["Basins_Population"] == 2_500_000  # "2,5млн"
    assert aral["Urban_Basins_Population"] == 1_200_000  # "1,2млн"
    assert _row(data, "Basins_KZ", "Tobol_Turgai_Basin")["Basins_Population"] == 1_050_000  # "1,05млн"
    assert _row(data, "Basins_KZ", "Shu_Talas_Basin")["Basins_Population"] == 980_000  # "980,000"
    assert irtysh["Urban_Basins_Population"] is None
    assert report.total_failed == 0
    consumption = results["Water_consumption"]
    assert consumption[0].header_row == 2
    assert consumption[1].column("River_fall,m").type is ColumnType.integer


def test_population_projections_dash_becomes_null(real_data: Path, read_all: Any) -> None:
    results = read_all(real_data / "population-projections-source.xlsx")
    assert set(results) == {"Все население", "Мужчины", "Женщины"}
    table, schema, data, report = results["Все население"]
    assert table.columns[0] == "region"
    assert schema.column("2022").type is ColumnType.integer
    abai = _row(data, "region", "Абай")
    assert abai["2000"] is None
    assert abai["2022"] == 611_888
    assert _row(data, "region", "Республика Казахстан")["2000"] == 14_901_641  # trailing space trimmed
    # "Туркестанская 1": the 1 is a footnote marker, not part of the name.
    assert _row(data, "region", "Туркестанская")["2000"] == 2_005_023
    assert "Туркестанская 1" not in data.column("region").to_pylist()
    assert report.total_failed == 0


@pytest.mark.parametrize(
    ("sheet", "title"), [("Мужчины", "Численность мужчин"), ("Женщины", "Численность женщин")]
)
def test_population_projections_group_titles_become_a_group_column(
    real_data: Path, read_all: Any, sheet: str, title: str
) -> None:
    """Sub-tables stacked under "Мужчины" / "Городское население" / "Сельское население" rows."""
    table, schema, data, report = read_all(real_data / "population-projections-source.xlsx")[sheet]
    assert table.header_row == 5
    assert table.columns[:2] == ("group", "region")
    assert schema.column("group").type is ColumnType.string
    assert schema.column("2000").type is ColumnType.integer
    groups = data.column("group").to_pylist()
    assert list(dict.fromkeys(groups)) == [sheet, "Городское население", "Сельское население"]
    # No title row is left as a data row, and every row has a region.
    assert not {sheet, "Городское население", "Сельское население"} & set(data.column("region").to_pylist())
    assert data.column("region").null_count == 0
    # 21 regions in total and urban, 18 in rural (the three cities have no rural population).
    assert [groups.count(g) for g in dict.fromkeys(groups)] == [21, 21, 18]
    assert data.num_rows == 60
    assert any("footnote" in note and "Южно-Казахстанской" in note for note in table.notes)
    assert any(title in note and "человек, на начало года" in note for note in table.notes)
    assert "Туркестанская 1" not in data.column("region").to_pylist()
    assert report.total_failed == 0


def test_population_projections_exact_cells_by_group(real_data: Path, read_all: Any) -> None:
    results = read_all(real_data / "population-projections-source.xlsx")

    def cell(sheet: str, group: str, region: str, year: str) -> object:
        rows = [
            row for row in results[sheet][2].to_pylist() if row["group"] == group and row["region"] == region
        ]
        assert len(rows) == 1, (sheet, group, region)
        return rows[0][year]

    assert cell("Мужчины", "Мужчины", "Республика Казахстан", "2000") == 7_177_523
    assert cell("Мужчины", "Городское население", "Акмолинская", "2000") == 173_427
    assert cell("Женщины", "Сельское население", "Туркестанская", "2000") == 605_938
    assert cell("Женщины", "Городское население", "г. Шымкент", "2000") is None


@pytest.mark.parametrize(
    "name",
    [
        "akimat-complaints.csv",
        "stat-population-by-region.xlsx",
        "water-basins.xlsx",
        "employment-authorities-applicants.xlsx",
        "population-projections-source.xlsx",
    ],
)
def test_every_real_file_opens_with_unique_nonempty_columns(real_data: Path, name: str) -> None:
    for table in open_source(real_data / name):
        assert table.format in (SourceFormat.csv, SourceFormat.xlsx)
        assert all(table.columns)
        assert len({c.casefold() for c in table.columns}) == len(table.columns)
        assert table.head(5).num_rows > 0


def test_packaged_demo_copy_matches_shared_data(real_data: Path) -> None:
    """Every real file (``aggregate/`` too) is packaged, so the real-file tests run on an
    installed copy without ../shared."""
    packaged = Path(__file__).resolve().parents[2] / "src" / "qazai" / "libraries" / "demo_data"
    checked = 0
    for source in real_data.rglob("*"):
        relative = source.relative_to(real_data)
        if source.is_dir() or any(part.startswith(("_", ".")) for part in relative.parts):
            continue
        assert (packaged / relative).read_bytes() == source.read_bytes(), str(relative)
        checked += 1
    assert checked >= 13


def test_dates_in_excel_cells_become_dates(tmp_path: Path, read_all: Any) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Күні", "Саны"])
    sheet.append([date(2024, 1, 31), 5])
    sheet.append([date(2024, 2, 29), 7])
    workbook.save(tmp_path / "d.xlsx")
    _, schema, data, _ = read_all(tmp_path / "d.xlsx")["Sheet"]
    assert schema.column("Күні").type is ColumnType.date
    assert data.column("Күні").to_pylist() == [date(2024, 1, 31), date(2024, 2, 29)]
