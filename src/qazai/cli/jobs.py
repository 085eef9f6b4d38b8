"""`qazai jobs ...` and `qazai projects ...`: compute next to the data from the command line.

The CLI has direct database access; it acts for the user named with ``--as`` (who must be an
active member of the project), and the audit trail records the operating-system user beside them.
"""

from __future__ import annotations

import getpass
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qazai.cli.context import cli_actor, console, open_platform
from qazai.core.errors import NotFound
from qazai.identity.actor import Actor

# The compute and identity services (SQLAlchemy, the tables), their models and rich are imported
# when a command runs, so that `qazai jobs --help` stays fast (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from qazai.compute.models import JobRead
    from qazai.storage.db import UnitOfWork

jobs = typer.Typer(
    help="Compute jobs: run a script next to the data, follow it, read its log.", no_args_is_help=True
)
projects = typer.Typer(
    help="Compute projects: members, inputs, purpose and legal basis.", no_args_is_help=True
)

AsUser = Annotated[
    str | None, typer.Option("--as", help="the e-mail of the user to act for (env QAZAI_CLI_USER)")
]


def _acting(uow: UnitOfWork, who: str | None) -> Actor:
    from qazai.identity import repo as identity_repo
    from qazai.identity.service import load_actor

    who = who or os.environ.get("QAZAI_CLI_USER")
    if not who:
        return cli_actor()
    user = identity_repo.get_user(uow.session, who)
    if user is None:
        raise NotFound(f"no user {who!r}", code="user_not_found")
    actor = load_actor(uow, user.id)
    try:
        shell = getpass.getuser()
    except (KeyError, OSError):
        shell = str(os.getuid())
    return Actor(
        user_id=actor.user_id,
        label=f"{actor.label} (cli:{shell})",
        platform_roles=actor.platform_roles,
        memberships=actor.memberships,
        language=actor.language,
    )


def _show(job: JobRead) -> None:
    console().print(f"job [bold]{job.id}[/bold] of {job.project_slug}: [bold]{job.state.value}[/bold]")
    if job.message:
        console().print(f"  {job.message}")
    if job.cpu_seconds is not None:
        console().print(f"  CPU time {job.cpu_seconds:.2f} s")
    for output in job.outputs:
        console().print(f"  output {output.path} ({output.size} bytes), held for output checking")


@jobs.command("submit")
def submit(
    script: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="analysis.py or .ipynb")
    ],
    project: Annotated[str, typer.Option("--project", "-p", help="the project's slug")],
    inputs: Annotated[
        list[str] | None, typer.Option("--input", "-i", help="library@version (repeat)")
    ] = None,
    as_user: AsUser = None,
    wall_seconds: Annotated[int | None, typer.Option(help="wall-time limit")] = None,
    cpu_seconds: Annotated[int | None, typer.Option(help="CPU-time limit")] = None,
    memory_mib: Annotated[int | None, typer.Option(help="memory limit")] = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="follow the log until the job ends")] = False,
) -> None:
    """Run a script next to the data.

    Example: qazai jobs submit analysis.py --project regions --input population-by-region@1 --as you@org.kz
    """
    from qazai.compute import jobs as job_service
    from qazai.compute.models import JobLimits, JobSubmit

    data = script.read_bytes()
    with open_platform() as platform:
        from qazai.api.wiring import compute_runtime_of

        runtime = compute_runtime_of(platform)
        cmd = JobSubmit(
            project=project,
            inputs=inputs or [],
            script_name=script.name,
            limits=JobLimits(wall_seconds=wall_seconds, cpu_seconds=cpu_seconds, memory_mib=memory_mib),
        )
        with platform.db.uow() as uow:
            job = job_service.submit_job(uow, _acting(uow, as_user), runtime, cmd, data)
        console().print(f"submitted job [bold]{job.id}[/bold] ({job.state.value})")
        if wait:
            _follow(platform, job.id, as_user)


def _follow(platform: object, job_id: str, as_user: str | None) -> None:
    from qazai.api.platform import Platform
    from qazai.api.wiring import compute_runtime_of
    from qazai.compute import jobs as job_service

    assert isinstance(platform, Platform)
    runtime = compute_runtime_of(platform)
    offset = 0
    while True:
        with platform.db.uow() as uow:
            job = job_service.refresh_job(uow, runtime, job_id)
        with platform.db.uow(read_only=True) as uow:
            chunk = job_service.job_logs(uow, _acting(uow, as_user), runtime, job_id, offset)
        if chunk.text:
            sys.stdout.write(chunk.text)
            sys.stdout.flush()
        offset = chunk.next_offset
        if job.final and (chunk.complete or not chunk.text):
            break
        time.sleep(0.3)
    _show(job)
    if job.state.value in ("failed", "cancelled", "timed_out"):
        raise typer.Exit(1)


@jobs.command("list")
def job_list(project: str, as_user: AsUser = None) -> None:
    """A project's jobs, newest first."""
    from qazai.compute import jobs as job_service

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        page = job_service.list_jobs(uow, _acting(uow, as_user), project, limit=100)
    for job in page.items:
        cpu = f"{job.cpu_seconds:.1f} CPU-s" if job.cpu_seconds is not None else "-"
        when = job.submitted_at.isoformat(timespec="seconds")
        typer.echo(
            f"{job.id}  {job.state.value:16} {when}  {cpu:>12}  {len(job.outputs)} outputs  {job.script_name}"
        )


@jobs.command("status")
def status(job_id: str, as_user: AsUser = None) -> None:
    """The job's state (brought up to date), CPU time and held outputs."""
    from qazai.compute import jobs as job_service

    with open_platform() as platform:
        from qazai.api.wiring import compute_runtime_of

        with platform.db.uow() as uow:
            job_service.get_job(uow, _acting(uow, as_user), job_id)
            job = job_service.refresh_job(uow, compute_runtime_of(platform), job_id)
        _show(job)


@jobs.command("logs")
def logs(
    job_id: str,
    as_user: AsUser = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="go on until the job ends")] = False,
) -> None:
    """Print the job's log (stdout and stderr)."""
    from qazai.compute import jobs as job_service

    with open_platform() as platform:
        if follow:
            _follow(platform, job_id, as_user)
            return
        from qazai.api.wiring import compute_runtime_of

        offset = 0
        while True:
            with platform.db.uow(read_only=True) as uow:
                chunk = job_service.job_logs(
                    uow, _acting(uow, as_user), compute_runtime_of(platform), job_id, offset, 1024 * 1024
                )
            sys.stdout.write(chunk.text)
            if not chunk.text or chunk.complete:
                break
            offset = chunk.next_offset


@jobs.command("cancel")
def cancel(job_id: str, as_user: AsUser = None, reason: Annotated[str | None, typer.Option()] = None) -> None:
    """Stop a queued or running job (its partial outputs are never offered)."""
    from qazai.compute import jobs as job_service
    from qazai.compute.models import JobCancel

    with open_platform() as platform:
        from qazai.api.wiring import compute_runtime_of

        with platform.db.uow() as uow:
            job = job_service.cancel_job(
                uow, _acting(uow, as_user), compute_runtime_of(platform), job_id, JobCancel(reason=reason)
            )
        _show(job)


@jobs.command("environment")
def environment(
    nodes: Annotated[
        bool, typer.Option("--nodes", help="check where the compute backend runs jobs, with a tiny job")
    ] = False,
) -> None:
    """The job environment's Python and packages (checked by importing each); with --nodes, on the
    compute backend's nodes (a Slurm node), through a check job."""
    from qazai.cli.context import cli_settings
    from qazai.compute.environment import JOB_PACKAGES, inspect_environment_through, inspect_job_environment
    from qazai.compute.executors import build_executor

    settings = cli_settings()
    if nodes:
        executor = build_executor(settings)
        try:
            python = getattr(executor, "python", None) or settings.compute_python or sys.executable
            wait = settings.compute_environment_check_seconds
            checked = inspect_environment_through(
                executor, python, where=f" on the {executor.name} nodes", wait_seconds=wait
            )
        finally:
            close = getattr(executor, "close", None)
            if close is not None:
                close()
        if checked is None:
            console().print(f"the check job has not ended within {wait:g} s (a busy queue?); run this again")
            raise typer.Exit(2)
        found = checked
    else:
        found = inspect_job_environment(settings.compute_python or sys.executable)
    console().print(f"python {found.python_version} ({found.python})")
    for dist in JOB_PACKAGES.values():
        console().print(f"  {dist:14} {found.packages.get(dist, '[red]missing[/red]')}")
    if found.missing:
        raise typer.Exit(1)


@jobs.command("usage")
def usage(organisation: str, as_user: AsUser = None) -> None:
    """CPU-seconds, jobs and kept outputs of an organisation's projects in the current period."""
    from rich.table import Table

    from qazai.compute import quotas

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        report = quotas.usage_report(uow, _acting(uow, as_user), platform.settings, organisation)
    console().print(
        f"{report.organisation_slug}: {report.cpu_seconds:.1f} of {report.quota.cpu_seconds_per_period} "
        f"CPU-seconds in {report.quota.period_days} days, {report.running_jobs} jobs running, "
        f"{report.output_bytes} bytes of outputs kept"
    )
    table = Table("project", "jobs", "CPU-seconds", "outputs (bytes)", "by state")
    for project in report.projects:
        states = ", ".join(f"{k} {v}" for k, v in project.jobs_by_state.items())
        table.add_row(
            project.project_slug,
            str(project.jobs),
            f"{project.cpu_seconds:.1f}",
            str(project.output_bytes),
            states,
        )
    console().print(table)


@projects.command("create")
def project_create(
    slug: str,
    organisation: Annotated[str, typer.Option("--organisation", "-o")],
    title: Annotated[str, typer.Option()],
    purpose: Annotated[str, typer.Option()],
    legal_basis: Annotated[str, typer.Option("--legal-basis")],
    pilot: Annotated[str | None, typer.Option("--pilot", help="the pilot it serves (id)")] = None,
    as_user: AsUser = None,
) -> None:
    """Create a compute project (the user named with --as becomes its lead)."""
    from qazai.compute import projects as project_service
    from qazai.compute.models import ProjectCreate

    with open_platform() as platform, platform.db.uow() as uow:
        read = project_service.create_project(
            uow,
            _acting(uow, as_user),
            ProjectCreate(
                slug=slug,
                organisation=organisation,
                title=title,
                purpose=purpose,
                legal_basis=legal_basis,
                pilot_id=pilot,
            ),
        )
    console().print(f"project [bold]{read.slug}[/bold] created")


@projects.command("add-member")
def project_add_member(slug: str, user: str, as_user: AsUser = None, lead: bool = False) -> None:
    from qazai.compute import projects as project_service
    from qazai.compute.models import MemberAdd, MemberRole

    with open_platform() as platform, platform.db.uow() as uow:
        project_service.add_member(
            uow,
            _acting(uow, as_user),
            slug,
            MemberAdd(user=user, role=MemberRole.lead if lead else MemberRole.member),
        )
    console().print(f"{user} is a member of {slug}")


@projects.command("add-input")
def project_add_input(slug: str, reference: str, as_user: AsUser = None) -> None:
    """Let the project read library@version (through a member's grant where the tier needs one)."""
    from qazai.compute import projects as project_service
    from qazai.compute.models import InputAdd

    with open_platform() as platform, platform.db.uow() as uow:
        project_service.add_input(uow, _acting(uow, as_user), slug, InputAdd(input=reference))
    console().print(f"{slug} may read {reference}")


@projects.command("show")
def project_show(slug: str, as_user: AsUser = None) -> None:
    from qazai.compute import projects as project_service

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        read = project_service.get_project(uow, _acting(uow, as_user), slug)
    console().print(f"[bold]{read.slug}[/bold] ({read.organisation_slug}): {read.title} — {read.state.value}")
    if read.run_problem:
        console().print(f"  [red]may not run: {read.run_problem}[/red]")
    for member in read.members:
        console().print(
            f"  member {member.email} ({member.role.value}{'' if member.active else ', revoked'})"
        )
    for item in read.inputs:
        problem = "" if item.readable else f": {item.problem}"
        console().print(f"  input {item.reference} ({item.tier.value}){problem}")


def register(app: typer.Typer) -> None:
    from qazai.cli.errors import CliGroup

    jobs.info.cls = CliGroup
    projects.info.cls = CliGroup
    app.add_typer(jobs, name="jobs")
    app.add_typer(projects, name="projects")
