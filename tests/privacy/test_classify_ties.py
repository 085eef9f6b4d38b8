"""A column whose cells hold two kinds of personal data equally often is read the same way every
time: Polars' group_by keeps no order, so the tie is broken by specificity, then by name."""

from __future__ import annotations

import itertools

import polars as pl

from qazai.privacy.classify import classify_column
from qazai.privacy.entities import Entity
from qazai.privacy.headers import read_header


def _findings(order: list[tuple[int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "row": [row for row, _ in order],
            "start": [0] * len(order),
            "end": [10] * len(order),
            "entity": [entity for _, entity in order],
            "score": [0.9] * len(order),
        },
        schema={
            "row": pl.UInt32,
            "start": pl.Int64,
            "end": pl.Int64,
            "entity": pl.String,
            "score": pl.Float64,
        },
    )


def test_a_tie_between_entities_is_decided_the_same_way_in_any_order() -> None:
    values = pl.Series("v", ["01.02.1990", "+7 701 123 45 67", "01.02.1991", "+7 702 123 45 67"])
    rows = [(0, "DATE_OF_BIRTH"), (1, "PHONE_KZ"), (2, "DATE_OF_BIRTH"), (3, "PHONE_KZ")]
    reports = []
    for order in itertools.permutations(rows):
        for _ in range(3):  # group_by's order may change from one call to the next
            report = classify_column("v", values, _findings(list(order)), read_header("v"))
            reports.append((report.dominant, report.kind, report.to_json()["evidence"]["findings"]))
    assert all(r == reports[0] for r in reports)
    dominant, _kind, findings = reports[0]
    assert dominant == Entity.PHONE_KZ  # the more specific of the two (detectors.SPECIFICITY)
    assert [f["entity"] for f in findings] == ["DATE_OF_BIRTH", "PHONE_KZ"]  # equal counts: by name
