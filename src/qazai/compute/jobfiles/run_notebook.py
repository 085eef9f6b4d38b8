"""Run a notebook inside a job's sandbox: ``python run_notebook.py <notebook.ipynb>``.

Mounted read-only into every notebook job as ``/job/.qazai/run_notebook.py`` (it runs with the job
environment's python, not the platform's: no ``qazai`` import). Each cell's text output goes to the
job's log as it comes; the executed notebook is written to ``outputs/<name>`` (held in the airlock
like every output). A cell that raises ends the job with exit code 1 and the cell's number.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main(argv: list[str]) -> int:
    source = Path(argv[1])
    notebook = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=None,
        allow_errors=False,
        resources={"metadata": {"path": str(Path.cwd())}},
    )

    def on_output(cell_index: int) -> None:
        for output in notebook.cells[cell_index].get("outputs", []):
            if output.get("output_type") == "stream":
                sys.stdout.write(output.get("text", ""))
            elif output.get("output_type") in ("execute_result", "display_data"):
                sys.stdout.write(output.get("data", {}).get("text/plain", "") + "\n")
        sys.stdout.flush()

    code = 0
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            print(f"--- cell {index + 1}", flush=True)
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as exc:
                on_output(index)
                print(f"cell {index + 1} failed: {exc.ename}: {exc.evalue}", file=sys.stderr, flush=True)
                code = 1
                break
            on_output(index)
    out = Path(os.environ.get("QAZAI_OUTPUT_DIR", "outputs")) / source.name
    nbformat.write(notebook, out)  # type: ignore[no-untyped-call]
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
