"""Start-up of `qazai` commands in fresh processes, next to bare Python and `import typer`.

    .venv/bin/python bench/cli_startup.py [--runs 5] [--all]

Each line is the median of ``--runs`` fresh processes, interleaved round by round so that every
line sees the same background load: wall time and CPU time (user + system; CPU time does not swing
with the machine's load). ``--all`` adds `--help` of every top-level command.

Target (issue 18): every `qazai` command starts in ≤ 0.3 s (`qazai version`, `qazai scan --help`).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

QAZAI = str(Path(sys.executable).parent / "qazai")


def _run(command: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=120)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--all", action="store_true", help="also --help of every top-level command")
    args = ap.parse_args()
    os.environ.pop("QAZAI_DATABASE_URL", None)

    cases: dict[str, list[str]] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import typer"': [sys.executable, "-c", "import typer"],
        "qazai --help": [QAZAI, "--help"],
        "qazai version": [QAZAI, "version"],
        "qazai scan --help": [QAZAI, "scan", "--help"],
        "qazai libraries --help": [QAZAI, "libraries", "--help"],
        "qazai query --help": [QAZAI, "query", "--help"],
    }
    if args.all:
        from qazai.cli.main import COMMANDS

        for name in COMMANDS:
            cases.setdefault(f"qazai {name} --help", [QAZAI, name, "--help"])
    for command in cases.values():  # warm the OS file cache and the bytecode cache
        _run(command)
    results: dict[str, list[tuple[float, float]]] = {label: [] for label in cases}
    for _ in range(args.runs):
        for label, command in cases.items():
            results[label].append(_run(command))

    print(f"start-up, median of {args.runs} fresh processes:")
    print(f"  {'command':32s} {'wall s':>7s} {'CPU s':>7s}")
    for label, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        mark = ""
        if label.startswith("qazai"):
            mark = "  ≤ 0.3 s" if wall <= 0.3 else "  > 0.3 s"
        print(f"  {label:32s} {wall:7.3f} {cpu:7.3f}{mark}")


if __name__ == "__main__":
    main()
