"""The real government files in ../shared/data (or the packaged copies): place names in their
region, river and lake columns are not people, with the default open-tier threshold."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qazai.core.enums import AccessTier
from qazai.libraries.ingest.typed import read_typed_tables
from qazai.privacy import Action, classify_table, default_policy, detect_column, plan_deidentification
from qazai.privacy.entities import PERSONAL_DIRECT

_SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
_PACKAGED = Path(__file__).resolve().parents[2] / "src" / "qazai" / "libraries" / "demo_data"
DATA = _SHARED if (_SHARED / "README.md").is_file() else _PACKAGED

FILES = [
    "water-basins.xlsx",
    "population-projections-source.xlsx",
    "stat-population-by-region.xlsx",
    "employment-authorities-applicants.xlsx",
    "akimat-complaints.csv",
]
PLACE_COLUMNS = {"region", "Regions_KZ", "Regions", "Region", "Lakes_KZ", "Lakename", "Rivers_KZ",
                 "Rivers_of_Basins", "Basins_KZ", "group"}  # fmt: skip


def _tables(name: str) -> list[tuple[str, pl.DataFrame]]:
    return read_typed_tables(DATA / name)


@pytest.mark.parametrize("name", FILES)
def test_no_person_in_place_columns_of_real_files(name: str) -> None:
    min_score = default_policy(AccessTier.open).min_score
    checked = 0
    for sheet, frame in _tables(name):
        report = classify_table(frame, min_score=min_score)
        for column in PLACE_COLUMNS & set(frame.columns):
            checked += 1
            people = report.findings.filter((pl.col("column") == column) & (pl.col("entity") == "PERSON"))
            assert people.height == 0, (sheet, column, people.head(5).to_dicts())
            assert report.column(column).kind.value != "direct_identifier", (sheet, column)
            # the publish pipeline's residual check scans distinct values without the header
            distinct = frame[column].cast(pl.String).drop_nulls().unique()
            residual = detect_column(distinct, entities=PERSONAL_DIRECT, min_score=min_score)
            assert residual.height == 0, (sheet, column, residual.head(5).to_dicts())
    assert checked > 0


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("Абай облысы бойынша халық саны", False),
        ("Шарын өзенінің суы азайды", False),
        ("озеро Көшмұрын обмелело", False),
        ("в Абайском районе", False),
        ("Абай Құнанбайұлы ақын", True),
        ("гражданин Абай обратился в акимат", True),
    ],
)
def test_geographic_context_in_text(text: str, person: bool) -> None:
    found = detect_column(pl.Series([text]), min_score=default_policy(AccessTier.open).min_score)
    assert ("PERSON" in found["entity"].to_list()) is person, found.to_dicts()


# Every real file except the complaints (free text that names streets and house numbers) holds no
# personal data: statistics by region, category or period, and gazetteers of lakes and rivers.
WHOLE_FILES = sorted(
    str(p.relative_to(DATA))
    for p in DATA.rglob("*")
    if p.suffix in (".csv", ".xlsx") and p.name != "akimat-complaints.csv"
)


def test_every_real_file_is_checked() -> None:
    assert len(WHOLE_FILES) >= 11, WHOLE_FILES
    assert any(name.startswith("aggregate") for name in WHOLE_FILES)


@pytest.mark.parametrize("name", WHOLE_FILES)
def test_real_statistics_come_out_whole_under_the_default_open_policy(name: str) -> None:
    """Nothing dropped, redacted, masked, pseudonymised or generalised: every row label and
    every count of a statistics table stays as published (issue: 197 of 1,589 columns lost)."""
    policy = default_policy(AccessTier.open)
    changed = []
    for sheet, frame in _tables(name):
        plan = plan_deidentification(frame, policy)
        changed += [(sheet, c.name, c.rule.action.value, c.kind.value) for c in plan.columns
                    if c.rule.action is not Action.keep]  # fmt: skip
        assert not plan.quasi_identifiers, (sheet, plan.quasi_identifiers)
    assert changed == []


@pytest.mark.parametrize(
    ("name", "sheet"),
    [
        ("aggregate/crime-form-1m-abay-region.xlsx", "R1"),
        ("aggregate/avg-salary-by-region-2022.xlsx", "Лист1"),
        ("aggregate/decent-work-indicators.xlsx", "Индик.дост.труда 2001-2020"),
        ("aggregate/population-by-sex-age.csv", "population-by-sex-age"),
    ],
)
def test_statistics_tables_are_recognised_as_aggregates(name: str, sheet: str) -> None:
    frame = dict(_tables(name))[sheet]
    report = classify_table(frame)
    assert report.aggregate
    # the decision is explained per column: no column here has personal findings to act on
    rules = {c.evidence.rule.value for c in report.columns if c.evidence is not None}
    assert rules <= {"no_evidence", "free_text_clean", "header_only", "aggregate_table", "empty"}, rules


def test_complaints_are_not_taken_for_statistics() -> None:
    [(_, frame)] = _tables("akimat-complaints.csv")
    report = classify_table(frame)
    assert not report.aggregate
    kinds = {c.name: c.kind.value for c in report.columns}
    assert kinds["text_kz"] == kinds["text_ru"] == "free_text"
    assert kinds["region"] == "quasi_identifier"  # the rows are complaints of persons
