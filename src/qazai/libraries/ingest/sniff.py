"""Recognise what a file is from its bytes (never its name), and how a text file is encoded."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from qazai.core.errors import InvalidInput
from qazai.core.textfiles import (
    bom_encoding,
    looks_like_utf16_without_bom,
)
from qazai.libraries.ingest.models import SourceFormat

# Formats people upload by mistake, named so the error tells them what they sent.
_FOREIGN_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "a gzip-compressed file; decompress it and upload the file inside"),
    (b"%PDF", "a PDF document; tables must be uploaded as CSV, XLSX, JSON or Parquet"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"BZh", "a bzip2-compressed file; decompress it first"),
    (b"\xfd7zXZ", "an xz-compressed file; decompress it first"),
    (b"SQLite format 3\x00", "an SQLite database; export its tables as CSV or Parquet"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")


def _text_head(head: bytes) -> str:
    encoding = bom_encoding(head) or looks_like_utf16_without_bom(head) or "utf-8"
    return head.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")


def detect_format(path: Path, label: str) -> SourceFormat:
    """What the file holds, judged by its content. Raises InvalidInput for anything unsupported."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head:
        raise InvalidInput(f"{label}: the file is empty")
    if head.startswith(_ZIP):
        return _zip_format(path, label)
    if head.startswith(_OLE2):
        return SourceFormat.xls
    if head.startswith(b"PAR1"):
        return SourceFormat.parquet
    for magic, what in _FOREIGN_MAGIC:
        if head.startswith(magic):
            raise InvalidInput(f"{label}: this is {what}")
    text = _text_head(head)
    lowered = text[:512].lower()
    if lowered.startswith(("<!doctype html", "<html", "<head", "<body", "<table", "<meta")):
        raise InvalidInput(
            f"{label}: this is an HTML page, not a spreadsheet (often a web page saved with an .xlsx "
            "name, or an error page downloaded instead of the file); export the data as XLSX or CSV"
        )
    if lowered.startswith("<?xml") or lowered.startswith("<"):
        raise InvalidInput(
            f"{label}: this is an XML document (for example an Excel 2003 XML workbook), "
            "which is not supported; save it as XLSX or CSV"
        )
    if _is_binary(head):
        raise InvalidInput(
            f"{label}: the file holds binary data (first bytes {head[:8].hex(' ')}), not a table "
            "in a supported format (CSV, XLSX, XLS, ODS, JSON, NDJSON, Parquet)"
        )
    if text.startswith("["):
        return SourceFormat.json
    if text.startswith("{"):
        first_line = text.split("\n", 1)[0].strip()
        try:
            parsed = json.loads(first_line)
        except ValueError:
            return SourceFormat.json
        return SourceFormat.ndjson if isinstance(parsed, dict) else SourceFormat.json
    return SourceFormat.csv


def _is_binary(head: bytes) -> bool:
    if bom_encoding(head) or looks_like_utf16_without_bom(head):
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    return controls > max(1, len(head) // 100)


def _zip_format(path: Path, label: str) -> SourceFormat:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise InvalidInput(f"{label}: a damaged or truncated ZIP/XLSX file ({error})") from error
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return SourceFormat.xlsx
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return SourceFormat.ods
    if "word/document.xml" in names:
        raise InvalidInput(f"{label}: this is a Word document, not a spreadsheet")
    raise InvalidInput(f"{label}: a ZIP archive that is not a workbook; upload the table file itself")
