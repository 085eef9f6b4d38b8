# ruff: noqa: E501
"""Precision / recall / F2 per entity and column-level precision / recall, qazai vs airlock-pii,
on the same generated corpus in the same run.

    .venv/bin/python bench/privacy_eval.py [--rows 400] [--texts 3000] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from privacy_corpus import _TITLES, Cell, Gen
from qazai.privacy import ColumnKind, scan_table

AIRLOCK_MAP = {"IIN": "IIN", "BIN": "BIN", "KZ_IBAN": "IBAN_KZ", "CARD": "CARD", "PHONE": "PHONE_KZ",
               "EMAIL": "EMAIL", "PERSON": "PERSON"}  # fmt: skip
AIRLOCK_COVERS = set(AIRLOCK_MAP.values())
#: The entities printed in the table, in this order (others found are listed after it).
REPORTED = (
    "IIN",
    "BIN",
    "IBAN_KZ",
    "CARD",
    "PHONE_KZ",
    "EMAIL",
    "PERSON",
    "ADDRESS",
    "DATE_OF_BIRTH",
    "PASSPORT_KZ",
)


def _one(text: str, entity: str) -> Cell:
    return Cell(text, [(0, len(text), entity)])


def build_table(g: Gen, rows: int) -> tuple[pl.DataFrame, dict[str, str], dict[str, list[Cell]]]:
    r = g.r
    cols: dict[str, list[Cell]] = {}
    kinds: dict[str, str] = {}

    def add(header: str, kind: str, make) -> None:  # type: ignore[no-untyped-def]
        cols[header] = [make() for _ in range(rows)]
        kinds[header] = kind

    add(r.choice(["ИИН", "ЖСН", "IIN", "ИИН клиента"]), "direct_identifier", lambda: _one(g.iin(), "IIN"))
    add(
        "iin_bin",
        "direct_identifier",
        lambda: _one(g.iin(), "IIN") if r.random() < 0.6 else _one(g.bin(), "BIN"),
    )
    add(r.choice(["БИН", "БСН", "bin"]), "non_personal", lambda: _one(g.bin(), "BIN"))
    add(
        r.choice(["ФИО", "Тегі, аты", "Full name", "Аты-жөні"]),
        "direct_identifier",
        lambda: _one(g.noisy(g.person()), "PERSON"),
    )
    add(
        r.choice(["Телефон", "Ұялы телефон", "phone"]),
        "direct_identifier",
        lambda: _one(g.phone(), "PHONE_KZ"),
    )
    add(r.choice(["Email", "Эл. пошта", "e-mail"]), "direct_identifier", lambda: _one(g.email(), "EMAIL"))
    add(r.choice(["ИИК", "IBAN", "Счет"]), "direct_identifier", lambda: _one(g.iban(), "IBAN_KZ"))
    add(r.choice(["Номер карты", "card"]), "direct_identifier", lambda: _one(g.card(), "CARD"))
    add(r.choice(["Паспорт", "passport"]), "direct_identifier", lambda: _one(g.passport(), "PASSPORT_KZ"))
    add(
        r.choice(["Адрес", "Мекенжайы", "address"]), "direct_identifier", lambda: _one(g.address(), "ADDRESS")
    )
    add(
        r.choice(["Дата рождения", "Туған күні", "DOB"]),
        "quasi_identifier",
        lambda: _one(g.dob(), "DATE_OF_BIRTH"),
    )
    add(r.choice(["Пол", "Жынысы"]), "quasi_identifier", lambda: Cell(r.choice(["М", "Ж"])))
    add("КАТО", "quasi_identifier", lambda: Cell(r.choice(["751110000", "711110000", "591010000"])))
    add(
        r.choice(["Сумма", "Amount"]),
        "non_personal",
        lambda: Cell(f"{r.randint(1, 999)} {r.randint(100, 999)}"),
    )
    add(r.choice(["Номер заказа", "Код"]), "non_personal", lambda: Cell(g.checksum_only()))
    add(
        "Время",
        "non_personal",
        lambda: Cell(
            f"2023-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00"
        ),
    )
    add(
        "Кадастровый номер",
        "non_personal",
        lambda: Cell(f"21:{r.randint(100, 999)}:{r.randint(100, 999)}:{r.randint(1000, 9999)}"),
    )
    add(r.choice(["Комментарий", "Ескерту", "Notes"]), "free_text", lambda: text_cell(g))
    order = list(cols)
    r.shuffle(order)
    frame = pl.DataFrame({h: [c.text for c in cols[h]] for h in order})
    return frame, kinds, cols


def text_cell(g: Gen) -> Cell:
    r = g.r
    parts: list[tuple[str, str | None]] = []
    template = r.choice(TEMPLATES)
    for piece in template:
        if isinstance(piece, tuple):
            ent, make = piece
            parts.append((make(g), ent))
        else:
            parts.append((piece, None))
    text, spans = "", []
    for value, ent in parts:
        if ent is not None:
            spans.append((len(text), len(text) + len(value), ent))
        text += value
    return Cell(text, spans)


def _split_iin(value: str) -> str:
    return value[:6] + " " + value[6:]


def _neg_order(g: Gen) -> str:
    return g.checksum_only()


P = ("PERSON", lambda g: g.noisy(g.person()))
TEMPLATES: list[list[object]] = [
    [
        "Клиент ",
        P,
        " (ИИН ",
        ("IIN", Gen.iin),
        ") просит перезвонить по номеру ",
        ("PHONE_KZ", Gen.phone),
        ".",
    ],
    ["Өтініш беруші ", P, ", ЖСН ", ("IIN", Gen.iin), ", мекенжайы: ", ("ADDRESS", Gen.address), "."],
    ["Please contact ", P, " at ", ("EMAIL", Gen.email), " or ", ("PHONE_KZ", Gen.phone), "."],
    ["Заказ №", ("", _neg_order), " оплачен, сумма 125 000 тг, время 2023-05-12 14:33."],
    ["Абай көшесі бойында жөндеу жұмыстары жүріп жатыр, хабарласыңыз ", ("PHONE_KZ", Gen.phone), "."],
    ["Деньги перевести на счет ", ("IBAN_KZ", Gen.iban), ", получатель ", P, "."],
    ["Паспорт ", ("PASSPORT_KZ", Gen.passport), " выдан, дата рождения ", ("DATE_OF_BIRTH", Gen.dob), "."],
    ["Картаға ", ("CARD", Gen.card), " аударыңыз, ", P, " растайды."],
    ["Мен ", ("DATE_OF_BIRTH", Gen.dob), " туғанмын, proживаю по адресу ", ("ADDRESS", Gen.address), "."],
    ["ТОО БИН ", ("BIN", Gen.bin), " подписал договор, ответственный ", P, "."],
    ["Документы передать ", P, " до пятницы; кадастровый номер 21:320:036:1234."],
    ["Без персональных данных: отчет за 2023 год, 15 000 строк, версия 1.2.3."],
    # harder cases, kept in so the figures are not flattering
    ["Сегодня звонила ", ("PERSON", lambda g: g.r.choice(g.first)), ", просила справку."],
    ["привет, это ", ("PERSON", lambda g: g.person().lower()), ", перезвоните"],
    [
        "Менеджер ",
        ("PERSON", lambda g: g.r.choice(g.plain) + " " + g.r.choice(g.first)),
        " на связи.",
    ],
    ["Қазақстан Республикасы Әділет министрлігі Алматы қаласында хабарлайды."],
    ["ИИН в виде ", ("IIN", lambda g: _split_iin(g.iin())), " указан с пробелом."],
    # added with the larger name pools: titles, initials, case endings, verbs, lower case
    [
        ("", lambda g: g.r.choice(_TITLES) + " "),
        ("PERSON", lambda g: g.r.choice(g.first)),
        " обратился в ЦОН.",
    ],
    [
        "Справку выдал ",
        (
            "PERSON",
            lambda g: (
                g.person().split()[0] + " " + g.r.choice("АБЕЖКМНСТ") + "." + g.r.choice("АБЕЖКМНСТ") + "."
            ),
        ),
        ", печать есть.",
    ],
    ["Өтінішті ", ("PERSON", lambda g: g.r.choice(g.first)), " жүгінді, жауап жіберілді."],
    ["Письмо направлено ", ("PERSON", lambda g: g.person()), " 12 марта."],
    ["азамат ", ("PERSON", lambda g: g.person().lower()), " жүгінді"],
    [
        "Менеджер: ",
        ("PERSON", lambda g: g.r.choice(g.plain) + " " + g.r.choice(g.first)),
        ", тел. ",
        ("PHONE_KZ", Gen.phone),
    ],
    [
        "Ответственный ",
        ("PERSON", lambda g: g.r.choice(g.first) + " " + g.r.choice(g.plain)),
        " подтвердил получение.",
    ],
    ["Поздравляем с Новым годом! Акимат Абай облысы, Шарын өзені бойынша есеп."],
    ["Встреча на озере Алаколь, затем в Конаеве; Караганда — Балхаш."],
]


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class Score:
    def __init__(self) -> None:
        self.tp_pred: dict[str, int] = defaultdict(int)
        self.pred: dict[str, int] = defaultdict(int)
        self.tp_true: dict[str, int] = defaultdict(int)
        self.true: dict[str, int] = defaultdict(int)

    def add(self, truth: list[tuple[int, int, str]], pred: list[tuple[int, int, str]]) -> None:
        truth = [t for t in truth if t[2]]
        for s, e, ent in truth:
            self.true[ent] += 1
            if any(p[2] == ent and overlaps((s, e), (p[0], p[1])) for p in pred):
                self.tp_true[ent] += 1
        for s, e, ent in pred:
            self.pred[ent] += 1
            if any(t[2] == ent and overlaps((s, e), (t[0], t[1])) for t in truth):
                self.tp_pred[ent] += 1

    def row(self, ent: str) -> tuple[float, float, float]:
        p = self.tp_pred[ent] / self.pred[ent] if self.pred[ent] else float("nan")
        r = self.tp_true[ent] / self.true[ent] if self.true[ent] else float("nan")
        f2 = 5 * p * r / (4 * p + r) if p == p and r == r and (4 * p + r) > 0 else float("nan")
        return p, r, f2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=8)
    ap.add_argument("--rows", type=int, default=250)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import airlock_pii

    g = Gen(args.seed)
    print(
        f"held-out generator names: {len(g.first)} first names, {len(g.stems)} surname stems (none in the detector's lists)"
    )
    ours, theirs = Score(), Score()
    col_truth: list[str] = []
    col_ours: list[str] = []
    col_theirs: list[str] = []
    t_ours = t_theirs = 0.0
    cells = 0
    for _ in range(args.tables):
        frame, kinds, truth_cols = build_table(g, args.rows)
        cells += frame.height * frame.width
        t0 = time.perf_counter()
        report = scan_table(frame)
        t_ours += time.perf_counter() - t0
        by_cell: dict[tuple[str, int], list[tuple[int, int, str]]] = defaultdict(list)
        for f in report.findings.iter_rows(named=True):
            by_cell[(f["column"], f["row"])].append((f["start"], f["end"], f["entity"]))
        for name, column_cells in truth_cols.items():
            col_truth.append(kinds[name])
            col_ours.append(report.column(name).kind.value)
            hits = 0
            for i, cell in enumerate(column_cells):
                ours.add(cell.spans, by_cell.get((name, i), []))
                t0 = time.perf_counter()
                found = airlock_pii.detect(cell.text)
                t_theirs += time.perf_counter() - t0
                pred = [
                    (e.start, e.end, AIRLOCK_MAP[e.type.value]) for e in found if e.type.value in AIRLOCK_MAP
                ]
                hits += bool(pred)
                theirs.add(cell.spans, pred)
            col_theirs.append("direct_identifier" if hits >= 0.5 * len(column_cells) else "non_personal")
    print(f"\n{cells} cells; scan time qazai {t_ours:.2f}s, airlock-pii {t_theirs:.2f}s\n")
    print(
        f"{'entity':18} {'qazai P':>8} {'R':>7} {'F2':>7} | {'airlock P':>9} {'R':>7} {'F2':>7} | {'support':>7}"
    )
    for ent in REPORTED:
        p, r, f2 = ours.row(ent)
        line = f"{ent:18} {p:8.4f} {r:7.4f} {f2:7.4f} | "
        if ent in AIRLOCK_COVERS:
            ap_, ar, af = theirs.row(ent)
            line += f"{ap_:9.4f} {ar:7.4f} {af:7.4f} | "
        else:
            line += f"{'(none)':>9} {'':7} {'':7} | "
        print(line + f"{ours.true[ent]:7d}")
    extra = sorted(set(ours.pred) - set(REPORTED))
    for ent in extra:
        print(f"{ent:18} false positives: {ours.pred[ent] - ours.tp_pred[ent]} of {ours.pred[ent]} predicted")

    def prf(truth: list[str], pred: list[str], label: str) -> tuple[float, float, float]:
        tp = sum(t == label and p == label for t, p in zip(truth, pred, strict=True))
        npred = sum(p == label for p in pred)
        ntrue = sum(t == label for t in truth)
        p = tp / npred if npred else float("nan")
        r = tp / ntrue if ntrue else float("nan")
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    print("\ncolumn classification (qazai, per kind):")
    f1s = []
    for kind in ColumnKind:
        if kind.value in col_truth:
            p, r, f1 = prf(col_truth, col_ours, kind.value)
            f1s.append(f1)
            print(f"  {kind.value:18} P={p:.3f} R={r:.3f} F1={f1:.3f}")
    acc = sum(t == p for t, p in zip(col_truth, col_ours, strict=True)) / len(col_truth)
    print(f"  macro F1={sum(f1s) / len(f1s):.3f} accuracy={acc:.3f} over {len(col_truth)} columns")
    p, r, f1 = prf(col_truth, col_ours, "direct_identifier")
    ap_, ar, af = prf(col_truth, col_theirs, "direct_identifier")
    print(
        f"direct-identifier columns: qazai P={p:.3f} R={r:.3f} F1={f1:.3f} | airlock-pii (>=50% cells hit) P={ap_:.3f} R={ar:.3f} F1={af:.3f}"
    )
    wrong = {(t, o) for t, o in zip(col_truth, col_ours, strict=True) if t != o}
    if wrong:
        print("  misclassified (truth -> qazai):", sorted(wrong))


if __name__ == "__main__":
    main()
