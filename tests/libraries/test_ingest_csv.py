"""CSV reader: encodings, delimiters, quoting, title rows, streaming and every bad-input path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qazai.core.errors import InvalidInput, PayloadTooLarge
from qazai.libraries.ingest import ColumnType, RaggedRows, ReadLimits, open_source

# Russian only, so that the same text also fits cp1251 (which has no Kazakh letters).
TEXT = "район;сумма;дата\nАлматинская область;1 234,5;31.12.2023\nКостанай;332 720;01.01.2024\n"


def _write(tmp_path: Path, data: bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("encoded", "expected_encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16-le"),
        (TEXT.encode("cp1251"), "cp1251"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "cp1251"],
)
def test_csv_encodings_are_detected_and_text_survives(
    tmp_path: Path, read_all: Any, encoded: bytes, expected_encoding: str
) -> None:
    table, schema, data, report = read_all(_write(tmp_path, encoded))["data"]
    assert table.encoding == expected_encoding
    assert table.delimiter == ";"
    assert table.columns == ("район", "сумма", "дата")
    assert data.column("сумма").to_pylist() == [1234.5, 332720.0]
    assert schema.column("дата").type is ColumnType.date
    assert data.column(0).to_pylist()[0] == "Алматинская область"
    assert report.total_failed == 0


def test_kazakh_cp1251_lookalike_is_read_with_a_kazakh_capable_codepage(tmp_path: Path) -> None:
    text = "атауы,саны\n" + "Қазақстан Республикасы,1\nӨскемен,2\nҰлытау,3\n" * 20
    table = open_source(_write(tmp_path, text.encode("kz1048")))[0]
    assert table.encoding in {"kz1048", "cp1251"}
    assert table.head(1).column(0).to_pylist() == ["Қазақстан Республикасы"] or table.encoding == "cp1251"


def test_tab_and_pipe_delimiters_and_quoted_newlines(tmp_path: Path, read_all: Any) -> None:
    tsv = 'id\tмәтін\n1\t"бірінші\nжол, екінші"\n2\tқарапайым\n'
    _, _, data, _ = read_all(_write(tmp_path, tsv.encode(), "t.tsv"))["t"]
    assert data.column("мәтін").to_pylist() == ["бірінші\nжол, екінші", "қарапайым"]
    piped = "a|b\n1|x\n2|y\n"
    table = open_source(_write(tmp_path, piped.encode(), "p.csv"))[0]
    assert table.delimiter == "|"


def test_title_rows_above_the_header_are_skipped(tmp_path: Path, read_all: Any) -> None:
    text = "Численность населения\nчеловек\n\nрегион,2020,2021\nАстана,1136156,1184411\n"
    table, _, data, _ = read_all(_write(tmp_path, text.encode()))["data"]
    assert table.header_row == 3
    assert table.columns == ("регион", "2020", "2021")
    assert data.to_pylist() == [{"регион": "Астана", "2020": 1136156, "2021": 1184411}]


def test_duplicate_and_empty_headers_get_unique_names(tmp_path: Path) -> None:
    table = open_source(_write(tmp_path, b"a,A,,a,column_3\n1,2,3,4,5\n"))[0]
    assert table.columns == ("a", "A_2", "column_3_2", "a_3", "column_3")


def test_big_csv_streams_in_several_batches(tmp_path: Path, read_all: Any) -> None:
    lines = ["id,сумма"] + [f'{i},"{i % 999 + 1} 000,5"' for i in range(200_000)]
    path = _write(tmp_path, "\n".join(lines).encode() + b"\n")
    limits = ReadLimits(csv_block_bytes=1 << 20)
    table = open_source(path, limits=limits)[0]
    sizes = [batch.num_rows for batch in table.batches()]
    assert len(sizes) > 1
    assert sum(sizes) == 200_000 == table.stats.rows
    _, schema, data, _ = read_all(path, limits=limits)["data"]
    assert schema.column("сумма").type is ColumnType.float
    assert data.column("сумма").to_pylist()[-1] == 200_000.5


def test_cp1251_streams_through_the_transcoder_past_the_sample(tmp_path: Path, read_all: Any) -> None:
    rows = "\n".join(f"{i};Город {i}" for i in range(50_000))
    path = _write(tmp_path, ("номер;название\n" + rows + "\nКонец;Последняя строка\n").encode("cp1251"))
    limits = ReadLimits(sniff_bytes=4096, csv_block_bytes=1 << 16)
    _, _, data, _ = read_all(path, limits=limits)["data"]
    assert data.num_rows == 50_001
    assert data.column("название").to_pylist()[-1] == "Последняя строка"


# --- bad input -------------------------------------------------------------------------------


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"empty"):
        open_source(_write(tmp_path, b""))
    with pytest.raises(InvalidInput, match=r"empty"):
        open_source(_write(tmp_path, b"\n\n  \n", "blank.csv"))


def test_ragged_rows_are_an_error_naming_the_row(tmp_path: Path) -> None:
    path = _write(tmp_path, b"a,b,c\n1,2,3\n4,5\n6,7,8\n")
    table = open_source(path)[0]
    with pytest.raises(InvalidInput, match=r"2 fields where the header has 3: '4,5'"):
        list(table.batches())


def test_ragged_rows_can_be_skipped_and_are_counted(tmp_path: Path) -> None:
    path = _write(tmp_path, b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n")
    table = open_source(path, limits=ReadLimits(ragged_rows=RaggedRows.skip))[0]
    assert sum(batch.num_rows for batch in table.batches()) == 2
    assert table.stats.skipped_rows == 2
    assert "'4,5'" in table.stats.skipped_examples[0]


def test_truncated_inside_a_quote_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, b'id,text\n1,"ok"\n2,"cut off in the mid')
    table = open_source(path)[0]
    with pytest.raises(InvalidInput, match=r"unclosed quote"):
        list(table.batches())


def test_wrong_declared_encoding_is_an_error(tmp_path: Path) -> None:
    utf8 = _write(tmp_path, TEXT.encode("utf-8"))
    with pytest.raises(InvalidInput, match=r"declared encoding cp1251 does not match.*UTF-8"):
        open_source(utf8, declared_encoding="cp1251")
    cp1251 = _write(tmp_path, "имя\nМария\n".encode("cp1251"), "legacy.csv")
    with pytest.raises(InvalidInput, match=r"not valid utf-8.*offset 0"):
        open_source(cp1251, declared_encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"unknown encoding"):
        open_source(cp1251, declared_encoding="klingon")
    assert open_source(cp1251, declared_encoding="windows-1251")[0].head(1).column(0).to_pylist() == ["Мария"]


def test_invalid_utf8_after_the_sample_is_an_error(tmp_path: Path) -> None:
    body = b"a,b\n" + b"1,x\n" * 5000 + b"2,\xff\xfe\n"
    table = open_source(_write(tmp_path, body), limits=ReadLimits(sniff_bytes=1024))[0]
    with pytest.raises(InvalidInput, match=r"UTF-8"):
        list(table.batches())


def test_nul_bytes_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"binary|NUL"):
        open_source(_write(tmp_path, b"a,b\n1,\x00\x00\x00\x00\x00\x002\n"))
    late = b"a,b\n" + b"1,2\n" * 3000 + b"3,\x004\n"
    table = open_source(_write(tmp_path, late, "late.csv"), limits=ReadLimits(sniff_bytes=1024))[0]
    with pytest.raises(InvalidInput, match=r"NUL byte at offset"):
        list(table.batches())


def test_binary_garbage_is_rejected(tmp_path: Path) -> None:
    garbage = bytes(range(256)) * 8
    with pytest.raises(InvalidInput, match=r"binary data"):
        open_source(_write(tmp_path, garbage, "data.csv"))
    with pytest.raises(InvalidInput, match=r"gzip"):
        open_source(_write(tmp_path, b"\x1f\x8b\x08\x00" + garbage, "x.csv"))


def test_too_many_columns_is_refused(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(100_000))
    path = _write(tmp_path, (header + "\n" + ",".join("1" * 100_000) + "\n").encode())
    with pytest.raises(PayloadTooLarge, match=r"100000 columns, more than the limit of 10000"):
        open_source(path)
    with pytest.raises(PayloadTooLarge, match=r"first line is longer"):
        open_source(path, limits=ReadLimits(sniff_bytes=1000))


def test_a_row_longer_than_a_block_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, b"a,b\n1," + b"x" * 300_000 + b"\n")
    table = open_source(path, limits=ReadLimits(csv_block_bytes=65_536, sniff_bytes=1024))[0]
    with pytest.raises(PayloadTooLarge, match=r"longer than 65536 bytes"):
        list(table.batches())


def _rows_and_stats(path: Path, limits: ReadLimits) -> tuple[list[list[Any]], int, list[str], int]:
    """Every row (batch boundaries aside), the skipped-row counters and the first batch's size."""
    table = open_source(path, limits=limits)[0]
    rows: list[list[Any]] = []
    first = -1
    for batch in table.batches():
        first = batch.num_rows if first < 0 else first
        rows.extend(list(r.values()) for r in batch.to_pylist())
    return rows, table.stats.skipped_rows, list(table.stats.skipped_examples), first


def _head_cases() -> dict[str, bytes]:
    """Files bigger than the 1 MB blocks of the first rows' reader, each hard in its own way."""
    multiline = ["id,text,amount"] + [
        f'{i},"one\nline ""two"", {i}\r\nthree",{i * 1.5}' for i in range(40_000)
    ]
    ragged = ["a,b,c"] + [f"{i},x{i},y" if i not in (5_000, 100_000) else f"{i},bad" for i in range(150_000)]
    titled = ["Отчёт за 2024", "единица: тенге", "", "регион,значение,примечание"] + [
        f'Алматы {i},{i},"к, {i}"' + ("\n" if i % 997 == 0 else "") for i in range(50_000)
    ]
    legacy = ["ФИО;Сумма;Комментарий"] + [f'Иванов {i};{i},50;"текст; {i}"' for i in range(60_000)]
    long_row = ["k,v"] + [f"{i},v{i}" if i != 8_000 else f"{i}," + "x" * 1_300_000 for i in range(20_000)]
    return {
        "multiline_crlf.csv": ("\r\n".join(multiline) + "\r\n").encode(),
        "ragged.csv": ("\n".join(ragged) + "\n").encode(),
        "titles_bom.csv": b"\xef\xbb\xbf" + ("\n".join(titled) + "\n").encode(),
        "cp1251.csv": ("\n".join(legacy) + "\n").encode("cp1251"),
        "long_row.csv": ("\n".join(long_row) + "\n").encode(),
    }


@pytest.mark.parametrize("name", sorted(_head_cases()))
def test_first_rows_reader_gives_what_one_reader_gives(tmp_path: Path, name: str) -> None:
    """The first rows come from a reader of 1 MB blocks and the rest from the full reader, which
    drops them: rows, skipped rows and their examples equal one reader's (sample_rows=0 turns
    the first reader off), with quoted newlines, CRLF, title rows, a BOM, empty lines, cp1251,
    ragged rows on both sides of the hand-over and a row longer than the small block."""
    path = _write(tmp_path, _head_cases()[name], name)
    skip = ReadLimits(ragged_rows=RaggedRows.skip)
    split = _rows_and_stats(path, skip)
    whole = _rows_and_stats(path, ReadLimits(ragged_rows=RaggedRows.skip, sample_rows=0))
    assert split[:3] == whole[:3]
    assert len(split[0]) > 15_000
    if name == "ragged.csv":
        assert split[1] == 2
        with pytest.raises(InvalidInput, match="'5000,bad'"):
            _rows_and_stats(path, ReadLimits())
    if name == "multiline_crlf.csv":
        assert split[0][12_345] == ["12345", 'one\nline "two", 12345\r\nthree', "18517.5"]
        assert split[3] < whole[3]  # the sample is ready before the first big block is parsed


def _crlf_across(offsets: list[int]) -> bytes:
    """LF records whose quoted notes hold a CRLF; at each offset a note's CR is the last byte of
    one block and its LF the first of the next. Rows of ~150 bytes: the first 1 MB holds fewer
    rows than a sample, so the first rows' reader reads past its first block."""
    out = bytearray(b"id;note\n")
    i = 0
    filler = "ж" * 64
    for offset in offsets:
        while len(out) < offset - 400:
            out += f'{i};"plain {i} {filler}"\n'.encode()
            i += 1
        head = f'{i};"line one;'.encode()
        pad = offset - 1 - len(out) - len(head)  # the CR lands at offset - 1
        out += head + b"x" * pad + b'\r\nline two"\n'
        i += 1
    for _ in range(2_000):
        out += f'{i};"plain {i}"\n'.encode()
        i += 1
    return bytes(out)


@pytest.mark.parametrize(
    ("offsets", "limits"),
    [
        ([1 << 20, 2 << 20], ReadLimits()),  # the first rows' reader of 1 MB blocks
        ([2 << 20, 4 << 20], ReadLimits(csv_block_bytes=2 << 20, sample_rows=0)),  # the full reader
    ],
    ids=["first-rows-reader", "full-reader"],
)
def test_a_crlf_in_a_quoted_value_across_a_block_boundary_is_kept(
    tmp_path: Path, offsets: list[int], limits: ReadLimits
) -> None:
    """pyarrow alone turns such a CRLF into a lone CR; the reader never ends a block on a CR."""
    data = _crlf_across(offsets)
    assert all(data[o - 1 : o + 1] == b"\r\n" for o in offsets)
    notes = [
        v
        for b in open_source(_write(tmp_path, data), limits=limits)[0].batches()
        for v in b.column(1).to_pylist()
    ]
    assert sum(1 for v in notes if "\r\n" in v) == len(offsets)
    assert not [v for v in notes if "\r" in v.replace("\r\n", "")]
