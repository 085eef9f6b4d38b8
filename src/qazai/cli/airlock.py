"""`qazai airlock ...`: output checking of compute jobs, and publication, from the command line.

The CLI has direct database access; a decision is recorded for the output checker named with
``--as`` (who must hold the ``output_checker`` role and must not be the job's requester), and the
audit trail records the operating-system user who ran the command beside them.
"""

from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING, Annotated

import typer

from qazai.cli.context import cli_actor, console, open_platform
from qazai.compute.airlock_states import Decision, FileState, Variant
from qazai.core.enums import Language
from qazai.core.errors import NotFound
from qazai.identity.actor import Actor

# The airlock and identity services (SQLAlchemy, the tables, Polars), their models and rich are
# imported when a command runs, so that `qazai airlock --help` stays fast (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from qazai.compute.airlock_models import HeldFileRead
    from qazai.storage.db import UnitOfWork

app = typer.Typer(
    help="The airlock: compute outputs held until two output checkers release them.", no_args_is_help=True
)

_STYLE = {"suppress": "bold red", "secondary": "red", "review": "yellow", "blocking": "bold magenta"}


def _checker(uow: UnitOfWork, who: str) -> Actor:
    from qazai.identity import repo as identity_repo
    from qazai.identity.service import load_actor

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


def _summary(file: HeldFileRead) -> str:
    parts = [f"{file.cells} cells"] if file.cells else []
    if file.suppressed:
        parts.append(f"{file.suppressed} suppressed")
    if file.secondary:
        parts.append(f"{file.secondary} secondary")
    flags = sum(1 for f in file.findings if f.severity == "review")
    if flags:
        parts.append(f"{flags} to review")
    return ", ".join(parts)


@app.command("list")
def airlock_list(
    state: Annotated[FileState | None, typer.Option(help="pending is the review queue")] = FileState.pending,
    job: Annotated[str | None, typer.Option("--job", help="one job's outputs")] = None,
    project: Annotated[str | None, typer.Option("--project", help="one project's outputs (id)")] = None,
    all_states: Annotated[bool, typer.Option("--all", help="every state")] = False,
) -> None:
    """Held outputs, newest first (by default the review queue).

    Example: qazai airlock list --job 01JD6Q... --all
    """
    from rich.table import Table

    from qazai.compute import airlock
    from qazai.compute.airlock_models import HeldFileFilter

    query = HeldFileFilter(state=None if all_states else state, job_id=job, project_id=project, limit=500)
    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        page = airlock.list_held_files(uow, cli_actor(), query)
    table = Table()
    for column in ("id", "job", "file"):
        table.add_column(column, no_wrap=True)  # ids are copied into the next command
    for column in ("kind", "state", "checks", "safe version"):
        table.add_column(column)
    for file in page.items:
        kind = file.table_kind or file.role.value
        table.add_row(
            file.id,
            file.job_id,
            file.name,
            kind,
            file.state.value,
            _summary(file),
            "yes" if file.has_safe_version else "",
        )
    console().print(table)


@app.command("review")
def airlock_review(
    file_id: Annotated[str, typer.Argument(help="the held file's id (qazai airlock list)")],
    variant: Annotated[Variant, typer.Option(help="which version to show")] = Variant.original,
    rows: Annotated[int, typer.Option(help="rows of a table to show", min=1, max=1000)] = 50,
    lang: Annotated[Language, typer.Option(help="language of the findings")] = Language.en,
    who: Annotated[
        str | None, typer.Option("--as", help="the output checker reading it (e-mail or id)")
    ] = None,
) -> None:
    """Show a held file: its findings, its reviews and, for a table, its first rows with the
    findings marked (red: suppressed, yellow: to review). Reading it is audited.

    Example: qazai airlock review 01JD6Q... --as checker@stat.gov.kz --variant safe
    """
    from rich.table import Table

    from qazai.compute import airlock

    with open_platform() as platform:
        with platform.db.uow(read_only=True) as uow:
            actor = _checker(uow, who) if who else cli_actor()
            file = airlock.get_held_file(uow, actor, file_id)
            preview = None
            # the table itself only for a named output checker: the audit names who read it
            if who and file.role == "table" and (variant is Variant.original or file.has_safe_version):
                served = airlock.resolve_held_file(uow, actor, file_id, variant)
                preview = airlock.preview_held_table(platform.objects, served, max_rows=rows)
        if preview is not None:
            airlock.record_output_read(platform.db, actor, served, preview=True)
    console().print(f"[bold]{file.name}[/] ({file.role.value}, {file.size} bytes) — {file.state.value}")
    console().print(
        f"job {file.job_id} · project {file.project_id} · requested by {file.requested_by or '-'}"
    )
    if file.needs_justification:
        console().print("[yellow]releasing the original needs a written justification[/]")
    for item in file.findings:
        where = f" row {item.row}" if item.row is not None else ""
        where += f" column {item.column}" if item.column else ""
        style = _STYLE[item.severity.value]
        console().print(
            f"[{style}]{item.severity.value:9}[/] {item.code.value}{where}: {item.message.get(lang)}"
        )
    for review in file.reviews:
        decided = f"{review.decision.value} {review.variant or ''}".strip()
        console().print(f"review by {review.reviewer_name}: {decided} {review.justification or ''}")
    if preview is None and file.role == "table" and not who:
        console().print("(add --as <output checker> to see the table's cells)")
    if preview is not None:
        table = Table(
            *preview.columns,
            title=f"{preview.variant.value}: {len(preview.rows)} of {preview.total_rows} rows",
        )
        for index, values in enumerate(preview.rows):
            cells = []
            for column, value in zip(preview.columns, values, strict=True):
                mark = preview.marks.get(f"{index}:{column}")
                text = "" if value is None else value
                cells.append(f"[{_STYLE[mark]}]{text or '·'}[/]" if mark else text)
            table.add_row(*cells)
        console().print(table)


@app.command("approve")
def airlock_approve(
    file_id: Annotated[str, typer.Argument(help="the held file's id")],
    who: Annotated[str, typer.Option("--as", help="the output checker approving (e-mail or id)")],
    variant: Annotated[Variant, typer.Option(help="the version to release")] = Variant.safe,
    justification: Annotated[
        str | None, typer.Option(help="why it is safe (needed when the checks did not clear it)")
    ] = None,
) -> None:
    """Approve one version of a held file; the second checker's approval of the same version releases it.

    Example: qazai airlock approve 01JD6Q... --as checker@stat.gov.kz --variant safe
    """
    from qazai.compute import airlock
    from qazai.compute.airlock_models import ReviewCreate

    with open_platform() as platform, platform.db.uow() as uow:
        actor = _checker(uow, who)
        file = airlock.review_held_file(
            uow,
            actor,
            file_id,
            ReviewCreate(decision=Decision.approve, variant=variant, justification=justification),
        )
    approvals = sum(1 for r in file.reviews if r.decision == Decision.approve)
    if file.state is FileState.released:
        console().print(
            f"{file.name}: released ({file.released_variant.value if file.released_variant else ''})"
        )
    else:
        needed = airlock.APPROVALS_TO_RELEASE
        console().print(f"{file.name}: approved by {approvals} of {needed}; still {file.state.value}")


@app.command("reject")
def airlock_reject(
    file_id: Annotated[str, typer.Argument(help="the held file's id")],
    who: Annotated[str, typer.Option("--as", help="the output checker refusing (e-mail or id)")],
    reason: Annotated[str, typer.Option(help="why it may not leave (the requester reads it)")],
) -> None:
    """Refuse a held file: it is never released.

    Example: qazai airlock reject 01JD6Q... --as checker@stat.gov.kz --reason "cells of 2 firms in Atyrau"
    """
    from qazai.compute import airlock
    from qazai.compute.airlock_models import ReviewCreate

    with open_platform() as platform, platform.db.uow() as uow:
        actor = _checker(uow, who)
        file = airlock.review_held_file(
            uow, actor, file_id, ReviewCreate(decision=Decision.reject, justification=reason)
        )
    console().print(f"{file.name}: {file.state.value}")


@app.command("allow-publication")
def airlock_allow_publication(
    file_id: Annotated[str, typer.Argument(help="the released table's id")],
    who: Annotated[str, typer.Option("--as", help="a producer of an input library's organisation")],
) -> None:
    """Allow a released table to be published as an open library (one consent per input organisation).

    Example: qazai airlock allow-publication 01JD6Q... --as aigerim@stat.gov.kz
    """
    from qazai.compute import airlock_publish

    with open_platform() as platform, platform.db.uow() as uow:
        status = airlock_publish.allow_publication(uow, _checker(uow, who), file_id)
    for item in status.inputs:
        console().print(
            f"{item.library} ({item.organisation_slug}): {'allowed' if item.allowed else 'waiting'}"
        )
    console().print("publishable" if status.publishable else "not publishable yet")


@app.command("publish")
def airlock_publish_file(
    file_id: Annotated[str, typer.Argument(help="the released table's id")],
    who: Annotated[
        str, typer.Option("--as", help="a producer of the project's organisation, in the project")
    ],
    library: Annotated[str, typer.Option("--library", help="the open library's slug (created when new)")],
    title: Annotated[str, typer.Option(help="the library's title (English; edit kk/ru later)")],
    description: Annotated[str, typer.Option(help="what the table shows")],
    contact: Annotated[str, typer.Option(help="the contact e-mail of the library")],
    licence: Annotated[str, typer.Option(help="SPDX id or a national licence")] = "CC-BY-4.0",
) -> None:
    """Publish a released table as (the next version of) an open library, through the publish pipeline.

    Example: qazai airlock publish 01JD6Q... --as aigerim@stat.gov.kz --library population-by-group
    --title "Population by group" --description "Released after output checking" --contact data@stat.gov.kz
    """
    from qazai.compute import airlock_publish
    from qazai.core.text import LocalizedText

    command = airlock_publish.PublishReleased(
        slug=library,
        title=LocalizedText(en=title),
        description=LocalizedText(en=description),
        licence=licence,
        contact_email=contact,
    )
    with open_platform() as platform:
        with platform.db.uow(read_only=True) as uow:
            actor = _checker(uow, who)
        started = airlock_publish.publish_released_file(
            platform.db,
            platform.objects,
            actor,
            file_id,
            command,
            max_bytes=platform.settings.upload_max_bytes,
            retention_days=platform.settings.raw_retention_days,
        )
    console().print(f"publishing to {started.library}: job {started.job_id} (qazai worker runs it)")


def register(root: typer.Typer) -> None:
    """Add `qazai airlock` to the `qazai` command."""
    from qazai.cli.errors import CliGroup

    app.info.cls = CliGroup
    root.add_typer(app, name="airlock")
