"""Workbooks, JSON, NDJSON and Parquet, format detection by content, and their bad-input paths."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qazai.core.errors import InvalidInput, PayloadTooLarge
from qazai.libraries.ingest import ColumnType, ReadLimits, SourceFormat, open_source


def _workbook(path: Path, rows: list[list[object]], merged: tuple[str, ...] = ()) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Деректер"
    for row in rows:
        sheet.append(row)
    for cells in merged:
        sheet.merge_cells(cells)
    workbook.save(path)
    return path


def test_two_row_header_with_merged_years_is_merged(tmp_path: Path, read_all: Any) -> None:
    path = _workbook(
        tmp_path / "pop.xlsx",
        [
            ["Численность населения по регионам"],
            [None, None, None, None, None, "человек"],
            ["Регион", 2019, None, None, 2020, None, None],
            [None, "всего", "город", "село", "всего", "город", "село"],
            ["Абай", "611 888", "400 000", "211 888", "610 205", "-", "-"],
            ["Ұлытау", "220 913", "1,2 тыс", "..", "221 426", "5", "3"],
            ["* предварительные данные"],
        ],
        merged=("A1:G1", "B3:D3", "E3:G3", "A3:A4"),
    )
    table, schema, data, report = read_all(path)["Деректер"]
    assert table.header_row == 2
    assert table.header_rows == 2
    assert table.columns == (
        "Регион",
        "2019 всего",
        "2019 город",
        "2019 село",
        "2020 всего",
        "2020 город",
        "2020 село",
    )
    assert {c.type for c in schema.columns[1:]} == {ColumnType.integer}
    assert data.to_pylist()[1] == {
        "Регион": "Ұлытау",
        "2019 всего": 220913,
        "2019 город": 1200,
        "2019 село": None,
        "2020 всего": 221426,
        "2020 город": 5,
        "2020 село": 3,
    }
    assert data.num_rows == 2  # the footnote is not a row
    assert report.total_failed == 0


def test_formulas_are_reported_with_their_cached_values(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "f.xlsx", [["a", "b", "sum"], [1, 2, "=A2+B2"], [3, 4, "=A3+B3"]])
    table = open_source(path)[0]
    assert any("2 cell(s) hold formulas" in note for note in table.notes)
    # openpyxl saves no cached values, so the formula cells read as empty: that is what the note says.
    assert table.head(2).column("sum").to_pylist() == ["", ""]


def test_duplicate_empty_and_too_many_columns_in_a_sheet(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "h.xlsx", [["год", None, "год", "Год"], [1, 2, 3, 4]])
    assert open_source(path)[0].columns == ("год", "column_2", "год_2", "Год_3")
    with pytest.raises(PayloadTooLarge, match=r"4 columns, more than the limit of 3"):
        open_source(path, limits=ReadLimits(max_columns=3))


def test_sheet_selection(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "s.xlsx", [["a", "b"], [1, 2]])
    assert [t.name for t in open_source(path, sheet="Деректер")] == ["Деректер"]
    with pytest.raises(InvalidInput, match=r"no sheet 'Sheet9'; the sheets are Деректер"):
        open_source(path, sheet="Sheet9")


def test_html_named_xlsx_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_text("<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>")
    with pytest.raises(InvalidInput, match=r"report.xlsx: this is an HTML page, not a spreadsheet"):
        open_source(path)


def test_zip_bomb_named_xlsx_is_refused_before_opening(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 << 20))
    with pytest.raises(PayloadTooLarge, match=r"expands .*:1.*zip bomb"):
        open_source(path)
    with pytest.raises(PayloadTooLarge, match=r"unpacks to .* bytes"):
        open_source(path, limits=ReadLimits(max_uncompressed_bytes=1 << 20))


def test_zip_that_lies_about_its_sizes_is_refused(tmp_path: Path) -> None:
    good = _workbook(tmp_path / "good.xlsx", [["a", "b"], [1, 2]])
    data = bytearray(good.read_bytes())
    # Shrink the declared uncompressed size of the sheet in the central directory.
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    central = data.rfind(
        b"PK\x01\x02" + data[data.find(b"PK\x01\x02") + 4 : data.find(b"PK\x01\x02") + 4][:0]
    )
    position = data.find(b"xl/worksheets/sheet1.xml", central)
    header = data.rfind(b"PK\x01\x02", 0, position)
    data[header + 24 : header + 28] = (info.file_size // 4).to_bytes(4, "little")
    lying = tmp_path / "lying.xlsx"
    lying.write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match=r"damaged or truncated"):
        open_source(lying)


def test_truncated_xlsx_is_a_clear_error(tmp_path: Path) -> None:
    good = _workbook(tmp_path / "good.xlsx", [["a", "b"], [1, 2]])
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InvalidInput, match=r"cut.xlsx: a damaged or truncated"):
        open_source(cut)


def test_other_zips_and_formats_are_named(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(InvalidInput, match=r"ZIP archive that is not a workbook"):
        open_source(path)
    pdf = tmp_path / "t.csv"
    pdf.write_bytes(b"%PDF-1.7\n...")
    with pytest.raises(InvalidInput, match=r"PDF"):
        open_source(pdf)


def test_format_is_detected_by_content_not_name(tmp_path: Path) -> None:
    csv_named_xlsx = tmp_path / "data.xlsx"
    csv_named_xlsx.write_text("a,b\n1,2\n")
    assert open_source(csv_named_xlsx)[0].format is SourceFormat.csv
    xlsx_named_csv = _workbook(tmp_path / "data.csv", [["a", "b"], [1, 2]])
    assert open_source(xlsx_named_csv)[0].format is SourceFormat.xlsx


def test_display_name_is_used_and_made_safe(tmp_path: Path) -> None:
    stored = tmp_path / "5f2a9c.bin"
    stored.write_text("a,b\n1,2\n")
    (table,) = open_source(stored, display_name="../../etc/население 2024.csv")
    assert table.name == "население 2024"
    with pytest.raises(InvalidInput, match=r"^население 2024.csv: no such file|^missing.csv: no such file"):
        open_source(tmp_path / "missing.csv")


def test_json_array_and_wrapped_array(tmp_path: Path, read_all: Any) -> None:
    records = [
        {"аймақ": "Абай", "саны": "611 888", "бар": True},
        {"аймақ": "Ұлытау", "саны": 220913, "extra": [1]},
    ]
    path = tmp_path / "d.json"
    path.write_text(json.dumps(records, ensure_ascii=False))
    table, schema, data, _ = read_all(path)["d"]
    assert table.format is SourceFormat.json
    assert table.columns == ("аймақ", "саны", "бар", "extra")
    assert schema.column("саны").type is ColumnType.integer
    assert data.column("саны").to_pylist() == [611888, 220913]
    assert data.column("extra").to_pylist() == [None, "[1]"]
    wrapped = tmp_path / "w.json"
    wrapped.write_text(json.dumps({"data": records}, indent=2))
    assert open_source(wrapped)[0].columns[0] == "аймақ"


def test_ndjson_streams_and_rejects_bad_lines(tmp_path: Path, read_all: Any) -> None:
    path = tmp_path / "d.ndjson"
    path.write_text("\n".join(json.dumps({"id": i, "күні": "01.02.2024"}) for i in range(1000)) + "\n")
    table, schema, data, _ = read_all(path, limits=ReadLimits(batch_rows=300))["d"]
    assert table.format is SourceFormat.ndjson
    assert data.num_rows == 1000
    assert schema.column("күні").type is ColumnType.date
    truncated = tmp_path / "t.ndjson"
    truncated.write_text('{"id": 1}\n{"id": 2}\n{"id": 3, "na')
    with pytest.raises(InvalidInput, match=r"line 3 is not valid JSON"):
        list(open_source(truncated)[0].batches())
    late_key = tmp_path / "k.ndjson"
    late_key.write_text('{"id": 1}\n{"id": 2, "new": 1}\n')
    with pytest.raises(InvalidInput, match=r"line 2 has the key 'new'"):
        list(open_source(late_key, limits=ReadLimits(sample_rows=1))[0].batches())


def test_bad_json_documents(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[{"a": 1}, {"a": 2')
    with pytest.raises(InvalidInput, match=r"invalid JSON at line 1"):
        open_source(path)
    path.write_text("[1, 2]")
    with pytest.raises(InvalidInput, match=r"item 1 of the JSON array is not an object"):
        open_source(path)
    path.write_text('[{"a": 1}]')
    with pytest.raises(PayloadTooLarge, match=r"NDJSON"):
        open_source(path, limits=ReadLimits(max_json_bytes=5))


def test_parquet_passes_through_typed(tmp_path: Path, read_all: Any) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"n": pa.array([1, 2], pa.int16()), "s": ["1 000", "-"], " ": [1.5, None]}), path)
    table, schema, data, _ = read_all(path)["p"]
    assert table.format is SourceFormat.parquet
    assert table.columns == ("n", "s", "column_3")
    assert [c.type for c in schema.columns] == [ColumnType.integer, ColumnType.integer, ColumnType.float]
    assert data.to_pylist() == [{"n": 1, "s": 1000, "column_3": 1.5}, {"n": 2, "s": None, "column_3": None}]
    nested = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"l": [[1], [2]]}), nested)
    with pytest.raises(InvalidInput, match=r"column 'l' has the type list"):
        open_source(nested)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(path.read_bytes()[:40])
    with pytest.raises(InvalidInput, match=r"damaged or truncated Parquet"):
        open_source(broken)
