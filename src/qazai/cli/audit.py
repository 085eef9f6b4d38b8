"""`qazai audit verify|export|check-export|key`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qazai.cli.context import cli_settings, console, open_platform
from qazai.core.errors import InvalidInput

# The audit service (SQLAlchemy, the tables, the signing keys) and rich are imported when a
# command runs, so that `qazai audit --help` stays fast (tests/cli/test_startup.py).
audit = typer.Typer(help="The keyed, hash-chained audit trail.", no_args_is_help=True)


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the keyed hash chain and check it against the latest signed head; name the first
    broken link and exit 1 if there is one. When intact, export the new signed head.

    Example: qazai audit verify
    """
    from qazai.audit.heads import head_key, verify_and_anchor

    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        report = verify_and_anchor(uow.session, platform.objects)
    if report.ok:
        legacy = f" ({report.legacy_events} from before the keyed chain)" if report.legacy_events else ""
        console().print(f"audit trail intact: {report.events_checked} events verified{legacy}")
        if report.checked_head is not None:
            console().print(f"matches the signed head of event {report.checked_head.sequence}")
        if report.exported_head is not None:
            console().print(f"signed head exported: {head_key(report.exported_head.sequence)}")
        return
    where = f"event seq={report.first_broken_seq}"
    if report.first_broken_id:
        where += f" id={report.first_broken_id}"
    typer.echo(f"audit trail BROKEN at {where}: {report.reason}", err=True)
    raise typer.Exit(1)


@audit.command("check-export")
def audit_check_export(
    export: Annotated[
        Path, typer.Argument(help="the JSON-lines file of `qazai audit export`", exists=True, dir_okay=False)
    ],
    key_file: Annotated[
        Path,
        typer.Option(
            "--key-file",
            help="a file with the audit key in hex (`qazai audit key`)",
            exists=True,
            dir_okay=False,
        ),
    ],
    head: Annotated[
        Path | None,
        typer.Option(
            "--head", help="a signed head (audit/heads/<sequence>.json)", exists=True, dir_okay=False
        ),
    ] = None,
) -> None:
    """Verify an export offline, without the database, as an external auditor does.

    Example: qazai audit check-export audit.jsonl --key-file audit.key --head 00000000000000000042.json
    """
    from qazai.audit.heads import verify_export
    from qazai.audit.models import SignedHead

    try:
        key = bytes.fromhex(key_file.read_text(encoding="utf-8").strip())
    except ValueError:
        raise InvalidInput(f"{key_file} does not hold a hex key") from None
    signed = SignedHead.model_validate_json(head.read_bytes()) if head else None
    with export.open(encoding="utf-8") as lines:
        report = verify_export(lines, key, signed)
    if not report.ok:
        typer.echo(f"export BROKEN at event seq={report.first_broken_seq}: {report.reason}", err=True)
        raise typer.Exit(1)
    reach = f", up to the signed head of event {signed.sequence}" if signed else ""
    console().print(f"export intact: {report.events_checked} events verified{reach}")


@audit.command("key")
def audit_key_command() -> None:
    """Print the audit key (hex) to give an external auditor for `qazai audit check-export`.

    It is derived from QAZAI_SECRET_KEY for this purpose only: it verifies (and could forge) the
    audit trail, but does not sign in, sign sessions or reverse pseudonyms.
    """
    from qazai.audit.service import derive_audit_key

    settings = cli_settings()
    sys.stdout.write(derive_audit_key(settings.secret_key.get_secret_value()).hex() + "\n")


@audit.command("export")
def audit_export(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="file to write (default: stdout)")
    ] = None,
) -> None:
    """Write every event as JSON lines, in chain order."""
    from qazai.audit import service

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
    console().print(f"wrote {count} events to {output}")


def register(app: typer.Typer) -> None:
    """Add `audit` to the `qazai` command."""
    from qazai.cli.errors import CliGroup

    audit.info.cls = CliGroup
    app.add_typer(audit, name="audit")
