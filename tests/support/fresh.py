"""Python code in a fresh interpreter, for the tests that check what a command imports: in the test
process every capability is already imported."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass


def fresh(
    code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code *args``; it must exit 0 (its stderr is the assertion's message)."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


@dataclass(frozen=True)
class Probed:
    """What a probe script reported (its last line: ``{"code": ..., "modules": [...]}``) and the
    output before it."""

    code: int
    modules: set[str]
    output: str
    stderr: str


def probed(probe: str, args: list[str], env: dict[str, str] | None = None) -> Probed:
    """Run ``probe`` (a script that runs the CLI with ``json.loads(sys.argv[1])`` as its arguments
    and prints the report last, e.g. ``tests/cli/test_startup.PROBE``)."""
    done = fresh(probe, json.dumps(args), env=env)
    *output, last = done.stdout.rstrip().splitlines()
    report = json.loads(last)
    return Probed(int(report["code"] or 0), set(report["modules"]), "\n".join(output), done.stderr)
