# ruff: noqa: E501
"""The airlock's disclosure checks against ACRO (PyPI ``acro``, the AI-SDC project's checker), as an
oracle: do both suppress the same cells of the same tables?

    .venv/bin/python bench/sdc_vs_acro.py [--tables 24] [--seed 13] [--acro-venv /tmp/acro-venv]

1. ACRO is never a dependency of QazAI: it lives in its own virtualenv (``--acro-venv``), created
   and filled with ``pip install acro`` when missing (PyPI only).
2. ``--tables`` microdata sets are generated with a fixed seed: 2 or 3 dimensions, skewed category
   frequencies (small and empty cells), lognormal values with planted dominant contributors, some
   with margins (totals), frequency and magnitude (sum and mean) tables.
3. ACRO builds each table with ``ACRO.crosstab`` (margins as asked) in its virtualenv; the cells its
   checks mark (anything but ``ok``: MinimumThresholdCheck, NKCheck, PPercentCheck) are its primary
   suppressions.
4. QazAI gets what a job would write: the long table (dimensions, ``n``, the value; total rows
   labelled ``All`` when margins), a ``.sdc.json`` sidecar and, for magnitude tables, the
   contributions file; ``check_outputs`` runs as the airlock runs it. Cells with a finding of
   severity ``suppress`` are its primary suppressions (secondary suppression is not compared: ACRO
   recomputes margins from the redacted data instead).
5. Printed: per table the cells, the primary suppressions of each and the cells where they differ;
   then the agreement over all cells and the number of tables where the two agree on every cell.

Target (issue 13): agreement on every cell of at least 20 tables.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qazai.compute.disclosure import DisclosureSettings, Severity  # noqa: E402
from qazai.compute.disclosure_files import check_outputs  # noqa: E402

ACRO_RUNNER = r"""
import json, logging, sys, warnings
from pathlib import Path
import pandas as pd
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
from acro import ACRO

folder = Path(sys.argv[1])
specs = json.loads((folder / "specs.json").read_text())
acro = ACRO(suppress=False)
result = {}
for index, spec in enumerate(specs):
    df = pd.read_csv(folder / f"t{index}.csv", dtype={d: str for d in spec["dims"]})
    for d in spec["dims"]:
        df[d] = df[d].astype(str)
    rows = [df[d] for d in spec["dims"][:-1]]
    col = df[spec["dims"][-1]]
    kwargs = {"margins": spec["margins"], "margins_name": "All"}
    if spec["kind"] == "magnitude":
        kwargs.update(values=df["value"], aggfunc=spec["aggfunc"])
    acro.crosstab(rows if len(rows) > 1 else rows[0], col, **kwargs)
    outcome = acro.results.results[f"output_{index}"].outcome
    cells = []
    for row_key, series in outcome.iterrows():
        row_key = row_key if isinstance(row_key, tuple) else (row_key,)
        for col_key, verdict in series.items():
            # pandas names the margin row of a multi-level index ("All", ""): the job labels both "All"
            key = [str(k) if str(k) != "" else "All" for k in (*row_key, col_key)]
            cells.append([key, str(verdict).strip()])
    result[index] = cells
print(json.dumps(result))
"""


def ensure_acro(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} (ACRO's own virtualenv, not QazAI's)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import acro"], check=False, capture_output=True)
    if probe.returncode != 0:
        print("installing acro from PyPI into it", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "acro"], check=True)
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('acro'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"acro {version} in {venv}")
    return python


def generate(rng: np.random.Generator, index: int) -> tuple[dict[str, Any], pl.DataFrame]:
    """One microdata set and the table to build from it (kinds and shapes cycle with the index)."""
    kind = "frequency" if index % 3 == 0 else "magnitude"
    aggfunc = "mean" if index % 3 == 2 else "sum"
    n_dims = 3 if index % 4 == 3 else 2
    margins = index % 2 == 1
    sizes = [int(rng.integers(2, 6)) for _ in range(n_dims)]
    rows = int(rng.choice([60, 150, 400, 1500, 5000]))
    data: dict[str, object] = {}
    for d, size in enumerate(sizes):
        weights = rng.dirichlet(np.full(size, 0.6))  # skewed: some categories rare or empty
        data[f"d{d}"] = rng.choice([f"c{d}{k}" for k in range(size)], rows, p=weights)
    values = rng.lognormal(mean=10, sigma=1.0, size=rows)
    dominant = rng.choice(rows, size=max(1, rows // 200), replace=False)
    values[dominant] *= rng.uniform(20, 400, size=dominant.size)  # planted dominant contributors
    data["value"] = values
    frame = pl.DataFrame(data)
    spec = {
        "kind": kind,
        "aggfunc": aggfunc,
        "dims": [f"d{d}" for d in range(n_dims)],
        "margins": margins,
        "categories": [sorted(set(frame[f"d{d}"].to_list())) for d in range(n_dims)],
    }
    return spec, frame


def qazai_output(spec: dict[str, Any], frame: pl.DataFrame, folder: Path, index: int) -> dict[str, Path]:
    """What the job's script writes: the long table, its sidecar, the contributions (magnitude)."""
    dims = spec["dims"]
    full = pl.DataFrame({dims[0]: spec["categories"][0]})
    for d, categories in zip(dims[1:], spec["categories"][1:], strict=True):
        full = full.join(pl.DataFrame({d: categories}), how="cross")
    groupings = [dims]
    if spec["margins"]:  # pandas' margins: over the row dimensions, over the column, and both
        groupings += [[dims[-1]], dims[:-1], []]
    parts = []
    for by in groupings:
        agg = (
            pl.len().alias("n"),
            pl.col("value").sum().alias("value_sum"),
            pl.col("value").mean().alias("value_mean"),
        )
        grouped = frame.group_by(by).agg(*agg) if by else frame.select(*agg)
        base = full.select(by).unique() if by else pl.DataFrame({"__": [0]})
        table = base.join(grouped, on=by, how="left") if by else grouped
        for d in dims:
            if d not in by:
                table = table.with_columns(pl.lit("All").alias(d))
        parts.append(table.select(*dims, "n", "value_sum", "value_mean"))
    table = pl.concat(parts).with_columns(pl.col("n").fill_null(0))
    value = "value_sum" if spec["aggfunc"] == "sum" else "value_mean"
    table = table.select(*dims, "n", value) if spec["kind"] == "magnitude" else table.select(*dims, "n")
    files: dict[str, Path] = {}
    name = f"t{index}.csv"
    table.write_csv(folder / name)  # a different folder from the microdata handed to ACRO
    files[name] = folder / name
    declaration: dict[str, object] = {"kind": spec["kind"], "dimensions": dims, "count": "n"}
    if spec["kind"] == "magnitude":
        frame.write_parquet(folder / f"t{index}_contrib.parquet")
        files[f"t{index}_contrib.parquet"] = folder / f"t{index}_contrib.parquet"
        declaration.update(value=value, contributions=f"t{index}_contrib.parquet", contribution_value="value")
    (folder / f"{name}.sdc.json").write_text(json.dumps(declaration))
    files[f"{name}.sdc.json"] = folder / f"{name}.sdc.json"
    return files


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tables", type=int, default=24)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--acro-venv", type=Path, default=Path("/tmp/acro-venv"))
    args = parser.parse_args()
    python = ensure_acro(args.acro_venv)
    rng = np.random.default_rng(args.seed)
    settings = DisclosureSettings()  # ACRO's defaults: threshold 10, (2, 0.9) dominance, p 10 %
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        specs, frames = [], []
        for index in range(args.tables):
            spec, frame = generate(rng, index)
            frame.write_csv(folder / f"t{index}.csv")  # ACRO reads CSV: its venv has no pyarrow
            specs.append(spec)
            frames.append(frame)
        (folder / "specs.json").write_text(json.dumps(specs))
        (folder / "runner.py").write_text(ACRO_RUNNER)
        run = subprocess.run(
            [str(python), str(folder / "runner.py"), str(folder)], check=False, capture_output=True, text=True
        )
        if run.returncode != 0:
            raise SystemExit(f"ACRO failed:\n{run.stderr[-3000:]}")
        acro = {int(k): v for k, v in json.loads(run.stdout.strip().splitlines()[-1]).items()}
        out = folder / "outputs"
        out.mkdir()
        total_cells = agreeing_cells = agreeing_tables = explained = 0
        populated_cells = populated_agree = 0
        print(
            f"{'table':>5} {'kind':<9} {'agg':<4} {'dims':>4} {'margins':>7} {'rows':>5} {'cells':>5} {'acro':>5} {'qazai':>5} {'differ':>6}"
        )
        for index, (spec, frame) in enumerate(zip(specs, frames, strict=True)):
            files = qazai_output(spec, frame, out, index)
            checks = check_outputs(files, settings, folder / "safe")
            check = checks[f"t{index}.csv"]
            table = pl.read_csv(out / f"t{index}.csv", infer_schema_length=None)
            keys = [tuple(str(v) for v in row) for row in table.select(spec["dims"]).iter_rows()]
            ours = {
                keys[f.row] for f in check.findings if f.severity is Severity.suppress and f.row is not None
            }
            blocking = [f for f in check.findings if f.severity is Severity.blocking]
            theirs = {tuple(key) for key, verdict in acro[index] if verdict != "ok"}
            all_cells = {tuple(key) for key, _ in acro[index]}
            if set(keys) != all_cells:
                raise SystemExit(f"table {index}: the cells differ: {sorted(set(keys) ^ all_cells)[:5]}")
            differ = sorted(ours ^ theirs)
            counts = dict(zip(keys, table["n"].to_list(), strict=True))
            # ACRO's count of a margin whose row has no contributors at all is NaN (pandas' crosstab
            # with dropna=False), so its threshold check passes it; QazAI suppresses it as a zero.
            empty_margins = [k for k in differ if k in ours and counts[k] == 0 and "All" in k]
            explained += len(empty_margins)
            populated = [k for k in all_cells if counts[k] > 0]
            populated_cells += len(populated)
            populated_agree += sum(1 for k in populated if (k in ours) == (k in theirs))
            total_cells += len(all_cells)
            agreeing_cells += len(all_cells) - len(differ)
            agreeing_tables += not differ
            print(
                f"{index:>5} {spec['kind']:<9} {spec['aggfunc'] if spec['kind'] == 'magnitude' else '-':<4} {len(spec['dims']):>4} "
                f"{'yes' if spec['margins'] else 'no':>7} {frame.height:>5} {len(all_cells):>5} {len(theirs):>5} {len(ours):>5} {len(differ):>6}"
                + (f"  blocking: {blocking[0].message.en}" if blocking else "")
            )
            for key in differ[:3]:
                verdict = next(v for k, v in acro[index] if tuple(k) == key)
                print(
                    f"        differ at {key} (n={counts[key]}): acro={verdict!r} qazai={'suppress' if key in ours else 'ok'}"
                )
    print()
    print(
        f"cells: {agreeing_cells}/{total_cells} agree ({agreeing_cells / total_cells:.2%}); "
        f"tables agreeing on every cell: {agreeing_tables}/{args.tables}"
    )
    print(f"cells with at least one contributor: {populated_agree}/{populated_cells} agree")
    print(
        f"of the {total_cells - agreeing_cells} differing cells, {explained} are margins of rows with no "
        "contributors (ACRO: NaN count, passed; QazAI: a zero, suppressed)"
    )


if __name__ == "__main__":
    main()
