# ruff: noqa: E501
"""What the library page's CSV/XLSX sizes cost per view, for a library of 9 parts, before and after
the sizes were kept in memory (``qazai.libraries.formats.download_sizes``).

    .venv/bin/python bench/library_page_sizes.py [--views 20]

Nine Parquet parts are stored; CSV copies of three and XLSX copies of two are made. Then, on a
local object store and on S3 (moto's server on 127.0.0.1: no network latency, so a real S3 costs
more per call), it times one page's worth of sizes: asked of the store every time (the old code,
kept here as the reference, measured in the same run), on a page's first view in a process
(nothing known yet: S3 is then asked about the nine parts' copies at once, a local store one call
at a time) and on the following views. Prints the store calls per view (open, exists:
on S3 a found object is a HEAD and a GET, a missing one a HEAD), wall and CPU milliseconds per
view (the CPU includes moto's server, which runs in this process) and the ratios to the
reference, with the load average.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from qazai.libraries import formats
from qazai.libraries.formats import DownloadFormat
from qazai.storage.objects import ByteRange, LocalObjectStore, ObjectStore

PARTS = 9


class Counting:
    """Counts the calls a page view sends to the store; everything else passes through."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name not in ("open", "exists", "stat", "size", "list"):
            return method

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return method(*args, **kwargs)

        return counted


class CountingLocal(LocalObjectStore):
    """The local store counted the same way (still a LocalObjectStore, asked one call at a time)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: Counter[str] = Counter()

    def open(self, key: str, byte_range: ByteRange | None = None) -> Iterator[bytes]:
        self.calls["open"] += 1
        return super().open(key, byte_range)

    def exists(self, key: str) -> bool:
        self.calls["exists"] += 1
        return super().exists(key)


def _counting(store: ObjectStore) -> Counting | CountingLocal:
    """A counted view of ``store`` that this process has not seen yet (nothing known of it)."""
    return CountingLocal(store.root) if isinstance(store, LocalObjectStore) else Counting(store)


def _asked_every_time(objects: Any, parts: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """The page's sizes as they were read before: the store asked per part and format each view."""
    sizes: dict[str, dict[str, int]] = {}
    for part in parts:
        for fmt in DownloadFormat:
            found = formats.cached_file(objects, part["sha256"], fmt)
            if found is not None:
                sizes.setdefault(part["file"], {})[fmt.value] = found.size
    return sizes


def _library(objects: ObjectStore, tmp: Path) -> list[dict[str, Any]]:
    parts = []
    for i in range(PARTS):
        source = tmp / f"t{i}.parquet"
        pq.write_table(pa.table({"region": ["Астана", "Алматы"] * 50, "n": list(range(i, i + 100))}), source)
        with source.open("rb") as handle:
            put = objects.put(None, handle)
        parts.append({"file": f"t{i}.parquet", "sha256": put.sha256, "key": put.key})
    for part, fmt in [(parts[i], DownloadFormat.csv) for i in (0, 3, 6)] + [
        (parts[i], DownloadFormat.xlsx) for i in (1, 4)
    ]:
        formats.derived_file(
            objects,
            part_key=part["key"],
            part_sha256=part["sha256"],
            fmt=fmt,
            table="t",
            filename=part["file"],
            work_dir=tmp / "scratch",
        )
    return parts


def _per_view(
    read: Callable[[Any, list[dict[str, Any]]], dict[str, dict[str, int]]],
    objects: Counting | CountingLocal,
    parts: list[dict[str, Any]],
    views: int,
) -> tuple[float, float, float, dict[str, dict[str, int]]]:
    """(calls, wall ms, CPU ms) per view over ``views`` views, and what the last view showed."""
    objects.calls.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(views):
        shown = read(objects, parts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return sum(objects.calls.values()) / views, wall * 1000 / views, cpu * 1000 / views, shown


def _stores(tmp: Path) -> Iterator[tuple[str, ObjectStore]]:
    yield "local", LocalObjectStore(tmp / "objects")
    import boto3
    from moto.server import ThreadedMotoServer

    from qazai.storage.objects.s3 import S3ObjectStore

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=bucket)
        yield (
            "S3 (moto, 127.0.0.1)",
            S3ObjectStore(
                bucket,
                "objects",
                endpoint_url=endpoint,
                region="us-east-1",
                access_key_id="testing",
                secret_access_key="testing",
                spool_dir=str(tmp),
            ),
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=20, help="views timed per row (the warm row: 50x)")
    views = parser.parse_args().views
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {PARTS} parts, 5 copies made")
    print(
        f"{'store':22} {'sizes read':28} {'calls/view':>10} {'wall ms':>9} {'CPU ms':>8} {'wall x':>8} {'CPU x':>8}"
    )
    with tempfile.TemporaryDirectory(prefix="qazai-bench-") as folder:
        tmp = Path(folder)
        for name, store in _stores(tmp):
            parts = _library(store, tmp)
            reference = _per_view(_asked_every_time, _counting(store), parts, views)
            cold = [_per_view(formats.download_sizes, _counting(store), parts, 1) for _ in range(views)]
            first = (
                sum(row[0] for row in cold) / views,
                sum(row[1] for row in cold) / views,
                sum(row[2] for row in cold) / views,
                cold[-1][3],
            )
            warm_store = _counting(store)
            formats.download_sizes(warm_store, parts)
            warm = _per_view(formats.download_sizes, warm_store, parts, views * 50)
            assert reference[3] == first[3] == warm[3], (reference[3], first[3], warm[3])
            for label, row in (
                ("asked every view (before)", reference),
                ("first view in a process", first),
                ("later views", warm),
            ):
                print(
                    f"{name:22} {label:28} {row[0]:>10.0f} {row[1]:>9.3f} {row[2]:>8.3f} "
                    f"{row[1] / reference[1]:>8.4f} {row[2] / max(reference[2], 1e-9):>8.4f}"
                )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
