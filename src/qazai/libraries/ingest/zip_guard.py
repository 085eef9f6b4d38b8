"""Checks on a workbook's ZIP container before any parser decompresses it.

A zip bomb declares modest sizes or a huge ratio; a lying one declares small sizes and inflates
far beyond them. The declared sizes and ratios are checked first, then every entry is streamed
through Python's zipfile, which stops at the declared size and verifies the CRC, so the
declared sizes are proven before calamine (which trusts them) opens the file. The same pass
counts formula cells in each worksheet, since calamine returns only their cached values.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from qazai.core.errors import InvalidInput, PayloadTooLarge
from qazai.libraries.ingest.models import ReadLimits

_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_SHEET_ENTRY = re.compile(r"^xl/worksheets/[^/]+\.xml$")
# Ratios of real sheets rarely pass 100:1; small entries are exempt since their ratio means nothing.
_RATIO_EXEMPT_BYTES = 1 << 20


@dataclass(frozen=True)
class ZipReport:
    uncompressed_bytes: int
    formulas_by_entry: dict[str, int]
    sheet_entries: dict[str, str]


def check_workbook_zip(path: Path, label: str, limits: ReadLimits) -> ZipReport:
    """Raise PayloadTooLarge for a bomb-like archive and InvalidInput for a damaged one."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > limits.max_zip_entries:
                raise PayloadTooLarge(f"{label}: {len(entries)} entries in the workbook's ZIP container")
            total = sum(entry.file_size for entry in entries)
            if total > limits.max_uncompressed_bytes:
                raise PayloadTooLarge(
                    f"{label}: the workbook unpacks to {total} bytes, more than the limit of "
                    f"{limits.max_uncompressed_bytes} (setting max_uncompressed_bytes)"
                )
            for entry in entries:
                ratio = entry.file_size / max(entry.compress_size, 1)
                if entry.file_size > _RATIO_EXEMPT_BYTES and ratio > limits.max_compression_ratio:
                    raise PayloadTooLarge(
                        f"{label}: entry {entry.filename!r} expands {ratio:.0f}:1, more than the "
                        f"limit of {limits.max_compression_ratio:.0f}:1; this looks like a zip bomb"
                    )
            formulas = {entry.filename: _verify_entry(archive, entry) for entry in entries}
            sheets = _sheet_entries(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as error:
        raise InvalidInput(f"{label}: a damaged or truncated XLSX file ({error})") from error
    return ZipReport(
        uncompressed_bytes=total,
        formulas_by_entry={name: count for name, count in formulas.items() if count},
        sheet_entries=sheets,
    )


def _verify_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> int:
    """Read the entry to its end (raising on a bad CRC or size) and count formula cells in sheets."""
    count_formulas = bool(_SHEET_ENTRY.match(entry.filename))
    formulas = 0
    tail = b""
    with archive.open(entry) as stream:
        while chunk := stream.read(1 << 20):
            if count_formulas:
                window = tail + chunk
                formulas += len(_FORMULA.findall(window)) - len(_FORMULA.findall(tail))
                tail = window[-16:]
    return formulas


_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\b[^>]*>")
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_RELATIONSHIP = re.compile(r"<(?:\w+:)?Relationship\b[^>]*>")


def _sheet_entries(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet XML entry, from workbook.xml and its relationships.

    Read with regular expressions on purpose: these two small files need two attributes each,
    and a regex cannot be made to expand entities.
    """
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    workbook = archive.read("xl/workbook.xml").decode("utf-8", errors="replace")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
    targets: dict[str, str] = {}
    for tag in _RELATIONSHIP.findall(rels):
        attrs = dict(_ATTR.findall(tag))
        target = attrs.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[attrs.get("Id", "")] = target
    result: dict[str, str] = {}
    for tag in _SHEET_TAG.findall(workbook):
        attrs = dict(_ATTR.findall(tag))
        rel_id = next((value for key, value in attrs.items() if key.endswith(":id")), "")
        if "name" in attrs and rel_id in targets:
            result[_unescape(attrs["name"])] = targets[rel_id]
    return result


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )
