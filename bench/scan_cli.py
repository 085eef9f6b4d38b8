# ruff: noqa: E501
"""`qazai scan --json` as a whole process, against the same scan warm in this process.

    .venv/bin/python bench/scan_cli.py [--rows 40000] [--runs 3]

A generated CSV (bench/privacy_corpus.py: IIN, phone, e-mail, IBAN, BIN, card, full name and two
free-text columns; ~9 findings a row) is scanned

* by ``qazai scan FILE --json > /dev/null`` in fresh processes (start-up, imports, reading,
  scanning and writing every finding), median of ``--runs``;
* in this process after a warm-up run: ``scan_table(read_table(...))``, median of ``--runs``
  (the reference: the scan alone, nothing imported or compiled);
* and the JSON alone, in this process: the streamed writer `qazai scan` uses now against the
  old ``json.dumps(report.to_json())`` (a dict per finding).

The fresh processes run as an installed package does, from bytecode: an untimed first run writes
it to a cache folder of the run (``PYTHONPYCACHEPREFIX``; pip byte-compiles a wheel at install).
Where the environment sets ``PYTHONDONTWRITEBYTECODE`` (these sessions do), QazAI's own modules are
otherwise compiled from source in every process (~0.15-0.2 s of CPU): that variant is printed too.

Wall and CPU time are printed with the load average (the machine may be shared: CPU time swings
less with its load than wall time). Target (issue 18): the whole process within 1.5× of the warm
in-process scan (CPU).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
QAZAI = str(Path(sys.executable).parent / "qazai")


def _write_csv(path: Path, rows: int) -> None:
    import polars as pl

    from privacy_corpus import Gen
    from privacy_eval import text_cell

    g = Gen(1)
    pl.DataFrame(
        {
            "ИИН": [g.iin() for _ in range(rows)],
            "Телефон": [g.phone() for _ in range(rows)],
            "Email": [g.email() for _ in range(rows)],
            "ИИК": [g.iban() for _ in range(rows)],
            "БИН": [g.bin() for _ in range(rows)],
            "Номер карты": [g.card() for _ in range(rows)],
            "ФИО": [g.person() for _ in range(rows)],
            "Комментарий": [text_cell(g).text for _ in range(rows)],
            "Ескерту": [text_cell(g).text for _ in range(rows)],
        }
    ).write_csv(path)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=40_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    from qazai.cli.privacy import write_report_json
    from qazai.privacy import scan_table
    from qazai.privacy.readers import read_table

    work = Path(tempfile.mkdtemp(prefix="qazai-bench-scan-"))
    path = work / "people.csv"
    _write_csv(path, args.rows)
    print(f"{path}: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB", flush=True)

    report = scan_table(read_table(path, "csv"))  # warm-up: regexes compiled, lists loaded
    findings = report.findings.height
    warm: list[tuple[float, float]] = []
    whole: list[tuple[float, float]] = []
    from_source: list[tuple[float, float]] = []
    out_path = work / "out.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAZAI_")}
    compiled = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    compiled["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    source = {**env, "PYTHONDONTWRITEBYTECODE": "1"}

    def run_cli(child_env: dict[str, str]) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), _children_cpu()
        with out_path.open("wb") as out:
            done = subprocess.run(
                [QAZAI, "scan", str(path), "--json"], stdout=out, env=child_env, check=False
            )
        if done.returncode != 0:
            raise SystemExit(f"qazai scan failed with {done.returncode}")
        return time.perf_counter() - wall, _children_cpu() - cpu

    run_cli(compiled)  # untimed: writes the bytecode, as installing the package does
    load_before = os.getloadavg()
    for _ in range(args.runs):  # interleaved: all see the same background load
        wall, cpu = time.perf_counter(), time.process_time()
        scan_table(read_table(path, "csv"))
        warm.append((time.perf_counter() - wall, time.process_time() - cpu))
        whole.append(run_cli(compiled))
        from_source.append(run_cli(source))
    load_after = os.getloadavg()
    printed = json.loads(out_path.read_bytes())
    assert printed == report.to_json(), "the streamed JSON differs from TableReport.to_json()"

    started = time.process_time()
    json.dumps(report.to_json(), ensure_ascii=False).encode("utf-8")
    old_json = time.process_time() - started
    started = time.process_time()
    write_report_json(report, io.BytesIO())
    new_json = time.process_time() - started

    def med(runs: list[tuple[float, float]], i: int) -> float:
        return statistics.median(r[i] for r in runs)

    w_wall, w_cpu, p_wall, p_cpu = med(warm, 0), med(warm, 1), med(whole, 0), med(whole, 1)
    s_wall, s_cpu = med(from_source, 0), med(from_source, 1)
    print(f"\n`qazai scan --json`, {args.rows} rows, {findings:,} findings, median of {args.runs}:")
    print(
        f"  load average (1/5/15 min) {' '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.2f}' for x in load_after)} after, {os.cpu_count()} CPUs"
    )
    print(f"  whole process            {p_wall:6.2f} s wall {p_cpu:6.2f} s CPU")
    print(f"  warm scan in-process     {w_wall:6.2f} s wall {w_cpu:6.2f} s CPU   (reference)")
    print(f"  ratio                    {p_wall / w_wall:6.2f}×      {p_cpu / w_cpu:6.2f}×   (target ≤ 1.5×)")
    print(
        f"  whole process, QazAI compiled from source each run (PYTHONDONTWRITEBYTECODE=1): "
        f"{s_wall:.2f} s wall {s_cpu:.2f} s CPU, {s_cpu / w_cpu:.2f}× CPU"
    )
    print(
        f"  JSON of the findings: streamed {new_json:.2f} s CPU, before (to_json + json.dumps) {old_json:.2f} s CPU"
    )


if __name__ == "__main__":
    main()
