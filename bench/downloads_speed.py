# ruff: noqa: E501
"""How long the first request of a CSV or XLSX download takes to make the file, beside a plain copy.

    .venv/bin/python bench/downloads_speed.py [--rows 200000]

A Parquet part of ``--rows`` rows and 10 columns (Cyrillic text, four integer, three float, a date
and a boolean column) is written as CSV and as XLSX by ``qazai.libraries.formats`` (the server's
path, without HTTP and the object store), and, as the reference measured in the same run, read
whole into Arrow (``pq.read_table``). Prints seconds, million cells per second and the ratios to
the reference. The machine may be shared: the load average is printed, read the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from qazai.libraries import formats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    rows = parser.parse_args().rows - parser.parse_args().rows % 4
    table = pa.table(
        {
            "region": pa.array(["Астана", "Алматы", "Шымкент", "Қызылорда"] * (rows // 4)),
            **{f"i{k}": pa.array(range(rows), pa.int64()) for k in range(4)},
            **{f"f{k}": pa.array([x * 0.5 for x in range(rows)], pa.float64()) for k in range(3)},
            "day": pa.array([dt.date(2024, 1, 1)] * rows),
            "ok": pa.array([True, False] * (rows // 2)),
        }
    )
    cells = rows * table.num_columns
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "part.parquet"
        pq.write_table(table, source, compression="zstd")
        start = time.perf_counter()
        pq.read_table(source)
        reference = time.perf_counter() - start
        start = time.perf_counter()
        with (Path(folder) / "part.csv").open("wb") as out:
            formats.write_csv(source, out)
        csv_seconds = time.perf_counter() - start
        start = time.perf_counter()
        formats.write_xlsx(source, Path(folder) / "part.xlsx")
        xlsx_seconds = time.perf_counter() - start
        sizes = {
            name: (Path(folder) / name).stat().st_size for name in ("part.parquet", "part.csv", "part.xlsx")
        }
    print(
        f"load average {os.getloadavg()[0]:.1f}; {rows:,} rows x {table.num_columns} columns = {cells / 1e6:.1f} M cells"
    )
    print(f"read Parquet (reference) {reference:7.2f} s   {sizes['part.parquet'] / 1e6:6.1f} MB")
    for name, seconds, size in (
        ("CSV", csv_seconds, sizes["part.csv"]),
        ("XLSX", xlsx_seconds, sizes["part.xlsx"]),
    ):
        print(
            f"{name:<24} {seconds:7.2f} s   {size / 1e6:6.1f} MB   {cells / seconds / 1e6:5.2f} M cells/s   "
            f"x{seconds / reference:,.0f} the reference"
        )


if __name__ == "__main__":
    main()
