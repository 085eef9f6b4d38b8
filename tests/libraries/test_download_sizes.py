"""The library page's sizes of the CSV/XLSX copies already made: asked of the object store once per
process, not on every view (a HEAD per part and format on S3), and a copy made later still shows."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.catalog import module_platform
from tests.libraries.publishing import make_library, publish

from qazai.libraries import formats
from qazai.libraries.formats import DownloadFormat
from qazai.storage.objects import ByteRange, LocalObjectStore, ObjectStat

app = module_platform.app
client = module_platform.client
module_database_url = module_platform.module_database_url
module_tmp = module_platform.module_tmp
people = module_platform.people
platform = module_platform.platform

PARTS = 9
T = TypeVar("T")


class CountingStore(LocalObjectStore):
    """A real local store that counts the reads a page view would send to S3 (GET, HEAD, LIST)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: Counter[str] = Counter()

    def open(self, key: str, byte_range: ByteRange | None = None) -> Iterator[bytes]:
        self.calls["open"] += 1
        return super().open(key, byte_range)

    def stat(self, key: str) -> ObjectStat:
        self.calls["stat"] += 1
        return super().stat(key)

    def size(self, key: str) -> int:
        self.calls["size"] += 1
        return super().size(key)

    def exists(self, key: str) -> bool:
        self.calls["exists"] += 1
        return super().exists(key)

    def list(self, prefix: str = "") -> Iterator[str]:
        self.calls["list"] += 1
        return super().list(prefix)

    def taken(self) -> int:
        """The calls since the last time this was asked."""
        total = sum(self.calls.values())
        self.calls.clear()
        return total


def _parts(objects: LocalObjectStore, tmp_path: Path) -> list[dict[str, Any]]:
    parts = []
    for i in range(PARTS):
        source = tmp_path / f"t{i}.parquet"
        pq.write_table(pa.table({"region": ["Астана", "Алматы"], "n": [i, i + 1]}), source)
        with source.open("rb") as handle:
            put = objects.put(None, handle)
        parts.append({"file": f"t{i}.parquet", "table": f"t{i}", "sha256": put.sha256, "key": put.key})
    return parts


def _make(objects: LocalObjectStore, part: dict[str, Any], fmt: DownloadFormat, tmp_path: Path) -> int:
    made = formats.derived_file(
        objects,
        part_key=part["key"],
        part_sha256=part["sha256"],
        fmt=fmt,
        table=part["table"],
        filename=part["file"],
        work_dir=tmp_path / "scratch",
    )
    return made.size


def test_sizes_are_asked_of_the_store_once_and_a_copy_made_here_shows_at_once(tmp_path: Path) -> None:
    objects = CountingStore(tmp_path / "objects")
    parts = _parts(objects, tmp_path)
    objects.taken()
    assert formats.download_sizes(objects, parts) == {}
    assert objects.taken() == PARTS * 2  # an index read per part and format: none made yet
    assert formats.download_sizes(objects, parts) == {}
    assert objects.taken() == 0  # the next view asks nothing
    size = _make(objects, parts[3], DownloadFormat.csv, tmp_path)
    objects.taken()
    assert formats.download_sizes(objects, parts) == {"t3.parquet": {"csv": size}}
    assert objects.taken() == 0


def test_a_copy_made_by_another_process_shows_after_the_recheck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = CountingStore(tmp_path / "objects")
    parts = _parts(page, tmp_path)
    assert formats.download_sizes(page, parts) == {}
    other = LocalObjectStore(tmp_path / "objects")  # another process's store: the same objects
    size = _make(other, parts[0], DownloadFormat.xlsx, tmp_path)
    page.taken()
    assert formats.download_sizes(page, parts) == {}  # "not made" is trusted for a while
    assert page.taken() == 0
    monkeypatch.setattr(formats, "MISSING_RECHECK_SECONDS", 0.0)
    assert formats.download_sizes(page, parts) == {"t0.parquet": {"xlsx": size}}
    # every missing copy asked again (an index read each), the one found also checked (a HEAD)
    assert page.taken() == PARTS * 2 + 1
    assert formats.download_sizes(page, parts) == {"t0.parquet": {"xlsx": size}}
    assert page.taken() == PARTS * 2 - 1  # what is known is not asked again


def test_known_copies_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "KNOWN_COPIES_LIMIT", 4)
    objects = CountingStore(tmp_path / "objects")
    parts = _parts(objects, tmp_path)
    formats.download_sizes(objects, parts)
    objects.taken()
    formats.download_sizes(objects, parts[-2:])
    assert objects.taken() == 0  # the four latest "not made" are remembered
    formats.download_sizes(objects, parts[:1])
    assert objects.taken() == 2  # the older ones were dropped


class RemoteLike:
    """A local store seen as a remote one (not a LocalObjectStore): each read waits a little, as a
    request to S3 does, and the reads in flight at once are counted."""

    def __init__(self, inner: LocalObjectStore) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = self.calls = 0

    def _read(self, call: Callable[[], T]) -> T:
        with self.lock:
            self.calls += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.02)
            return call()
        finally:
            with self.lock:
                self.in_flight -= 1

    def open(self, key: str, byte_range: ByteRange | None = None) -> Iterator[bytes]:
        return self._read(lambda: self.inner.open(key, byte_range))

    def exists(self, key: str) -> bool:
        return self._read(lambda: self.inner.exists(key))


def test_a_remote_store_is_asked_about_the_copies_at_once(tmp_path: Path) -> None:
    local = LocalObjectStore(tmp_path / "objects")
    parts = _parts(local, tmp_path)
    size = _make(local, parts[2], DownloadFormat.csv, tmp_path)
    remote = RemoteLike(local)
    assert formats.download_sizes(remote, parts) == {"t2.parquet": {"csv": size}}  # type: ignore[arg-type]
    assert remote.calls == PARTS * 2 + 1  # the same questions as one at a time
    assert 1 < remote.most_in_flight <= formats.ASK_AT_ONCE
    assert formats.download_sizes(remote, parts) == {"t2.parquet": {"csv": size}}  # type: ignore[arg-type]
    assert remote.calls == PARTS * 2 + 1  # and none the next time


# -- the library page --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nine_tables(platform: Any, people: Any, module_tmp: Path) -> Any:
    """An open library whose workbook has nine sheets: nine tables, nine Parquet parts."""
    make_library(platform, "nine-tables")
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for i in range(PARTS):
        sheet = workbook.create_sheet(f"Sheet{i}")
        sheet.append(["region", "population"])
        for row, region in enumerate(("Астана", "Алматы", "Шымкент")):
            sheet.append([region, 1000 * (i + 1) + row])
    source = module_tmp / "nine-tables.xlsx"
    workbook.save(source)
    assert publish(platform, "nine-tables", source).state.value == "succeeded"
    return platform


@pytest.mark.db  # a module database: reruns on PostgreSQL with -m db
def test_library_page_view_asks_the_store_nothing_once_the_sizes_are_known(
    client: Any, nine_tables: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingStore(nine_tables.objects.root)
    monkeypatch.setattr(nine_tables, "objects", counting)
    first = client.get("/libraries/nine-tables")
    assert first.status_code == 200, first.text
    assert first.text.count('data-format="csv"') == PARTS
    lookups = counting.calls["open"]
    assert lookups >= PARTS * 2  # the first view looks every copy up
    counting.taken()
    again = client.get("/libraries/nine-tables")
    assert again.status_code == 200
    assert counting.calls["open"] == 0 and counting.calls["exists"] == 0, counting.calls
    item = _download_item(again.text, 4)
    assert _csv_size_shown(item) is None  # no copy made yet
    href = re.search(r'href="([^"]+\.csv)"', item).group(1)  # type: ignore[union-attr]
    made = client.get(href)
    assert made.status_code == 200, made.text
    counting.taken()
    item = _download_item(client.get("/libraries/nine-tables").text, 4)
    assert _csv_size_shown(item) == f"{len(made.content)} B", item  # shown at once, from memory
    assert counting.calls["open"] == 0 and counting.calls["exists"] == 0, counting.calls


def _download_item(html: str, index: int) -> str:
    return html.split('<li class="download"')[index + 1].split("</li>", maxsplit=1)[0]


def _csv_size_shown(item: str) -> str | None:
    found = re.search(r'data-format="csv" download>[^<]*</a> \(([^)]+)\)', item)
    return found.group(1) if found else None
