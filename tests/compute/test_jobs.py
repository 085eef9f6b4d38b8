"""Jobs next to the data through the service layer: a real enclave library, the local sandbox,
the airlock hand-over, and the bad input of issue 13."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.compute import support

from qazai.api.platform import Platform
from qazai.compute import jobs, projects, quotas
from qazai.compute.executors.local import probe_sandbox
from qazai.compute.models import JobCancel, ProjectClose, QuotaSet
from qazai.compute.states import JobState
from qazai.core.clock import utcnow
from qazai.core.enums import AccessTier
from qazai.core.errors import AppError, Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.identity.actor import SYSTEM
from qazai.libraries.models import GrantKind
from qazai.storage.tables.libraries import LibraryGrantRow

pytestmark = pytest.mark.skipif(not probe_sandbox().works, reason=probe_sandbox().reason)

AGGREGATE = """
import glob, os
import polars as pl
print("first line", flush=True)
frame = pl.read_parquet(sorted(glob.glob("inputs/population-enclave/1/*.parquet")))
table = frame.group_by("region").agg(pl.col("people").sum(), pl.len().alias("n")).sort("region")
table.write_csv(os.path.join(os.environ["QAZAI_OUTPUT_DIR"], "by_region.csv"))
print("rows", frame.height)
"""


@pytest.fixture
def enclave(platform: Platform, people: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """An enclave library, a project of the member with a compute-only grant on it."""
    support.published(platform, tmp_path, "population-enclave", AccessTier.enclave)
    member = support.actor(platform, people["member"].user_id)
    grant = support.granted(platform, member, "population-enclave", GrantKind.compute_only)
    support.project(platform, member)
    support.add_input(platform, member, "regions", "population-enclave@1")
    return {"member": member, "grant": grant}


def code_of(caught: pytest.ExceptionInfo[AppError]) -> str:
    return caught.value.code


def test_a_job_aggregates_an_enclave_library_and_its_outputs_are_held(
    platform: Platform, enclave: dict[str, Any]
) -> None:
    job = support.submit(platform, enclave["member"], AGGREGATE, inputs=["population-enclave@1"])
    assert job.inputs[0].tier == AccessTier.enclave and job.inputs[0].path.startswith(
        "inputs/population-enclave/1/"
    )
    ended = support.follow(platform, job.id)
    assert ended.state == JobState.awaiting_review, ended.message
    assert [o.path for o in ended.outputs] == ["by_region.csv"]
    held = ended.outputs[0]
    text = b"".join(
        platform.objects.open(f"sha256/{held.sha256[:2]}/{held.sha256[2:4]}/{held.sha256}")
    ).decode()
    assert text.splitlines()[0] == "region,people,n" and "Astana" in text
    assert ended.cpu_seconds is not None and ended.cpu_seconds > 0
    with platform.db.uow(read_only=True) as uow:
        log = jobs.job_logs(uow, enclave["member"], support.runtime(platform), job.id)
    assert log.complete and "first line" in log.text and "rows 400" in log.text
    assert not (platform.settings.effective_compute_dir / "runs" / job.id).exists()


def test_a_syntax_error_is_refused_naming_the_line(platform: Platform, enclave: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        support.submit(platform, enclave["member"], "import polars\nprint('a'\nx = 1\n")
    assert code_of(caught) == "script_syntax_error" and caught.value.details["line"] in (2, 3)
    with pytest.raises(InvalidInput) as bad_notebook:
        support.submit(platform, enclave["member"], "{not json", name="analysis.ipynb")
    assert code_of(bad_notebook) == "notebook_invalid"


def test_a_missing_input_and_an_input_outside_the_project_are_refused(
    platform: Platform, enclave: dict[str, Any]
) -> None:
    with pytest.raises(NotFound) as missing:
        support.submit(platform, enclave["member"], "print(1)", inputs=["no-such-library@1"])
    assert code_of(missing) == "input_not_found" and "no-such-library@1" in missing.value.message
    with pytest.raises(NotFound) as no_version:
        support.submit(platform, enclave["member"], "print(1)", inputs=["population-enclave@9"])
    assert code_of(no_version) == "input_not_found"


def test_an_expired_grant_stops_new_jobs(platform: Platform, enclave: dict[str, Any]) -> None:
    with platform.db.uow() as uow:
        grant = uow.session.get(LibraryGrantRow, enclave["grant"])
        assert grant is not None
        grant.expires_at = utcnow() - timedelta(days=1)
        uow.commit()
    with pytest.raises(PermissionDenied) as caught:
        support.submit(platform, enclave["member"], AGGREGATE, inputs=["population-enclave@1"])
    assert code_of(caught) == "input_not_readable" and "expired" in caught.value.message


def test_an_enclave_library_takes_only_compute_grants(platform: Platform, enclave: dict[str, Any]) -> None:
    from qazai.libraries import access
    from qazai.libraries.models import GrantCreate

    with platform.db.uow() as uow, pytest.raises(InvalidInput) as caught:
        access.request_grant(
            uow, enclave["member"], "population-enclave", GrantCreate(purpose="download it all please")
        )
    assert code_of(caught) == "grant_kind_not_applicable"


def test_a_revoked_member_submits_and_reads_nothing(
    platform: Platform, people: dict[str, Any], enclave: dict[str, Any]
) -> None:
    producer = support.actor(platform, people["producer"].user_id)
    support.add_member(platform, enclave["member"], "regions", people["producer"].email)
    job = support.submit(platform, producer, "print('hello from a member')")
    support.follow(platform, job.id)
    with platform.db.uow() as uow:
        projects.revoke_member(uow, enclave["member"], "regions", people["producer"].email)
    with pytest.raises((PermissionDenied, NotFound)):
        support.submit(platform, producer, "print(2)")
    with platform.db.uow(read_only=True) as uow, pytest.raises(NotFound):
        jobs.job_logs(uow, producer, support.runtime(platform), job.id)


def test_cancel_stops_a_job_and_its_partial_outputs_are_never_offered(
    platform: Platform, enclave: dict[str, Any]
) -> None:
    script = "import time\nopen('outputs/partial.csv', 'w').write('a,b')\ntime.sleep(60)\n"
    job = support.submit(platform, enclave["member"], script)
    support.wait_running(platform, job.id)
    with platform.db.uow() as uow:
        jobs.cancel_job(
            uow, enclave["member"], support.runtime(platform), job.id, JobCancel(reason="wrong input")
        )
    ended = support.follow(platform, job.id)
    assert (ended.state, ended.outputs, ended.message) == (JobState.cancelled, [], "wrong input")
    with platform.db.uow() as uow, pytest.raises(Conflict) as caught:
        jobs.cancel_job(uow, enclave["member"], support.runtime(platform), job.id, JobCancel())
    assert code_of(caught) == "job_ended"


def test_a_job_killed_mid_write_offers_no_half_output(platform: Platform, enclave: dict[str, Any]) -> None:
    script = (
        "import time\nwith open('outputs/big.csv', 'w') as out:\n"
        "    for i in range(10**6):\n        out.write(f'{i},x\\n'); out.flush(); time.sleep(0.001)\n"
    )
    job = support.submit(platform, enclave["member"], script, wall_seconds=2)
    ended = support.follow(platform, job.id)
    assert (ended.state, ended.outputs, ended.output_bytes) == (JobState.timed_out, [], 0)


def test_closing_the_project_cancels_its_running_job_and_refuses_new_ones(
    platform: Platform, enclave: dict[str, Any]
) -> None:
    job = support.submit(platform, enclave["member"], "import time\ntime.sleep(60)\n")
    support.wait_running(platform, job.id)
    with platform.db.uow() as uow:
        projects.close_project(uow, enclave["member"], "regions", ProjectClose(reason="the study ended"))
    ended = support.follow(platform, job.id)
    assert ended.state == JobState.cancelled and "the study ended" in (ended.message or "")
    with pytest.raises(Conflict) as caught:
        support.submit(platform, enclave["member"], "print(1)")
    assert code_of(caught) == "project_cannot_run"


def test_quotas_refuse_with_the_figures_and_usage_is_reported(
    platform: Platform, people: dict[str, Any], enclave: dict[str, Any]
) -> None:
    operator = support.actor(platform, people["operator"].user_id)
    with platform.db.uow() as uow:
        quotas.set_quota(
            uow,
            operator,
            platform.settings,
            "stat-gov",
            QuotaSet(cpu_seconds_per_period=1000, period_days=30, concurrent_jobs=1, output_bytes=10**9),
        )
    first = support.submit(platform, enclave["member"], "import time\ntime.sleep(60)\n")
    with pytest.raises(Conflict) as concurrent:
        support.submit(platform, enclave["member"], "print(1)")
    assert code_of(concurrent) == "quota_exceeded"
    assert concurrent.value.details == {"quota": "concurrent_jobs", "used": 1, "limit": 1}
    assert "1 at once" in concurrent.value.message
    with platform.db.uow() as uow:
        jobs.cancel_job(uow, enclave["member"], support.runtime(platform), first.id, JobCancel())
    support.follow(platform, first.id)
    with platform.db.uow() as uow:
        quotas.set_quota(
            uow,
            operator,
            platform.settings,
            "stat-gov",
            QuotaSet(cpu_seconds_per_period=0, period_days=7, concurrent_jobs=3, output_bytes=10**9),
        )
    with pytest.raises(Conflict) as cpu:
        support.submit(platform, enclave["member"], "print(1)")
    assert (
        cpu.value.details["quota"] == "cpu_seconds"
        and "of its 0 CPU-seconds in the last 7 days" in cpu.value.message
    )
    admin = support.actor(platform, people["org_admin"].user_id)
    with platform.db.uow(read_only=True) as uow:
        report = quotas.usage_report(uow, admin, platform.settings, "stat-gov")
    assert report.projects[0].project_slug == "regions" and report.projects[0].jobs_by_state == {
        "cancelled": 1
    }
    with platform.db.uow(read_only=True) as uow, pytest.raises(PermissionDenied):
        quotas.usage_report(uow, enclave["member"], platform.settings, "stat-gov")


def test_submitting_needs_an_active_member(
    platform: Platform, people: dict[str, Any], enclave: dict[str, Any]
) -> None:
    outsider = support.actor(platform, people["outsider"].user_id)
    with pytest.raises(NotFound):
        support.submit(platform, outsider, "print(1)")
    with platform.db.uow() as uow, pytest.raises(NotFound):
        jobs.get_job(uow, SYSTEM, "nope")
    with platform.db.uow(read_only=True) as uow:
        ids = uow.session.scalars(select(LibraryGrantRow.id)).all()
    assert ids == [enclave["grant"]]


class Unreachable:
    """The local executor behind a switch: while ``down``, every call fails as an unreachable
    backend does (a fake of our own Protocol around the real one, not a mock)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.down, self.name = inner, True, inner.name
        self.confined = inner.confined

    def __getattr__(self, method: str) -> Any:
        real = getattr(self.inner, method)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                from qazai.core.errors import Unavailable

                raise Unavailable("slurmrestd does not answer", code="executor_unavailable")
            return real(*args, **kwargs)

        return call


def test_an_unreachable_backend_keeps_the_job_queued_and_it_resumes(
    platform: Platform, enclave: dict[str, Any]
) -> None:
    real = support.runtime(platform)
    switch = Unreachable(real.executor)
    runtime = jobs.ComputeRuntime(real.settings, real.objects, switch)  # type: ignore[arg-type]
    from qazai.compute.models import JobSubmit

    with platform.db.uow() as uow:
        job = jobs.submit_job(
            uow,
            enclave["member"],
            runtime,
            JobSubmit(project="regions", script_name="a.py"),
            b"print('resumed')\n",
        )
    assert job.state == JobState.queued and "does not answer" in (job.message or "")
    with platform.db.uow() as uow:
        again = jobs.refresh_job(uow, runtime, job.id)
    assert again.state == JobState.queued and "does not answer" in (again.message or "")
    switch.down = False
    ended = support.follow(platform, job.id)
    assert ended.state == JobState.succeeded and ended.message is None
    with platform.db.uow(read_only=True) as uow:
        assert "resumed" in jobs.job_logs(uow, enclave["member"], real, job.id).text


def test_without_a_sandbox_enclave_data_is_refused_before_anything_runs(
    platform: Platform, enclave: dict[str, Any]
) -> None:
    from qazai.compute.executors.local import LocalExecutor
    from qazai.compute.models import JobSubmit

    real = support.runtime(platform)
    unconfined = jobs.ComputeRuntime(
        real.settings,
        real.objects,
        LocalExecutor(real.settings.effective_compute_dir / "runs", sandbox="none"),
    )
    with platform.db.uow() as uow, pytest.raises(PermissionDenied) as caught:
        jobs.submit_job(
            uow,
            enclave["member"],
            unconfined,
            JobSubmit(project="regions", inputs=["population-enclave@1"], script_name="a.py"),
            b"print(1)\n",
        )
    assert code_of(caught) == "sandbox_unavailable" and "not run unconfined" in caught.value.message
    with platform.db.uow(read_only=True) as uow:
        assert jobs.list_jobs(uow, enclave["member"], "regions").items == []


def test_a_grant_that_expires_while_the_job_runs_cancels_it(
    platform: Platform, enclave: dict[str, Any]
) -> None:
    job = support.submit(
        platform, enclave["member"], "import time\ntime.sleep(60)\n", inputs=["population-enclave@1"]
    )
    support.wait_running(platform, job.id)
    with platform.db.uow() as uow:
        grant = uow.session.get(LibraryGrantRow, enclave["grant"])
        assert grant is not None
        grant.expires_at = utcnow() - timedelta(seconds=1)
        uow.commit()
    ended = support.follow(platform, job.id)
    assert ended.state == JobState.cancelled and "grant expired" in (ended.message or "")


def test_the_durable_queue_follows_a_job_to_its_end(platform: Platform, enclave: dict[str, Any]) -> None:
    import time

    from qazai.api.wiring import job_handlers
    from qazai.storage.jobs import Worker, list_jobs

    job = support.submit(platform, enclave["member"], "print('watched')\n")
    worker = Worker(platform.db, job_handlers(platform), lease_seconds=60, backoff_base_seconds=0.0)
    deadline = time.monotonic() + 30
    while True:
        worker.run_once()
        with platform.db.uow(read_only=True) as uow:
            read = jobs.get_job(uow, enclave["member"], job.id)
        if read.final:
            break
        assert time.monotonic() < deadline, read
        time.sleep(0.2)
    assert read.state == JobState.succeeded
    jobs.schedule_sweep(platform.db)
    jobs.schedule_sweep(platform.db)  # one per time slot, whatever the number of processes
    with platform.db.uow(read_only=True) as uow:
        sweeps = list_jobs(uow.session, kind=jobs.SWEEP_JOB)
    assert len(sweeps) == 1
    assert jobs.refresh_active_jobs(platform.db, support.runtime(platform)) == 0
