"""The Slurm nodes' job environment: the documented list (scikit-learn and notebooks included) on the
real cluster, checked by a tiny job through the executor before the first job, and a node
environment that lacks a package refused naming it."""

from __future__ import annotations

import glob
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from tests.compute import test_slurm_jobs as base
from tests.compute.slurm_cluster import TestCluster
from typer.testing import CliRunner

from qazai.api.platform import Platform
from qazai.cli.main import app
from qazai.compute import environment, jobs
from qazai.compute.jobs import ComputeRuntime, compute_runtime
from qazai.compute.models import JobSubmit
from qazai.compute.states import JobState
from qazai.core.errors import ConfigError
from qazai.identity.actor import Actor

pytestmark = pytest.mark.slurm

# the real cluster, a fresh runs folder, the service on it and a member of a project reading an
# enclave library: the fixtures of test_slurm_jobs
cluster = base.cluster
runs = base.runs
slurm_runtime = base.slurm_runtime
member = base.member
follow = base.follow
slurm_executor = base.slurm_executor

SCIKIT_LEARN = """
import glob, os
import numpy as np
import polars as pl
import sklearn
from sklearn.linear_model import LinearRegression
frame = pl.read_parquet(sorted(glob.glob("inputs/population-enclave/1/*.parquet")))
x = np.arange(frame.height, dtype=float).reshape(-1, 1)
model = LinearRegression().fit(x, 3.0 * x[:, 0] + 2.0)
print("sklearn", sklearn.__version__, "slope", round(float(model.coef_[0]), 6), flush=True)
pl.DataFrame({"slope": [float(model.coef_[0])], "rows": [frame.height]}).write_csv(
    os.path.join(os.environ["QAZAI_OUTPUT_DIR"], "fit.csv")
)
"""


def submit(platform: Platform, member: Actor, runtime: ComputeRuntime, name: str, script: bytes) -> str:
    with platform.db.uow() as uow:
        job = jobs.submit_job(
            uow,
            member,
            runtime,
            JobSubmit(project="regions", inputs=["population-enclave@1"], script_name=name),
            script,
        )
    return job.id


def test_a_scikit_learn_job_runs_on_slurm(
    platform: Platform, member: Actor, slurm_runtime: ComputeRuntime
) -> None:
    job_id = submit(platform, member, slurm_runtime, "analysis.py", SCIKIT_LEARN.encode())
    ended = follow(platform, slurm_runtime, job_id)
    assert ended.state == JobState.awaiting_review, ended.message
    assert [o.path for o in ended.outputs] == ["fit.csv"]
    with platform.db.uow(read_only=True) as uow:
        log = jobs.job_logs(uow, member, slurm_runtime, job_id).text
    assert "slope 3.0" in log and "sklearn 1." in log, log


def test_a_notebook_runs_on_slurm(platform: Platform, member: Actor, slurm_runtime: ComputeRuntime) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import glob, polars as pl, sklearn\n"
            "frame = pl.read_parquet(sorted(glob.glob('inputs/population-enclave/1/*.parquet')))\n"
            "print('rows', frame.height)"
        ),
        nbformat.v4.new_code_cell("frame.group_by('region').len().sort('region').write_csv('outputs/n.csv')"),
    ]
    job_id = submit(platform, member, slurm_runtime, "analysis.ipynb", nbformat.writes(notebook).encode())
    ended = follow(platform, slurm_runtime, job_id, timeout=150)
    assert ended.state == JobState.awaiting_review, ended.message
    assert sorted(o.path for o in ended.outputs) == ["analysis.ipynb", "n.csv"]
    with platform.db.uow(read_only=True) as uow:
        log = jobs.job_logs(uow, member, slurm_runtime, job_id).text
    assert "rows 400" in log, log


@pytest.mark.parametrize("interpreter", ["bare-virtualenv", "/usr/bin/python3"])
def test_a_node_environment_missing_packages_is_refused_naming_them(
    platform: Platform, member: Actor, cluster: TestCluster, runs: Path, interpreter: str
) -> None:
    # another interpreter: a bare virtualenv on the shared folder, or the node's system python (the
    # setting's default): no polars, no scikit-learn, no nbclient
    python = interpreter
    if interpreter == "bare-virtualenv":
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(runs / "bare")], check=True)
        python = str(runs / "bare" / "bin" / "python")
    executor = slurm_executor(cluster, runs)
    executor.python = python
    try:
        runtime = compute_runtime(platform.settings, platform.objects, executor)
        with pytest.raises(ConfigError) as caught:
            submit(platform, member, runtime, "analysis.py", SCIKIT_LEARN.encode())
        error = caught.value
        assert error.code == "job_environment_incomplete", error.message
        assert f"on the slurm nodes ({python})" in error.message
        assert "scikit-learn" in error.message and "polars" in error.message, error.message
        assert {m.split()[0] for m in error.details["missing"]} >= {"scikit-learn", "polars", "nbclient"}
        # the check job ran through Slurm and left nothing behind; no job was recorded
        assert not glob.glob(str(runs / "environment-check-*"))
        with platform.db.uow(read_only=True) as uow:
            assert jobs.list_jobs(uow, member, "regions").items == []
        # the result is kept: a second submission is refused at once, without another check job
        began = time.monotonic()
        with pytest.raises(ConfigError, match="lacks"):
            submit(platform, member, runtime, "analysis.py", SCIKIT_LEARN.encode())
        assert time.monotonic() - began < 1.0
    finally:
        executor.close()
        environment._checked.clear()


@pytest.mark.parametrize(("python", "exit_code"), [(None, 0), ("/usr/bin/python3", 1)])
def test_the_cli_checks_the_nodes_environment(
    monkeypatch: pytest.MonkeyPatch, cluster: TestCluster, runs: Path, python: str | None, exit_code: int
) -> None:
    settings = {
        "QAZAI_COMPUTE_BACKEND": "slurm",
        "QAZAI_COMPUTE_SLURM_REST_URL": cluster.rest_url,
        "QAZAI_COMPUTE_SLURM_USER": cluster.user,
        "QAZAI_COMPUTE_SLURM_JWT_KEY_FILE": str(cluster.jwt_key_file),
        "QAZAI_COMPUTE_SLURM_SHARED_DIR": str(runs),
        "QAZAI_COMPUTE_SLURM_PARTITION": cluster.partition or "",
        "QAZAI_COMPUTE_SLURM_PYTHON": python or str(cluster.python),
        "QAZAI_COMPUTE_SLURM_MEMORY_ENFORCED": "true" if cluster.memory_enforced else "false",
        "QAZAI_DATA_DIR": str(runs / "data"),
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    try:
        done = CliRunner().invoke(app, ["jobs", "environment", "--nodes"])
    finally:
        environment._checked.clear()
    assert done.exit_code == exit_code, done.output
    assert f"({python or cluster.python})" in done.output
    if exit_code == 0:
        assert "scikit-learn" in done.output and "missing" not in done.output
    else:
        assert "polars" in done.output and "missing" in done.output
