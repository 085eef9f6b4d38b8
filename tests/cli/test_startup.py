"""`qazai` start-up: help and `version` import neither the platform nor the data stack.

Each case runs the real entry point in a fresh interpreter and lists the modules it loaded. The bound
is on the child's CPU time (wall time swings with the machine's load) and generous: it catches a
regression to the old ~2 s of CPU, not noise; the 0.3 s wall figure is measured by
bench/cli_startup.py.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from qazai.cli.main import COMMANDS, app, load_commands

# what no help or `version` may load: the web app, SQLAlchemy and the ORM tables, the settings, the
# data stack, password hashing and signing
HEAVY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "qazai.api.app",
    "qazai.web",
    "sqlalchemy",
    "qazai.storage.tables",
    "polars",
    "pyarrow",
    "duckdb",
    "numpy",
    "tantivy",
    "boto3",
    "argon2",
    "cryptography",
    "alembic",
    "pydantic_settings",
    "qazai.config",
    "qazai.storage",
    "qazai.api",
    # nor, for --help, rich (help is plain click help) and pydantic (typer builds a parameter's
    # pydantic adapter only for a value given; the options' enums live in pydantic-free modules)
    "rich",
    "pydantic",
)

PROBE = """
import json, sys
sys.argv = ["qazai", *json.loads(sys.argv[1])]
from qazai.cli.main import run
try:
    run()
except SystemExit as exc:
    code = exc.code
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_fresh(*args: str) -> tuple[int, set[str], str, float]:
    """Exit code, modules loaded, output, and the CPU seconds of the fresh interpreter."""
    started = _cpu_of_children()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    cpu = _cpu_of_children() - started
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.rstrip().splitlines()[-1])
    return report["code"], set(report["modules"]), done.stdout, cpu


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def _own_module(args: tuple[str, ...]) -> str | None:
    module = COMMANDS[args[0]][0] if args[0] in COMMANDS else "qazai.cli.main"
    return None if module == "qazai.cli.main" else module


# `--help` and `version`, every top-level command's --help, and a sub-command's --help in each group
CASES = [
    ("--help",),
    ("version",),
    *((name, "--help") for name in COMMANDS),
    *(
        (group, command, "--help")
        for group, command in [
            ("db", "upgrade"),
            ("config", "show"),
            ("orgs", "create"),
            ("users", "grant-role"),
            ("tokens", "create"),
            ("audit", "check-export"),
            ("registry", "complaints"),
            ("libraries", "withdraw"),
            ("labels", "revoke"),
            ("models", "push"),
            ("airlock", "approve"),
            ("jobs", "submit"),
            ("projects", "create"),
        ]
    ),
]


@pytest.mark.parametrize("args", CASES, ids=["-".join(a).replace("--", "") for a in CASES])
def test_help_and_version_load_nothing_heavy(args: tuple[str, ...]) -> None:
    code, modules, output, cpu = _run_fresh(*args)
    print(f"qazai {' '.join(args)}: {cpu:.2f} s CPU in a fresh interpreter")
    assert code in (0, None)
    assert _heavy(modules) == []
    # only the command's own module is imported, no other capability's
    cli_modules = {m for m in modules if m.startswith("qazai.cli.")}
    assert cli_modules <= {"qazai.cli.main", "qazai.cli.errors", "qazai.cli.context", _own_module(args)}
    assert "Usage" in output or "0.1" in output
    assert cpu < 1.0


def test_top_level_help_lists_every_command_with_its_own_help_line() -> None:
    code, _modules, output, _cpu = _run_fresh("--help")
    assert code in (0, None)
    for name in COMMANDS:
        assert f" {name} " in output
    # the table's help line is the command's own first line (no drift when a docstring changes)
    for module in sorted({module for module, _ in COMMANDS.values()} - {"qazai.cli.main"}):
        for name, command in load_commands(module).items():
            assert name in COMMANDS, f"{module} registers {name!r}, missing from COMMANDS"
            assert COMMANDS[name] == (module, command.get_short_help_str(limit=1000)), name


def test_a_command_runs_after_its_module_loads_lazily() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["deidentify", "--help"])
    assert result.exit_code == 0, result.output
    assert "--policy" in result.output  # the real command's options, not the placeholder's
    result = CliRunner().invoke(app, ["nosuch"])
    assert result.exit_code == 2


def test_unknown_commands_are_a_one_line_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from qazai.cli.main import run; run()", "librarys"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "libraries" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
