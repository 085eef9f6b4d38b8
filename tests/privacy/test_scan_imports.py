"""`qazai scan` in a fresh interpreter loads only what the scan needs (issue 18: start-up is most of
a whole process's overhead over the warm scan)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# numpy and PyArrow cost ~0.25 s of CPU to import; the scan reads and checks with Polars alone.
# DuckDB, the policies and de-identification belong to `qazai deidentify` and the publish pipeline.
NOT_FOR_A_SCAN = ("numpy", "pyarrow", "duckdb", "qazai.privacy.deidentification", "qazai.privacy.policy")


def test_a_scan_with_every_validated_entity_loads_no_numpy_nor_pyarrow(tmp_path: Path) -> None:
    # an IBAN column (its mod-97 check used numpy over Arrow buffers), cards, IINs, names, text
    path = tmp_path / "people.csv"
    path.write_text(
        "ИИН,ИИК,Номер карты,ФИО,Комментарий\n"
        "900101300007,KZ739990000000012345,4400430123456789,Жұмабаев Арман Серікұлы,"
        "звонил Иванов Петр Сергеевич +7 701 123 45 67\n",
        encoding="utf-8",
    )
    script = (
        "import io, json, sys\n"
        "from qazai.cli.privacy import write_report_json\n"
        "from qazai.privacy import scan_table\n"
        "from qazai.privacy.readers import detect_format, read_table\n"
        f"path = __import__('pathlib').Path({str(path)!r})\n"
        "report = scan_table(read_table(path, detect_format(path)))\n"
        "out = io.BytesIO()\n"
        "write_report_json(report, out)\n"
        f"loaded = [m for m in {NOT_FOR_A_SCAN!r} if m in sys.modules]\n"
        "print(json.dumps({'loaded': loaded, 'entities': sorted(report.entity_counts())}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert {"IIN", "IBAN_KZ", "CARD", "PERSON", "PHONE_KZ"} <= set(result["entities"])
    assert result["loaded"] == []


def test_the_whole_command_loads_no_pydantic_either(tmp_path: Path) -> None:
    """`qazai scan FILE --json` as a user runs it: the file argument is checked by typer's own
    path checks without its pydantic adapter (cli/main.py `_without_pydantic`)."""
    from tests.cli.test_startup import PROBE

    path = tmp_path / "people.csv"
    path.write_text("ИИН,Телефон\n900101300007,+7 701 123 45 67\n", encoding="utf-8")
    args = json.dumps(["scan", str(path), "--json"])
    done = subprocess.run([sys.executable, "-c", PROBE, args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    *output, last = done.stdout.rstrip().splitlines()
    report = json.loads(last)
    assert report["code"] in (0, None)
    assert "IIN" in "\n".join(output)
    heavy = ("pydantic", "numpy", "pyarrow", "duckdb", "sqlalchemy")
    assert [m for m in report["modules"] if m.split(".")[0] in heavy] == []
