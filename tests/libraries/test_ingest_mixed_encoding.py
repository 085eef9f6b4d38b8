"""A UTF-8 header above cp1251 rows (a header pasted from another file): the header is read as
UTF-8, the rows as cp1251, and the publish report says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import make_people
from tests.libraries.publishing import make_library, publish

from qazai.api.platform import Platform
from qazai.libraries import repo
from qazai.libraries.ingest import DEFAULT_LIMITS, open_source

ROWS = "Иванов Иван;Астана;100\nПетрова Асель;Алматы;200\n"


def _mixed(path: Path, *, title: str = "") -> Path:
    path.write_bytes((title + "ФИО;Регион;Сумма\n").encode("utf-8") + (ROWS * 40).encode("cp1251"))
    return path


@pytest.mark.parametrize("title", ["", "Список получателей\n"])
def test_utf8_header_over_cp1251_rows_reads_both_right_and_says_so(tmp_path: Path, title: str) -> None:
    [table] = open_source(
        _mixed(tmp_path / "mixed.csv", title=title), display_name="mixed.csv", limits=DEFAULT_LIMITS
    )
    assert table.source_columns == ("ФИО", "Регион", "Сумма")
    assert table.encoding == "cp1251"
    assert any("header is in UTF-8 but the rows are in cp1251" in note for note in table.notes)
    rows = [row for batch in table.batches() for row in batch.to_pylist()]
    assert len(rows) == 80
    assert rows[0] == {"ФИО": "Иванов Иван", "Регион": "Астана", "Сумма": "100"}


def test_a_file_in_one_encoding_gets_no_such_note(tmp_path: Path) -> None:
    for name, encoding in (("cp.csv", "cp1251"), ("utf.csv", "utf-8")):
        path = tmp_path / name
        path.write_bytes(("ФИО;Регион;Сумма\n" + ROWS).encode(encoding))
        [table] = open_source(path, display_name=name, limits=DEFAULT_LIMITS)
        assert table.source_columns == ("ФИО", "Регион", "Сумма")
        assert not any("UTF-8" in note for note in table.notes)


def test_the_publish_report_warns_about_the_mixed_file(platform: Platform, tmp_path: Path) -> None:
    make_people(platform)
    make_library(platform, "mixed")
    job = publish(platform, "mixed", _mixed(tmp_path / "mixed.csv"))
    assert job.state in ("succeeded", "failed"), job.error
    with platform.db.uow(read_only=True) as uow:
        library = repo.get_library(uow.session, "mixed")
        assert library is not None
        version = repo.get_version(uow.session, library.id, 1)
        assert version is not None
        [table] = version.manifest["tables"]
    assert any("header is in UTF-8 but the rows are in cp1251" in n for n in table["source"]["notes"])
    assert [c["source"] for c in table["columns_inferred"]][:2] == ["ФИО", "Регион"]
