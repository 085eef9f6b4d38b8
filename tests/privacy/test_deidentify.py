from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qazai.core.enums import AccessTier
from qazai.core.errors import InvalidInput
from qazai.privacy import Policy, assess, default_policy, deidentify, deidentify_stream, scan_table
from qazai.privacy.entities import PERSONAL_DIRECT

from .conftest import SECRET, people


def test_open_tier_leaves_no_direct_identifiers_and_reaches_k5(people_table: pl.DataFrame) -> None:
    out, a = deidentify(people_table, default_policy(AccessTier.open), SECRET, "s")
    assert a.passed, a.violations
    assert "ИИН" not in out.columns and "ФИО" not in out.columns and "Телефон" not in out.columns
    assert a.k is not None and a.k >= 5
    assert a.residual_identifiers == {}
    found = scan_table(out).findings
    assert found.filter(pl.col("entity").is_in([e.value for e in PERSONAL_DIRECT])).height == 0
    assert "[PHONE]" in " ".join(out["Комментарий"].to_list())
    assert a.rows_out + a.records_suppressed == people_table.height
    assert a.records_suppressed <= 0.05 * people_table.height


def test_registered_tier_keeps_joins_through_pseudonyms(people_table: pl.DataFrame) -> None:
    out, _ = deidentify(people_table, default_policy(AccessTier.registered), SECRET, "s")
    other, _ = deidentify(people_table.head(50), default_policy(AccessTier.registered), SECRET, "s")
    assert set(other["ИИН"].to_list()) <= set(out["ИИН"].to_list())
    assert all(t.startswith("pid_") for t in out["ИИН"].to_list())


def test_a_policy_that_keeps_identifiers_fails_the_open_tier(people_table: pl.DataFrame) -> None:
    data = default_policy(AccessTier.open).model_dump(mode="json")
    data["columns"] = {"ИИН": {"action": "keep", "reason": "test: an override cannot leak"}}
    policy = Policy.model_validate(data)
    _, a = deidentify(people_table, policy, SECRET, "s")
    assert not a.passed
    assert a.residual_identifiers.get("IIN") == people_table.height - a.records_suppressed


def test_policy_loads_from_yaml_with_a_base(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("base: open\nk: 10\ncolumns:\n  ИИН: {action: pseudonymise}\n", encoding="utf-8")
    policy = Policy.from_file(path)
    assert policy.k == 10 and policy.columns["ИИН"].action.value == "pseudonymise"
    bad = tmp_path / "bad.yaml"
    bad.write_text("k: -1\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        Policy.from_file(bad)


def test_streaming_gives_the_same_output_and_assessment(tmp_path: Path) -> None:
    frame = people(3000, seed=4)
    path = tmp_path / "in.parquet"
    pq.write_table(frame.to_arrow(), path, row_group_size=500)
    calls: list[list[str] | None] = []

    def open_batches(columns: list[str] | None) -> Iterator[pa.RecordBatch]:
        calls.append(columns)
        yield from pq.ParquetFile(path).iter_batches(batch_size=400, columns=columns)

    batches: list[pa.RecordBatch] = []
    policy = default_policy(AccessTier.open)
    a = deidentify_stream(open_batches, policy, SECRET, "s", batches.append, sample_rows=3000)
    streamed = pl.from_arrow(pa.Table.from_batches(batches))
    assert isinstance(streamed, pl.DataFrame)
    whole, b = deidentify(frame, policy, SECRET, "s")
    assert streamed.equals(whole)
    assert (a.k, a.rows_out, a.l_diversity, a.classes) == (b.k, b.rows_out, b.l_diversity, b.classes)
    # the generalisation pass read the quasi-identifier columns only
    assert calls[1] == ["Пол", "Дата рождения", "КАТО"]


def test_assess_reports_k_l_and_risk() -> None:
    frame = pl.DataFrame({"a": ["x", "x", "x", "y", "y"], "s": ["1", "2", "2", "1", "1"]})
    a = assess(frame, ["a"], ["s"], k_target=3, rescan=False)
    assert (a.k, a.classes, a.l_diversity) == (2, 2, {"s": 1})
    assert a.share_below_k == pytest.approx(2 / 5)
    assert a.average_risk == pytest.approx(2 / 5)
    assert a.max_risk == pytest.approx(1 / 2)
