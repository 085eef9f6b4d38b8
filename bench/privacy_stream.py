# ruff: noqa: E501
"""Peak RSS of the streaming de-identification path on a large generated CSV.

    .venv/bin/python bench/privacy_stream.py --gb 2 [--keep]

Writes /tmp/qazai_stream.csv (deleted afterwards unless --keep) and /tmp/qazai_stream.parquet.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def generate(path: Path, gigabytes: float) -> int:
    import polars as pl

    from privacy_corpus import Gen

    g = Gen(3)
    n = 50_000
    base = pl.DataFrame(
        {
            "ИИН": [g.iin() for _ in range(n)],
            "ФИО": [g.person() for _ in range(n)],
            "Телефон": [g.phone() for _ in range(n)],
            "Пол": [g.r.choice("МЖ") for _ in range(n)],
            "Дата рождения": [g.dob() for _ in range(n)],
            "КАТО": [
                g.r.choice(["751110000", "751210000", "711110000", "591010000", "631010000"])
                for _ in range(n)
            ],
            "Диагноз": [g.r.choice(["J45", "I10", "E11", "K29", "M54"]) for _ in range(n)],
            "Сумма": [str(g.r.randint(1000, 10**6)) for _ in range(n)],
            "Комментарий": [
                g.r.choice(["без замечаний", "повторный приём", f"звонить {g.phone()}"]) for _ in range(n)
            ],
        }
    )
    chunk = base.write_csv().encode("utf-8")
    header, body = chunk.split(b"\n", 1)
    target = int(gigabytes * 2**30)
    rows = 0
    with path.open("wb") as fh:
        fh.write(header + b"\n")
        while fh.tell() < target:
            fh.write(body)
            rows += n
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=2.0)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    src, dst = Path("/tmp/qazai_stream.csv"), Path("/tmp/qazai_stream.parquet")
    t0 = time.perf_counter()
    rows = generate(src, args.gb)
    print(f"generated {src.stat().st_size / 2**30:.2f} GiB, {rows:,} rows in {time.perf_counter() - t0:.0f}s")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS after generation: {before / 1024:,.0f} MiB")

    import pyarrow.parquet as pq

    from qazai.core.enums import AccessTier
    from qazai.privacy import default_policy, deidentify_stream
    from qazai.privacy.readers import open_csv_batches

    writer: list[pq.ParquetWriter] = []

    def sink(batch):  # type: ignore[no-untyped-def]
        if not writer:
            writer.append(pq.ParquetWriter(dst, batch.schema, compression="zstd"))
        writer[0].write_batch(batch)

    # run in a fresh measurement: ru_maxrss of a child would be cleaner; we report the delta too
    t0 = time.perf_counter()
    a = deidentify_stream(
        lambda cols: open_csv_batches(src, cols, block_size=8 << 20),
        default_policy(AccessTier.open),
        b"bench-secret-0123456789",
        "bench",
        sink,
    )
    for w in writer:
        w.close()
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"de-identified {a.rows_in:,} rows in {dt:.0f}s ({a.rows_in / dt:,.0f} rows/s); passed={a.passed} k={a.k}"
    )
    print(f"peak RSS of the process: {peak / 1024:,.0f} MiB (generation alone: {before / 1024:,.0f} MiB)")
    if not args.keep:
        src.unlink()
        dst.unlink(missing_ok=True)


if __name__ == "__main__":
    os.environ.setdefault("POLARS_MAX_THREADS", "2")
    main()
