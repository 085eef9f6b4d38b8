"""Compute overhead: submit -> the job script's first line, on the local and the slurm backend,
each beside a bare reference measured in the same run (issue 13's targets: <= 2 s local, <= 5 s slurm).

    .venv/bin/python bench/compute_overhead.py                   # both backends, 5 runs each
    .venv/bin/python bench/compute_overhead.py --backends local --repeat 10

The job aggregates a generated 1,000,000-row Parquet table (region, age, sex, income) by region
and age band with polars. Its first line records ``time.time()``; the overhead is that instant
minus the instant the caller started ``submit`` (same host, same clock). References:

* local: a bare ``subprocess.Popen([python, script])``, no sandbox, no run folder;
* slurm: a bare ``sbatch`` of a batch script running the same python on the same file
  (as the cluster account, through the same slurmctld), no runner, no bubblewrap, no staging.

Runs alternate platform / reference so both see the same machine load; medians are printed with
their ratio. The slurm side needs the cluster of ``.ci/slurm-up.sh`` (its ``/run/qazai-slurm/env``)
and is skipped with the reason otherwise. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

JOB = """import time; FIRST_LINE = time.time()
import os, sys
import polars as pl

out = os.environ.get("QAZAI_OUTPUT_DIR", "outputs")
source = sys.argv[1] if len(sys.argv) > 1 else "inputs/people.parquet"
table = pl.read_parquet(source)
bands = pl.when(pl.col("age") < 18).then(pl.lit("0-17"))
for low, high in ((18, 29), (30, 44), (45, 59), (60, 74)):
    bands = bands.when(pl.col("age") <= high).then(pl.lit(f"{low}-{high}"))
bands = bands.otherwise(pl.lit("75+"))
result = (
    table.with_columns(age_band=bands)
    .group_by("region", "age_band")
    .agg(pl.len().alias("people"), pl.col("income").mean().round(0).alias("mean_income"))
    .sort("region", "age_band")
)
result.write_csv(os.path.join(out, "by_region_and_age.csv"))
with open(os.path.join(out, "first_line.txt"), "w") as handle:
    handle.write(repr(FIRST_LINE))
print(f"{table.height} rows -> {result.height} cells")
"""

Timing = tuple[float, float]  # seconds from submit to the first line, and to the final state
MEMORY_MIB = 1024
WALL_SECONDS = 600

REGIONS = [
    "Астана", "Алматы", "Шымкент", "Абайская", "Акмолинская", "Актюбинская", "Алматинская",
    "Атырауская", "Восточно-Казахстанская", "Жамбылская", "Жетысуская", "Западно-Казахстанская",
    "Карагандинская", "Костанайская", "Кызылординская", "Мангистауская", "Павлодарская",
    "Северо-Казахстанская", "Туркестанская", "Улытауская",
]  # fmt: skip


def generate(path: Path, rows: int, seed: int = 13) -> None:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    pl.DataFrame(
        {
            "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), rows)],
            "age": rng.integers(0, 100, rows).astype("int16"),
            "sex": np.array(["F", "M"])[rng.integers(0, 2, rows)],
            "income": rng.lognormal(12.5, 0.6, rows).round(0),
        }
    ).write_parquet(path)


def wait_file(path: Path, timeout: float = 120.0) -> float:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout} s")
        time.sleep(0.02)
    for _ in range(100):
        text = path.read_text().strip()
        if text:
            return float(text)
        time.sleep(0.01)
    raise RuntimeError(f"{path} stayed empty")


# -- local ------------------------------------------------------------------------------------------


def local_platform(root: Path, script: Path, table: Path, n: int) -> Timing:
    from qazai.compute.executors.base import RunLimits, RunSpec, RunState
    from qazai.compute.executors.local import LocalExecutor

    executor = LocalExecutor(root, sandbox="auto", python=sys.executable)
    job_id = f"bench-{n}-{uuid.uuid4().hex[:6]}"
    spec = RunSpec(
        job_id=job_id,
        command=("python", "job.py"),
        inputs={"job.py": str(script), "inputs/people.parquet": str(table)},
        limits=RunLimits(memory_mib=MEMORY_MIB, wall_seconds=WALL_SECONDS),
        confidential=executor.confined,
    )
    submitted = time.time()
    executor.submit(spec)
    first = wait_file(root / job_id / "job" / "outputs" / "first_line.txt")
    while not (status := executor.poll(job_id)).final:
        time.sleep(0.05)
    done = time.time()
    if status.state != RunState.succeeded:
        raise RuntimeError(f"local run {job_id}: {status.state} {status.message}")
    return first - submitted, done - submitted


def local_reference(work: Path, script: Path, table: Path) -> Timing:
    out = work / f"ref-{uuid.uuid4().hex[:6]}"
    out.mkdir()
    submitted = time.time()
    child = subprocess.Popen(
        [sys.executable, str(script), str(table)],
        env={"PATH": "/usr/bin:/bin", "QAZAI_OUTPUT_DIR": str(out)},
        stdout=subprocess.DEVNULL,
    )
    first = wait_file(out / "first_line.txt")
    child.wait()
    return first - submitted, time.time() - submitted


# -- slurm ------------------------------------------------------------------------------------------


def slurm_cluster() -> dict[str, str] | str:
    env_file = Path(os.environ.get("QAZAI_TEST_SLURM_ENV_FILE", "/run/qazai-slurm/env"))
    if not env_file.is_file():
        return f"no {env_file}: start a cluster with .ci/slurm-up.sh"
    found = dict(
        line.split("=", 1) for line in env_file.read_text(encoding="utf-8").splitlines() if "=" in line
    )
    if not found.get("QAZAI_TEST_SLURM_PYTHON"):
        return "the cluster has no job environment (QAZAI_TEST_SLURM_PYTHON)"
    if not shutil.which("sbatch"):
        return "sbatch is not installed (needed for the reference)"
    return found


def slurm_executor(cluster: dict[str, str], root: Path):  # type: ignore[no-untyped-def]
    from qazai.compute.executors.slurm import SlurmExecutor
    from qazai.compute.executors.slurmrest import SignedToken, open_client

    user = cluster["QAZAI_TEST_SLURM_USER"]
    client = open_client(
        "v0.0.38",
        cluster["QAZAI_TEST_SLURM_REST_URL"],
        user,
        SignedToken(Path(cluster["QAZAI_TEST_SLURM_JWT_KEY_FILE"]), user),
    )
    return SlurmExecutor(
        client,
        root,
        user=user,
        partition=cluster.get("QAZAI_TEST_SLURM_PARTITION") or None,
        python=cluster["QAZAI_TEST_SLURM_PYTHON"],
        memory_enforced=cluster.get("QAZAI_TEST_SLURM_MEMORY_ENFORCED") == "1",
    )


def slurm_platform(executor, script: Path, table: Path, n: int) -> Timing:  # type: ignore[no-untyped-def]
    from qazai.compute.executors.base import RunLimits, RunSpec, RunState

    job_id = f"bench-{n}-{uuid.uuid4().hex[:6]}"
    spec = RunSpec(
        job_id=job_id,
        command=("python", "job.py"),
        inputs={"job.py": str(script), "inputs/people.parquet": str(table)},
        limits=RunLimits(memory_mib=MEMORY_MIB, wall_seconds=WALL_SECONDS),
        confidential=True,
    )
    submitted = time.time()
    executor.submit(spec)
    first = wait_file(executor.root / job_id / "job" / "outputs" / "first_line.txt")
    while not (status := executor.poll(job_id)).final:
        time.sleep(0.05)
    done = time.time()
    if status.state != RunState.succeeded:
        raise RuntimeError(f"slurm run {job_id}: {status.state} {status.message}")
    return first - submitted, done - submitted


def slurm_reference(
    cluster: dict[str, str],
    shared: Path,
    script: Path,
    table: Path,
    *,
    cpus: int,
    memory_mib: int,
    minutes: int,
) -> Timing:
    out = shared / f"ref-{uuid.uuid4().hex[:6]}"
    out.mkdir()
    user = cluster["QAZAI_TEST_SLURM_USER"]
    if os.geteuid() == 0:
        shutil.chown(out, user)
    batch = out / "job.sh"
    batch.write_text(
        f"#!/bin/sh\nexport QAZAI_OUTPUT_DIR={out}\n"
        f"exec {cluster['QAZAI_TEST_SLURM_PYTHON']} {script} {table}\n",
        encoding="utf-8",
    )
    # The same request as the platform's job (one node, one task, its CPUs, memory and time):
    # without them sbatch asks for the whole node's memory and starts 2 s later on this cluster.
    argv = [
        "sbatch", "--parsable", "-N1", "-n1", f"-c{cpus}", f"--mem={memory_mib}", f"--time={minutes}",
        "--no-requeue", f"--output={out}/slurm.log",
    ]  # fmt: skip
    if cluster.get("QAZAI_TEST_SLURM_PARTITION"):
        argv.append(f"--partition={cluster['QAZAI_TEST_SLURM_PARTITION']}")
    prefix = ["runuser", "-u", user, "--"] if os.geteuid() == 0 else []
    submitted = time.time()
    job_id = subprocess.run(
        [*prefix, *argv, str(batch)], capture_output=True, text=True, check=True, cwd=out
    ).stdout.strip()
    first = wait_file(out / "first_line.txt")
    while True:
        shown = subprocess.run(
            ["scontrol", "-o", "show", "job", job_id], capture_output=True, text=True, check=False
        )
        if "JobState=COMPLETED" in shown.stdout or "JobState=FAILED" in shown.stdout:
            break
        time.sleep(0.05)
    return first - submitted, time.time() - submitted


# -- main -------------------------------------------------------------------------------------------


def report(name: str, target: float, platform: list[Timing], reference: list[Timing]) -> None:
    p_first = statistics.median(p[0] for p in platform)
    r_first = statistics.median(r[0] for r in reference)
    p_done = statistics.median(p[1] for p in platform)
    r_done = statistics.median(r[1] for r in reference)
    verdict = "meets" if p_first <= target else "MISSES"
    print(f"\n{name}: {len(platform)} runs each, medians")
    print(
        f"  submit -> first line   platform {p_first:6.2f} s   reference {r_first:6.2f} s   "
        f"difference {p_first - r_first:+.2f} s   ({verdict} the {target:.0f} s target)"
    )
    print(
        f"  submit -> final state  platform {p_done:6.2f} s   reference {r_done:6.2f} s   "
        f"ratio {p_done / r_done:.2f}"
    )
    print(
        "  each run's first line: platform "
        + ", ".join(f"{p[0]:.2f}" for p in platform)
        + " | reference "
        + ", ".join(f"{r[0]:.2f}" for r in reference)
    )


def main() -> int:
    from qazai.compute.executors.slurm import RUNNER_MEMORY_MIB, SLURM_TIME_MARGIN_MINUTES

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", default="local,slurm")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]

    work = Path(tempfile.mkdtemp(prefix="qazai-bench-compute-"))
    work.chmod(0o755)
    cluster = slurm_cluster() if "slurm" in backends else "not asked for"
    # With a cluster, the table and the script sit in its shared folder (the reference reads them there).
    shared = work
    if isinstance(cluster, dict):
        shared = Path(cluster["QAZAI_TEST_SLURM_SHARED_DIR"]) / f"bench-{uuid.uuid4().hex[:8]}"
        shared.mkdir(parents=True)
        shared.chmod(0o755)
    try:
        table = shared / "people.parquet"
        started = time.perf_counter()
        generate(table, args.rows)
        table.chmod(0o644)
        script = shared / "job.py"
        script.write_text(JOB, encoding="utf-8")
        script.chmod(0o644)
        megabytes = table.stat().st_size / 1e6
        took = time.perf_counter() - started
        print(f"table: {args.rows:,} rows, {megabytes:.1f} MB, generated in {took:.1f} s")

        if "local" in backends:
            platform: list[Timing] = []
            reference: list[Timing] = []
            for n in range(args.repeat):
                platform.append(local_platform(work / "runs", script, table, n))
                reference.append(local_reference(work, script, table))
            report("local (runner + bubblewrap) vs a bare subprocess", 2.0, platform, reference)
        if "slurm" in backends and isinstance(cluster, str):
            print(f"\nslurm: skipped ({cluster})")
        elif "slurm" in backends and isinstance(cluster, dict):
            executor = slurm_executor(cluster, shared / "runs")
            minutes = math.ceil(WALL_SECONDS / 60) + SLURM_TIME_MARGIN_MINUTES
            platform, reference = [], []
            try:
                for n in range(args.repeat):
                    platform.append(slurm_platform(executor, script, table, n))
                    reference.append(
                        slurm_reference(
                            cluster,
                            shared,
                            script,
                            table,
                            cpus=executor.cpus,
                            memory_mib=MEMORY_MIB + RUNNER_MEMORY_MIB,
                            minutes=minutes,
                        )
                    )
            finally:
                executor.close()
            report(
                "slurm (slurmrestd + runner + bubblewrap on the node) vs a bare sbatch",
                5.0,
                platform,
                reference,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if shared != work:
            shutil.rmtree(shared, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
