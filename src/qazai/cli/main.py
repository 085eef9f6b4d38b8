"""The `qazai` command."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console

from qazai import __version__
from qazai.cli.audit import audit
from qazai.cli.context import cli_settings
from qazai.cli.errors import CliGroup
from qazai.cli.identity import orgs, tokens, users
from qazai.cli.registry import registry
from qazai.cli.server import register as register_server

console = Console()
app = typer.Typer(
    cls=CliGroup,
    help="QazAI — National AI Platform of Kazakhstan. Run `qazai serve --demo` to try it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db = typer.Typer(cls=CliGroup, help="The metadata database.", no_args_is_help=True)
config = typer.Typer(cls=CliGroup, help="Settings (QAZAI_* environment variables).", no_args_is_help=True)

for group in (orgs, users, tokens, audit):
    group.info.cls = CliGroup
app.add_typer(orgs, name="orgs")
app.add_typer(users, name="users")
app.add_typer(tokens, name="tokens")
app.add_typer(audit, name="audit")
registry.info.cls = CliGroup
app.add_typer(registry, name="registry")
app.add_typer(db, name="db")
app.add_typer(config, name="config")
register_server(app)


def _register_optional() -> None:
    """Commands of capabilities that register themselves (each module has ``register(app)``)."""
    import importlib

    for module in (
        "qazai.cli.privacy",
        "qazai.cli.libraries",
        "qazai.cli.catalog",
        "qazai.cli.labels",
        "qazai.cli.models",
        "qazai.cli.airlock",
        "qazai.cli.jobs",
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(app)


_register_optional()


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@db.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "heads") -> None:
    """Apply the schema migrations (also done by `qazai serve`)."""
    from qazai.storage.migrate import upgrade_database

    settings = cli_settings()
    upgrade_database(settings.effective_database_url, revision)
    console.print(f"database at {revision}: {settings.redacted()['database_url']}")


@config.command("show")
def config_show(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Print the effective settings, secrets hidden."""
    values = cli_settings().redacted()
    if as_json:
        typer.echo(json.dumps(values, default=str, indent=2))
        return
    for key, value in values.items():
        console.print(f"[bold]{key}[/] = {value}")


def run() -> None:
    """Entry point: usage errors print one line too (click's own boxes are multi-line)."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=sys.argv[1:], prog_name="qazai", standalone_mode=False)
    except typer.TyperException as exc:
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"error: {message}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
