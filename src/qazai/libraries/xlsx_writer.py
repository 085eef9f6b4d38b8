# ruff: noqa: E501 - the package parts are XML written as they appear in the file
"""A one-sheet XLSX workbook written straight from Arrow batches, column by column.

openpyxl builds an object per cell and serialises it in Python: about 10 s per million cells on an
idle core, minutes for a table Excel can still hold. Here each column of a batch becomes the XML of
its cells with Arrow compute functions, rows are joined the same way, and the sheet streams into
the zip archive: the speed of the CSV writer, memory of one batch. The package is the minimal
SpreadsheetML one Excel, LibreOffice and openpyxl read: content types, relations, a workbook, a
style sheet (bold header, date and date-time formats) and the sheet, text as inline strings.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pyarrow as pa
import pyarrow.compute as pc

MAX_CELL_CHARS = 32_767
_EXACT = 2**53  # Excel keeps numbers as doubles: a larger integer goes in as text
_EPOCH_DAYS = 25_569  # 1970-01-01 as an Excel serial day (the 1900 system)
_US_PER_DAY = 86_400 * 1_000_000
# XML 1.0 forbids these characters even escaped
_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"
_STYLE_DATE, _STYLE_DATETIME, _STYLE_HEADER = 1, 2, 3

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>
</Relationships>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<bookViews><workbookView/></bookViews>
<sheets><sheet name={name} sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/><numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
_CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dc:title>{title}</dc:title><dc:creator>QazAI</dc:creator>
</cp:coreProperties>"""
_APP = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>QazAI</Application></Properties>"""
_SHEET_START = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>
<sheetData>"""
_SHEET_END = "</sheetData></worksheet>"


class CellTooLong(ValueError):
    """A text cell longer than Excel's 32,767 characters."""

    def __init__(self, column: str, characters: int) -> None:
        super().__init__(f"a cell of column {column!r} has {characters:,} characters")
        self.column = column
        self.characters = characters


def column_letters(index: int) -> str:
    """Excel's name of the 0-based column ``index``: A, B, ... Z, AA, AB..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(values: pa.Array) -> pa.Array:
    """Strings as XML text: forbidden characters dropped, &, < and > escaped."""
    values = pc.replace_substring_regex(values, pattern=_ILLEGAL, replacement="")
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        values = pc.replace_substring(values, pattern=raw, replacement=escaped)
    return values


def _wrap(values: pa.Array, before: str, after: str) -> pa.Array:
    return pc.binary_join_element_wise(before, values, after, "")


def _cells(name: str, column: pa.Array, ref: pa.Array) -> pa.Array:
    """The XML of each cell of ``column`` (``ref``: its cell references, `<c r="B7"`); a missing
    value is an empty cell."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        return _cells(name, pc.cast(column, kind.value_type), ref)
    number = pc.binary_join_element_wise(ref, "><v>", "")
    inline = pc.binary_join_element_wise(ref, ' t="inlineStr"><is><t xml:space="preserve">', "")
    if pa.types.is_boolean(kind):
        body = _wrap(pc.cast(pc.cast(column, pa.int8()), pa.string()), "", "</v></c>")
        cells = pc.binary_join_element_wise(pc.binary_join_element_wise(ref, ' t="b"><v>', ""), body, "")
    elif pa.types.is_integer(kind):
        if kind.bit_width < 53:
            exact = pc.is_valid(column)
        else:
            low = pc.greater(column, pa.scalar(-_EXACT, pa.int64()))
            exact = pc.and_(low, pc.less(column, pa.scalar(_EXACT, pa.int64())))
        text = pc.cast(column, pa.string())
        cells = pc.if_else(
            exact,
            pc.binary_join_element_wise(number, text, "</v></c>", ""),
            pc.binary_join_element_wise(inline, text, "</t></is></c>", ""),
        )
    elif pa.types.is_floating(kind):
        finite = pc.is_finite(column)
        text = pc.cast(column, pa.string())
        cells = pc.if_else(
            finite,
            pc.binary_join_element_wise(number, text, "</v></c>", ""),
            pc.binary_join_element_wise(inline, text, "</t></is></c>", ""),
        )
        cells = pc.if_else(pc.is_nan(column), pa.scalar(None, pa.string()), cells)
    elif pa.types.is_date(kind):
        days = pc.add(pc.cast(pc.cast(column, pa.date32()), pa.int32()), _EPOCH_DAYS)
        styled = pc.binary_join_element_wise(ref, f' s="{_STYLE_DATE}"><v>', "")
        cells = pc.binary_join_element_wise(styled, pc.cast(days, pa.string()), "</v></c>", "")
    elif pa.types.is_timestamp(kind):
        # a zoned time as its UTC wall-clock time: Excel has no time zones
        micros = pc.cast(pc.cast(column, pa.timestamp("us", kind.tz)), pa.int64())
        serial = pc.add(pc.divide(pc.cast(micros, pa.float64()), float(_US_PER_DAY)), float(_EPOCH_DAYS))
        styled = pc.binary_join_element_wise(ref, f' s="{_STYLE_DATETIME}"><v>', "")
        cells = pc.binary_join_element_wise(styled, pc.cast(serial, pa.string()), "</v></c>", "")
    else:
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            text = pc.cast(column, pa.string())
        else:
            text = pc.cast(column, pa.string()) if _castable(kind) else _as_json(column)
        longest = pc.max(pc.utf8_length(text)).as_py()
        if longest is not None and longest > MAX_CELL_CHARS:
            raise CellTooLong(name, int(longest))
        cells = pc.binary_join_element_wise(inline, _text(text), "</t></is></c>", "")
    return pc.fill_null(cells, pa.scalar("", pa.string()))


def _castable(kind: pa.DataType) -> bool:
    return bool(pa.types.is_decimal(kind) or pa.types.is_time(kind) or pa.types.is_duration(kind))


def _as_json(column: pa.Array) -> pa.Array:
    import json

    def one(value: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, bytes):
            return value.hex()
        return json.dumps(value, ensure_ascii=False, default=str)

    return pa.array([one(v) for v in column.to_pylist()], pa.string())


def _header(names: Sequence[str]) -> str:
    cells = "".join(
        f'<c r="{column_letters(i)}1" s="{_STYLE_HEADER}" t="inlineStr"><is><t xml:space="preserve">'
        f"{escape(_legal(name))}</t></is></c>"
        for i, name in enumerate(names)
    )
    return f'<row r="1">{cells}</row>'


def _legal(text: str) -> str:
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 32)


def _rows(batch: pa.RecordBatch, first_row: int) -> str:
    numbers = pc.cast(pa.array(range(first_row, first_row + batch.num_rows), pa.int64()), pa.string())
    cells = []
    for i, name in enumerate(batch.schema.names):
        ref = pc.binary_join_element_wise(f'<c r="{column_letters(i)}', numbers, '"', "")
        cells.append(_cells(name, batch.column(i), ref))
    starts = pc.binary_join_element_wise('<row r="', numbers, '">', "")
    rows = pc.binary_join_element_wise(starts, *cells, "</row>", "")
    return "".join(rows.to_pylist())


def write_workbook(
    target: Path, names: Sequence[str], batches: Iterable[pa.RecordBatch], *, sheet: str
) -> int:
    """Write the rows of ``batches`` (columns ``names``) under a bold, frozen header row as the one
    sheet ``sheet`` (a valid sheet name) of the workbook ``target``; returns the rows written.
    CellTooLong for a text Excel cannot hold (``target`` is then incomplete: throw it away)."""
    rows = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path, text in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _ROOT_RELS),
            ("docProps/core.xml", _CORE.format(title=escape(_legal(sheet)))),
            ("docProps/app.xml", _APP),
            ("xl/workbook.xml", _WORKBOOK.format(name=quoteattr(_legal(sheet)))),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
            ("xl/styles.xml", _STYLES),
        ):
            archive.writestr(path, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(_SHEET_START.encode())
            out.write(_header(names).encode())
            for batch in batches:
                if batch.num_rows:
                    out.write(_rows(batch, rows + 2).encode())
                    rows += batch.num_rows
            out.write(_SHEET_END.encode())
    return rows
