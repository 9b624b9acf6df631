"""Fuzz the extract reader with hypothesis: whatever bytes a file holds, read_extract returns
rows or a rejection, never raises, never hangs, and never shows a full NIK.

The run is bounded (JAMSOS_FUZZ_EXAMPLES examples per target, 150 by default, a few
seconds); set it higher for a longer campaign, e.g. JAMSOS_FUZZ_EXAMPLES=20000. Inputs that
once broke the reader are kept below as regression cases.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flows.extracts import ROWS_SCHEMA, ExtractRead, read_extract
from tests.test_hostile_files import HEADER, good_row, sheet_xml, write_raw_workbook

FUZZ_EXAMPLES = int(os.environ.get("JAMSOS_FUZZ_EXAMPLES", "150"))
FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CSV_SEED = (
    "\ufeffDAFTAR PESERTA;;;\r\n"
    "NIK;Nama Lengkap;Desa/\nKelurahan;Kategori;TMT;Tgl Akhir\r\n"
    '6172010101900001;"Budi\n""Santoso""";Roban;rentan;15/12/2025;\r\n'
    "6172014101900002;Siti;Sei Wie;PR;2025-12-16 08.30;31 Des 2025\n"
    "\n"
    ";;;;;\n"
    "6.17201E+15;André;Pasiran;sawit;46006;\n"
    "JUMLAH;2;;;;\n"
).encode()
SPECIAL_BYTES = (
    b"\x00", b"\r", b"\n", b"\r\n", b'"', b";", b",", b"\t", b"\xff\xfe", b"\xfe\xff",
    b"\xef\xbb\xbf", b"\xe2\x80", b"\xc3", b"\x1a", b"JUMLAH", b"NIK", b"TMT", b"=1+1",
    b"6172010101900009", b"PK\x03\x04", b"\xd0\xcf\x11\xe0",
)  # fmt: skip
XML_SNIPPETS = (
    b'<c r="A1048576" t="inlineStr"><is><t>x</t></is></c>',
    b'<c r="Z99"><v>1</v></c>',
    b'<c r="B2" t="s"><v>99</v></c>',
    b'<c r="C3" t="e"><v>#REF!</v></c>',
    b'<c r="D4"><f>1/0</f></c>',
    b'<c r="E5" t="b"><v>7</v></c>',
    b'<c r="E5" t="d"><v>bukan tanggal</v></c>',
    b'<c t="inlineStr"><is><t>tanpa r</t></is></c>',
    b'<row r="0">',
    b'<row r="4294967296">',
    b"<![CDATA[",
    b"&lol;",
    b"&#0;",
    b"</sheetData>",
    b"<sheetData>",
    b'<mergeCell ref="A1:XFD1"/>',
)


def mutate(draw: st.DrawFn, seed: bytes, snippets: tuple[bytes, ...]) -> bytes:
    """Apply a few random byte-level edits to seed."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            data += b"x"
        position = draw(st.integers(0, len(data) - 1))
        edit = draw(st.sampled_from(["set", "insert", "snippet", "delete", "cut", "repeat"]))
        if edit == "set":
            data[position] = draw(st.integers(0, 255))
        elif edit == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif edit == "snippet":
            data[position:position] = draw(st.sampled_from(snippets))
        elif edit == "delete":
            del data[position : position + draw(st.integers(1, 32))]
        elif edit == "cut":
            del data[position:]
        else:
            end = min(len(data), position + draw(st.integers(1, 64)))
            data[position:position] = data[position:end] * draw(st.integers(1, 4))
    return bytes(data)


@st.composite
def mutated_csv(draw: st.DrawFn) -> bytes:
    return mutate(draw, CSV_SEED, SPECIAL_BYTES)


@cache
def xlsx_seed() -> dict[str, bytes]:
    """The members of a small workbook with title rows, typed cells, a formula and a footer."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.xlsx"
        workbook = xlsxwriter.Workbook(str(path))
        sheet = workbook.add_worksheet("Data")
        dates = workbook.add_format({"num_format": "dd/mm/yyyy"})
        sheet.write_string(0, 0, "DAFTAR PESERTA")
        sheet.write_row(2, 0, [*HEADER, "Tgl Akhir"])
        sheet.write_row(3, 0, good_row(1))
        sheet.write_number(4, 0, 6172010101900002)
        sheet.write_row(4, 1, ["Siti", "Pasiran", "sawit"])
        sheet.write_formula(4, 4, "=DATE(2025,12,16)", dates, 46007)
        sheet.write_number(4, 5, 46030, dates)
        sheet.write_string(5, 0, "JUMLAH")
        workbook.add_worksheet("Rekap").write_row(0, 0, ["Kelurahan", "Jumlah"])
        workbook.close()
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in archive.namelist()}


@st.composite
def mutated_xlsx(draw: st.DrawFn) -> bytes:
    members = xlsx_seed()
    target = draw(st.sampled_from(["xl/worksheets/sheet1.xml"] * 4 + sorted(members)))
    edited = dict(members)
    edited[target] = mutate(draw, members[target], XML_SNIPPETS + SPECIAL_BYTES)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in edited.items():
            archive.writestr(name, content)
    data = buffer.getvalue()
    if draw(st.integers(0, 9)) == 0:  # now and then damage the archive itself
        data = mutate(draw, data, SPECIAL_BYTES)
    return data


def check_read(content: bytes, suffix: str) -> ExtractRead:
    """Read content as an extract and check what must hold for any input."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"kiriman_2025-12-20{suffix}"
        path.write_bytes(content)
        result = read_extract(path, path.name)
    assert isinstance(result, ExtractRead)
    assert result.rows.schema == pl.Schema(ROWS_SCHEMA)
    if result.error is None:
        assert result.rows.height > 0
        rows = result.rows.select("source_sheet", "source_row")
        assert rows.get_column("source_row").min() >= 1  # type: ignore[operator]
        for _, sheet_rows in rows.group_by("source_sheet", maintain_order=True):
            numbers = sheet_rows.get_column("source_row").to_list()
            assert numbers == sorted(set(numbers)), "row numbers must rise within a sheet"
        if suffix == ".csv":
            assert max(numbers) <= content.count(b"\n") + content.count(b"\r") + 1
    else:
        assert result.rows.height == 0
        assert result.error.strip()
    for text in [result.error or "", *result.notes]:
        assert not re.search(r"\d{16}", text), text
    return result


@FUZZ_SETTINGS
@given(content=st.binary(max_size=2048))
@example(content=b"")
@example(content=b"\xff\xfe")
@example(content=b'NIK;Kelurahan;Kategori;TMT\n"')
def test_reader_survives_any_bytes_named_csv(content: bytes) -> None:
    check_read(content, ".csv")


@FUZZ_SETTINGS
@given(content=mutated_csv())
def test_reader_survives_mutations_of_a_real_csv(content: bytes) -> None:
    check_read(content, ".csv")


@FUZZ_SETTINGS
@given(content=st.binary(max_size=2048))
@example(content=b"PK\x05\x06" + b"\x00" * 18)
@example(content=b"PK\x03\x04")
def test_reader_survives_any_bytes_named_xlsx(content: bytes) -> None:
    check_read(content, ".xlsx")


@FUZZ_SETTINGS
@given(content=mutated_xlsx())
def test_reader_survives_mutations_of_a_real_xlsx(content: bytes) -> None:
    check_read(content, ".xlsx")


# ---------------------------------------------------------------- regression cases


def _sheet_with(extra_row_xml: str) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        xml = sheet_xml([HEADER, good_row(1)]).replace(
            "</sheetData>", f"{extra_row_xml}</sheetData>"
        )
        return write_raw_workbook(path, [("Data", xml, None)])

    return write


def _two_sheets_named_alike(path: Path) -> Path:
    xml = sheet_xml([HEADER, good_row(1)])
    return write_raw_workbook(path, [("Data", xml, None), ("DATA", xml, None)])


REGRESSIONS: dict[str, tuple[Callable[[Path], Path], str | None]] = {
    # Found by the fuzzer: a damaged workbook.xml listed the sheet "Data" twice, and its rows
    # were read, counted and rejected as duplicates twice. Now the workbook is rejected.
    "two_sheets_with_one_name": (_two_sheets_named_alike, "dua sheet bernama"),
    # One cell at XFD1048576: the spreadsheet library allocated 512 GB and aborted the
    # whole process. Now only the reader process dies and the file is rejected.
    "cell_at_the_last_column_and_row": (
        _sheet_with('<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'),
        "memori",
    ),
    # A row number beyond Excel's last row.
    "row_number_past_the_last_row": (
        _sheet_with('<row r="4294967296"><c t="inlineStr"><is><t>x</t></is></c></row>'),
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(REGRESSIONS))
def test_inputs_that_once_broke_the_reader_now_get_an_outcome(tmp_path: Path, case: str) -> None:
    write, says = REGRESSIONS[case]
    path = write(tmp_path / "kasus.xlsx")
    result = check_read(path.read_bytes(), ".xlsx")
    if says is not None:
        assert result.error is not None and says in result.error
    after = check_read(write_raw_workbook_bytes(), ".xlsx")
    assert after.error is None


def write_raw_workbook_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = write_raw_workbook(
            Path(folder) / "baik.xlsx", [("Data", sheet_xml([HEADER, good_row(2)]), None)]
        )
        return path.read_bytes()
