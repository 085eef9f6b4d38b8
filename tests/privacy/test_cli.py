"""`qazai scan` and `qazai deidentify` on real files, including bad input."""

from __future__ import annotations

import json
import random
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from qazai.cli.privacy import register

from .conftest import SECRET, people

runner = CliRunner()


def main_app() -> typer.Typer:
    """The real `qazai` app: it turns AppError into one line and exit 1."""
    from qazai.cli.main import app

    return app


@pytest.fixture(params=["standalone", "main"])
def app(request: pytest.FixtureRequest) -> typer.Typer:
    if request.param == "main":
        from qazai.cli.main import app as main_app

        return main_app
    standalone = typer.Typer()
    register(standalone)

    @standalone.callback()
    def _root() -> None:
        """Test root, so both commands are subcommands."""

    return standalone


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_scan_json_has_exact_shape(app: typer.Typer, tmp_path: Path) -> None:
    path = _csv(tmp_path, "ИИН;ФИО;Сумма\n900315301237;Жұмабаев Нұрлан;100\n851221400572;Иванова Мария;200\n")
    result = runner.invoke(app, ["scan", str(path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rows_scanned"] == 2
    assert [c["name"] for c in doc["columns"]] == ["ИИН", "ФИО", "Сумма"]
    assert doc["columns"][0] == {
        "name": "ИИН",
        "kind": "direct_identifier",
        "entities": {"IIN": 2},
        "match_ratio": 1.0,
        "evidence": {
            "cells": 2,
            "findings": [{"entity": "IIN", "cells": 2, "share": 1.0, "validated": True}],
            "header": ["IIN"],
            "rule": "identifier_cells",
            "threshold": 0.5,
            "attention": False,
        },
    }
    assert any(
        {"row": 1, "column": "ИИН", "start": 0, "end": 12, "entity": "IIN"}.items() <= f.items()
        for f in doc["findings"]
    )
    assert all(isinstance(f["score"], float) for f in doc["findings"])


def test_scan_fail_on_exits_3_only_when_found(app: typer.Typer, tmp_path: Path) -> None:
    path = _csv(tmp_path, "iin\n900315301237\n")
    assert runner.invoke(app, ["scan", str(path), "--fail-on", "IIN,EMAIL"]).exit_code == 3
    assert runner.invoke(app, ["scan", str(path), "--fail-on", "EMAIL"]).exit_code == 0
    assert runner.invoke(main_app(), ["scan", str(path), "--fail-on", "NOPE"]).exit_code == 1


def test_scan_plain_text_reports_lines_and_null_column(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("Салем!\nМенің ЖСН 900315301237, тел +77011234567\n", encoding="utf-8")
    doc = json.loads(runner.invoke(app, ["scan", str(path), "--json"]).stdout)
    assert doc["rows_scanned"] == 2
    assert {(f["row"], f["column"], f["start"], f["end"], f["entity"]) for f in doc["findings"]} == {
        (1, None, 10, 22, "IIN"),
        (1, None, 28, 40, "PHONE_KZ"),
    }


def test_scan_cp1251_csv_and_human_report(app: typer.Typer, tmp_path: Path) -> None:
    path = _csv(tmp_path, "ИИН,Имя\n900315301237,Иванов Иван\n", encoding="cp1251")
    result = runner.invoke(app, ["scan", str(path)])
    assert result.exit_code == 0, result.output
    assert "direct_identifier" in result.stdout and "IIN" in result.stdout


def test_scan_other_formats(app: typer.Typer, tmp_path: Path) -> None:
    frame = pl.DataFrame({"email": ["a@b.kz", "c@d.kz"], "n": ["1", "2"]})
    frame.write_parquet(tmp_path / "t.parquet")
    frame.write_ndjson(tmp_path / "t.ndjson")
    (tmp_path / "t.json").write_text(json.dumps(frame.to_dicts()), encoding="utf-8")
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [frame.columns, *frame.rows()]:
        sheet.append(list(row))
    book.save(tmp_path / "t.xlsx")
    for name in ("t.parquet", "t.ndjson", "t.json", "t.xlsx"):
        result = runner.invoke(app, ["scan", str(tmp_path / name), "--json", "--sample", "1"])
        assert result.exit_code == 0, (name, result.output)
        doc = json.loads(result.stdout)
        assert doc["rows_scanned"] == 1 and doc["columns"][0]["entities"] == {"EMAIL": 1}, name


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\x03" * 1000, "binary"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, "binary"),
        (random.Random(0).randbytes(5000), "binary"),
    ],
)
def test_bad_input_gives_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = runner.invoke(main_app(), ["scan", str(path), "--json"])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_ragged_rows_nul_bytes_and_mixed_encodings_still_report(app: typer.Typer, tmp_path: Path) -> None:
    raw = b"a,b\n900315301237,x,extra\n1\n" + "Иванов,".encode("cp1251") + b"\x00z\n"
    path = tmp_path / "messy.csv"
    path.write_bytes(raw)
    result = runner.invoke(app, ["scan", str(path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rows_scanned"] == 3
    assert any(f["entity"] == "IIN" for f in doc["findings"])


def test_a_long_single_line_is_scanned_in_segments(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    filler = "слово " * 400_000  # 2.4 M characters on one line
    path.write_text(filler + "ИИН 900315301237", encoding="utf-8")
    doc = json.loads(runner.invoke(app, ["scan", str(path), "--json"]).stdout)
    (f,) = [f for f in doc["findings"] if f["entity"] == "IIN"]
    assert (f["row"], f["start"]) == (0, len(filler) + 4)


def test_deidentify_writes_parquet_and_prints_assessment(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "people.csv"
    people(500).write_csv(src)
    policy = tmp_path / "policy.yaml"
    policy.write_text("base: registered\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    monkeypatch.setenv("QAZAI_PSEUDONYM_SECRET", SECRET.decode())
    result = runner.invoke(app, ["deidentify", str(src), "--policy", str(policy), "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["passed"] and doc["k"] >= 5 and doc["residual_identifiers"] == {}
    table = pq.read_table(out)
    assert "ФИО" not in table.column_names
    assert all(v.startswith("pid_") for v in table.column("ИИН").to_pylist())


def test_deidentify_refuses_output_that_fails_the_tier(tmp_path: Path) -> None:
    src = tmp_path / "people.csv"
    people(200).write_csv(src)
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {"base": "open", "columns": {"ФИО": {"action": "keep", "reason": "names are public officials"}}}
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.parquet"
    result = runner.invoke(main_app(), ["deidentify", str(src), "--policy", str(policy), "-o", str(out)])
    assert result.exit_code == 1
    assert "residual" in result.output
    assert not out.exists()


def test_deidentify_text_redacts(app: typer.Typer, tmp_path: Path) -> None:
    src = tmp_path / "note.txt"
    src.write_text("Жұмабаев Нұрлан, ЖСН 900315301237\nбез данных\n", encoding="utf-8")
    policy = tmp_path / "p.yaml"
    policy.write_text("base: open\n", encoding="utf-8")
    out = tmp_path / "note.red.txt"
    result = runner.invoke(app, ["deidentify", str(src), "--policy", str(policy), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == "[PERSON], ЖСН [IIN]\nбез данных\n"


def test_scan_finds_an_iin_typed_as_a_number_in_a_workbook(app: typer.Typer, tmp_path: Path) -> None:
    """Excel stores 900315301237 as a float; the reader must not turn it into '900315301237.0'
    (the detector would still find it, but masked or pseudonymised output would carry the `.0`)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ИИН", "Сумма"])
    sheet.append([900315301237, 1500.5])
    sheet.append([851221400572, 10])
    path = tmp_path / "numbers.xlsx"
    book.save(path)
    from qazai.privacy.readers import read_table

    table = read_table(path, "xlsx")
    assert table["ИИН"].to_list() == ["900315301237", "851221400572"]  # cell text, as `deidentify` writes it
    assert table["Сумма"].to_list() == ["1500.5", "10"]
    result = CliRunner().invoke(app, ["scan", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    iins = [f for f in report["findings"] if f["entity"] == "IIN"]
    assert [f["row"] for f in iins] == [0, 1]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-16-le", b""),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("kz1048", b""),
        ("utf-8", b""),
    ],
)
def test_scan_reads_encodings_as_the_publish_readers_do(encoding: str, bom: bytes, tmp_path: Path) -> None:
    """`qazai scan` and `qazai publish` share one encoding and delimiter detector
    (`qazai.core.textfiles`): UTF-16 with or without a BOM and Kazakh kz1048 read cleanly."""
    from qazai.core import textfiles

    text = "ИИН;Аты-жөні;Ескерту\n" + "".join(
        f"{iin};Жұмабаев Нұрлан;Өтініш қабылданды\n" for iin in ["900315301237"] * 3
    )
    path = tmp_path / "in.csv"
    path.write_bytes(bom + text.encode(encoding))
    head = path.read_bytes()[:4096]
    assert (
        textfiles.detect_delimiter(head.decode(textfiles.detect_encoding(head, None, "x"), "replace")) == ";"
    )
    result = runner.invoke(main_app(), ["scan", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [c["name"] for c in report["columns"]] == ["ИИН", "Аты-жөні", "Ескерту"]
    assert {f["entity"] for f in report["findings"]} >= {"IIN", "PERSON"}


def test_scan_says_why_a_table_of_statistics_is_kept(app: typer.Typer, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "Регион;2021;2022\nВсего;14 901 641;15 000 000\nАлматы;2 100 000;2 200 000\n"
        "Астана;1 350 000;1 420 000\n",
    )
    result = runner.invoke(app, ["scan", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "a table of statistics: kept whole" in result.output
    assert "aggregate_table" in result.output
