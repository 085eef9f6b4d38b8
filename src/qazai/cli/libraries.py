"""`qazai publish` and `qazai libraries ...`: data libraries from the command line.

Works directly on the local platform (like the other commands) and runs the publish job in
this process, showing its progress.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qazai.cli.context import cli_actor, open_platform
from qazai.cli.errors import CliGroup
from qazai.core.enums import AccessTier, LegalBasis
from qazai.core.errors import AppError, InvalidInput, NotFound

# The services (SQLAlchemy, the storage tables, the object store) are imported when a command
# runs, so that `qazai libraries --help` stays fast (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from rich.console import Console

    from qazai.api.platform import Platform
    from qazai.identity.actor import Actor
    from qazai.storage.jobs import JobRead

libraries = typer.Typer(
    cls=CliGroup, help="Data libraries: list, show, withdraw versions.", no_args_is_help=True
)


def _stderr() -> Console:
    """Where progress and notes go (rich is imported by the commands that print, not at start-up)."""
    from rich.console import Console

    return Console(stderr=True)


def _load_file(path: Path, what: str) -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read the {what} file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"the {what} file {path} must hold a mapping")
    return data


def _actor(platform: Platform, user: str | None) -> Actor:
    from qazai.identity import service as identity

    if user is None:
        return cli_actor()
    with platform.db.uow(read_only=True) as uow:
        found = identity.get_user(uow, cli_actor(), user)
        return identity.load_actor(uow, found.id)


def _metadata(meta_file: Path | None, flags: dict[str, Any]) -> dict[str, Any]:
    meta = _load_file(meta_file, "metadata") if meta_file else {}
    for key, value in flags.items():
        if value is not None:
            meta[key] = value
    return meta


def _ensure_library(
    platform: Platform, actor: Actor, slug: str, org: str | None, meta: dict[str, Any]
) -> None:
    from qazai.libraries import service
    from qazai.libraries.models import LibraryCreate, LibraryUpdate

    with platform.db.uow() as uow:
        try:
            service.get_library(uow, actor, slug)
        except NotFound:
            if not org or "title" not in meta:
                raise InvalidInput(
                    f"library {slug!r} does not exist: give --org and --title (or --meta FILE) to create it"
                ) from None
            service.create_library(uow, actor, LibraryCreate(slug=slug, organisation=org, **meta))
            _stderr().print(f"created library [bold]{slug}[/]")
            return
        if meta:
            meta.pop("organisation", None)
            meta.pop("slug", None)
            service.update_library(uow, actor, slug, LibraryUpdate(**meta))


def _wait(platform: Platform, job_id: str, label: str) -> JobRead:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from qazai.api.wiring import job_handlers, sweep_on_start
    from qazai.storage.jobs import Worker, get_job

    sweep_on_start(platform)  # this command is a worker too: clear what crashed runs left first
    stop = threading.Event()
    worker = Worker(platform.db, job_handlers(platform), lease_seconds=platform.settings.job_lease_seconds)

    def work() -> None:
        while not stop.is_set():
            if worker.run_once() is None:
                stop.wait(0.2)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[message]}"),
            TimeElapsedColumn(),
            console=_stderr(),
            transient=False,
        ) as bar:
            task = bar.add_task(label, total=100, message="queued")
            while True:
                with platform.db.uow(read_only=True) as uow:
                    job = get_job(uow.session, job_id)
                bar.update(
                    task, completed=job.progress_percent, message=job.progress_message or job.state.value
                )
                if job.is_final:
                    if job.state.value == "succeeded":
                        bar.update(task, completed=100)
                    return job
                time.sleep(0.2)
    finally:
        stop.set()
        thread.join(timeout=60)


def register(app: typer.Typer) -> None:
    """Add `publish` and the `libraries` group to the `qazai` command."""
    libraries.info.cls = CliGroup
    app.add_typer(libraries, name="libraries")

    @app.command("publish")
    def publish(
        path: Annotated[Path, typer.Argument(help="the file: CSV, XLSX/XLS/ODS, JSON/NDJSON or Parquet")],
        library: Annotated[str, typer.Option("--library", "-l", help="library slug")],
        org: Annotated[str | None, typer.Option(help="producer organisation (to create the library)")] = None,
        tier: Annotated[AccessTier | None, typer.Option(help="access tier")] = None,
        policy: Annotated[Path | None, typer.Option(help="de-identification policy (YAML/JSON)")] = None,
        sheet: Annotated[str | None, typer.Option(help="publish only this sheet")] = None,
        title: Annotated[str | None, typer.Option(help="title (Russian, Kazakh or English)")] = None,
        description: Annotated[str | None, typer.Option(help="description")] = None,
        licence: Annotated[str | None, typer.Option(help="SPDX licence id, e.g. CC-BY-4.0")] = None,
        legal_basis: Annotated[LegalBasis | None, typer.Option(help="legal basis for personal data")] = None,
        source_system: Annotated[list[str] | None, typer.Option(help="source system (repeatable)")] = None,
        contact: Annotated[str | None, typer.Option(help="contact e-mail")] = None,
        meta: Annotated[Path | None, typer.Option(help="library metadata file (YAML/JSON)")] = None,
        user: Annotated[
            str | None, typer.Option(help="act as this user (e-mail); default: the platform")
        ] = None,
        wait: Annotated[bool, typer.Option(help="run the job here and wait for it")] = True,
    ) -> None:
        """Publish a file as the next version of a library, creating the library on first use.

        Example: qazai publish pop.xlsx --library population --org stat-gov --title "Население"
        --licence CC-BY-4.0 --legal-basis none --source-system "BNS" --contact data@stat.gov.kz
        """
        from qazai.core.text import LocalizedText
        from qazai.libraries import service, uploads
        from qazai.libraries.models import Contact, PublishRequest

        if not path.is_file():
            raise InvalidInput(f"{path}: no such file")
        flags: dict[str, Any] = {
            "title": LocalizedText(ru=title) if title else None,
            "description": LocalizedText(ru=description) if description else None,
            "licence": licence,
            "tier": tier,
            "legal_basis": legal_basis,
            "source_systems": source_system or None,
            "contact": Contact(email=contact) if contact else None,
        }
        policy_data = _load_file(policy, "policy") if policy else None
        with open_platform() as platform:
            actor = _actor(platform, user)
            _ensure_library(platform, actor, library, org, _metadata(meta, flags))
            with path.open("rb") as handle:
                upload = uploads.upload_file(
                    platform.db,
                    platform.objects,
                    actor,
                    library,
                    path.name,
                    handle,
                    path.stat().st_size,
                    max_bytes=platform.settings.upload_max_bytes,
                    retention_days=platform.settings.raw_retention_days,
                )
            with platform.db.uow() as uow:
                accepted = service.request_publish(
                    uow, actor, library, PublishRequest(upload_id=upload.id, policy=policy_data, sheet=sheet)
                )
            if not wait:
                typer.echo(f"job {accepted.job_id} queued")
                return
            job = _wait(platform, accepted.job_id, f"{library} ← {path.name}")
        if job.state.value != "succeeded" or job.result is None:
            message = job.error.message if job.error else f"job {job.id} ended {job.state.value}"
            raise AppError(message)
        result = job.result
        typer.echo(
            f"published {library} v{result['version']}: {result['rows']:,} rows in {result['parts']} file(s) "
            f"-> /libraries/{library}/v/{result['version']}/files.json"
        )


@libraries.command("list")
def list_libraries(organisation: Annotated[str | None, typer.Option("--org")] = None) -> None:
    """List libraries with their tier, latest version and metadata completeness."""
    from rich.table import Table

    from qazai.libraries import service

    table = Table("slug", "organisation", "tier", "latest", "completeness", "missing")
    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        cursor = None
        while True:
            page = service.list_libraries(
                uow, cli_actor(), organisation=organisation, cursor=cursor, limit=200
            )
            for lib in page.items:
                table.add_row(
                    lib.slug,
                    lib.organisation_slug,
                    lib.tier.value,
                    str(lib.latest_version or "-"),
                    f"{lib.completeness.score:.0%}",
                    ", ".join(lib.completeness.required_missing),
                )
            if not page.next:
                break
            cursor = page.next
    from rich.console import Console

    Console().print(table)


@libraries.command("show")
def show_library(slug: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A library's metadata, completeness report and versions."""
    from qazai.libraries import service

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        lib = service.get_library(uow, cli_actor(), slug)
        versions = service.list_versions(uow, cli_actor(), slug, limit=100).items
    if as_json:
        body = {
            **lib.model_dump(mode="json"),
            "versions": [v.model_dump(mode="json", exclude={"manifest"}) for v in versions],
        }
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    from rich.console import Console

    out = Console()
    out.print(f"[bold]{lib.slug}[/] — {lib.title.get('ru')} ({lib.organisation_slug}, {lib.tier.value})")
    out.print(
        f"completeness {lib.completeness.score:.0%}; "
        f"missing: {', '.join(lib.completeness.required_missing) or 'none'}"
    )
    for v in versions:
        why = f" — {v.withdrawn_reason}" if v.withdrawn_reason else ""
        out.print(f"  v{v.number} {v.status.value} {v.rows:,} rows {v.created_at:%Y-%m-%d %H:%M}{why}")


@libraries.command("withdraw")
def withdraw(
    slug: str,
    version: int,
    reason: Annotated[str, typer.Option(help="why (shown in the version's metadata)")],
) -> None:
    """Withdraw a version: its files answer 410 and its metadata says why."""
    from qazai.libraries import service
    from qazai.libraries.models import VersionWithdraw

    with open_platform() as platform, platform.db.uow() as uow:
        service.withdraw_version(uow, cli_actor(), slug, version, VersionWithdraw(reason=reason))
    typer.echo(f"withdrew {slug} v{version}")
