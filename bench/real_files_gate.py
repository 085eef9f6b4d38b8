"""Every real government file in ../shared/data through the publish pipeline's privacy plan.

Prints, per file and table, the columns the default open policy would drop, redact, mask,
pseudonymise or generalise, with the engine's evidence for each. The issue's target is 0
columns dropped or redacted on the aggregate statistics and the place/indicator tables, and
every address and phone of ``akimat-complaints.csv`` redacted.

    .venv/bin/python bench/real_files_gate.py [--data ../shared/data] [--all]

``--all`` prints every column's decision, not only the changed ones.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qazai.core.enums import AccessTier
from qazai.libraries.ingest.typed import read_typed_tables
from qazai.libraries.pipeline import privacy_step

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args()
    files = sorted(p for p in args.data.rglob("*") if p.suffix.lower() in {".csv", ".xlsx", ".json"})
    total = changed = dropped = redacted = 0
    for path in files:
        for name, frame in read_typed_tables(path):
            policy = privacy_step.policy_for(AccessTier.open, None)
            _, report = privacy_step.plan(frame, policy)
            for column in report["columns"]:
                total += 1
                action = column["action"]
                if action != "keep":
                    changed += 1
                dropped += action == "drop"
                redacted += action == "redact"
                if action != "keep" or args.all:
                    evidence = column.get("evidence") or {}
                    print(
                        f"{path.relative_to(args.data)} | {name} | {column['name'][:50]!r} | "
                        f"{column['kind']} {column['entity'] or ''} -> {action}  rule={evidence.get('rule')} "
                        f"cells={evidence.get('cells')} findings={evidence.get('findings')}"
                    )
    print(
        f"\n{total} columns in {len(files)} files: {changed} changed, {dropped} dropped, {redacted} redacted"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
