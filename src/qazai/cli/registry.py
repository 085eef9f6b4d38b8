"""`qazai registry ...`: the AI system registry from the command line (thin over the services)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from qazai.cli.context import cli_actor, open_platform
from qazai.core.enums import Language
from qazai.registry import export, optouts, register, service
from qazai.registry.optouts import OptOutCreate
from qazai.registry.workflow import SystemState

console = Console()
registry = typer.Typer(
    help="The AI system registry (Law on AI): systems, register, audit export.", no_args_is_help=True
)


@registry.command("list")
def registry_list(
    state: Annotated[SystemState | None, typer.Option(help="only systems in this state")] = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="only systems with flagged lineage")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List AI systems (all states).

    Example: qazai registry list --state in_review
    """
    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        items = []
        cursor: str | None = None
        while True:
            page = service.list_systems(
                uow, cli_actor(), state=state, flagged_only=flagged, cursor=cursor, limit=500
            )
            items.extend(page.items)
            if not page.next:
                break
            cursor = page.next
    if as_json:
        typer.echo(json.dumps([s.model_dump(mode="json") for s in items], ensure_ascii=False))
        return
    table = Table("id", "name", "owner", "state", "risk", "autonomy", "flags")
    for s in items:
        table.add_row(
            s.id,
            s.name.get("en"),
            s.owner_organisation_slug,
            s.state.value,
            s.risk_class.value if s.risk_class else "",
            s.autonomy_class.value if s.autonomy_class else "",
            "lineage" if s.lineage_flagged else "",
        )
    console.print(table)


@registry.command("show")
def registry_show(system: Annotated[str, typer.Argument(help="the system id")]) -> None:
    """Print one system as JSON."""
    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        read = service.get_system(uow, cli_actor(), system)
    typer.echo(json.dumps(read.model_dump(mode="json"), ensure_ascii=False, indent=2))


@registry.command("export")
def registry_export(
    system: Annotated[str, typer.Argument(help="the system id")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the zip file to write")],
) -> None:
    """Write the audit bundle of one system (zip: bundle.json and the documents).

    Example: qazai registry export 01JD... -o audit.zip
    """
    tmp = output.with_name(output.name + ".part")
    with open_platform() as platform, platform.db.uow(read_only=True) as uow, tmp.open("wb") as handle:
        bundle = export.export_system(uow, cli_actor(), platform.objects, system, handle)
    tmp.replace(output)
    console.print(
        f"wrote {output}: {len(bundle['classification_history'])} classification(s), "
        f"{len(bundle['documents'])} document(s), {len(bundle['lineage'])} library version(s), "
        f"{len(bundle['complaints'])} complaint(s)"
    )


@registry.command("register")
def registry_public(
    q: Annotated[str | None, typer.Option(help="search words")] = None,
    lang: Annotated[Language, typer.Option(help="language of the texts")] = Language.kk,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="write the register as CSV to this file")
    ] = None,
) -> None:
    """Print (or write as CSV) the public register."""
    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        if csv_out is not None:
            with csv_out.open("w", encoding="utf-8", newline="") as handle:
                for line in register.register_csv(uow, cli_actor(), q=q, lang=lang):
                    handle.write(line)
            console.print(f"wrote {csv_out}")
            return
        page = register.browse_register(uow, cli_actor(), q=q, lang=lang, limit=1000)
    table = Table("id", "name", "owner", "risk", "autonomy", "state", "pilot")
    for e in page.items:
        table.add_row(
            e.id,
            e.name,
            e.owner.name,
            e.risk_class or "",
            e.autonomy_class or "",
            e.state,
            e.pilots[-1].state.value if e.pilots else "",
        )
    console.print(table)


@registry.command("optout")
def registry_optout(
    title: Annotated[str, typer.Option(help="the work's title")],
    claimant: Annotated[str, typer.Option(help="who claims the work: the author or rights holder")],
    evidence: Annotated[str, typer.Option(help="why the claimant holds the rights (20+ characters)")],
    file: Annotated[Path | None, typer.Option(help="the work's file (its SHA-256 is registered)")] = None,
    url: Annotated[str | None, typer.Option(help="the work's URL")] = None,
    isbn: Annotated[str | None, typer.Option(help="ISBN-10 or ISBN-13")] = None,
    doi: Annotated[str | None, typer.Option(help="DOI, e.g. 10.1000/xyz")] = None,
    identifier: Annotated[str | None, typer.Option(help="another identifier")] = None,
) -> None:
    """Register a work whose author forbids AI training.

    Example: qazai registry optout --title "Абай жолы" --isbn 978-601-7000-00-0 \\
        --claimant "Publisher LLP" --evidence "publishing contract No. 12 of 01.02.2020"
    """
    import hashlib

    sha = None
    if file is not None:
        digest = hashlib.sha256()
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
    cmd = OptOutCreate(
        title=title,
        claimant=claimant,
        evidence=evidence,
        file_sha256=sha,
        url=url,
        isbn=isbn,
        doi=doi,
        identifier=identifier,
    )
    with open_platform() as platform, platform.db.uow() as uow:
        done = optouts.register_optout(uow, cli_actor(), cmd)
    console.print(
        f"registered work {done.work.id} ({done.work.state}); {len(done.versions_marked)} library "
        f"version(s) marked, {len(done.versions_withdrawn)} withdrawn, "
        f"{len(done.systems_notified)} system owner(s) notified"
    )
