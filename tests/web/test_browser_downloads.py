"""A citizen downloads a table as CSV or Excel from the library page (issue 17.1), in Kazakh on a
desktop and in Russian on a phone: CSV first, the file opens (BOM, Cyrillic), the workbook has the
table's rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from tests.web.conftest import new_page, shot

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

SLUG = "astana-complaints"  # complaint texts in Kazakh and Russian


def _part(base: str) -> dict[str, Any]:
    files = httpx.get(f"{base}/libraries/{SLUG}/v/1/files.json", timeout=10).json()["files"]
    return dict(files[0])


def _download(page: Any, selector: str) -> bytes:
    with page.expect_download() as info:
        page.locator(selector).first.click()
    return Path(info.value.path()).read_bytes()


def test_kazakh_page_offers_csv_first_and_the_csv_opens(demo_portal: str, demo_browser: Any) -> None:
    part = _part(demo_portal)
    page = new_page(demo_browser, demo_portal, lang="kk")
    page.goto(f"{demo_portal}/libraries/{SLUG}")
    item = page.locator("li.download").first
    formats = item.locator("[data-format]").evaluate_all("els => els.map(e => e.dataset.format)")
    assert formats == ["csv", "xlsx", "parquet"]
    assert item.locator("a[data-format=csv]").inner_text() == "CSV (кесте)"
    assert "Parquet (деректер құралдары үшін)" in item.inner_text()
    data = _download(page, "li.download a[data-format=csv]")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(rows) == part["rows"] + 1
    text = " ".join(" ".join(r) for r in rows[1:])
    assert any("\u0400" <= ch <= "\u04ff" for ch in text)  # Cyrillic reads back as Cyrillic
    assert "nan" not in {cell for row in rows for cell in row}
    shot(page, "downloads-kk")
    page.context.close()


def test_russian_phone_downloads_the_workbook_with_every_row(demo_portal: str, demo_browser: Any) -> None:
    part = _part(demo_portal)
    page = new_page(demo_browser, demo_portal, lang="ru", phone=True)
    page.goto(f"{demo_portal}/libraries/{SLUG}")
    link = page.locator("li.download a[data-format=xlsx]").first
    assert link.inner_text() == "Excel (XLSX)"
    assert page.locator("li.download a[data-format=csv]").first.inner_text() == "CSV (таблица)"
    box = link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    data = _download(page, "li.download a[data-format=xlsx]")
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == part["rows"] + 1
    csv_rows = httpx.get(part["url"].rsplit(".", 1)[0] + ".csv", timeout=30).content.decode("utf-8-sig")
    assert [str(c) for c in rows[0]] == next(csv.reader(io.StringIO(csv_rows)))
    shot(page, "downloads-ru-phone")
    page.context.close()
