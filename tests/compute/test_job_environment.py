"""The job environment: its packages are checked, and notebooks and scripts use them in the sandbox."""

from __future__ import annotations

import json
import runpy
import sys
import time
from pathlib import Path

import nbformat
import pytest

from qazai.compute import environment
from qazai.compute.environment import JOB_PACKAGES, NOTEBOOK_RUNNER, check_job_environment
from qazai.compute.executors.base import RunLimits, RunSpec, RunState
from qazai.compute.executors.local import LocalExecutor, probe_sandbox
from qazai.core.errors import ConfigError


def test_the_platform_python_has_the_whole_job_environment() -> None:
    environment = check_job_environment(sys.executable)
    assert environment.complete
    assert set(environment.packages) == set(JOB_PACKAGES.values())


def test_a_python_without_the_packages_is_refused_naming_them() -> None:
    with pytest.raises(ConfigError) as caught:
        check_job_environment("/usr/bin/python3")
    assert caught.value.code == "job_environment_incomplete"
    assert "scikit-learn" in caught.value.message and "polars" in caught.value.message


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_notebook_runs_in_the_sandbox_with_the_job_environment(tmp_path: Path) -> None:
    if not probe_sandbox().works:
        pytest.skip(probe_sandbox().reason)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# by region"),
        nbformat.v4.new_code_cell(
            "import polars as pl, duckdb, sklearn, numpy\n"
            "frame = pl.read_csv('inputs/t.csv')\n"
            "print('rows', frame.height)"
        ),
        nbformat.v4.new_code_cell(
            "frame.group_by('region').len().sort('region').write_csv('outputs/by_region.csv')"
        ),
    ]
    path = tmp_path / "analysis.ipynb"
    nbformat.write(notebook, path)
    table = tmp_path / "t.csv"
    table.write_text("region,n\nAstana,1\nAstana,2\nAlmaty,3\n", encoding="utf-8")
    executor = LocalExecutor(tmp_path / "runs", sandbox="bwrap", python=sys.executable)
    spec = RunSpec(
        job_id="nb",
        command=("python", ".qazai/run_notebook.py", "analysis.ipynb"),
        inputs={
            "analysis.ipynb": str(path),
            ".qazai/run_notebook.py": str(NOTEBOOK_RUNNER),
            "inputs/t.csv": str(table),
        },
        limits=RunLimits(wall_seconds=120),
        confidential=True,
    )
    executor.submit(spec)
    deadline = time.monotonic() + 120
    while not (status := executor.poll("nb")).final:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    log = executor.logs("nb", limit=1 << 20).text
    assert status.state == RunState.succeeded, log
    assert "rows 3" in log
    outputs = {o.path: o for o in executor.collect("nb")}
    assert set(outputs) == {"analysis.ipynb", "by_region.csv"}
    assert (
        Path(outputs["by_region.csv"].source).read_text(encoding="utf-8")
        == "region,len\nAlmaty,1\nAstana,2\n"
    )
    executed = json.loads(Path(outputs["analysis.ipynb"].source).read_text(encoding="utf-8"))
    assert "".join(executed["cells"][1]["outputs"][0]["text"]) == "rows 3\n"


def test_the_documented_list_is_one_file_read_by_the_check_and_the_probe() -> None:
    text = environment.REQUIREMENTS.read_text(encoding="utf-8")
    assert environment.read_requirements(text) == JOB_PACKAGES
    assert JOB_PACKAGES["sklearn"] == "scikit-learn"
    assert set(JOB_PACKAGES) == {
        "polars",
        "duckdb",
        "pyarrow",
        "sklearn",
        "numpy",
        "nbclient",
        "nbformat",
        "ipykernel",
    }
    # the probe (standard library only, run with the interpreter being checked) reads it the same way
    probe = runpy.run_path(str(environment.PROBE))
    assert probe["read_requirements"](text) == JOB_PACKAGES


def test_the_job_environment_errors_read_in_kazakh_and_russian() -> None:
    from qazai.core.enums import Language
    from qazai.web.error_messages import ERROR_MESSAGES
    from qazai.web.i18n import translations_for

    for code in ("job_environment_incomplete", "job_environment_broken"):
        english = ERROR_MESSAGES[code]
        translated = {translations_for(lang).gettext(english) for lang in (Language.kk, Language.ru)}
        assert english not in translated and len(translated) == 2, code
