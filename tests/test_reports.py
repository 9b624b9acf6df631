"""The XLSX, PDF and public CSV reports, written from a real published DuckDB file."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from flows.cli import app
from flows.config import PROJECT_ROOT, Settings, load_settings
from flows.database import build_database
from flows.history import RunRecord, runs_frame
from flows.reports import (
    HIDDEN_MARK,
    ReportError,
    ReportFiles,
    premium_rounding_unit,
    write_reports,
)
from transforms.publication import published_tables
from transforms.report_format import format_number, format_percent, format_rupiah
from transforms.suppression import LEVEL_KECAMATAN, LEVEL_KELURAHAN, LEVEL_KOTA

REFERENCE_CSV = PROJECT_ROOT / "data" / "reference" / "kelurahan_singkawang.csv"
SOURCE_FILE = "kiriman/2025-12-20_dinas.xlsx"
DATA_AS_OF = date(2025, 12, 20)
# Pekerja rentan per kelurahan, in kode_kelurahan order: a few below the threshold of 5.
RENTAN_PER_KELURAHAN = (
    80, 75, 60, 55, 50, 3, 70, 65, 50, 45, 40, 35, 30, 25, 2,
    60, 55, 50, 45, 40, 35, 30, 90, 80, 70, 55,
)  # fmt: skip
# Pekerja sawit BPU: kelurahan position -> persons.
SAWIT_PER_KELURAHAN = {10: 20, 11: 15, 12: 4, 13: 12, 22: 18, 23: 9, 24: 6, 25: 3}
BOTH_CATEGORIES = 3
RENTAN_TOTAL = sum(RENTAN_PER_KELURAHAN)
SAWIT_TOTAL = sum(SAWIT_PER_KELURAHAN.values())
PERSONS_TOTAL = RENTAN_TOTAL + SAWIT_TOTAL - BOTH_CATEGORIES
FORMULA_TEXT = "=cmd|' /C calc'!A0"


def _person(number: int) -> str:
    return hashlib.sha256(f"person-{number}".encode()).hexdigest()


def _start(number: int) -> date:
    return (date(2025, 12, 15), date(2026, 1, 5), date(2026, 2, 2))[number % 3]


def enrolment_rows(kelurahan: pl.DataFrame) -> pl.DataFrame:
    """Return accepted rows: RENTAN_TOTAL rentan, SAWIT_TOTAL sawit, some people in both."""
    codes = kelurahan["kode_kelurahan"].to_list()
    rows = []
    number = 0
    for position, persons in enumerate(RENTAN_PER_KELURAHAN):
        for _ in range(persons):
            rows.append(("pekerja_rentan", codes[position], number, number))
            number += 1
    both = 0
    for position, persons in SAWIT_PER_KELURAHAN.items():
        for _ in range(persons):
            # The first few sawit workers are also enrolled as pekerja rentan.
            person = both if both < BOTH_CATEGORIES else number
            both += 1
            rows.append(("sawit_bpu", codes[position], person, number))
            number += 1
    return pl.DataFrame(
        [
            {
                "source_file": SOURCE_FILE,
                "source_sheet": "Data",
                "source_row": index + 2,
                "person_key": _person(person),
                "nik_masked": f"6172********{person % 10000:04d}",
                "category": category,
                "kode_kelurahan": code,
                "start_date": _start(sequence),
                "end_date": None,
                "sex": "LP"[sequence % 2],
                "age_group": "35-44",
            }
            for index, (category, code, person, sequence) in enumerate(rows)
        ],
        schema_overrides={"end_date": pl.Date, "source_sheet": pl.String},
    )


def audit_frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Return file loads (loaded, rejected, duplicate), rejected rows and warnings."""
    file_loads = pl.DataFrame(
        {
            "source_file": [SOURCE_FILE, "kiriman/rekap_tanpa_nik.csv", "kiriman/salinan.xlsx"],
            "sha256": ["a" * 64, "b" * 64, "a" * 64],
            "status": ["loaded", "rejected", "duplicate"],
            "rows_read": [0, 0, 0],
            "rows_accepted": [0, 0, 0],
            "rows_rejected": [4, 0, 0],
            "message": [
                None,
                "Kolom wajib tidak ada: nik. Judul kolom di baris pertama: NAMA, KELURAHAN.",
                "Isi berkas sama dengan kiriman/2025-12-20_dinas.xlsx.",
            ],
            "delivery_date": [DATA_AS_OF, date(2025, 12, 18), date(2025, 12, 21)],
            "delivery_date_source": ["file_name", "modified_time", "modified_time"],
            "delivery_rank": [2, 1, 3],
            "size_bytes": [52_000, 800, 52_000],
        }
    )
    rejected = pl.DataFrame(
        {
            "source_file": [SOURCE_FILE] * 4,
            "source_sheet": ["Data", "Data", FORMULA_TEXT, "Data"],
            "source_row": [7, 12, 3, 40],
            "reason": ["nik_invalid", "kelurahan_unknown", "nik_missing", "start_date_invalid"],
            "message": [
                "NIK 6172********0009 tidak valid: harus 16 angka.",
                "Kelurahan 'Sekip Baru' tidak dikenal di Kota Singkawang.",
                FORMULA_TEXT,
                "Tanggal mulai '31/02/2026' bukan tanggal yang benar.",
            ],
            "column": ["nik", "kelurahan", "nik", "tanggal_mulai"],
            "nik_masked": ["6172********0009", "6172********0123", None, "6172********4567"],
        }
    )
    warnings = pl.DataFrame(
        {
            "source_file": [SOURCE_FILE],
            "source_sheet": ["Data"],
            "source_row": [15],
            "warning": ["kelurahan_typo"],
            "column": ["kelurahan"],
            "message": ["Kelurahan 'Robann' dianggap Roban (salah ketik)."],
        }
    )
    return file_loads, rejected, warnings


def report_tables(settings: Settings, with_people: bool = True) -> dict[str, pl.DataFrame]:
    """Return every published table for the known population above (or for nobody)."""
    kelurahan = pl.read_csv(
        REFERENCE_CSV,
        schema_overrides={
            name: pl.String for name in ("kode_kecamatan", "kode_kelurahan", "kode_pos")
        },
    )
    rows = enrolment_rows(kelurahan)
    if not with_people:
        rows = rows.clear()
    file_loads, rejected, warnings = audit_frames()
    accepted = rows.height
    file_loads = file_loads.with_columns(
        rows_read=pl.when(pl.col("status") == "loaded").then(accepted + 4).otherwise(0),
        rows_accepted=pl.when(pl.col("status") == "loaded").then(accepted).otherwise(0),
    )
    now = datetime(2025, 12, 21, 2, 0, tzinfo=UTC)
    runs = runs_frame([RunRecord("run-1", now, now, DATA_AS_OF, "test")])
    return published_tables(
        file_loads=file_loads,
        enrolment_rows=rows,
        rejected=rejected,
        warnings=warnings,
        runs=runs,
        kelurahan=kelurahan,
        rules=settings.rules,
        program_name=settings.program_name,
    )


def build_report_database(path: Path, settings: Settings, with_people: bool = True) -> Path:
    """Build the published database of the known population at `path`."""
    build_database(path, report_tables(settings, with_people))
    return path


REPORT_DATE = date(2025, 12, 22)
SIXTEEN_DIGITS = re.compile(r"\d{16}")
FORMULA_START = ("=", "+", "-", "@")


def report_settings() -> Settings:
    """Return the shipped configuration, untouched by the environment."""
    return load_settings(PROJECT_ROOT / "jamsos.toml", environ={})


@pytest.fixture(scope="module")
def report_files(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    """Write the staff and public reports of the known population once for this module."""
    root = tmp_path_factory.mktemp("reports")
    settings = report_settings()
    db = build_report_database(root / "jamsos.duckdb", settings)
    return write_reports(db, root / "reports", settings, REPORT_DATE, public=True)


def all_cells(path: Path) -> list[tuple[str, openpyxl.cell.cell.Cell]]:
    workbook = openpyxl.load_workbook(path)
    return [
        (sheet.title, cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def pdf_text(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_files_land_in_a_dated_folder_with_the_public_version_apart(
    report_files: ReportFiles,
) -> None:
    stamp = REPORT_DATE.isoformat()
    assert report_files.xlsx.name == f"laporan_jamsos_{stamp}.xlsx"
    assert report_files.xlsx.parent.name == stamp
    assert report_files.pdf == report_files.xlsx.with_suffix(".pdf")
    assert report_files.public_csv is not None
    assert report_files.public_csv.parent.name == "publik"
    assert all(path.is_file() and path.stat().st_size > 0 for path in report_files.paths)
    leftovers = [path for path in report_files.directory.rglob("*") if ".partial" in path.name]
    assert leftovers == []


def test_summary_sheet_holds_real_numbers_with_indonesian_formats(
    report_files: ReportFiles,
) -> None:
    sheet = openpyxl.load_workbook(report_files.xlsx)["Ringkasan"]
    rows = {row[0].value: row for row in sheet.iter_rows() if row[0].value}
    rentan = rows["Pekerja Rentan"]
    assert [cell.value for cell in rentan[1:3]] == [7737, RENTAN_TOTAL]
    assert rentan[1].data_type == "n" and rentan[1].number_format == "#,##0"
    assert rentan[3].value == pytest.approx(RENTAN_TOTAL / 7737)
    assert rentan[3].number_format == "0.0%"
    committed = (RENTAN_TOTAL * 5 + SAWIT_TOTAL * 12) * 16800
    assert rows["Semua kategori"][6].value == committed
    assert rows["Semua kategori"][6].number_format == '"Rp"#,##0'
    assert rows["Semua kategori"][2].value == PERSONS_TOTAL
    data_as_of = rows["Data per (kiriman terakhir)"][1]
    assert data_as_of.is_date and data_as_of.value.date() == DATA_AS_OF
    assert data_as_of.number_format.startswith("[$-421]")


def test_area_sheet_totals_add_up_and_every_count_is_a_number(report_files: ReportFiles) -> None:
    sheet = openpyxl.load_workbook(report_files.xlsx)["Per Wilayah"]
    header = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "Tingkat")
    rows = [row for row in sheet.iter_rows(values_only=True) if row[0] in {"Kota", "Kelurahan"}]
    rentan = header.index("Pekerja Rentan: terdaftar")
    city = next(row for row in rows if row[0] == "Kota")
    kelurahan = [row for row in rows if row[0] == "Kelurahan"]
    assert len(kelurahan) == 26
    assert city[rentan] == RENTAN_TOTAL == sum(row[rentan] for row in kelurahan)
    assert all(isinstance(value, int) for row in rows for value in row[4:])


def test_data_sheets_have_frozen_headers_filters_and_fitting_widths(
    report_files: ReportFiles,
) -> None:
    workbook = openpyxl.load_workbook(report_files.xlsx)
    for name in ("Per Wilayah", "Per Bulan", "Kelurahan per Bulan", "Berkas", "Baris Ditolak"):
        sheet = workbook[name]
        assert sheet.freeze_panes == "A6", name
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A5"), name
    files = workbook["Berkas"]
    assert files.column_dimensions["B"].width >= len("kiriman/2025-12-20_dinas.xlsx")


def test_workbook_charts_participants_per_month(report_files: ReportFiles) -> None:
    with zipfile.ZipFile(report_files.xlsx) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        chart = archive.read(charts[0]).decode()
    assert len(charts) == 1
    assert "lineChart" in chart and "'Per Bulan'!$B$6" in chart


def test_text_that_looks_like_a_formula_is_neutralised(report_files: ReportFiles) -> None:
    cells = all_cells(report_files.xlsx)
    rejected = [cell for sheet, cell in cells if sheet == "Baris Ditolak"]
    assert "'" + FORMULA_TEXT in [cell.value for cell in rejected]
    assert all(cell.data_type != "f" for _, cell in cells)
    assert not [
        cell.value
        for _, cell in cells
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START)
    ]


def test_every_rejected_row_is_listed_for_correction_without_a_full_nik(
    report_files: ReportFiles,
) -> None:
    sheet = openpyxl.load_workbook(report_files.xlsx)["Baris Ditolak"]
    rows = list(sheet.iter_rows(min_row=6, values_only=True))
    assert [(row[0], row[2], row[7]) for row in rows] == [
        (SOURCE_FILE, 3, "nik_missing"),
        (SOURCE_FILE, 7, "nik_invalid"),
        (SOURCE_FILE, 12, "kelurahan_unknown"),
        (SOURCE_FILE, 40, "start_date_invalid"),
    ]
    assert rows[1][4] == "NIK tidak valid" and rows[1][6] == "6172********0009"
    texts = [cell.value for _, cell in all_cells(report_files.xlsx) if cell.data_type == "s"]
    texts += pdf_text(report_files.pdf) + pdf_text(report_files.public_pdf)
    texts.append(report_files.public_csv.read_text(encoding="utf-8"))
    assert not [text for text in texts if SIXTEEN_DIGITS.search(text)]


def test_pdf_page_one_holds_the_headline_totals_in_indonesian_format(
    report_files: ReportFiles,
) -> None:
    pages = pdf_text(report_files.pdf)
    assert 2 <= len(pages) <= 4
    first = " ".join(pages[0].split())
    committed = (RENTAN_TOTAL * 5 + SAWIT_TOTAL * 12) * 16800
    for expected in (
        "Laporan Kepesertaan Jaminan Sosial Ketenagakerjaan Pekerja Rentan Kota Singkawang",
        "Tanggal laporan: 22 Desember 2025",
        "Data per: 20 Desember 2025",
        f"{format_number(RENTAN_TOTAL)} orang",
        "dari target 7.737 orang",
        f"{format_number(SAWIT_TOTAL)} orang",
        "dari target 767 orang",
        f"{format_percent(RENTAN_TOTAL * 100 / 7737)} tercapai",
        f"{format_number(PERSONS_TOTAL)} orang",
        format_rupiah(committed),
        "Premi Rp16.800 per peserta per bulan",
        "Peserta terdaftar per kecamatan",
    ):
        assert expected in first, expected
    assert "1.295" in first and "Rp126.319.200" in first
    assert "Singkawang Selatan" in pages[2] and "Kota Singkawang" in pages[2]
    assert "Alasan penolakan baris" in pages[-1]


def read_public_csv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False).with_columns(
        pl.col("jumlah_peserta").cast(pl.Int64)
    )


def test_public_csv_hides_small_counts_and_nothing_hidden_can_be_subtracted_back(
    report_files: ReportFiles,
) -> None:
    table = read_public_csv(report_files.public_csv)
    assert set(table["kode_provinsi"]) == {"61"}
    assert set(table["kode_kabupaten_kota"]) == {"61.72"}
    assert table["kode_wilayah"].str.starts_with("61.72").all()
    published = table.filter(pl.col("status_angka") == "tersedia")["jumlah_peserta"]
    assert not ((published > 0) & (published < 5)).any()
    hidden = table.filter(pl.col("status_angka") == "dirahasiakan")
    assert hidden.height > 0 and hidden["jumlah_peserta"].null_count() == hidden.height
    for (_, _, _), group in table.group_by("kategori", "tahun", "bulan"):
        hidden_in = group.filter(pl.col("status_angka") == "dirahasiakan")
        kecamatan = group.filter(pl.col("tingkat_wilayah") == LEVEL_KECAMATAN)["kode_wilayah"]
        city_equation = hidden_in.filter(
            pl.col("tingkat_wilayah").is_in([LEVEL_KOTA, LEVEL_KECAMATAN])
        )
        assert city_equation.height != 1
        for code in kecamatan:
            equation = hidden_in.filter(pl.col("kode_kecamatan") == code)
            assert equation.height != 1, code
        kelurahan = group.filter(pl.col("tingkat_wilayah") == LEVEL_KELURAHAN)
        assert kelurahan.height == 26


def test_public_csv_matches_the_staff_numbers_where_published(report_files: ReportFiles) -> None:
    table = read_public_csv(report_files.public_csv)
    december_city = table.filter(
        (pl.col("tingkat_wilayah") == LEVEL_KOTA)
        & (pl.col("tahun") == "2025")
        & (pl.col("bulan") == "12")
    )
    staff = openpyxl.load_workbook(report_files.xlsx)["Per Bulan"]
    december = next(row for row in staff.iter_rows(min_row=6, values_only=True))
    assert december_city.sort("kategori")["jumlah_peserta"].to_list() == [
        december[1],
        december[2],
    ]


def test_public_metadata_names_source_period_and_definitions(report_files: ReportFiles) -> None:
    metadata = dict(pl.read_csv(report_files.public_metadata, infer_schema=False).iter_rows())
    assert "BPJS Ketenagakerjaan" in metadata["sumber"]
    assert metadata["periode"].startswith("Desember 2025 - ")
    assert "Kemendagri" in metadata["kode_wilayah"]
    assert "kolom jumlah_peserta" in metadata and "kerahasiaan" in metadata


def test_public_workbook_and_pdf_leave_out_files_rows_and_small_counts(
    report_files: ReportFiles,
) -> None:
    workbook = openpyxl.load_workbook(report_files.public_xlsx)
    assert "Baris Ditolak" not in workbook.sheetnames and "Berkas" not in workbook.sheetnames
    texts = [str(cell.value) for _, cell in all_cells(report_files.public_xlsx)]
    assert not [text for text in texts if "kiriman/" in text or "6172*" in text]
    areas = workbook["Per Wilayah"]
    sungai_wie = next(row for row in areas.iter_rows(values_only=True) if row[3] == "Sungai Wie")
    assert sungai_wie[4] == HIDDEN_MARK
    numbers = [
        value
        for sheet in ("Per Wilayah", "Kelurahan per Bulan")
        for row in workbook[sheet].iter_rows(min_row=6, values_only=True)
        for value in row[4:]
        if isinstance(value, int)
    ]
    assert numbers and not [value for value in numbers if 0 < value < 5]
    first = " ".join(pdf_text(report_files.public_pdf)[0].split())
    assert "VERSI PUBLIK" in first and "dibulatkan" in first
    assert format_rupiah(126_000_000) in first


def test_premium_rounding_leaves_threshold_person_months_of_doubt() -> None:
    assert premium_rounding_unit(5, 16800) == 1_000_000
    assert premium_rounding_unit(100, 16800) == 4_000_000
    assert premium_rounding_unit(100, 16800) / 2 >= 100 * 16800


def test_reports_of_a_database_without_participants_still_print(tmp_path: Path) -> None:
    settings = report_settings()
    db = build_report_database(tmp_path / "empty.duckdb", settings, with_people=False)
    files = write_reports(db, tmp_path / "reports", settings, REPORT_DATE, public=True)
    pages = pdf_text(files.pdf)
    assert 2 <= len(pages) <= 4
    assert "0 orang" in pages[0]
    assert read_public_csv(files.public_csv).height == 0


def test_missing_database_is_explained_in_bahasa_indonesia(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="tidak ada"):
        write_reports(tmp_path / "none.duckdb", tmp_path, report_settings(), REPORT_DATE, False)


def test_report_command_regenerates_reports_from_the_database(
    report_files: ReportFiles, tmp_path: Path
) -> None:
    db = report_files.directory.parent.parent / "jamsos.duckdb"
    arguments = ["report", "--db", str(db), "--reports-dir", str(tmp_path), "--date", "2026-01-10"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "laporan_jamsos_2026-01-10.pdf" in result.output
    written = sorted(path.name for path in (tmp_path / "2026-01-10").iterdir())
    assert written == ["laporan_jamsos_2026-01-10.pdf", "laporan_jamsos_2026-01-10.xlsx"]
    missing = CliRunner().invoke(app, ["report", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1 and "jamsos run" in missing.output


def test_report_command_does_not_import_prefect() -> None:
    script = "import sys, flows.cli, flows.reports; print('prefect' in sys.modules)"
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.stdout.strip() == "False", completed.stderr
