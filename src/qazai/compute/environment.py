"""The job environment: the Python and packages every job runs with, checked before jobs run.

Jobs run with ``settings.compute_python`` (default: the platform's own interpreter and virtualenv)
inside the sandbox. The packages below are the documented environment (docs/compute.md, "The job
environment"), listed in ``jobfiles/job-environment.txt``; the platform checks them once per
process before the first job is submitted and refuses to run jobs when one is missing, naming it.
On the ``slurm`` backend the check is a tiny job on the nodes (``check_environment_through``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
import threading
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from qazai.compute.executors.base import Executor, RunLimits, RunSpec, RunState
from qazai.core.errors import ConfigError

JOBFILES = Path(__file__).with_name("jobfiles")
# The documented list (one distribution a line), read by this module, by the probe that runs with
# the interpreter being checked, and by .ci/slurm-up.sh, which installs it on the Slurm nodes.
REQUIREMENTS = JOBFILES / "job-environment.txt"
PROBE = JOBFILES / "probe_environment.py"
NOTEBOOK_RUNNER = JOBFILES / "run_notebook.py"


def read_requirements(text: str) -> dict[str, str]:
    """The module to import for each distribution of the requirements file (module -> distribution);
    the probe (standard library only) reads the file the same way."""
    packages: dict[str, str] = {}
    for line in text.splitlines():
        requirement, _, comment = line.partition("#")
        requirement = requirement.strip()
        if not requirement:
            continue
        for separator in "<>=!~;[ ":
            requirement = requirement.split(separator)[0]
        module = comment.split("import:", 1)[1].strip() if "import:" in comment else requirement
        packages[module] = requirement
    return packages


# import name -> distribution name, as documented
JOB_PACKAGES: dict[str, str] = read_requirements(REQUIREMENTS.read_text(encoding="utf-8"))


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
            [python, "-I", str(PROBE), str(REQUIREMENTS)],
            capture_output=True,
            timeout=120,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(
            f"the job environment's python {python!r} does not run: {exc}", code="job_environment_broken"
        ) from None
    return parse_probe(python, done.stdout.decode("utf-8", "replace"))


def parse_probe(python: str, output: str) -> JobEnvironment:
    """The probe's report (its last JSON line in ``output``)."""
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            data = json.loads(line)
            return JobEnvironment(
                python=python, python_version=data["python"], packages=data["found"], missing=data["missing"]
            )
    raise ConfigError(
        f"the job environment's python {python!r} did not report its packages: {output[-300:]!r}",
        code="job_environment_broken",
    )


def check_job_environment(python: str) -> JobEnvironment:
    """The job environment, or ConfigError (code ``job_environment_incomplete``) naming what is missing."""
    return require_complete(inspect_job_environment(python), "")


def require_complete(environment: JobEnvironment, where: str) -> JobEnvironment:
    """``environment``, or ConfigError (``job_environment_incomplete``) naming what it lacks."""
    if not environment.complete:
        raise ConfigError(
            f"the job environment{where} ({environment.python}) lacks {', '.join(environment.missing)}; "
            "install them there (docs/compute.md, 'The job environment') before running jobs",
            code="job_environment_incomplete",
            details={"missing": environment.missing, "python": environment.python},
        )
    return environment


# -- the environment where a backend runs jobs (a Slurm node's) -----------------------------------

# An incomplete environment is checked again after this long (an operator may have fixed it).
RECHECK_INCOMPLETE_SECONDS = 60.0
_checked: dict[tuple[str, str, str], tuple[float, JobEnvironment]] = {}
_checked_lock = threading.Lock()


def check_environment_through(
    executor: Executor, python: str, *, where: str, wait_seconds: float
) -> JobEnvironment | None:
    """The job environment where ``executor`` runs jobs (``inspect_environment_through``), or
    ConfigError (``job_environment_incomplete``) naming what it lacks; ``None`` while the check job
    has not ended within ``wait_seconds``."""
    environment = inspect_environment_through(executor, python, where=where, wait_seconds=wait_seconds)
    return None if environment is None else require_complete(environment, where)


def inspect_environment_through(
    executor: Executor, python: str, *, where: str, wait_seconds: float
) -> JobEnvironment | None:
    """Check the job environment where ``executor`` runs jobs, with a tiny job through it: the probe
    imports every package of the list with ``python`` on the node, under the same runner and
    sandbox as a real job. Its result is kept for the process (an incomplete one for
    ``RECHECK_INCOMPLETE_SECONDS``).

    Returns the environment; ``None`` while the check job has not ended within ``wait_seconds``
    (a busy queue: the caller goes on, the next call looks again). Raises ConfigError
    (``job_environment_broken``) when the probe cannot run there and Unavailable when the backend
    does not answer.
    """
    key = (executor.name, str(getattr(executor, "root", "")), python)
    with _checked_lock:
        cached = _checked.get(key)
    if cached is not None:
        checked_at, environment = cached
        if environment.complete or time.monotonic() - checked_at < RECHECK_INCOMPLETE_SECONDS:
            return environment
    digest = hashlib.sha256(f"{python}\n{REQUIREMENTS.read_text(encoding='utf-8')}".encode()).hexdigest()
    spec = RunSpec(
        job_id=f"environment-check-{digest[:16]}",
        command=("python", "-I", ".qazai/probe_environment.py", ".qazai/job-environment.txt"),
        inputs={".qazai/probe_environment.py": str(PROBE), ".qazai/job-environment.txt": str(REQUIREMENTS)},
        limits=RunLimits(cpu_seconds=120, memory_mib=1024, wall_seconds=120),
    )
    deadline = time.monotonic() + wait_seconds
    while True:
        # submit is idempotent by job id: it hands the probe over once, then reports on it
        status = executor.submit(spec)
        if status.final:
            break
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.25)
    text = executor.logs(spec.job_id, 0, 1 << 20).text
    executor.discard(spec.job_id)  # the result lives here; the next process checks afresh
    if status.state != RunState.succeeded:
        raise ConfigError(
            f"the job environment{where} ({python}) could not run the check of its packages: "
            f"{status.message or status.state.value}; {' '.join(text[-300:].split())}",
            code="job_environment_broken",
        )
    environment = parse_probe(python, text)
    with _checked_lock:
        _checked[key] = (time.monotonic(), environment)
    return environment
