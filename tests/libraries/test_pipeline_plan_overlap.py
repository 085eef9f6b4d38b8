"""Pass 1 runs while the privacy plan of the sample is made, and the CSV reader is paced: the
same table comes out as when the plan came first, the plan's error wins, and pyarrow's reader
stays a few blocks ahead of its consumer."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from qazai.api.wiring import settle_heap
from qazai.core.enums import AccessTier
from qazai.core.errors import InvalidInput
from qazai.libraries.ingest import ReadLimits, open_source
from qazai.libraries.ingest.csv_reader import _FileStream
from qazai.libraries.pipeline import privacy_step, tables
from qazai.libraries.pipeline.tables import PLAN_WAIT_BATCHES, process_table

BLOCK = 64 * 1024  # many small batches: more than PLAN_WAIT_BATCHES wait for a slow plan


def _register(path: Path, rows: int, *, ragged_at: int | None = None) -> Path:
    regions = ["Астана", "Алматы", "Шымкент", "Атырау"]
    lines = ["iin,full_name,birth_date,region,amount"]
    for i in range(rows):
        line = (
            f"{800101300000 + i * 7919 % 10**9:012d},Жұмабаев Ерлан {i % 50},"
            f"{1 + i % 28:02d}.{1 + i % 12:02d}.{1950 + i % 50},{regions[i % 4]},{i * 1.5}"
        )
        lines.append(line if i != ragged_at else "only,three,fields")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _publish_table(path: Path, work: Path) -> tables.TableOutcome:
    source = open_source(path, limits=ReadLimits(csv_block_bytes=BLOCK))[0]
    work.mkdir()
    return process_table(
        source,
        "register",
        overrides={},
        policy=privacy_step.policy_for(AccessTier.open, None, "depersonalised"),
        secret=b"k" * 32,
        scope="org",
        directory=work,
        sample_rows=2_000,
        progress=lambda _p, _m: None,
        progress_span=(0.0, 100.0),
        source_bytes=path.stat().st_size,
    )


def _rows(outcome: tables.TableOutcome) -> list[dict[str, Any]]:
    return [row for part in outcome.parts for row in pq.read_table(part.path).to_pylist()]


def test_a_slow_plan_gives_the_same_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _register(tmp_path / "register.csv", 30_000)
    fitted: list[int] = []
    fit = tables.fit_generalisation

    def counting_fit(plan: Any, policy: Any, batches: Any) -> Any:
        def counted() -> Any:
            for batch in batches:
                fitted.append(batch.num_rows)
                yield batch

        return fit(plan, policy, counted())

    monkeypatch.setattr(tables, "fit_generalisation", counting_fit)
    quick = _publish_table(path, tmp_path / "quick")
    assert sum(fitted) == 30_000
    fitted.clear()
    planned = privacy_step.plan

    def slow_plan(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)  # pass 1 converts every batch it may keep meanwhile, then waits
        return planned(*args, **kwargs)

    monkeypatch.setattr(privacy_step, "plan", slow_plan)
    slow = _publish_table(path, tmp_path / "slow")
    assert sum(fitted) == 30_000  # the batches that waited for the plan were fitted too
    assert slow.rows_in == quick.rows_in == 30_000
    assert path.stat().st_size // BLOCK > PLAN_WAIT_BATCHES  # the wait was reached
    assert slow.privacy == quick.privacy
    assert slow.assessment == quick.assessment
    assert _rows(slow) == _rows(quick)
    assert slow.profile == quick.profile


def test_the_plans_error_wins_over_a_later_read_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _register(tmp_path / "register.csv", 20_000, ragged_at=19_000)

    def failing_plan(*_args: Any, **_kwargs: Any) -> Any:
        time.sleep(0.3)  # pass 1 meanwhile reaches the ragged row
        raise InvalidInput("the plan refuses this table")

    monkeypatch.setattr(privacy_step, "plan", failing_plan)
    with pytest.raises(InvalidInput, match="the plan refuses"):
        _publish_table(path, tmp_path / "work")
    monkeypatch.undo()
    with pytest.raises(InvalidInput, match="a row has 3 fields"):
        _publish_table(path, tmp_path / "again")


def test_the_reader_stays_a_few_blocks_ahead_of_its_consumer(tmp_path: Path) -> None:
    path = _register(tmp_path / "register.csv", 200_000)  # ~11 MB: ~170 blocks of 64 KiB
    stream = _FileStream(path, BLOCK)
    reader = pa_csv.open_csv(stream, read_options=pa_csv.ReadOptions(block_size=BLOCK, use_threads=False))
    reader.read_next_batch()
    stream.took_batch()
    time.sleep(0.1)  # Arrow's I/O thread would fetch 32 blocks ahead meanwhile
    assert stream._given <= 5 * BLOCK
    rows = 0
    for batch in reader:
        stream.took_batch()
        rows += batch.num_rows
    assert rows > 190_000
    stream.close()


def test_a_consumer_that_stops_early_does_not_hang(tmp_path: Path) -> None:
    path = _register(tmp_path / "register.csv", 200_000)
    source = open_source(path, limits=ReadLimits(csv_block_bytes=2 * 1024 * 1024))[0]
    done = threading.Event()

    def take_two() -> None:
        batches = source.batches()
        next(batches)
        next(batches)
        batches.close()  # type: ignore[attr-defined]
        done.set()

    threading.Thread(target=take_two, daemon=True).start()
    assert done.wait(10)


def test_settle_heap_freezes_what_start_up_built() -> None:
    before = gc.get_freeze_count()
    try:
        settle_heap()
        assert gc.get_freeze_count() > before
        assert isinstance(pa.Table, type)
    finally:
        gc.unfreeze()
