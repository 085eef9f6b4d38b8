"""The pipeline's faster paths give the same results as the plain ones: the residual scan's skip
list, the profile's counts and sketch, dictionary choice, the fit thread, the upload linked
instead of copied."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qazai.core.enums import AccessTier
from qazai.libraries.ingest.parse import parse_date, parse_integer
from qazai.libraries.pipeline import privacy_step
from qazai.libraries.pipeline.overlap import BackgroundFold
from qazai.libraries.pipeline.profile import DISTINCT_CAP, DistinctSketch, TableProfiler
from qazai.libraries.pipeline.run import _source_file
from qazai.libraries.pipeline.writer import PartWriter, dictionary_columns
from qazai.privacy import Action
from qazai.storage.objects import LocalObjectStore


def _people(rows: int, seed: int, *, distinct_dates: int = 3_000) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    born = [date(1950, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, distinct_dates, rows)]
    frame = pl.DataFrame(
        {
            "iin": [f"{i:012d}" for i in rng.integers(0, 10**11, rows)],
            "birth_date": pl.Series(born, dtype=pl.Date),
            "sex": rng.choice(["M", "F"], rows).tolist(),
            "region": rng.choice(["Астана", "Алматы", "Шымкент", "Атырау"], rows).tolist(),
            "age": rng.integers(18, 90, rows),
            "amount": rng.random(rows) * 1000,
        }
    )
    # nulls in the generalised columns, and one person alone in a rare region (suppressed)
    return frame.with_columns(
        birth_date=pl.when(pl.int_range(rows) % 97 == 0).then(None).otherwise(pl.col("birth_date")),
        region=pl.when(pl.int_range(rows) == 5).then(pl.lit("Жалғыз")).otherwise(pl.col("region")),
    )


def test_derived_columns_are_pseudonyms_and_generalised_values() -> None:
    policy = privacy_step.policy_for(AccessTier.registered, None).model_copy(
        update={"quasi_identifiers": ["birth_date", "region"]}
    )
    plan, _ = privacy_step.plan(_people(2_000, 4), policy)
    derived = privacy_step.derived_columns(plan)
    assert "birth_date" in derived  # a year, not a date
    assert "amount" not in derived and "region" not in derived  # copied as they are
    assert all(plan.column(n).rule.action in (Action.pseudonymise, Action.generalise) for n in derived)


def test_profile_counts_exactly_below_the_cap_and_estimates_above() -> None:
    profiler = TableProfiler()
    rng = np.random.default_rng(5)
    rows = 0
    for start in range(0, 2 * DISTINCT_CAP, 50_000):
        ids = np.arange(start, start + 50_000)
        profiler.observe(
            pl.DataFrame(
                {
                    "id": ids,
                    "region": rng.choice(["a", "b", "c"], 50_000, p=[0.5, 0.3, 0.2]).tolist(),
                    "score": pl.Series(rng.integers(0, 1_000, 50_000)).scatter(0, None),
                }
            )
        )
        rows += 50_000
    columns = {c["name"]: c for c in profiler.to_json()["columns"]}
    ids = columns["id"]
    assert ids["distinct_approx"] is True and ids["distinct_exact"] is False
    assert abs(ids["distinct"] - rows) / rows < 0.03
    assert "top_values" not in ids and ids["min"] == 0 and ids["max"] == rows - 1
    region = columns["region"]
    assert region["distinct"] == 3 and region["distinct_exact"] and "distinct_approx" not in region
    assert [v["value"] for v in region["top_values"]] == ["a", "b", "c"]
    assert sum(v["count"] for v in region["top_values"]) == rows
    score = columns["score"]
    assert score["nulls"] == 4 and score["distinct"] == 1_000 and score["distinct_exact"]
    histogram = score["histogram"]
    assert sum(histogram["counts"]) + histogram["below"] + histogram["above"] == rows - 4


def test_histogram_counts_match_the_edges() -> None:
    profiler = TableProfiler()
    first = pl.DataFrame({"x": [0.0, 1.0, 2.5, 10.0]})
    second = pl.DataFrame({"x": [-1.0, 0.5, 5.0, 9.999, 10.0, 11.0]})
    profiler.observe(first)
    profiler.observe(second)
    histogram = profiler.to_json()["columns"][0]["histogram"]
    edges = np.asarray(histogram["edges"])
    inside = np.array([0.0, 1.0, 2.5, 10.0, 0.5, 5.0, 9.999, 10.0])
    assert histogram["counts"] == np.histogram(inside, bins=edges)[0].tolist()
    assert (histogram["below"], histogram["above"]) == (1, 1)


def test_distinct_sketch_small_and_large() -> None:
    sketch = DistinctSketch()
    sketch.add(pl.Series(["x", "y", "x", "z"]))
    assert sketch.estimate() == 3
    big = DistinctSketch()
    for start in range(0, 1_000_000, 250_000):
        big.add(pl.Series(np.arange(start, start + 250_000)))
        big.add(pl.Series(np.arange(start, start + 1_000)))  # repeats change nothing
    assert abs(big.estimate() - 1_000_000) < 30_000


def test_dictionary_only_for_columns_with_few_values(tmp_path: Path) -> None:
    table = pa.table({"id": list(range(1_000)), "region": ["a", "b"] * 500, "year": ["2001"] * 1_000})
    assert dictionary_columns(table) == ["region", "year"]
    writer = PartWriter(tmp_path, "t", table.schema, row_group_rows=400)
    for batch in table.to_batches(max_chunksize=300):
        writer.write(batch)
    (part,) = writer.close()
    assert pq.read_table(part.path).equals(table)
    encodings = pq.ParquetFile(part.path).metadata.row_group(0).column(0).encodings
    assert "PLAIN_DICTIONARY" not in encodings and "RLE_DICTIONARY" not in encodings


def test_background_fold_returns_reraises_and_never_blocks() -> None:
    fold: BackgroundFold[int, int] = BackgroundFold(sum)
    for i in range(100):
        fold.put(i)
    assert fold.result() == 4950

    def failing(items: Iterator[int]) -> int:
        next(items)
        raise ValueError("bad fold")

    broken: BackgroundFold[int, int] = BackgroundFold(failing)
    for i in range(50):  # more than the queue holds: must not block
        broken.put(i)
    with pytest.raises(ValueError, match="bad fold"):
        broken.result()
    early: BackgroundFold[int, int] = BackgroundFold(lambda items: 7)
    for i in range(50):
        early.put(i)
    assert early.result() == 7


def test_upload_is_read_in_place_from_a_local_store_and_copied_from_a_remote_one(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    put = store.put("quarantine/u/data", io.BytesIO(b"a,b\n1,2\n"))
    work = tmp_path / "work"
    work.mkdir()
    source = _source_file(store, put.key, work)
    # no copy and no hard link that could outlive the upload's retention
    assert source == store.local_path(put.key) and os.stat(source).st_nlink == 1
    assert list(work.iterdir()) == []

    class RemoteStore:  # what an S3 store looks like to the pipeline: bytes, no local file
        def open(self, key: str) -> Iterator[bytes]:
            return store.open(key)

    copied = _source_file(RemoteStore(), put.key, work)  # type: ignore[arg-type]
    assert copied.parent == work and copied.read_bytes() == b"a,b\n1,2\n"


def test_mostly_grouped_integers_and_dates_parse_as_before() -> None:
    values = pl.Series(["332 720", " 1 234 567 ", "12", "1\u00a0234", "12 34", "-", "5 000 тыс", None, "x1"])
    parsed, failed = parse_integer(values)
    assert parsed.to_list() == [332_720, 1_234_567, 12, 1_234, None, None, 5_000_000, None, None]
    assert failed.to_list() == [False, False, False, False, True, False, False, False, True]
    dates, failed_dates = parse_date(pl.Series(["31.12.2023", "2023-01-02", "..", "32.01.2023"]))
    assert dates.to_list() == [date(2023, 12, 31), date(2023, 1, 2), None, None]
    assert failed_dates.to_list() == [False, False, False, True]
