"""Score catalogue search on held-out queries written apart from the search code.

    .venv/bin/python bench/search_heldout.py [--queries bench/heldout/search_queries.jsonl] [--json OUT]

The queries (``bench/heldout/search_queries.jsonl``) were written from the demo data alone —
titles, descriptions and files in ``src/qazai/libraries/demo_data/`` — without reading the search
implementation, its thesaurus or its tests. Each line is either ``{"query", "expected", "lang",
"why"}`` (``expected`` a demo library slug) or ``{"query", "not_expected_any": true, "why"}``
(a topic no demo library covers: a demo library ranked first counts as a false first).

The bench seeds a demo portal in a temporary data dir (``build_platform`` + ``seed_demo``, as the
``demo_portal`` browser fixture does), waits for the publish jobs, then sends every query to
``GET /api/v1/catalog/search`` in-process (``TestClient``, whose lifespan runs the job
workers) as an anonymous visitor. It prints recall@1, recall@3 and MRR per language group and
overall, the negatives' false-first rate, and every miss with what came first.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUERIES = ROOT / "bench" / "heldout" / "search_queries.jsonl"


def _publishing(platform: Any) -> int:
    from qazai.libraries.service import PUBLISH_JOB
    from qazai.storage.jobs.queue import list_jobs
    from qazai.storage.tables.jobs import JobState

    with platform.db.uow() as uow:
        return sum(
            len(list_jobs(uow.session, state=state, kind=PUBLISH_JOB, limit=100))
            for state in (JobState.queued, JobState.running)
        )


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _run(client: Any, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in queries:
        resp = client.get("/api/v1/catalog/search", params={"q": item["query"], "rows": 10})
        resp.raise_for_status()
        slugs = [r["name"] for r in resp.json()["results"]]
        out.append({**item, "ranked": slugs})
    return out


def _score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if not row.get("not_expected_any"):
            groups[row["lang"]].append(row)
            groups["all"].append(row)
    table = {}
    for lang, items in groups.items():
        r1 = r3 = rr = 0.0
        for row in items:
            rank = row["ranked"].index(row["expected"]) + 1 if row["expected"] in row["ranked"] else 0
            r1 += rank == 1
            r3 += 0 < rank <= 3
            rr += 1 / rank if rank else 0
        n = len(items)
        table[lang] = {"n": n, "recall@1": r1 / n, "recall@3": r3 / n, "mrr": rr / n}
    neg = [row for row in rows if row.get("not_expected_any")]
    false_first = [row for row in neg if row["ranked"]]
    table["negatives"] = {"n": len(neg), "false_first_rate": len(false_first) / len(neg) if neg else 0.0}
    return table


def main() -> int:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--json", type=Path, help="also write every query's ranking here")
    args = parser.parse_args()
    queries = _load(args.queries)

    from fastapi.testclient import TestClient

    from qazai.api.app import create_app
    from qazai.api.wiring import build_platform
    from qazai.cli.demo import seed_demo
    from qazai.config import load_settings
    from qazai.libraries.demo import DEMO_LIBRARIES

    demo_slugs = {d.slug for d in DEMO_LIBRARIES}
    unknown = {q["expected"] for q in queries if not q.get("not_expected_any")} - demo_slugs
    if unknown:
        print(f"unknown expected slugs: {sorted(unknown)}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="qazai-search-heldout-") as tmp:
        settings = load_settings(
            environment="demo",
            data_dir=Path(tmp) / "data",
            secret_key="search-heldout-bench-secret-key-long-enough-0123",
            argon2_time_cost=1,
            argon2_memory_kib=64,
            workers=1,
            log_json=True,
        )
        platform = build_platform(settings, start_workers=True)
        try:
            t0 = time.monotonic()
            seed_demo(platform)
            # The in-process job workers run in the app's lifespan, which TestClient enters.
            with TestClient(create_app(platform)) as client:
                deadline = time.monotonic() + 300
                while _publishing(platform) and time.monotonic() < deadline:
                    time.sleep(0.5)
                if _publishing(platform):
                    print("demo libraries were not published within 300 s", file=sys.stderr)
                    return 1
                print(f"demo seeded and published in {time.monotonic() - t0:.1f} s")
                logging.getLogger("qazai.access").setLevel(logging.WARNING)  # one line per query
                everything = client.get("/api/v1/catalog/search", params={"rows": 50}).json()
                listed = sorted(r["name"] for r in everything["results"])
                print(f"catalogue holds {everything['count']} libraries: {', '.join(listed)}")
                missing = demo_slugs - set(listed)
                if missing:
                    print(f"WARNING: demo libraries not searchable: {sorted(missing)}")
                rows = _run(client, queries)
        finally:
            platform.close()

    table = _score(rows)
    print(f"\n{'group':<10} {'n':>3} {'R@1':>6} {'R@3':>6} {'MRR':>6}")
    for lang in ("kk", "ru", "en", "translit", "all"):
        if lang in table:
            t = table[lang]
            print(f"{lang:<10} {t['n']:>3} {t['recall@1']:>6.2f} {t['recall@3']:>6.2f} {t['mrr']:>6.2f}")
    neg = table["negatives"]
    print(f"negatives  {neg['n']:>3} false-first rate {neg['false_first_rate']:.2f}")

    print("\nmisses (expected not first): query [lang] expected → first (rank of expected)")
    for row in rows:
        if row.get("not_expected_any") or (row["ranked"][:1] == [row["expected"]]):
            continue
        rank = row["ranked"].index(row["expected"]) + 1 if row["expected"] in row["ranked"] else "-"
        first = row["ranked"][0] if row["ranked"] else "(nothing)"
        print(f"  {row['query']!r} [{row['lang']}] {row['expected']} → {first} (rank {rank})")
    print("\nnegatives with a result first:")
    for row in rows:
        if row.get("not_expected_any") and row["ranked"]:
            print(f"  {row['query']!r} → {row['ranked'][0]} ({len(row['ranked'])} results)")

    if args.json:
        args.json.write_text(json.dumps({"scores": table, "rows": rows}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
