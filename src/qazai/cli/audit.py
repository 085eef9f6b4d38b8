"""`qazai audit verify|export`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from qazai.audit import service
from qazai.cli.context import open_platform

console = Console()
audit = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; name the first broken link and exit 1 if there is one."""
    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        report = service.verify_chain(uow.session)
    if report.ok:
        console.print(f"audit trail intact: {report.events_checked} events verified")
        return
    typer.echo(
        f"audit trail BROKEN at event seq={report.first_broken_seq} id={report.first_broken_id}: "
        f"{report.reason}",
        err=True,
    )
    raise typer.Exit(1)


@audit.command("export")
def audit_export(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="file to write (default: stdout)")
    ] = None,
) -> None:
    """Write every event as JSON lines, in chain order."""
    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        if output is None:
            for line in service.export_events(uow.session):
                sys.stdout.write(line + "\n")
            return
        tmp = output.with_name(output.name + ".part")
        count = 0
        with tmp.open("w", encoding="utf-8") as fh:
            for line in service.export_events(uow.session):
                fh.write(line + "\n")
                count += 1
        tmp.replace(output)
    console.print(f"wrote {count} events to {output}")
