"""The real government files in ../shared/data (or the packaged copies): place names in their
region, river and lake columns are not people, with the default open-tier threshold."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from qazai.core.enums import AccessTier
from qazai.libraries.ingest import convert_batch, infer_schema, open_source
from qazai.privacy import classify_table, default_policy, detect_column
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
    out = []
    for table in open_source(DATA / name):
        schema = infer_schema(table.head(10_000))
        batches = [convert_batch(b, schema).batch for b in table.batches()]
        frame = pl.from_arrow(pa.Table.from_batches(batches, schema=schema.arrow_schema))
        assert isinstance(frame, pl.DataFrame)
        out.append((table.name, frame))
    return out


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
