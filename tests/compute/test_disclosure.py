"""The disclosure checks on tables whose answers were worked out by hand (no ACRO needed here;
bench/sdc_vs_acro.py compares with ACRO on generated tables)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from qazai.compute.disclosure import (
    DisclosureSettings,
    Finding,
    FindingCode,
    Severity,
    TableDeclaration,
    TableKind,
    TableLayout,
    check_table,
    finding,
    infer_declaration,
)
from qazai.compute.disclosure_files import FileRole, check_outputs, read_table

SETTINGS = DisclosureSettings()


def _cells(findings: list[Finding], severity: Severity) -> set[tuple[int | None, str | None]]:
    return {(f.row, f.column) for f in findings if f.severity is severity}


def _codes(findings: list[Finding], row: int) -> set[FindingCode]:
    return {f.code for f in findings if f.row == row}


def test_threshold_suppresses_fewer_than_ten_and_zero_but_not_ten() -> None:
    table = pl.DataFrame({"region": ["Abai", "Almaty", "Astana", "Aktobe"], "n": [9, 10, 0, 25]})
    declaration = infer_declaration(table)
    assert declaration == TableDeclaration(kind=TableKind.frequency, dimensions=["region"], count="n")

    result = check_table(table, declaration, SETTINGS, "by_region.csv")

    assert _cells(result.findings, Severity.suppress) == {(0, "n"), (2, "n")}
    assert result.safe is not None
    assert result.safe["n"].to_list() == [None, 10, None, 25]
    nine = next(f for f in result.findings if f.row == 0)
    assert nine.message.en == "9 contributors in this cell, fewer than the minimum of 10"
    assert nine.message.ru == "В ячейке 9 наблюдений — меньше минимума (10)"
    assert nine.message.kk == "Ұяшықта 9 бақылау бар — ең аз шектен (10) кем"


def test_zeros_are_only_flagged_when_the_settings_say_they_are_not_disclosive() -> None:
    table = pl.DataFrame({"region": ["Abai", "Almaty"], "n": [0, 25]})
    declaration = TableDeclaration(dimensions=["region"], count="n")

    result = check_table(table, declaration, DisclosureSettings(zeros_are_disclosive=False), "t.csv")

    assert [(f.code, f.severity, f.row) for f in result.findings] == [(FindingCode.zero, Severity.review, 0)]
    assert result.safe is not None and result.safe["n"].to_list() == [0, 25]


def test_dominance_and_p_percent_on_declared_largest_contributions() -> None:
    # all cells have 12 contributors; totals 1000. Worked by hand with n=2, k=0.9, p=0.1:
    # A: 850+60=910 -> 91 % > 90 % dominance; rest 90 >= 85 (10 % of 850): p passes
    # B: 600+300=900 -> exactly 90 %, not more: passes; rest 100 >= 60: passes
    # C: 920+50=970 -> dominance; rest 30 < 92: p % fails as well
    # D: 300+200=500 -> passes both
    table = pl.DataFrame(
        {
            "sector": ["A", "B", "C", "D"],
            "n": [12, 12, 12, 12],
            "turnover": [1000.0, 1000.0, 1000.0, 1000.0],
            "turnover__top1": [850.0, 600.0, 920.0, 300.0],
            "turnover__top2": [60.0, 300.0, 50.0, 200.0],
        }
    )
    declaration = infer_declaration(table)
    assert declaration is not None and declaration.kind is TableKind.magnitude
    assert declaration.largest == ["turnover__top1", "turnover__top2"]

    result = check_table(table, declaration, SETTINGS, "firms.csv")

    assert _codes(result.findings, 0) == {FindingCode.dominance}
    assert _codes(result.findings, 1) == set()
    assert _codes(result.findings, 2) == {FindingCode.dominance, FindingCode.p_percent}
    assert _codes(result.findings, 3) == set()
    dominance = next(f for f in result.findings if f.row == 0)
    assert dominance.message.en == "the 2 largest contributions make 91.0 % of this cell, more than 90.0 %"
    # the largest contributions never leave: blocking on the original, dropped from the safe version
    blocking = {f.column for f in result.findings if f.code is FindingCode.contributions_in_table}
    assert blocking == {"turnover__top1", "turnover__top2"}
    assert result.safe is not None
    assert result.safe.columns == ["sector", "n", "turnover"]
    assert result.safe["turnover"].to_list() == [None, 1000.0, None, 1000.0]
    assert result.safe["n"].to_list() == [None, 12, None, 12]


def test_p_percent_alone_when_p_is_larger() -> None:
    # total 1000, largest 500 and 300: rest 200 < 250 (50 % of 500); dominance 80 % passes
    table = pl.DataFrame({"s": ["A"], "n": [15], "v": [1000.0], "v__top1": [500.0], "v__top2": [300.0]})
    declaration = infer_declaration(table)
    assert declaration is not None

    result = check_table(table, declaration, DisclosureSettings(p_percent=0.5), "t.csv")

    assert [f.code for f in result.findings if f.severity is Severity.suppress] == [FindingCode.p_percent]


def test_secondary_suppression_in_a_cross_table_with_totals() -> None:
    # Worked by hand: (a, x) = 3 is primary. Column x then has one hidden cell: its smallest other
    # inner cell (b, x) = 15 is hidden. Row a and row b each have one: their smallest others,
    # (a, y) = 20 and (b, y) = 12. Column y then has two. Every line has 0 or 2 hidden cells and
    # no total gives a hidden cell back; totals stay shown.
    table = pl.DataFrame(
        {
            "region": ["a", "b", "c", "Total"],
            "x": [3, 15, 25, 43],
            "y": [20, 12, 35, 67],
            "z": [30, 40, 11, 81],
            "Total": [53, 67, 71, 191],
        }
    )
    declaration = infer_declaration(table)
    assert declaration == TableDeclaration(layout=TableLayout.wide, dimensions=["region"])

    result = check_table(table, declaration, SETTINGS, "cross.csv")

    assert _cells(result.findings, Severity.suppress) == {(0, "x")}
    assert _cells(result.findings, Severity.secondary) == {(1, "x"), (0, "y"), (1, "y")}
    assert result.safe is not None
    assert result.safe.row(0) == ("a", None, None, 30, 53)
    assert result.safe.row(1) == ("b", None, None, 40, 67)
    assert result.safe.row(3) == ("Total", 43, 67, 81, 191)
    assert result.suppressed == 1 and result.secondary == 3


def test_no_secondary_suppression_without_totals() -> None:
    table = pl.DataFrame({"region": ["a", "b"], "x": [3, 15], "y": [20, 12]})
    declaration = infer_declaration(table)
    assert declaration is not None

    result = check_table(table, declaration, SETTINGS, "cross.csv")

    assert _cells(result.findings, Severity.secondary) == set()


def test_a_suppressed_total_in_a_long_table_hides_one_more_cell_of_its_line() -> None:
    # region totals per sex: m total = 6 < 10 (primary); the m line (a, b, Total) then hides the
    # smaller inner cell, a = 2 (b = 4 stays: the line has two hidden cells)
    table = pl.DataFrame(
        {
            "region": ["a", "a", "b", "b", "Барлығы", "Барлығы"],
            "sex": ["m", "f", "m", "f", "m", "f"],
            "n": [2, 30, 4, 40, 6, 70],
        }
    )
    declaration = TableDeclaration(dimensions=["region", "sex"], count="n")

    result = check_table(table, declaration, SETTINGS, "t.csv")

    assert _cells(result.findings, Severity.suppress) == {(0, "n"), (2, "n"), (4, "n")}
    assert _cells(result.findings, Severity.secondary) == set()  # the m line already has three


def test_small_difference_between_a_total_and_its_cells_is_flagged() -> None:
    # the total says 50 but the cells shown add to 45: a group of 5 is implied
    table = pl.DataFrame({"region": ["a", "b", "Итого"], "n": [20, 25, 50]})
    declaration = infer_declaration(table)
    assert declaration is not None

    result = check_table(table, declaration, SETTINGS, "t.csv")

    (flag,) = [f for f in result.findings if f.code is FindingCode.small_difference]
    assert (flag.severity, flag.row, flag.values["difference"]) == (Severity.review, 2, "5")


def test_rounding_in_the_safe_version() -> None:
    table = pl.DataFrame({"region": ["a", "b"], "n": [12, 28]})
    declaration = infer_declaration(table)
    assert declaration is not None

    result = check_table(table, declaration, DisclosureSettings(round_to=5), "t.csv")

    assert result.safe is not None and result.safe["n"].to_list() == [10, 30]


def test_negative_contributions_are_for_the_reviewer_not_suppressed() -> None:
    table = pl.DataFrame({"s": ["A"], "n": [20], "v": [100.0], "v__top1": [400.0], "v__top2": [-50.0]})
    declaration = infer_declaration(table)
    assert declaration is not None

    result = check_table(table, declaration, SETTINGS, "t.csv")

    assert {(f.code, f.severity) for f in result.findings if f.row == 0} == {
        (FindingCode.negative, Severity.review)
    }


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_contributions_file_gives_counts_totals_and_the_largest(tmp_path: Path) -> None:
    # A: 12 firms of 10 and one of 5000 -> total 5120, largest two 5010 -> 97.9 % dominance
    # B: 12 firms of 100 each -> 200 / 1200 = 16.7 %: passes
    # C: 3 firms of 100 -> threshold only (largest two 200 / 300 = 66.7 %; rest 100 >= 10)
    # Total (A+B+C): 28 firms, 6620; largest two 5000 + 100 = 5100 -> 77 %: passes
    firms = pl.DataFrame(
        {
            "sector": ["A"] * 13 + ["B"] * 12 + ["C"] * 3,
            "turnover": [10.0] * 12 + [5000.0] + [100.0] * 12 + [100.0] * 3,
        }
    )
    firms.write_parquet(tmp_path / "firms.parquet")
    _write(tmp_path, "by_sector.csv", "sector,n,turnover\nA,13,5120\nB,12,1200\nC,3,300\nTotal,28,6620\n")
    sidecar = {
        "kind": "magnitude",
        "dimensions": ["sector"],
        "count": "n",
        "value": "turnover",
        "contributions": "firms.parquet",
        "contribution_value": "turnover",
    }
    _write(tmp_path, "by_sector.csv.sdc.json", json.dumps(sidecar))
    files = {p.name: p for p in tmp_path.iterdir()}

    checks = check_outputs(files, SETTINGS, tmp_path / "safe")

    assert checks["firms.parquet"].role is FileRole.evidence
    assert checks["by_sector.csv.sdc.json"].role is FileRole.evidence
    table = checks["by_sector.csv"]
    assert table.role is FileRole.table and table.kind is TableKind.magnitude
    assert _codes(table.findings, 0) == {FindingCode.dominance, FindingCode.p_percent}
    assert _codes(table.findings, 2) == {FindingCode.threshold}
    # Total line: A and C hidden (two) -> nothing more; B stays
    assert _cells(table.findings, Severity.secondary) == set()
    assert table.safe_path is not None
    safe = pl.read_csv(table.safe_path)
    assert safe["turnover"].to_list() == [None, 1200, None, 6620]
    assert not table.original_is_safe


def test_files_that_cannot_be_checked(tmp_path: Path) -> None:
    good = pl.DataFrame({"region": ["a", "b"], "n": [12, 28]})
    good.write_parquet(tmp_path / "whole.parquet")
    half = (tmp_path / "whole.parquet").read_bytes()
    _write(tmp_path, "half.parquet", half[: len(half) // 2])  # a job killed mid-write
    _write(tmp_path, "means.csv", "region,mean_income\na,1200.5\nb,1300.25\n")
    _write(tmp_path, "plot.png", b"\x89PNG\r\n\x1a\n")
    _write(tmp_path, "bad.csv", "region,n\na,12\n")
    _write(tmp_path, "bad.csv.sdc.json", '{"kind": "magnitude", "dimensions": ["region"], "count": "n"}')
    files = {p.name: p for p in tmp_path.iterdir()}

    checks = check_outputs(files, SETTINGS, tmp_path / "safe")

    assert checks["whole.parquet"].original_is_safe
    assert [(f.code, f.severity) for f in checks["half.parquet"].findings] == [
        (FindingCode.unreadable, Severity.blocking)
    ]
    assert checks["half.parquet"].safe_path is None
    assert [f.code for f in checks["means.csv"].findings] == [FindingCode.undeclared]
    assert checks["means.csv"].needs_justification
    assert checks["plot.png"].role is FileRole.other and checks["plot.png"].needs_justification
    (invalid,) = checks["bad.csv"].findings
    assert invalid.code is FindingCode.declaration_invalid
    assert "value column" in (invalid.message.en or "")


def test_xlsx_safe_version_is_a_workbook(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (["region", "n"], ["a", 4], ["b", 40]):
        sheet.append(row)
    workbook.save(tmp_path / "t.xlsx")

    checks = check_outputs({"t.xlsx": tmp_path / "t.xlsx"}, SETTINGS, tmp_path / "safe")

    safe_path = checks["t.xlsx"].safe_path
    assert safe_path is not None
    assert read_table(safe_path, "t.xlsx")["n"].to_list() == [None, 40]


def test_cp1251_semicolon_csv_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", "регион;n\nАбай;4\nАлматы;40\n".encode("cp1251"))

    checks = check_outputs({"t.csv": path}, SETTINGS, tmp_path / "safe")

    assert _cells(checks["t.csv"].findings, Severity.suppress) == {(0, "n")}


@pytest.mark.parametrize("code", list(FindingCode))
def test_every_finding_has_a_message_in_three_languages(code: FindingCode) -> None:
    values: dict[str, float | int | str] = {
        "count": 3, "min": 10, "n": 2, "share": "95 %", "k": "90 %", "rest": "1 %", "p": "10 %",
        "dimension": "region", "difference": 4, "reason": "x", "name": "t.csv", "format": "csv",
        "cells": 5, "max": 4, "other": "t2.csv",
    }  # fmt: skip
    item = finding(code, Severity.review, "t.csv", column="n", **values)  # type: ignore[arg-type]
    assert item.message.kk and item.message.ru and item.message.en
    assert len({item.message.kk, item.message.ru, item.message.en}) == 3


def test_contributions_beside_a_table_in_a_subfolder(tmp_path: Path) -> None:
    pl.DataFrame({"sector": ["A"] * 12, "v": [5.0] * 11 + [900.0]}).write_parquet(tmp_path / "firms.parquet")
    _write(tmp_path, "t.csv", "sector,n,v\nA,12,955\n")
    _write(tmp_path, "t.csv.sdc.json", json.dumps({
        "kind": "magnitude", "dimensions": ["sector"], "count": "n", "value": "v",
        "contributions": "firms.parquet", "contribution_value": "v",
    }))  # fmt: skip
    files = {f"tables/{p.name}": p for p in tmp_path.iterdir()}

    checks = check_outputs(files, SETTINGS, tmp_path / "safe")

    assert checks["tables/firms.parquet"].role is FileRole.evidence
    assert _codes(checks["tables/t.csv"].findings, 0) == {FindingCode.dominance, FindingCode.p_percent}


def test_no_line_with_a_total_gives_a_suppressed_cell_back() -> None:
    """Seeded cross tables with margins: after secondary suppression every row and column holds no
    hidden cell or at least two (total minus the shown cells never equals one hidden cell)."""
    import random

    rng = random.Random(13)
    for _ in range(200):
        rows, cols = rng.randint(2, 6), rng.randint(2, 6)
        inner = [[rng.choice([0, 1, 3, 7, 9, 12, 25, 40, 80]) for _ in range(cols)] for _ in range(rows)]
        data: dict[str, list[Any]] = {"r": [f"r{i}" for i in range(rows)] + ["Total"]}
        for j in range(cols):
            column = [inner[i][j] for i in range(rows)]
            data[f"c{j}"] = [*column, sum(column)]
        data["Total"] = [sum(row) for row in inner] + [sum(map(sum, inner))]
        table = pl.DataFrame(data)
        result = check_table(
            table, TableDeclaration(layout=TableLayout.wide, dimensions=["r"]), SETTINGS, "t"
        )
        hidden = _cells(result.findings, Severity.suppress) | _cells(result.findings, Severity.secondary)
        names = [*(f"c{j}" for j in range(cols)), "Total"]
        for i in range(rows + 1):
            assert sum((i, c) in hidden for c in names) != 1, (inner, sorted(hidden))
        for c in names:
            assert sum((i, c) in hidden for i in range(rows + 1)) != 1, (inner, sorted(hidden))
        primary = _cells(result.findings, Severity.suppress)
        assert primary == {(i, f"c{j}") for i in range(rows) for j in range(cols) if inner[i][j] < 10} | {
            (rows, c) for c in names if table[c][rows] < 10
        } | {(i, "Total") for i in range(rows) if table["Total"][i] < 10}


def test_two_tables_of_a_job_that_differ_by_a_small_group_are_flagged(tmp_path: Path) -> None:
    # everyone by region, and everyone but the clinic's patients by region: Abai differs by 3
    _write(tmp_path, "all.csv", "region,n\nAbai,50\nAlmaty,40\n")
    _write(tmp_path, "without_clinic.csv", "region,n\nAbai,47\nAlmaty,40\n")
    _write(tmp_path, "other_dims.csv", "sex,n\nAbai,48\n")  # other dimensions: not comparable
    files = {p.name: p for p in tmp_path.iterdir()}

    checks = check_outputs(files, SETTINGS, tmp_path / "safe")

    for name, other in (("all.csv", "without_clinic.csv"), ("without_clinic.csv", "all.csv")):
        (flag,) = checks[name].findings
        assert (flag.code, flag.severity, flag.row, flag.values["other"]) == (
            FindingCode.cross_difference,
            Severity.review,
            0,
            other,
        )
        assert (flag.message.en or "").startswith(f"this cell differs from the same cell of {other} by 3")
    assert checks["other_dims.csv"].findings == []
