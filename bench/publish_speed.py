"""Publish speed: a generated CSV published end to end vs DuckDB's bare CSV → Parquet copy.

    .venv/bin/python bench/publish_speed.py                # 100 MB and 500 MB, side by side
    .venv/bin/python bench/publish_speed.py --mb 1024      # ~8 M rows
    .venv/bin/python bench/publish_speed.py --mb 100 --repeat 3

Each side runs in its own child process so peak RSS is measured separately (os.wait4); each
reports its wall time and its CPU time (all threads) over the timed part. Modules are imported
and the job handlers built before the clock starts on both sides (a worker has them loaded and
built once at start). CPU time is the steadier figure when other work shares the machine.
"end to end" is the upload (written to the object store with fsync, hashed) plus the publish
job; "job" is the publish job alone, the part that competes with DuckDB's copy. Targets (issue
18): the job at most 2x DuckDB's copy at 100 MB and 500 MB, peak RSS at most 1 GB. With
``--repeat`` each side runs that many times, interleaved, and the medians are shown.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROW_BYTES = 136  # average bytes per generated row, to size the file


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Mixed types and personal data: id, IIN (valid checksum), name, phone, birth date
    (dd.mm.yyyy), region, amount (decimal), count written `332 720`, yes/no, short text."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    first = np.array(["Ерлан", "Айгүл", "Дмитрий", "Динара", "Нұрлан", "Ольга", "Асхат", "Мадина"])
    last = np.array(["Жұмабаев", "Ахметова", "Иванов", "Ким", "Сейітов", "Омарова", "Нұрғалиев"])
    regions = np.array(["Астана", "Алматы", "Шымкент", "Карагандинская область", "Актюбинская область"])
    words = np.array(["жол", "су", "жарық", "дорога", "свет", "вода", "мусор", "ремонт"])
    with path.open("wb") as out:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            year = rng.integers(1950, 2005, n)
            month = rng.integers(1, 13, n)
            day = rng.integers(1, 29, n)
            century = np.where(year < 2000, 3, 5) + rng.integers(0, 2, n)
            serial = rng.integers(0, 10_000, n)
            digits = np.stack(
                [
                    (year % 100) // 10,
                    year % 10,
                    month // 10,
                    month % 10,
                    day // 10,
                    day % 10,
                    century,
                    serial // 1000,
                    serial // 100 % 10,
                    serial // 10 % 10,
                    serial % 10,
                ],
                axis=1,
            )
            c = (digits * np.arange(1, 12)).sum(axis=1) % 11
            c2 = (digits * np.array([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])).sum(axis=1) % 11
            control = np.where(c == 10, c2, c) % 10  # the rare invalid prefix gets a wrong digit: fine
            iin = (digits * (10 ** np.arange(11, 0, -1))).sum(axis=1) + control
            counts = rng.integers(0, 1_000_000, n)
            frame = pl.DataFrame(
                {
                    "id": np.arange(start, start + n),
                    "iin": pl.Series(iin).cast(pl.String).str.zfill(12),
                    "full_name": pl.Series(last[rng.integers(0, len(last), n)])
                    + " "
                    + pl.Series(first[rng.integers(0, len(first), n)]),
                    # Kazakh mobiles, 7 70x ... 7 77x: "+7 (701) 234-56-78"
                    "phone": pl.Series(rng.integers(77_000_000_000, 77_799_999_999, n))
                    .cast(pl.String)
                    .str.replace(r"^(\d)(\d{3})(\d{3})(\d{2})(\d{2})$", "+${1} (${2}) ${3}-${4}-${5}"),
                    "birth_date": pl.Series(day).cast(pl.String).str.zfill(2)
                    + "."
                    + pl.Series(month).cast(pl.String).str.zfill(2)
                    + "."
                    + pl.Series(year).cast(pl.String),
                    "region": regions[rng.integers(0, len(regions), n)],
                    "amount": np.round(rng.random(n) * 100_000, 2),
                    "households": pl.Series(counts).cast(pl.String).str.replace(r"(\d)(\d{3})$", "$1 $2"),
                    "active": np.where(rng.random(n) < 0.5, "да", "нет"),
                    "note": pl.Series(words[rng.integers(0, len(words), n)])
                    + " "
                    + pl.Series(words[rng.integers(0, len(words), n)]),
                }
            )
            frame.write_csv(out, include_header=start == 0)


def run_pipeline(csv: Path) -> None:
    """Child: a fresh platform, a library, the upload and the publish job, as `qazai publish` does."""
    # A worker has its modules loaded (not timed, as `import duckdb`); the opt-out registry is
    # imported by the first publish a worker runs.
    import qazai.libraries.pipeline.run
    import qazai.registry.optouts  # noqa: F401
    from qazai.api.wiring import build_platform, job_handlers, settle_heap
    from qazai.config import load_settings
    from qazai.core.enums import OrgKind
    from qazai.core.text import LocalizedText
    from qazai.identity import service as identity
    from qazai.identity.actor import SYSTEM
    from qazai.identity.models import OrganisationCreate
    from qazai.libraries import service, uploads
    from qazai.libraries.models import Contact, LegalBasis, LibraryCreate, PublishRequest
    from qazai.storage.jobs import Worker

    data_dir = Path(tempfile.mkdtemp(prefix="qazai-bench-", dir=csv.parent))
    platform = build_platform(
        load_settings(environment="test", data_dir=data_dir, secret_key="b" * 48), start_workers=False
    )
    with platform.db.uow() as uow:
        identity.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(slug="bench", kind=OrgKind.company, name=LocalizedText(en="Bench")),
        )
    with platform.db.uow() as uow:
        service.create_library(
            uow,
            SYSTEM,
            LibraryCreate(
                slug="bench",
                organisation="bench",
                title=LocalizedText(en="Bench"),
                description=LocalizedText(en="generated"),
                licence="CC-BY-4.0",
                legal_basis=LegalBasis.depersonalised,
                source_systems=["bench"],
                contact=Contact(email="b@example.kz"),
            ),
        )
    worker = Worker(platform.db, job_handlers(platform), lease_seconds=120)  # built once per worker
    settle_heap()  # as `qazai worker` and `qazai serve` do once their workers are built
    started, cpu = time.perf_counter(), time.process_time()
    with csv.open("rb") as handle:
        upload = uploads.upload_file(
            platform.db,
            platform.objects,
            SYSTEM,
            "bench",
            csv.name,
            handle,
            csv.stat().st_size,
            max_bytes=1 << 40,
            retention_days=1,
        )
    uploaded, uploaded_cpu = time.perf_counter(), time.process_time()
    with platform.db.uow() as uow:
        service.request_publish(uow, SYSTEM, "bench", PublishRequest(upload_id=upload.id))
    job = worker.run_once()
    done = time.perf_counter()
    assert job is not None
    if job.state.value != "succeeded":
        print(f"FAILED {job.error}", file=sys.stderr)
        sys.exit(1)
    finished_cpu = time.process_time()
    print(
        f"{done - started:.3f} {finished_cpu - cpu:.3f} {done - uploaded:.3f} "
        f"{finished_cpu - uploaded_cpu:.3f} {job.result}"
    )


def run_duckdb(csv: Path) -> None:
    import duckdb

    started, cpu = time.perf_counter(), time.process_time()
    target = csv.with_suffix(".duckdb.parquet")
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    print(f"{time.perf_counter() - started:.3f} {time.process_time() - cpu:.3f}")


def child(mode: str, csv: Path) -> tuple[str, float]:
    """Run a mode in a child process; its stdout and its peak RSS in GB."""
    proc = subprocess.Popen(
        [sys.executable, __file__, f"--{mode}", str(csv)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed ({proc.returncode})")
    return output.strip(), usage.ru_maxrss / 1024 / 1024  # KiB on Linux


def measure(mb: int, directory: Path | None, repeat: int) -> dict[str, float]:
    """Generate a CSV of ``mb`` MB; run DuckDB's copy and the pipeline ``repeat`` times each."""
    with tempfile.TemporaryDirectory(prefix="qazai-bench-", dir=directory) as tmp:
        csv = Path(tmp) / "register.csv"
        rows = mb * 1024 * 1024 // ROW_BYTES
        t = time.perf_counter()
        generate(csv, rows)
        size = csv.stat().st_size
        print(f"generated {size / 1e6:.0f} MB, {rows:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
        runs: dict[str, list[float]] = {}
        for _ in range(repeat):  # interleaved, so both sides see the same background load
            duck_out, duck_rss = child("run-duckdb", csv)
            duck, duck_cpu = (float(x) for x in duck_out.split())
            pipe_out, pipe_rss = child("run-pipeline", csv)
            total, total_cpu, job, job_cpu, result = pipe_out.split(" ", 4)
            for key, value in (
                ("duck", duck),
                ("duck_cpu", duck_cpu),
                ("duck_rss", duck_rss),
                ("total", float(total)),
                ("total_cpu", float(total_cpu)),
                ("job", float(job)),
                ("job_cpu", float(job_cpu)),
                ("rss", pipe_rss),
                ("load", os.getloadavg()[0]),
            ):
                runs.setdefault(key, []).append(value)
            print(f"  {mb} MB: {result}", flush=True)
    out = {k: statistics.median(v) for k, v in runs.items()}
    out["mb"] = size / 1e6
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", default="100,500", help="sizes of the generated CSVs in MB, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side per size")
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="where to put the files, created if missing (default: a temp dir)",
    )
    parser.add_argument("--run-pipeline", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run-duckdb", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_pipeline:
        run_pipeline(args.run_pipeline)
        return
    if args.run_duckdb:
        run_duckdb(args.run_duckdb)
        return
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in str(args.mb).split(",") if x.strip()]
    results = [measure(mb, args.dir, max(1, args.repeat)) for mb in sizes]
    print(
        f"\n{'size':>7} | {'DuckDB copy':>17} | {'QazAI job':>17} | {'ratio':>13} | "
        f"{'end to end':>17} | {'ratio':>5} | {'peak RSS':>15} | load"
    )
    print(f"{'':>7} | {'wall s':>8} {'CPU s':>8} | {'wall s':>8} {'CPU s':>8} | {'wall':>6} {'CPU':>6} | "
          f"{'wall s':>8} {'CPU s':>8} | {'wall':>5} | {'DuckDB':>7} {'QazAI':>7} |")  # fmt: skip
    for r in results:
        print(
            f"{r['mb']:5.0f}MB | {r['duck']:8.2f} {r['duck_cpu']:8.2f} | "
            f"{r['job']:8.2f} {r['job_cpu']:8.2f} | "
            f"{r['job'] / r['duck']:5.2f}x {r['job_cpu'] / r['duck_cpu']:5.2f}x | "
            f"{r['total']:8.2f} {r['total_cpu']:8.2f} | {r['total'] / r['duck']:4.2f}x | "
            f"{r['duck_rss']:5.2f}GB {r['rss']:5.2f}GB | {r['load']:.1f}"
        )
    worst = max(r["job"] / r["duck"] for r in results)
    heaviest = max(r["rss"] for r in results)
    print(
        f"targets: job <= 2x DuckDB wall: {'met' if worst <= 2 else 'MISSED'} (worst {worst:.2f}x); "
        f"peak RSS <= 1 GB: {'met' if heaviest <= 1 else 'MISSED'} ({heaviest:.2f} GB)"
    )


if __name__ == "__main__":
    main()
