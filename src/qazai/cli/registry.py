"""`qazai registry ...`: the AI system registry from the command line (thin over the services)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qazai.cli.context import cli_actor, console, open_platform
from qazai.core.enums import Language

# The registry's services (SQLAlchemy, the tables), its models and rich are imported when a command
# runs, so that `qazai registry --help` stays fast (tests/cli/test_startup.py).
from qazai.registry.states import ComplaintKind, ComplaintState, RevisionState
from qazai.registry.workflow import SystemState

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
    from rich.table import Table

    from qazai.registry import service

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
    console().print(table)


@registry.command("show")
def registry_show(system: Annotated[str, typer.Argument(help="the system id")]) -> None:
    """Print one system as JSON."""
    from qazai.registry import service

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        read = service.get_system(uow, cli_actor(), system)
    typer.echo(json.dumps(read.model_dump(mode="json"), ensure_ascii=False, indent=2))


class YesNo(StrEnum):
    yes = "yes"
    no = "no"


@registry.command("synthetic-content")
def registry_synthetic_content(
    system: Annotated[str, typer.Argument(help="the system id")],
    answer: Annotated[YesNo, typer.Argument(help="yes or no: does it produce synthetic content")],
) -> None:
    """Declare whether a system produces synthetic content (Law on AI Art. 21): such a system is
    registered once a test label of it verified. On a registered system the change waits for
    the regulator's review (a pending revision).

    Example: qazai registry synthetic-content 01JD... yes
    """
    from qazai.registry import service
    from qazai.registry.models import SystemUpdate

    cmd = SystemUpdate(produces_synthetic_content=answer == YesNo.yes)
    with open_platform() as platform, platform.db.uow() as uow:
        read = service.update_system(uow, cli_actor(), system, cmd)
    revision = read.pending_revision
    waits = revision is not None and "produces_synthetic_content" in revision.changes
    console().print(
        f"{read.id}: produces synthetic content: {answer.value}"
        + (" (the change waits for the regulator's review)" if waits else "")
    )


@registry.command("export")
def registry_export(
    system: Annotated[str, typer.Argument(help="the system id")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the zip file to write")],
) -> None:
    """Write the audit bundle of one system (zip: bundle.json and the documents).

    Example: qazai registry export 01JD... -o audit.zip
    """
    from qazai.registry import export

    tmp = output.with_name(output.name + ".part")
    with open_platform() as platform, platform.db.uow(read_only=True) as uow, tmp.open("wb") as handle:
        bundle = export.export_system(uow, cli_actor(), platform.objects, system, handle)
    tmp.replace(output)
    console().print(
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
    from rich.table import Table

    from qazai.registry import register as public_register

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        if csv_out is not None:
            with csv_out.open("w", encoding="utf-8", newline="") as handle:
                for line in public_register.register_csv(uow, cli_actor(), q=q, lang=lang):
                    handle.write(line)
            console().print(f"wrote {csv_out}")
            return
        page = public_register.browse_register(uow, cli_actor(), q=q, lang=lang, limit=1000)
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
    console().print(table)


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

    from qazai.registry import optouts
    from qazai.registry.optouts import OptOutCreate

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
    console().print(
        f"registered work {done.work.id} ({done.work.state}); {len(done.versions_marked)} library "
        f"version(s) marked, {len(done.versions_withdrawn)} withdrawn, "
        f"{len(done.systems_notified)} system owner(s) notified"
    )


@registry.command("revisions")
def registry_revisions(
    state: Annotated[RevisionState | None, typer.Option(help="pending (default), approved, ...")] = (
        RevisionState.pending
    ),
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Changes of registered systems waiting for (or decided by) the regulator, with their diffs.

    Example: qazai registry revisions --state pending
    """
    from rich.table import Table

    from qazai.registry import revisions

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        items = revisions.list_revisions(uow, cli_actor(), state=state)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in items], ensure_ascii=False))
        return
    table = Table("id", "system", "state", "fields", "proposed by")
    for r in items:
        table.add_row(
            r.id, r.system_id, r.state.value, ", ".join(d.field for d in r.diff), r.proposed_by_label
        )
    console().print(table)


@registry.command("decide-revision")
def registry_decide_revision(
    revision: Annotated[str, typer.Argument(help="the revision id")],
    decision: Annotated[str, typer.Argument(help="approve or reject")],
    reason: Annotated[str | None, typer.Option(help="why (required to reject; the owner sees it)")] = None,
) -> None:
    """Approve a pending revision (applied to the record and the register) or reject it.

    Example: qazai registry decide-revision 01JD... reject --reason "The notice must say what the AI does."
    """
    from qazai.registry import revisions
    from qazai.registry.models import RevisionDecision

    cmd = RevisionDecision.model_validate({"decision": decision, "reason": reason})
    with open_platform() as platform, platform.db.uow() as uow:
        read = revisions.decide_revision(uow, cli_actor(), revision, cmd)
    console().print(f"revision {read.id}: {read.state.value} ({', '.join(d.field for d in read.diff)})")


@registry.command("complaints")
def registry_complaints(
    state: Annotated[ComplaintState | None, typer.Option(help="open, assigned or answered")] = None,
    kind: Annotated[ComplaintKind | None, typer.Option(help="complaint or review_request")] = None,
    system: Annotated[str | None, typer.Option(help="an AI system id")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="only those past their due date")] = False,
    filed_from: Annotated[str | None, typer.Option("--from", help="filed on or after YYYY-MM-DD")] = None,
    filed_to: Annotated[str | None, typer.Option("--to", help="filed on or before YYYY-MM-DD")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Every complaint and review request, filtered (the regulator's list).

    Example: qazai registry complaints --overdue --from 2026-01-01
    """
    from rich.table import Table

    from qazai.registry import complaints
    from qazai.registry.models import ComplaintFilter

    filters = ComplaintFilter.model_validate(
        {
            "state": state,
            "kind": kind,
            "system": system,
            "overdue": overdue,
            "filed_from": filed_from,
            "filed_to": filed_to,
            "limit": 1000,
        }
    )
    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        items = complaints.list_complaints(uow, cli_actor(), filters)
    if as_json:
        typer.echo(json.dumps([c.model_dump(mode="json") for c in items], ensure_ascii=False))
        return
    table = Table("reference", "system", "kind", "state", "filed", "due", "overdue")
    for c in items:
        table.add_row(
            c.reference or c.id,
            c.system_id,
            c.kind.value,
            c.state.value,
            c.filed_at.date().isoformat(),
            c.due_on.isoformat(),
            "yes" if c.overdue else "",
        )
    console().print(table)


@registry.command("trusted-list")
def registry_trusted_list(
    body: Annotated[str | None, typer.Argument(help="the sectoral body, e.g. ministry-of-health")] = None,
    lang: Annotated[Language, typer.Option(help="language of the texts")] = Language.kk,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="write the list as CSV to this file")] = None,
) -> None:
    """The published trusted lists: the bodies (no argument) or one body's list.

    Example: qazai registry trusted-list ministry-of-health --csv moh.csv
    """
    from rich.table import Table

    from qazai.registry import trusted_lists

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        if body is None:
            table = Table("body", "sectors", "listed")
            for b in trusted_lists.list_bodies(uow):
                table.add_row(b.key, ", ".join(s.key for s in b.sectors), str(b.published))
            console().print(table)
            return
        if csv_out is not None:
            lines = list(trusted_lists.published_list_csv(uow, body, lang))
            csv_out.write_text("".join(lines), encoding="utf-8")
            console().print(f"wrote {csv_out}")
            return
        listing = trusted_lists.published_list(uow, body, lang)
    table = Table("system", "name", "owner", "sector", "risk", "listed on")
    for e in listing.entries:
        table.add_row(
            e.system_id,
            e.name,
            e.owner.name,
            e.sector_name,
            e.risk_class or "",
            e.published_on.isoformat() if e.published_on else "",
        )
    console().print(table)


@registry.command("outbox")
def registry_outbox(
    state: Annotated[str | None, typer.Option(help="queued or sent")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The notices sent (or waiting to be sent) to complainants, newest first, with the last error.

    Example: qazai registry outbox --state queued
    """
    from rich.table import Table

    from qazai.registry import outbox

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        items = outbox.list_outbox(uow, cli_actor(), state)
    if as_json:
        typer.echo(json.dumps([m.model_dump(mode="json") for m in items], ensure_ascii=False))
        return
    table = Table("id", "kind", "to", "language", "state", "attempts", "last error")
    for m in items:
        table.add_row(m.id, m.kind, m.to_address, m.language, m.state, str(m.attempts), m.last_error or "")
    console().print(table)


def register(app: typer.Typer) -> None:
    """Add `registry` to the `qazai` command."""
    from qazai.cli.errors import CliGroup

    registry.info.cls = CliGroup
    app.add_typer(registry, name="registry")
