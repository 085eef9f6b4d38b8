"""What statistical sheets put inside the data area: group titles, footnote markers, unnamed labels.

Works on the grid's data rows (cell texts, "" when empty) after the header and the trailing
footnotes are found:

- **group-title rows** — sub-tables stacked in one sheet under a row that fills only the first
  cell ("Мужчины", then "Городское население", "Сельское население"). They become a ``group``
  column, filled downwards, and the title rows are dropped.
- **footnote markers** — "Туркестанская 1" where a footnote "1) Данные за 2000-2016гг. …" explains
  it; the marker is removed from the label (the footnote is kept in the table's notes).
- **an unnamed label column holding region names** is called ``region``.
"""

from __future__ import annotations

import re

GROUP_COLUMN = "group"
REGION_COLUMN = "region"

# Region names of Kazakhstan (Russian, Kazakh, English transliterations), matched as word stems.
_REGION_STEMS = (
    "акмол", "актюб", "алмат", "атырау", "западно-казахстан", "жамбыл", "караганд", "костанай",
    "кызылорд", "мангист", "павлодар", "северо-казахстан", "туркестан", "южно-казахстан",
    "восточно-казахстан", "астан", "шымкент", "абай", "жетісу", "жетысу", "ұлытау", "улытау",
    "казахстан", "ақмола", "ақтөбе", "батыс қазақстан", "қарағанды", "қостанай", "қызылорда",
    "маңғыстау", "солтүстік қазақстан", "түркістан", "шығыс қазақстан", "қазақстан", "akmol",
    "aktob", "almat", "atyrau", "west kazakhstan", "zhambyl", "jambyl", "karagand", "kostana",
    "kyzylord", "mangist", "mangyst", "pavlodar", "north kazakhstan", "turkestan",
    "south kazakhstan", "east kazakhstan", "astana", "nur-sultan", "shymkent", "abai", "abay",
    "zhetisu", "jetisu", "ulytau", "kazakhstan",
)  # fmt: skip
_REGION = re.compile(r"(?:^|[\s.(])(?:" + "|".join(map(re.escape, _REGION_STEMS)) + ")")
# "Туркестанская 1", "Туркестанская1)", "Абай*", "Жетісу²": a label, then a footnote marker.
_TRAILING_MARKER = re.compile(r"^(.*[^\W\d_][.)]?)\s*(\d{1,2}\)?|\*{1,3}|[¹²³⁴⁵⁶⁷⁸⁹])$")
# A footnote's own marker: "1) …", "1. …", "* …", "¹ …".
_FOOTNOTE_MARKER = re.compile(r"^\s*(\d{1,2}|\*{1,3}|[¹²³⁴⁵⁶⁷⁸⁹])[).]?\s")


def _filled(row: list[str]) -> int:
    return sum(1 for cell in row if cell.strip())


def _is_title_row(row: list[str]) -> bool:
    return bool(row and row[0].strip()) and _filled(row) == 1


def looks_like_region(value: str) -> bool:
    return bool(_REGION.search(value.strip().casefold().replace("_", " ")))


def fold_group_rows(
    header: list[str], data: list[list[str]], notes: list[str]
) -> tuple[list[str], list[list[str]]]:
    """Group-title rows -> a ``group`` column in front, filled downwards; the title rows dropped.

    Only when the first data row is such a title (so a label row with all its values empty in
    the middle of a table is not mistaken for one), the table has at least three columns, and
    every title is followed by data.
    """
    if len(header) < 3 or len(data) < 2 or not _is_title_row(data[0]):
        return header, data
    titles = [i for i, row in enumerate(data) if _is_title_row(row)]
    if any(i + 1 >= len(data) or _is_title_row(data[i + 1]) for i in titles):
        return header, data
    rows: list[list[str]] = []
    group = ""
    for row in data:
        if _is_title_row(row):
            group = row[0].strip()
            continue
        rows.append([group, *row])
    names = [title for i in titles if (title := data[i][0].strip())]
    notes.append(f"{len(titles)} group title row(s) became the column {GROUP_COLUMN!r}: {', '.join(names)}")
    return [GROUP_COLUMN, *header], rows


def footnote_markers(footnotes: list[str]) -> set[str]:
    return {match.group(1) for text in footnotes if (match := _FOOTNOTE_MARKER.match(text))}


def _marker_removed(value: str, markers: set[str], regions: bool) -> str | None:
    match = _TRAILING_MARKER.match(value.strip())
    if not match:
        return None
    label, marker = match.group(1).strip(), match.group(2).rstrip(")")
    if marker in markers or (regions and looks_like_region(label)):
        return label
    return None


def tidy_labels(
    header: list[str], data: list[list[str]], footnotes: list[str], notes: list[str]
) -> list[str]:
    """Name an unnamed region column ``region``; strip footnote markers from label columns.

    A column is a label column when most of its values are text naming regions (markers are then
    removed when the rest is a region name), and the first text column always is (markers are
    removed when a dropped footnote starts with that marker). Changes ``data`` in place.
    """
    markers = footnote_markers(footnotes)
    header = list(header)
    taken = {name.strip().casefold() for name in header}
    for index in range(len(header)):
        values = [row[index].strip() for row in data if row[index].strip()]
        if not values:
            continue
        regions = sum(looks_like_region(value) for value in values) >= max(3, 0.6 * len(values))
        if regions and not header[index].strip() and REGION_COLUMN not in taken:
            header[index] = REGION_COLUMN
            taken.add(REGION_COLUMN)
            notes.append(f"the unnamed column {index + 1} holds region names: named {REGION_COLUMN!r}")
        if not regions and not (markers and index == _first_text_column(data)):
            continue
        changed: dict[str, str] = {}
        for row in data:
            cleaned = _marker_removed(row[index], markers, regions)
            if cleaned is not None:
                changed[row[index].strip()] = cleaned
                row[index] = cleaned
        for old, new in changed.items():
            notes.append(f"removed a footnote marker: {old!r} -> {new!r}")
    return header


def _first_text_column(data: list[list[str]]) -> int:
    width = len(data[0]) if data else 0
    for index in range(width):
        if any(re.search(r"[^\W\d_]", row[index]) for row in data):
            return index
    return -1
