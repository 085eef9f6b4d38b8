"""The `qazai` command.

Start-up is kept small: `qazai --help` and `qazai version` import typer and this module, nothing of
the platform. Every other command lives in a module of its capability that is imported only when
that command runs (`LazyGroup`); the top-level help lists them from the `COMMANDS` table below.
"""

from __future__ import annotations

import importlib
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core
from typer.core import TyperCommand

from qazai import __version__
from qazai.cli.errors import CliGroup

# Every top-level command: the module whose `register(app)` adds it, and the one-line help that
# `qazai --help` shows without importing that module (tests/cli/test_startup.py checks that each
# line is the command's own). The order is the order of `qazai --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": (
        "qazai.cli.server",
        "Migrate the database, start the in-process job workers and serve the web portal and API.",
    ),
    "worker": (
        "qazai.cli.server",
        "Run job workers against the shared database until interrupted (SIGINT/SIGTERM).",
    ),
    "scan": ("qazai.cli.privacy", "Find personal data in a file."),
    "deidentify": ("qazai.cli.privacy", "De-identify a file by a policy and print the assessment."),
    "publish": (
        "qazai.cli.libraries",
        "Publish a file as the next version of a library, creating the library on first use.",
    ),
    "query": (
        "qazai.cli.catalog",
        "Run one read-only SQL SELECT over the published libraries (tables are named by slug).",
    ),
    "search": ("qazai.cli.catalog", "Search the catalogue of published libraries."),
    "label": (
        "qazai.cli.labels",
        "Label a file made by an AI system: C2PA manifest for media, signed record and notice for text.",
    ),
    "verify": (
        "qazai.cli.labels",
        "Check a file or a text for a label (nothing named inside the file is fetched).",
    ),
    "version": (__name__, "Print the version."),
    "orgs": ("qazai.cli.identity", "Organisations: government bodies, companies, universities..."),
    "users": ("qazai.cli.identity", "Users, their organisation roles and platform roles."),
    "tokens": ("qazai.cli.identity", "API tokens (shown once, stored hashed)."),
    "audit": ("qazai.cli.audit", "The keyed, hash-chained audit trail."),
    "registry": (
        "qazai.cli.registry",
        "The AI system registry (Law on AI): systems, register, audit export.",
    ),
    "db": (__name__, "The metadata database."),
    "config": (__name__, "Settings (QAZAI_* environment variables)."),
    "libraries": ("qazai.cli.libraries", "Data libraries: list, show, withdraw versions."),
    "labels": ("qazai.cli.labels", "The labelling CA: rotate the root, re-encrypt keys, revoke."),
    "models": ("qazai.cli.models", "Ready-made models: push a folder with its card, show, pull."),
    "airlock": (
        "qazai.cli.airlock",
        "The airlock: compute outputs held until two output checkers release them.",
    ),
    "jobs": ("qazai.cli.jobs", "Compute jobs: run a script next to the data, follow it, read its log."),
    "projects": ("qazai.cli.jobs", "Compute projects: members, inputs, purpose and legal basis."),
}


def _process_value(self: Any, ctx: Any, value: Any) -> Any:
    """typer's ``process_value`` without building a pydantic adapter for an option not given, or
    for values whose coercion is plain to see (:func:`_without_pydantic`).

    typer builds each parameter's pydantic ``TypeAdapter`` (importing pydantic, ~0.15 s CPU)
    before it looks at the value, even for ``None``, which it then returns untouched; so
    ``qazai version`` or any ``--help`` imported pydantic for the absent ``--help`` flags. Here
    ``None`` takes the same path as in typer's ``RuntimeParam.coerce`` without the adapter."""
    if value is not None:
        coerced = _without_pydantic(self, ctx, value)
        if coerced is _UNCHANGED:
            return _typer_process_value(self, ctx, value)
        value = coerced
    elif self._runtime_param is not None:
        return _typer_process_value(self, ctx, value)
    else:
        value = () if (self.multiple or self.nargs == -1) else None
    if self.required and self.value_is_missing(value):
        return _typer_process_value(self, ctx, value)  # typer's own error
    if self.callback is not None:
        value = self.callback(ctx, self, value)
    return value


_UNCHANGED = object()
_DECIMAL = re.compile(r"[0-9]{1,18}")


def _without_pydantic(param: Any, ctx: Any, value: Any) -> Any:
    """What typer's adapter would make of ``value`` where that is plain to see without pydantic
    (~0.2 s to import; every ``qazai query`` paid it for its SQL, ``--format`` and ``--limit``):

    - text for a ``str`` parameter: ``_parse_cli_str`` then pydantic's ``str`` keep it as it is;
    - an ``int`` for an ``int`` parameter (a default), or text of ASCII digits alone (``--limit 5``),
      within its ``min``/``max``: kept, or ``int()`` of the text;
    - a value for an ``Enum`` parameter: typer's own ``coerce_cli_choice``, which the adapter
      calls, with nothing around it;
    - text for a ``Path`` parameter: typer's own ``coerce_cli_path`` given ``Path(text)``, which is
      what pydantic's ``Path`` makes of text; typer then skips its adapter and runs its checks.

    Anything else, or any doubt, returns ``_UNCHANGED`` and typer's own path runs (with its errors)."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or descriptor.file_annotation is not None or param.multiple or param.nargs != 1:
        return _UNCHANGED
    info = descriptor.parameter_info
    if getattr(info, "parser", None) is not None:
        return _UNCHANGED
    annotation = descriptor.annotation
    if annotation is str and type(value) is str:
        return value
    if annotation is int and type(value) is str and _DECIMAL.fullmatch(value):
        value = int(value)  # plain ASCII digits: what pydantic makes of them too
    if annotation is int and type(value) is int:
        low, high = getattr(info, "min", None), getattr(info, "max", None)
        if (low is None or value >= low) and (high is None or value <= high):
            return value
        return _UNCHANGED
    if isinstance(annotation, type) and issubclass(annotation, Enum) and isinstance(value, str | Enum):
        from typer._param_types import coerce_cli_choice

        try:
            return coerce_cli_choice(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except Exception:
            return _UNCHANGED
    if _is_path(annotation) and info.path_type is None and type(value) is str and value not in ("", "-"):
        from typer._param_types import coerce_cli_path

        try:  # typer's own checks (exists, file or folder, readable, resolve_path) on a Path it is given
            return coerce_cli_path(annotation(value), info, path_type=annotation, param=param, ctx=ctx)
        except Exception:
            return _UNCHANGED  # typer's path says what is wrong, in its words
    return _UNCHANGED


def _is_path(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Path)


# typer 0.29's private parameter base; another typer leaves its own (tests/cli/test_startup.py then
# sees pydantic loaded for --help and fails)
_TyperParameter: Any = getattr(typer.core, "_TyperParameter", None)
if _TyperParameter is not None and hasattr(_TyperParameter, "get_runtime_param"):
    _typer_process_value = _TyperParameter.process_value
    _TyperParameter.process_value = _process_value


class _NotLoaded(TyperCommand):
    """Stands in for a command in the help listing until the command runs."""

    def __init__(self, name: str, module: str, help_line: str) -> None:
        super().__init__(name, help=help_line, short_help=help_line)
        self.module = module


def load_commands(module: str) -> dict[str, Any]:
    """The click commands that ``module``'s ``register(app)`` adds, by name (imports the module)."""
    registered = typer.Typer(rich_markup_mode=None)
    importlib.import_module(module).register(registered)
    return dict(typer.main.get_group(registered).commands)


class LazyGroup(CliGroup):
    """The root group: `--help` comes from `COMMANDS`; running a command imports its module only."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, (module, help_line) in COMMANDS.items():
            if name not in self.commands:
                self.commands[name] = _NotLoaded(name, module, help_line)

    def list_commands(self, ctx: Any) -> list[str]:
        return [
            *(n for n in COMMANDS if n in self.commands),
            *(n for n in self.commands if n not in COMMANDS),
        ]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        placeholder = self.commands.get(args[0]) if args else None
        if isinstance(placeholder, _NotLoaded):
            for name, command in load_commands(placeholder.module).items():
                if isinstance(self.commands.get(name), _NotLoaded):
                    self.commands[name] = command
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=LazyGroup,
    help="QazAI — National AI Platform of Kazakhstan. Run `qazai serve --demo` to try it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rendering it with rich costs ~0.2 s of CPU per --help
)
db = typer.Typer(cls=CliGroup, help="The metadata database.", no_args_is_help=True)
config = typer.Typer(cls=CliGroup, help="Settings (QAZAI_* environment variables).", no_args_is_help=True)
app.add_typer(db, name="db")
app.add_typer(config, name="config")


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@db.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "heads") -> None:
    """Apply the schema migrations (also done by `qazai serve`)."""
    from qazai.cli.context import cli_settings
    from qazai.storage.migrate import upgrade_database

    settings = cli_settings()
    upgrade_database(settings.effective_database_url, revision)
    typer.echo(f"database at {revision}: {settings.redacted()['database_url']}")


@config.command("show")
def config_show(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Print the effective settings, secrets hidden."""
    import json

    from rich.console import Console

    from qazai.cli.context import cli_settings

    values = cli_settings().redacted()
    if as_json:
        typer.echo(json.dumps(values, default=str, indent=2))
        return
    console = Console()
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
