"""Recognise what a file is from its bytes (never its name), and how a text file is encoded."""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections import Counter
from pathlib import Path

from charset_normalizer import from_bytes

from qazai.core.errors import InvalidInput
from qazai.libraries.ingest.models import SourceFormat

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

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

# Candidates for text that is not UTF-8, in order of preference for Kazakh and Russian files.
_LEGACY_ENCODINGS = ["cp1251", "kz1048", "koi8_r", "cp866", "iso8859_5", "cp1252"]


def bom_encoding(head: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def _looks_like_utf16_without_bom(head: bytes) -> str | None:
    """ASCII-range text in UTF-16 has a NUL in every other byte; that is how to tell it apart."""
    sample = head[:4096]
    if len(sample) < 8:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / len(sample[1::2])
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _decodes_as(head: bytes, encoding: str) -> int | None:
    """The byte offset of the first undecodable byte, or None; a character cut at the end is fine."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError as error:
        return error.start
    return None


def detect_encoding(head: bytes, declared: str | None, label: str) -> str:
    """The encoding of a text file from its first bytes; a declared one is checked, not trusted.

    Raises InvalidInput when the declared encoding cannot decode the file, or would garble it
    (a UTF-8 file declared as cp1251 decodes without errors but turns Cyrillic into mojibake).
    """
    detected = bom_encoding(head) or _looks_like_utf16_without_bom(head)
    if detected is None:
        detected = "utf-8" if _decodes_as(head, "utf-8") is None else _guess_legacy(head)
    if declared is None:
        return detected
    try:
        declared_name = codecs.lookup(declared).name
    except LookupError as error:
        raise InvalidInput(f"{label}: unknown encoding {declared!r}") from error
    bad_offset = _decodes_as(head, declared_name)
    if bad_offset is not None:
        raise InvalidInput(
            f"{label}: the file is not valid {declared} (undecodable byte at offset {bad_offset}); "
            f"it looks like {detected}"
        )
    detected_name = codecs.lookup(detected).name
    utf8_family = {"utf-8", "utf-8-sig"}
    if detected_name in utf8_family and declared_name in utf8_family:
        return detected_name
    if detected_name in utf8_family and declared_name not in utf8_family and not head.isascii():
        garbled = head[:200].decode(declared_name, errors="replace")[:40]
        raise InvalidInput(
            f"{label}: declared encoding {declared} does not match the file, which is valid UTF-8; "
            f"reading it as {declared} would garble the text ({garbled!r}...)"
        )
    if detected_name.startswith("utf-16") and not declared_name.startswith("utf-16"):
        raise InvalidInput(f"{label}: declared encoding {declared} does not match the file, which is UTF-16")
    return declared_name


def _guess_legacy(head: bytes) -> str:
    best = from_bytes(head[:65536], cp_isolation=_LEGACY_ENCODINGS).best()
    if best is None:
        return "cp1251"
    return codecs.lookup(str(best.encoding)).name


def _text_head(head: bytes) -> str:
    encoding = bom_encoding(head) or _looks_like_utf16_without_bom(head) or "utf-8"
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
    if bom_encoding(head) or _looks_like_utf16_without_bom(head):
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


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the sample's rows into the most consistent number of fields."""
    best = ","
    best_score = (0.0, 0)
    for candidate in (",", ";", "\t", "|"):
        try:
            counts = [len(row) for row in csv.reader(io.StringIO(text), delimiter=candidate) if row][:200]
        except csv.Error:  # e.g. a field over csv's size limit: not this delimiter
            continue
        if not counts:
            continue
        modal, modal_rows = Counter(counts).most_common(1)[0]
        if modal < 2:
            continue
        score = (modal_rows / len(counts), modal)
        if score > best_score:
            best, best_score = candidate, score
    return best
