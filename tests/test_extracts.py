"""Extract files are found, ordered and read into text rows as the contract says."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from flows.extracts import ROWS_SCHEMA, discover_extracts, read_extract
from schemas.columns import CONTRACT_COLUMNS
from tests.conftest import write_workbook

HEADER = ["No", "NIK", "Nama", "Kelurahan", "Kategori", "TMT"]
ROW_1 = ["1", "6172010101900001", "Budi", "Roban", "rentan", "15/12/2025"]
ROW_2 = ["2", "6172014101900002", "Siti", "Pasiran", "sawit", "16/12/2025"]


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ";", end: str = "\n") -> Path:
    path.write_text(end.join(delimiter.join(row) for row in rows) + end, encoding="utf-8")
    return path


def read_ok(path: Path) -> pl.DataFrame:
    result = read_extract(path, path.name)
    assert result.error is None, result.error
    return result.rows


def column(rows: pl.DataFrame, name: str) -> list[object]:
    return rows.get_column(name).to_list()


# ---------------------------------------------------------------- CSV


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    rows = read_ok(write_csv(tmp_path / "a.csv", [HEADER, ROW_1, ROW_2], delimiter))
    assert column(rows, "nik") == ["6172010101900001", "6172014101900002"]
    assert column(rows, "kelurahan") == ["Roban", "Pasiran"]


def test_rows_have_exactly_the_contract_schema(tmp_path: Path) -> None:
    rows = read_ok(write_csv(tmp_path / "a.csv", [HEADER, ROW_1]))
    assert rows.schema == pl.Schema(ROWS_SCHEMA)
    assert rows.columns[3:] == list(CONTRACT_COLUMNS)
    assert rows.row(0, named=True) | {"no_kpj": None} == {
        "source_file": "a.csv",
        "source_sheet": None,
        "source_row": 2,
        "nik": "6172010101900001",
        "nama": "Budi",
        "tanggal_lahir": None,
        "jenis_kelamin": None,
        "kelurahan": "Roban",
        "kecamatan": None,
        "kategori": "rentan",
        "pekerjaan": None,
        "no_kpj": None,
        "tanggal_mulai": "15/12/2025",
        "tanggal_akhir": None,
    }


def test_utf8_bom_does_not_hide_first_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + b"NIK;Kelurahan;Kategori;TMT\n1;Roban;pr;x\n")
    assert column(read_ok(path), "nik") == ["1"]


def test_cp1252_file_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "lama.csv"
    text = "NIK;Nama;Kelurahan;Kategori;TMT\n6172010101900001;André Müller;Roban;pr;x\n"
    path.write_bytes(text.encode("cp1252"))
    result = read_extract(path, "lama.csv")
    assert result.error is None
    assert column(result.rows, "nama") == ["André Müller"]
    assert any("Windows-1252" in note for note in result.notes)


def test_title_rows_above_header_count_in_row_numbers(tmp_path: Path) -> None:
    rows = [["DAFTAR PESERTA BPJS KETENAGAKERJAAN"], ["Kota Singkawang"], [], HEADER, ROW_1, ROW_2]
    result = read_ok(write_csv(tmp_path / "judul.csv", rows))
    assert column(result, "source_row") == [5, 6]


def test_quoted_newline_keeps_row_numbers_right(tmp_path: Path) -> None:
    path = tmp_path / "kutip.csv"
    path.write_text(
        "Judul\n"
        "NIK;Nama;Kelurahan;Kategori;TMT\n"
        '6172010101900001;"Budi\nSantoso\r\nJr";Roban;pr;x\n'
        "6172010101900002;Siti;Roban;pr;x\n"
        '6172010101900003;"Ani";"Roban\n";pr;x\n'
        "6172010101900004;Ahmad;Roban;pr;x\n",
        encoding="utf-8",
    )
    rows = read_ok(path)
    assert column(rows, "source_row") == [3, 6, 7, 9]
    assert column(rows, "nama")[0] == "Budi\nSantoso\r\nJr"
    assert column(rows, "kelurahan")[2] == "Roban"


@pytest.mark.parametrize("end", ["\n", "\r\n", ""])
@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (['1;"Budi, Jr";Roban;pr;x', "2;Siti;Roban;pr;x"], [2, 3]),
        (['1;"Budi\nJr";Roban;pr;x', "2;Siti;Roban;pr;x"], [2, 4]),
        (['1;"Budi, Jr";Roban;pr;x', '2;"Siti\nAni";Roban;pr;x'], [2, 3]),
    ],
)
def test_row_numbers_with_quotes_count_only_breaks_inside_quotes(
    tmp_path: Path, records: list[str], expected: list[int], end: str
) -> None:
    lines = ["NIK;Nama;Kelurahan;Kategori;TMT", *records]
    path = tmp_path / "kutip.csv"
    path.write_bytes(((end or "\n").join(lines) + end).encode())
    assert column(read_ok(path), "source_row") == expected


def test_blank_rows_template_rows_and_footer_are_skipped(tmp_path: Path) -> None:
    rows = [
        HEADER,
        ROW_1,
        [],
        ["", " ", "", "", "", ""],
        ["3", "", "", "", "", ""],
        ROW_2,
        ["", "", "TOTAL PESERTA", "", "", ""],
        ["jumlah", "", "", "", "", ""],
        ["", "Jumlah peserta", "", "", "", ""],
        ["9", "6172010101900009", "Total Jaya", "Roban", "pr", "x"],
    ]
    result = read_ok(write_csv(tmp_path / "kosong.csv", rows))
    assert column(result, "source_row") == [2, 6, 10]
    assert column(result, "nama") == ["Budi", "Siti", "Total Jaya"]


def test_values_are_stripped_and_empty_cells_are_null(tmp_path: Path) -> None:
    rows = [HEADER, ["1", "  6172010101900001 ", "   ", "\tRoban", "rentan ", ""]]
    result = read_ok(write_csv(tmp_path / "spasi.csv", rows))
    assert result.row(0, named=True)["nik"] == "6172010101900001"
    assert result.row(0, named=True)["nama"] is None
    assert result.row(0, named=True)["kelurahan"] == "Roban"
    assert result.row(0, named=True)["tanggal_mulai"] is None


def test_crlf_and_mixed_line_endings_keep_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes(
        b"NIK;Kelurahan;Kategori;TMT\r\n1;Roban;pr;x\r\n\r\n2;Roban;pr;x\n3;Roban;pr;x\r\n"
    )
    rows = read_ok(path)
    assert column(rows, "source_row") == [2, 4, 5]
    assert column(rows, "tanggal_mulai") == ["x", "x", "x"]


def test_ragged_rows_are_read(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("NIK;Kelurahan;Kategori;TMT\n1;Roban\n2;Roban;pr;x;extra;more\n")
    rows = read_ok(path)
    assert column(rows, "kategori") == [None, "pr"]


def test_huge_cell_and_many_columns_are_read(tmp_path: Path) -> None:
    extra = [f"Kolom {i}" for i in range(500)]
    path = tmp_path / "lebar.csv"
    huge = "x" * 5_000_000
    write_csv(
        path,
        [["NIK", "Kelurahan", "Kategori", "TMT", *extra], ["1", "Roban", "pr", huge, *extra]],
    )
    rows = read_ok(path)
    assert len(column(rows, "tanggal_mulai")[0]) == 5_000_000


def test_missing_columns_message_names_columns_and_headers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kurang.csv", [["NIK", "Nama", "Kel"], ["1", "Budi", "Roban"]])
    result = read_extract(path, "kurang.csv")
    assert result.rows.schema == pl.Schema(ROWS_SCHEMA)
    assert result.rows.height == 0
    assert "kategori" in result.error
    assert "tanggal_mulai" in result.error
    assert "NIK | Nama | Kel" in result.error


def test_header_row_that_is_data_is_masked_in_messages(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "tanpajudul.csv", [ROW_1, ROW_2])
    result = read_extract(path, "tanpajudul.csv")
    assert "6172010101900001" not in result.error
    assert "6172********0001" in result.error


def test_ambiguous_headers_reject_file_naming_both(tmp_path: Path) -> None:
    headers = ["NIK", "Kel", "Desa/Kelurahan", "Kategori", "TMT"]
    path = write_csv(tmp_path / "ganda.csv", [headers, ["1", "a", "b", "pr", "x"]])
    result = read_extract(path, "ganda.csv")
    assert "'Kel'" in result.error
    assert "'Desa/Kelurahan'" in result.error
    assert result.rows.height == 0


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"NIK;Kelurahan;Kategori;TMT\n",
        b"NIK;Kelurahan;Kategori;TMT\n\n\n;;;\n",
        b"NIK;Kelurahan;Kategori;TMT\n;JUMLAH;;\n",
        b"\n\n\n",
    ],
    ids=["empty", "header_only", "blank_lines", "footer_only", "only_newlines"],
)
def test_file_without_data_rows_is_rejected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "kosong.csv"
    path.write_bytes(content)
    result = read_extract(path, "kosong.csv")
    assert result.error
    assert result.rows.schema == pl.Schema(ROWS_SCHEMA)
    assert result.rows.height == 0


def test_unterminated_quote_is_rejected_without_exception(tmp_path: Path) -> None:
    path = tmp_path / "rusak.csv"
    path.write_text('NIK;Kelurahan;Kategori;TMT\n1;"Roban;pr;x\n2;Roban;pr;x\n')
    result = read_extract(path, "rusak.csv")
    assert result.error is not None
    assert "kutip" in result.error


def test_binary_file_named_csv_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "sebenarnya.csv"
    write_workbook(path.with_suffix(".xlsx"), {"Data": [HEADER, ROW_1]})
    path.write_bytes(path.with_suffix(".xlsx").read_bytes())
    assert "bukan teks" in read_extract(path, "sebenarnya.csv").error


# ---------------------------------------------------------------- XLSX


def typed_workbook(path: Path) -> Path:
    """Write a sheet with leading empty rows and columns, title rows and typed cells."""
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("Peserta")
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write(2, 1, "DAFTAR PESERTA")  # row 3; rows 1-2 and column A stay empty
    for c, text in enumerate(
        ["No", "NIK", "Nama", "Desa/\nKelurahan", "Kategori", "TMT", "Tgl Akhir"]
    ):
        sheet.write_string(4, 1 + c, text)  # header on row 5
    sheet.write_number(5, 1, 1)
    sheet.write_number(5, 2, 6172010101900001)
    sheet.write_string(5, 3, "Budi")
    sheet.write_string(5, 4, "Roban")
    sheet.write_string(5, 5, "rentan")
    sheet.write_datetime(5, 6, datetime(2025, 12, 15), date_format)
    sheet.write_number(5, 7, 46006)
    sheet.write_number(6, 1, 2)
    sheet.write_string(6, 2, "6172010101900002")
    sheet.write_string(6, 4, "Roban")
    sheet.write_string(6, 5, "rentan")
    sheet.write_string(6, 6, "46006")
    sheet.write_formula(6, 7, "=G6+31", date_format, 46037)
    sheet.write_number(7, 1, 3)  # template row: only its running number
    sheet.write_string(8, 2, "6.17201E+15")
    sheet.write_string(8, 6, "15/12/2025")
    sheet.write_number(8, 7, 46006.75)
    sheet.write_string(9, 1, "JUMLAH")
    sheet.write_formula(9, 3, "=COUNTA(C6:C9)", None, 3)
    workbook.close()
    return path


def test_xlsx_rows_keep_spreadsheet_row_numbers_after_empty_leading_rows(tmp_path: Path) -> None:
    rows = read_ok(typed_workbook(tmp_path / "a.xlsx"))
    assert column(rows, "source_row") == [6, 7, 9]
    assert column(rows, "source_sheet") == ["Peserta"] * 3
    assert column(rows, "kelurahan") == ["Roban", "Roban", None]


def test_numeric_nik_reads_as_digits_and_text_nik_keeps_text(tmp_path: Path) -> None:
    rows = read_ok(typed_workbook(tmp_path / "a.xlsx"))
    assert column(rows, "nik") == ["6172010101900001", "6172010101900002", "6.17201E+15"]


def test_date_and_serial_cells_become_iso_dates_but_text_serial_stays_text(
    tmp_path: Path,
) -> None:
    rows = read_ok(typed_workbook(tmp_path / "a.xlsx"))
    assert column(rows, "tanggal_mulai") == ["2025-12-15", "46006", "15/12/2025"]
    assert column(rows, "tanggal_akhir") == ["2025-12-15", "2026-01-15", "2025-12-15"]


def test_footer_with_counting_formula_is_skipped(tmp_path: Path) -> None:
    rows = read_ok(typed_workbook(tmp_path / "a.xlsx"))
    assert 10 not in column(rows, "source_row")


def test_hidden_sheet_and_recap_sheet_are_skipped_with_notes(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "buku.xlsx",
        {
            "Rekap": [["Kelurahan", "Jumlah"], ["Roban", 2]],
            "Data": [["Judul"], HEADER, ROW_1],
            "Lama": [HEADER, ROW_2],
            "Data2": [HEADER, ROW_2],
        },
        hidden=("Lama",),
    )
    result = read_extract(path, "buku.xlsx")
    assert result.error is None
    assert column(result.rows, "source_sheet") == ["Data", "Data2"]
    assert column(result.rows, "source_row") == [3, 2]
    assert any("'Lama'" in note and "tersembunyi" in note for note in result.notes)
    assert any("'Rekap'" in note for note in result.notes)


def test_workbook_without_required_columns_names_them(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "rekap.xlsx", {"Rekap": [["Kelurahan", "Jumlah"], ["Roban", 2]]}
    )
    result = read_extract(path, "rekap.xlsx")
    assert "nik" in result.error
    assert "Kelurahan | Jumlah" in result.error


def test_ambiguous_headers_in_a_sheet_reject_the_workbook(tmp_path: Path) -> None:
    headers = ["NIK", "No NIK", "Kelurahan", "Kategori", "TMT"]
    path = write_workbook(tmp_path / "ganda.xlsx", {"Data": [headers, ["1", "2", "a", "b", "c"]]})
    result = read_extract(path, "ganda.xlsx")
    assert "'NIK'" in result.error
    assert "'No NIK'" in result.error


@pytest.mark.parametrize("content", [b"", b"bukan zip", b"PK\x03\x04rusak"])
def test_corrupt_xlsx_is_rejected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "rusak.xlsx"
    path.write_bytes(content)
    result = read_extract(path, "rusak.xlsx")
    assert result.error
    assert result.rows.height == 0


def test_header_only_workbook_is_rejected(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "kosong.xlsx", {"Data": [HEADER]})
    assert "Tidak ada baris data" in read_extract(path, "kosong.xlsx").error


# ---------------------------------------------------------------- discovery


def touch(path: Path, content: bytes = b"x", modified: datetime | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if modified is not None:
        stamp = modified.timestamp()
        os.utime(path, (stamp, stamp))
    return path


def test_delivery_order_uses_name_date_then_modified_time_then_path(tmp_path: Path) -> None:
    touch(tmp_path / "b_2025-12-20.csv", b"1")
    touch(tmp_path / "a_20251220.xlsx", b"2")
    touch(tmp_path / "tanpa_tanggal.csv", b"3", datetime(2025, 12, 18, 23, 30, tzinfo=UTC))
    touch(tmp_path / "2026-01-05" / "z_20251201.csv", b"4")
    touch(tmp_path / "2025-11-01" / "lama.csv", b"5", datetime(2025, 12, 25, tzinfo=UTC))
    found = discover_extracts(tmp_path)
    assert [(f.source_file, f.delivery_date, f.date_source) for f in found] == [
        ("2026-01-05/z_20251201.csv", date(2025, 12, 1), "file_name"),
        ("tanpa_tanggal.csv", date(2025, 12, 18), "modified_time"),
        ("a_20251220.xlsx", date(2025, 12, 20), "file_name"),
        ("b_2025-12-20.csv", date(2025, 12, 20), "file_name"),
        ("2025-11-01/lama.csv", date(2025, 12, 25), "modified_time"),
    ]
    assert found[1].date_note is not None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ekspor_2025-13-01_2025-12-16.csv", date(2025, 12, 16)),
        ("ekspor_20250231_20251217.csv", date(2025, 12, 17)),
        ("v12025121899.csv", None),
        ("batch-2025-12-19.CSV", date(2025, 12, 19)),
    ],
)
def test_name_date_must_be_real_and_not_touch_other_digits(
    tmp_path: Path, name: str, expected: date | None
) -> None:
    touch(tmp_path / name, modified=datetime(2024, 1, 1, 12, tzinfo=UTC))
    (found,) = discover_extracts(tmp_path)
    assert found.delivery_date == (expected or date(2024, 1, 1))
    assert found.date_source == ("file_name" if expected else "modified_time")


def test_same_bytes_twice_marks_later_copy_duplicate(tmp_path: Path) -> None:
    touch(tmp_path / "kirim_20251216.csv", b"sama")
    touch(tmp_path / "ulang" / "kirim_20251215.csv", b"sama")
    touch(tmp_path / "lain_20251217.csv", b"beda")
    found = {f.source_file: f for f in discover_extracts(tmp_path)}
    assert found["ulang/kirim_20251215.csv"].duplicate_of is None
    assert found["kirim_20251216.csv"].duplicate_of == "ulang/kirim_20251215.csv"
    assert found["lain_20251217.csv"].duplicate_of is None
    assert found["kirim_20251216.csv"].sha256 == found["ulang/kirim_20251215.csv"].sha256


def test_hidden_entries_and_lock_files_are_ignored(tmp_path: Path) -> None:
    touch(tmp_path / ".git" / "x_20251215.csv")
    touch(tmp_path / ".tersembunyi.csv")
    touch(tmp_path / "~$data.xlsx")
    touch(tmp_path / "sub" / "~$kunci.xlsx")
    touch(tmp_path / "data_20251215.XLSX")
    found = discover_extracts(tmp_path)
    assert [(f.source_file, f.kind) for f in found] == [("data_20251215.XLSX", "xlsx")]


def test_other_files_and_symlinks_are_listed_as_rejected(tmp_path: Path) -> None:
    target = touch(tmp_path / "asli_20251215.csv", b"isi")
    touch(tmp_path / "catatan_20251215.txt", b"isi")
    (tmp_path / "tautan_20251215.csv").symlink_to(target)
    (tmp_path / "folder_tautan").symlink_to(tmp_path, target_is_directory=True)
    found = {f.source_file: f for f in discover_extracts(tmp_path)}
    assert set(found) == {
        "asli_20251215.csv",
        "catatan_20251215.txt",
        "tautan_20251215.csv",
        "folder_tautan",
    }
    assert found["catatan_20251215.txt"].kind == "other"
    assert found["tautan_20251215.csv"].kind == "symlink"
    assert found["folder_tautan"].kind == "symlink"
    for name in ("catatan_20251215.txt", "tautan_20251215.csv", "folder_tautan"):
        assert found[name].problem
        assert found[name].sha256 is None
        assert found[name].duplicate_of is None
    assert found["asli_20251215.csv"].duplicate_of is None
    assert found["asli_20251215.csv"].is_extract


def test_unreadable_file_gets_message_and_no_sha(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = touch(tmp_path / "terkunci_20251215.csv")
    real_open = Path.open

    def deny(self: Path, *args: object, **kwargs: object):
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    (found,) = discover_extracts(tmp_path)
    assert found.sha256 is None
    assert "izin akses" in found.problem
    assert not found.is_extract
