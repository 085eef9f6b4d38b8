"""`qazai scan --json` streams the findings in batches, and prints the same document as
``TableReport.to_json()`` (the shape scripts rely on)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qazai.privacy
from qazai.cli import privacy as cli_privacy
from qazai.cli.main import app
from qazai.privacy import TableReport

PEOPLE = (
    "ФИО,ИИН,Телефон,Комментарий\n"
    'Иванов Иван Иванович,900101300015,+7 701 123 4567,"звонить на 87011234567\nпосле обеда"\n'
    'Әлия Серікқызы,850505400123,87011234568,"почта aliya@mail.kz, ИИН 900101300015 в письме"\n'
    'Петров Пётр,,8 (701) 765 43 21,"кавычки ""внутри"" и \\\\ обратная черта"\n'
)


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_scan_json_is_the_report_document_whatever_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    path = _csv(tmp_path, PEOPLE)
    monkeypatch.setattr(cli_privacy, "_FINDINGS_BATCH", batch)
    reports: list[TableReport] = []  # the report the command made, to compare with its to_json()
    scan_table = qazai.privacy.scan_table

    def recording(table: object) -> TableReport:
        reports.append(scan_table(table))
        return reports[-1]

    monkeypatch.setattr(qazai.privacy, "scan_table", recording)
    result = CliRunner().invoke(app, ["scan", str(path), "--json"])
    assert result.exit_code == 0, result.output
    expected = reports[0].to_json()
    assert len(expected["findings"]) >= 6  # several batches when the batch is small
    assert json.loads(result.stdout) == expected
    assert result.stdout.count("\n") == 1  # one document, one line


def test_scan_json_makes_no_object_per_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def per_finding(self: TableReport) -> object:
        raise AssertionError("to_json builds a dict per finding")

    monkeypatch.setattr(TableReport, "to_json", per_finding)
    result = CliRunner().invoke(app, ["scan", str(_csv(tmp_path, PEOPLE)), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"]


def test_scan_json_without_findings_and_of_a_text_file(tmp_path: Path) -> None:
    clean = _csv(tmp_path, "region,value\nAstana,1\nAlmaty,2\n")
    result = CliRunner().invoke(app, ["scan", str(clean), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["findings"] == [] and body["rows_scanned"] == 2

    text = tmp_path / "letter.txt"
    text.write_text("Менің ИИН 900101300015, телефон +7 701 123 4567.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scan", str(text), "--json", "--fail-on", "PHONE_KZ"])
    assert result.exit_code == 3  # the gate still sees the findings after streaming them
    found = json.loads(result.stdout)["findings"]
    assert "PHONE_KZ" in {f["entity"] for f in found} and all(f["row"] == 0 for f in found)
