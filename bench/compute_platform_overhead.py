"""The whole platform's overhead for a compute job: ``submit_job`` (membership, right to run, grant,
quota, script checks, script stored, job recorded and audited) through the local sandbox to the
script's first line, and to the job's end with its outputs held in the airlock.

    .venv/bin/python bench/compute_platform_overhead.py              # 1,000,000 rows, 5 runs
    .venv/bin/python bench/compute_platform_overhead.py --rows 200000 --repeat 3

A fresh platform (SQLite, local object store) publishes a generated enclave library of ``--rows``
rows (region, age, sex, income) through the real publish pipeline, gives a member a
``compute_only`` grant and a project, then alternates:

* platform: ``submit_job`` of a script aggregating the library by region and age band, followed to
  its end by ``refresh_job`` every 20 ms; the script's first statement logs ``time.time()``;
* reference: a bare ``subprocess.Popen([python, script])`` of the same script on the same Parquet
  files (no service, no sandbox, no run folder).

It prints the medians of "submit -> first line" and "submit -> job ended (outputs held)" for both
and their ratio; issue 13's target is <= 2 s from submit to the first line on ``local``.
``bench/compute_overhead.py`` measures the executors alone (local and slurm). Not part of the tests.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

SCRIPT = """import time; print("FIRST_LINE", repr(time.time()), flush=True)
import glob, os
import polars as pl
files = sorted(glob.glob("inputs/population/1/*.parquet")) or sorted(glob.glob(os.environ["BENCH_GLOB"]))
frame = pl.read_parquet(files)
bands = pl.when(pl.col("age") < 18).then(pl.lit("0-17"))
for low, high in ((18, 29), (30, 44), (45, 59), (60, 74)):
    bands = bands.when(pl.col("age") <= high).then(pl.lit(f"{low}-{high}"))
table = frame.with_columns(age_band=bands.otherwise(pl.lit("75+"))).group_by("region", "age_band").agg(
    pl.len().alias("people"), pl.col("income").mean().round(0).alias("mean_income")
).sort("region", "age_band")
table.write_csv(os.path.join(os.environ.get("QAZAI_OUTPUT_DIR", "."), "by_region_and_age.csv"))
print(frame.height, "rows ->", table.height, "cells")
"""

REGIONS = ["Astana", "Almaty", "Shymkent", "Karaganda", "Aktobe", "Pavlodar", "Atyrau", "Kostanay"]


def generate(path: Path, rows: int) -> None:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(13)
    pl.DataFrame(
        {
            "region": rng.choice(REGIONS, rows),
            "age": rng.integers(0, 95, rows),
            "sex": rng.choice(["F", "M"], rows),
            "income": rng.integers(50_000, 900_000, rows),
        }
    ).write_csv(path)


def setup(rows: int, root: Path) -> tuple[object, object, list[str]]:
    from qazai.api.wiring import build_platform, job_handlers
    from qazai.compute import projects
    from qazai.compute.models import InputAdd, ProjectCreate
    from qazai.config import load_settings
    from qazai.core.enums import AccessTier, OrgKind, OrgRole
    from qazai.core.text import LocalizedText
    from qazai.identity import service as identity
    from qazai.identity.actor import SYSTEM
    from qazai.identity.models import MembershipGrant, OrganisationCreate, UserCreate
    from qazai.libraries import access, service, uploads
    from qazai.libraries.models import (
        Contact,
        GrantCreate,
        GrantDecision,
        GrantKind,
        LegalBasis,
        LibraryCreate,
        PublishRequest,
    )
    from qazai.storage.jobs import Worker

    platform = build_platform(
        load_settings(environment="test", data_dir=root / "data", secret_key="b" * 48, argon2_time_cost=1),
        start_workers=False,
    )
    with platform.db.uow() as uow:
        org = identity.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(slug="stat", kind=OrgKind.government_body, name=LocalizedText(en="S")),
        )
    with platform.db.uow() as uow:
        user = identity.create_user(
            uow, SYSTEM, UserCreate(email="r@example.kz", name="R", password="x" * 12)
        )
    with platform.db.uow() as uow:
        identity.grant_membership(uow, SYSTEM, org.id, MembershipGrant(user_id=user.id, role=OrgRole.member))
    with platform.db.uow() as uow:
        service.create_library(
            uow,
            SYSTEM,
            LibraryCreate(
                slug="population",
                organisation="stat",
                title=LocalizedText(en="Population"),
                description=LocalizedText(en="generated"),
                licence="CC-BY-4.0",
                legal_basis=LegalBasis.depersonalised,
                source_systems=["bench"],
                contact=Contact(email="b@example.kz"),
                tier=AccessTier.enclave,
            ),
        )
    csv = root / "population.csv"
    generate(csv, rows)
    with csv.open("rb") as handle:
        upload = uploads.upload_file(
            platform.db, platform.objects, SYSTEM, "population", csv.name, handle, csv.stat().st_size,
            max_bytes=1 << 40, retention_days=1,
        )  # fmt: skip
    with platform.db.uow() as uow:
        service.request_publish(uow, SYSTEM, "population", PublishRequest(upload_id=upload.id))
    job = Worker(platform.db, job_handlers(platform), lease_seconds=600).run_once()
    assert job is not None and job.state.value == "succeeded", job
    with platform.db.uow(read_only=True) as uow:
        member = identity.load_actor(uow, user.id)
    with platform.db.uow() as uow:
        grant = access.request_grant(
            uow, member, "population", GrantCreate(purpose="regional statistics", kind=GrantKind.compute_only)
        )
    with platform.db.uow() as uow:
        access.decide_grant(
            uow, SYSTEM, grant.id, GrantDecision(approve=True, expires_on=date.today() + timedelta(30))
        )
    with platform.db.uow() as uow:
        projects.create_project(
            uow,
            member,
            ProjectCreate(slug="bench", organisation="stat", title="Bench", purpose="aggregate by region",
                          legal_basis="bench"),
        )  # fmt: skip
    with platform.db.uow() as uow:
        projects.add_input(uow, member, "bench", InputAdd(input="population@1"))
    with platform.db.uow(read_only=True) as uow:
        version = service.load_version(uow.session, service.load_library(uow.session, "population"), 1)
        files = [
            str(platform.objects.local_path(p["key"]))  # type: ignore[attr-defined]
            for p in version.manifest["parts"]
            if str(p["file"]).endswith(".parquet")
        ]
    return platform, member, files


def first_line(text: str) -> float:
    return float(text.split("FIRST_LINE ", 1)[1].split(maxsplit=1)[0])


def run_platform(platform: object, member: object) -> tuple[float, float]:
    from qazai.api.wiring import compute_runtime_of
    from qazai.compute import jobs
    from qazai.compute.models import JobSubmit

    runtime = compute_runtime_of(platform)  # type: ignore[arg-type]
    db = platform.db  # type: ignore[attr-defined]
    started = time.time()
    with db.uow() as uow:
        job = jobs.submit_job(
            uow,
            member,  # type: ignore[arg-type]
            runtime,
            JobSubmit(project="bench", inputs=["population@1"], script_name="aggregate.py"),
            SCRIPT.encode(),
        )
    while not job.final:
        time.sleep(0.02)
        with db.uow() as uow:
            job = jobs.refresh_job(uow, runtime, job.id)
    ended = time.time()
    assert job.state.value == "awaiting_review", (job.state, job.message)
    with db.uow(read_only=True) as uow:
        log = jobs.job_logs(uow, member, runtime, job.id, 0, 1 << 20).text  # type: ignore[arg-type]
    return first_line(log) - started, ended - started


def run_reference(files: list[str], folder: Path) -> tuple[float, float]:
    script = folder / "aggregate.py"
    script.write_text(SCRIPT, encoding="utf-8")
    started = time.time()
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        env={
            "BENCH_GLOB": str(Path(files[0]).parent / "*"),
            "QAZAI_OUTPUT_DIR": str(folder),
            "PATH": "/usr/bin",
        },
    )
    ended = time.time()
    return first_line(done.stdout) - started, ended - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qazai-compute-bench-") as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        platform, member, files = setup(args.rows, root)
        from qazai.compute.environment import check_job_environment

        check_job_environment(sys.executable)  # once per process, at start-up: not a job's cost
        print(f"published an enclave library of {args.rows:,} rows in {time.perf_counter() - began:.1f} s")
        reference_dir = root / "reference"
        reference_dir.mkdir()
        platform_runs, reference_runs = [], []
        for _ in range(args.repeat):
            platform_runs.append(run_platform(platform, member))
            reference_runs.append(run_reference(files, reference_dir))
            print(f"  platform {platform_runs[-1][0]:.3f} / {platform_runs[-1][1]:.3f} s, "
                  f"bare {reference_runs[-1][0]:.3f} / {reference_runs[-1][1]:.3f} s")  # fmt: skip
        platform.close()  # type: ignore[attr-defined]

    def median(runs: list[tuple[float, float]], index: int) -> float:
        return statistics.median(r[index] for r in runs)

    print(f"{'':34}{'platform':>10}{'bare':>10}{'ratio':>8}")
    for index, label in ((0, "submit -> first line (s)"), (1, "submit -> ended, outputs held (s)")):
        mine, bare = median(platform_runs, index), median(reference_runs, index)
        print(f"{label:34}{mine:10.3f}{bare:10.3f}{mine / bare:8.1f}")
    overhead = median(platform_runs, 0)
    print(f"target: <= 2 s from submit to the first line on local: {'met' if overhead <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
