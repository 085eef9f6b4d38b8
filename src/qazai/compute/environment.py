"""The job environment: the Python and packages every job runs with, checked before jobs run.

Jobs run with ``settings.compute_python`` (default: the platform's own interpreter and virtualenv)
inside the sandbox. The packages below are the documented environment (docs/compute.md, "The job
environment"); the platform checks them once per process before the first job is submitted and
refuses to run jobs when one is missing, naming it.
"""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from qazai.core.errors import ConfigError

# import name -> distribution name, as documented
JOB_PACKAGES: dict[str, str] = {
    "polars": "polars",
    "duckdb": "duckdb",
    "pyarrow": "pyarrow",
    "sklearn": "scikit-learn",
    "numpy": "numpy",
    "nbclient": "nbclient",
    "nbformat": "nbformat",
    "ipykernel": "ipykernel",
}
NOTEBOOK_RUNNER = Path(__file__).with_name("jobfiles") / "run_notebook.py"

_PROBE = """
import importlib, json, sys
from importlib import metadata
found, missing = {}, []
for module, dist in json.loads(sys.argv[1]).items():
    try:
        importlib.import_module(module)
        found[dist] = metadata.version(dist)
    except Exception as exc:
        missing.append(f"{dist} ({type(exc).__name__})")
print(json.dumps({"python": sys.version.split()[0], "found": found, "missing": missing}))
"""


class JobEnvironment(BaseModel):
    model_config = ConfigDict(frozen=True)

    python: str  # the interpreter's path
    python_version: str
    packages: dict[str, str]  # distribution -> version
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing


@functools.cache
def inspect_job_environment(python: str) -> JobEnvironment:
    """Import every package of the job environment with ``python`` (a subprocess) and report."""
    try:
        done = subprocess.run(
            [python, "-I", "-c", _PROBE, json.dumps(JOB_PACKAGES)],
            capture_output=True,
            timeout=120,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(
            f"the job environment's python {python!r} does not run: {exc}", code="job_environment_broken"
        ) from None
    data = json.loads(done.stdout)
    return JobEnvironment(
        python=python, python_version=data["python"], packages=data["found"], missing=data["missing"]
    )


def check_job_environment(python: str) -> JobEnvironment:
    """The job environment, or ConfigError (code ``job_environment_incomplete``) naming what is missing."""
    environment = inspect_job_environment(python)
    if not environment.complete:
        raise ConfigError(
            f"the job environment ({python}) lacks {', '.join(environment.missing)}; install them "
            "there (docs/compute.md, 'The job environment') before running jobs",
            code="job_environment_incomplete",
            details={"missing": environment.missing},
        )
    return environment
