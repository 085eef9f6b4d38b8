# ruff: noqa: E501
"""The privacy engine on the independent held-out set (bench/heldout/, see its README.md).

    .venv/bin/python bench/heldout_eval.py [--show 40] [--json out.json]

Text: span precision / recall / F2 per entity. A predicted span is a hit when it overlaps a gold span
of the same entity by at least 50 % of the gold span's length; a gold span is found when some
predicted span of its entity overlaps it that much. Recall with any overlap is printed beside it.
Findings of entities the set does not label (BIN, CARD, ...) are all false alarms here and are
counted apart. Tables: the column kind the engine reports, mapped to the set's labels, against the
labels in table_cases/labels.json (cells read as strings, as they are in the CSV file).
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import polars as pl

from qazai.privacy import ColumnKind, scan_table, scan_text

HERE = Path(__file__).resolve().parent / "heldout"
ENTITIES = ("ADDRESS", "PHONE_KZ", "PERSON", "IIN", "EMAIL", "DATE_OF_BIRTH")
LABEL_OF_ENTITY = {
    "ADDRESS": "address",
    "PHONE_KZ": "phone",
    "PERSON": "person_name",
    "IIN": "iin",
    "EMAIL": "email",
}
PERSONAL_LABELS = {"address", "phone", "person_name", "iin", "email", "free_text"}
Span = tuple[int, int, str]


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def hits(gold: Span, pred: Span) -> bool:
    return gold[2] == pred[2] and overlap(gold[:2], pred[:2]) * 2 >= gold[1] - gold[0]


def predict_spans(text: str) -> list[Span]:
    # scan_text reports offsets inside a line; the cases are single lines (generate.py checks it)
    return [(f.start, f.end, f.entity.value) for f in scan_text(text)]


def f2(p: float, r: float) -> float:
    return 5 * p * r / (4 * p + r) if p == p and r == r and 4 * p + r > 0 else math.nan


def evaluate_text(cases: list[dict[str, Any]]) -> dict[str, Any]:
    n_true: Counter[str] = Counter()
    n_found: Counter[str] = Counter()
    n_found_any: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_pred_ok: Counter[str] = Counter()
    other: Counter[str] = Counter()
    neg_alarms: Counter[str] = Counter()
    misses: list[dict[str, Any]] = []
    alarms: list[dict[str, Any]] = []
    by_lang: dict[str, Counter[str]] = defaultdict(Counter)
    for case in cases:
        text = case["text"]
        gold: list[Span] = [(s["start"], s["end"], s["entity"]) for s in case["spans"]]
        pred = predict_spans(text)
        for g in gold:
            n_true[g[2]] += 1
            by_lang[case["lang"]][g[2] + ":true"] += 1
            if any(hits(g, p) for p in pred):
                n_found[g[2]] += 1
                by_lang[case["lang"]][g[2] + ":found"] += 1
            else:
                near = [f"{p[2]}:{text[p[0] : p[1]]!r}" for p in pred if overlap(g[:2], p[:2])]
                boundary = any(p[2] == g[2] and overlap(g[:2], p[:2]) for p in pred)
                misses.append({"id": case["id"], "entity": g[2], "gold": text[g[0] : g[1]], "predicted_over_it": near,
                               "boundary_only": boundary, "tag": case["tag"], "text": text})  # fmt: skip
            if any(p[2] == g[2] and overlap(g[:2], p[:2]) for p in pred):
                n_found_any[g[2]] += 1
        for p in pred:
            if p[2] not in ENTITIES:
                other[p[2]] += 1
            n_pred[p[2]] += 1
            if any(hits(g, p) for g in gold):
                n_pred_ok[p[2]] += 1
            else:
                if not gold:
                    neg_alarms[case["tag"]] += 1
                alarms.append(
                    {
                        "id": case["id"],
                        "entity": p[2],
                        "predicted": text[p[0] : p[1]],
                        "tag": case["tag"],
                        "text": text,
                    }
                )
    rows = {}
    for ent in ENTITIES:
        prec = n_pred_ok[ent] / n_pred[ent] if n_pred[ent] else math.nan
        rec = n_found[ent] / n_true[ent] if n_true[ent] else math.nan
        r_any = n_found_any[ent] / n_true[ent] if n_true[ent] else math.nan
        rows[ent] = {"precision": prec, "recall": rec, "f2": f2(prec, rec), "recall_any_overlap": r_any,
                     "support": n_true[ent], "predicted": n_pred[ent]}  # fmt: skip
    langs = {
        lang: {ent: (c[ent + ":found"] / c[ent + ":true"] if c[ent + ":true"] else None) for ent in ENTITIES}
        for lang, c in sorted(by_lang.items())
    }
    negatives = [c for c in cases if not c["spans"]]
    clean = sum(1 for c in negatives if not predict_spans(c["text"]))
    return {"entities": rows, "recall_by_lang": langs, "other_entities_predicted": dict(other),
            "negative_snippets": len(negatives), "negative_snippets_clean": clean,
            "false_alarms_on_negatives_by_tag": dict(neg_alarms), "misses": misses, "false_alarms": alarms}  # fmt: skip


def predicted_label(kind: ColumnKind, dominant: str | None) -> str:
    if kind is ColumnKind.free_text:
        return "free_text"
    if kind is ColumnKind.non_personal:
        return "keep"
    if dominant in LABEL_OF_ENTITY:
        return LABEL_OF_ENTITY[dominant]
    return f"{kind.value}" + (f":{dominant}" if dominant else "")


def evaluate_tables() -> dict[str, Any]:
    labels: dict[str, dict[str, str]] = json.loads(
        (HERE / "table_cases" / "labels.json").read_text(encoding="utf-8")
    )
    results: list[dict[str, Any]] = []
    for name, kinds in labels.items():
        frame = pl.read_csv(HERE / "table_cases" / name, infer_schema=False)
        report = scan_table(frame)
        for column, want in kinds.items():
            col = report.column(column)
            got = predicted_label(col.kind, col.dominant.value if col.dominant else None)
            results.append({"table": name, "column": column, "want": want, "got": got, "kind": col.kind.value,
                            "entities": col.entities, "reasons": list(col.reasons)})  # fmt: skip
    per_label: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "ok": 0})
    for res in results:
        per_label[res["want"]]["n"] += 1
        per_label[res["want"]]["ok"] += res["want"] == res["got"]
    flagged_true = [r for r in results if r["want"] in PERSONAL_LABELS]
    flagged_pred = [r for r in results if r["kind"] in ("direct_identifier", "free_text")]
    tp = sum(1 for r in flagged_pred if r["want"] in PERSONAL_LABELS)
    return {
        "columns": len(results),
        "accuracy": sum(r["want"] == r["got"] for r in results) / len(results),
        "per_label": dict(per_label),
        "personal_columns_precision": tp / len(flagged_pred) if flagged_pred else math.nan,
        "personal_columns_recall": tp / len(flagged_true) if flagged_true else math.nan,
        "wrong": [r for r in results if r["want"] != r["got"]],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--show", type=int, default=25, help="misses and false alarms to print (each)")
    ap.add_argument("--json", type=Path, help="write all figures (and every miss / false alarm) to this file")
    args = ap.parse_args()
    cases = [
        json.loads(line) for line in (HERE / "text_cases.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    text = evaluate_text(cases)
    print(f"text: {len(cases)} snippets ({text['negative_snippets']} without personal data)")
    print(
        "rule: a span is a hit when it overlaps a gold span of the same entity by >= 50% of the gold length\n"
    )
    print(f"{'entity':15} {'P':>7} {'R':>7} {'F2':>7} {'R(any)':>7} {'gold':>6} {'pred':>6}")
    for ent, row in text["entities"].items():
        print(
            f"{ent:15} {row['precision']:7.3f} {row['recall']:7.3f} {row['f2']:7.3f} {row['recall_any_overlap']:7.3f} {row['support']:6d} {row['predicted']:6d}"
        )
    print("\nrecall by language:")
    for lang, row in text["recall_by_lang"].items():
        print(f"  {lang:6} " + "  ".join(f"{e}={v:.2f}" for e, v in row.items() if v is not None))
    print(
        f"\nnegative snippets with no finding at all: {text['negative_snippets_clean']} / {text['negative_snippets']}"
    )
    print(f"false alarms on negative snippets by tag: {text['false_alarms_on_negatives_by_tag']}")
    print(
        f"findings of entities the set does not label (all false alarms): {text['other_entities_predicted']}"
    )

    tables = evaluate_tables()
    print(f"\ntables: {tables['columns']} columns, kind accuracy {tables['accuracy']:.3f}")
    for label, c in sorted(tables["per_label"].items()):
        print(f"  {label:12} {c['ok']:3d} / {c['n']:3d}")
    print(
        f"  columns flagged personal (direct_identifier or free_text): P={tables['personal_columns_precision']:.3f} R={tables['personal_columns_recall']:.3f}"
    )
    for r in tables["wrong"]:
        print(f"  WRONG {r['table']}[{r['column']}]: want {r['want']}, got {r['got']} {r['entities']}")

    print(f"\nmisses ({len(text['misses'])}), first {args.show}:")
    for m in text["misses"][: args.show]:
        flag = " (boundary: same entity found, < 50% of it)" if m["boundary_only"] else ""
        print(
            f"  {m['id']} {m['entity']:13} {m['gold']!r}{flag} | over it: {m['predicted_over_it']} | {m['text'][:110]}"
        )
    print(f"\nfalse alarms ({len(text['false_alarms'])}), first {args.show}:")
    for a in text["false_alarms"][: args.show]:
        print(f"  {a['id']} {a['entity']:13} {a['predicted']!r} [{a['tag']}] | {a['text'][:110]}")
    if args.json:
        args.json.write_text(
            json.dumps({"text": text, "tables": tables}, ensure_ascii=False, indent=1, default=str) + "\n",
            encoding="utf-8",
        )
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
