"""Group-title rows, footnote markers and unnamed region columns inside a sheet's data area."""

from __future__ import annotations

from qazai.libraries.ingest.grid import find_table


def _grid(rows: list[list[object]]) -> list[list[str]]:
    return [["" if cell is None else str(cell) for cell in row] for row in rows]


def test_group_titles_become_a_column_filled_downwards() -> None:
    grid = _grid(
        [
            ["", "2020", "2021"],
            ["Мужчины", "", ""],
            ["Абай", "1", "2"],
            ["Жетісу", "3", "4"],
            ["Городское население", "", ""],
            ["Абай", "5", "6"],
        ]
    )
    layout = find_table(grid, [])
    assert layout.header == ["group", "region", "2020", "2021"]
    assert layout.data == [
        ["Мужчины", "Абай", "1", "2"],
        ["Мужчины", "Жетісу", "3", "4"],
        ["Городское население", "Абай", "5", "6"],
    ]
    assert any("group title" in note for note in layout.notes)


def test_a_label_row_with_empty_values_inside_the_table_is_not_a_group_title() -> None:
    grid = _grid([["name", "a", "b"], ["x", "1", "2"], ["y", "", ""], ["z", "3", "4"]])
    layout = find_table(grid, [])
    assert layout.header == ["name", "a", "b"]
    assert [row[0] for row in layout.data] == ["x", "y", "z"]


def test_footnote_marker_is_removed_only_when_a_footnote_explains_it() -> None:
    rows = [["name", "a", "b"], ["Class 1", "1", "2"], ["Other 2", "3", "4"]]
    with_note = find_table(_grid([*rows, ["1) Since 2018.", "", ""]]), [])
    assert [row[0] for row in with_note.data] == ["Class", "Other 2"]
    without = find_table(_grid(rows), [])
    assert [row[0] for row in without.data] == ["Class 1", "Other 2"]


def test_unnamed_column_of_other_text_keeps_a_generated_name() -> None:
    grid = _grid([["", "2020", "2021"], ["apples", "1", "2"], ["pears", "3", "4"], ["plums", "5", "6"]])
    assert find_table(grid, []).header[0] == ""  # clean_column_names makes it column_1


def test_header_cell_merged_down_from_above_names_the_column() -> None:
    grid = _grid([["Регион", "Годы", ""], ["", "2020", "2021"], ["apples", "1", "2"], ["pears", "3", "4"]])
    # A1:A2 merged: the label written in the top cell names the column under it.
    layout = find_table(grid, [((0, 0), (1, 0))], header_row=1)
    assert layout.header == ["Регион", "2020", "2021"]
