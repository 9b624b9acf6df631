"""A small case computed by hand: correction, early end, both categories, re-delivery."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from flows import database
from flows.config import load_settings
from tests.conftest import write_test_config

FIRST = """LAPORAN PESERTA JAMSOS KEL. ROBAN;;;;
NIK;Nama Peserta;Kelurahan;Kategori Peserta;TMT;Tgl Akhir
6172015508900001;Ani;Roban;Pekerja Rentan;15/12/2025;
'6172 0141 0785 0002;Budi;Kel. Condong;rentan;2025-12-15;10-02-2026
6172020101800003;Chandra;Tengah;Sawit BPU;15 Desember 2025;
6172015508900001;Ani;Pasiran;pekerja sawit bukan penerima upah;2026-01-02 00:00:00;
;Tanpa NIK;Roban;rentan;15/12/2025;
"""


def month(year: int, number: int) -> date:
    return date(year, number, 1)


def months(start: date, count: int) -> list[date]:
    return [
        month(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1)
        for i in range(count)
    ]


def write_correction(path: Path) -> None:
    workbook = xlsxwriter.Workbook(path)
    workbook.set_properties({"created": datetime(2025, 12, 30)})
    sheet = workbook.add_worksheet("Koreksi")
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, ["DATA KOREKSI PESERTA"])
    sheet.write_row(2, 0, ["No", "NIK", "Desa/Kelurahan", "Segmen", "Tanggal Mulai"])
    sheet.write_number(3, 0, 1)
    sheet.write_number(3, 1, 6172015508900001)
    sheet.write_string(3, 2, "Jawa")
    sheet.write_string(3, 3, "PR")
    sheet.write_datetime(3, 4, datetime(2026, 1, 5), date_format)
    sheet.write_number(4, 0, 2)
    sheet.write_string(4, 1, "6172014107850002")
    sheet.write_string(4, 2, "Sekip Baru")
    sheet.write_string(4, 3, "PR")
    sheet.write_number(4, 4, 46006)
    workbook.close()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> dict:
    from flows.nightly import nightly

    folder = tmp_path_factory.mktemp("small")
    config = write_test_config(folder)
    settings = load_settings(config, environ={})
    raw = settings.paths.raw_dir
    (raw / "2025-12-16_kel_roban.csv").write_text(FIRST, encoding="utf-8")
    write_correction(raw / "2025-12-30_koreksi.xlsx")
    shutil.copy(raw / "2025-12-16_kel_roban.csv", raw / "2026-01-02_kel_roban_kirim_ulang.csv")
    nightly(config_file=str(config))
    return {
        name: database.read_table(settings.paths.db, name) for name in database.PUBLISHED_MODELS
    }


def test_coverage_monthly_equals_the_hand_computed_table(published: dict) -> None:
    expected = (
        [("pekerja_rentan", "61.72.01.1002", m, 1) for m in months(month(2025, 12), 3)]
        + [("pekerja_rentan", "61.72.01.1004", m, 1) for m in months(month(2026, 1), 5)]
        + [("sawit_bpu", "61.72.02.1001", m, 1) for m in months(month(2026, 1), 12)]
        + [("sawit_bpu", "61.72.02.1003", m, 1) for m in months(month(2025, 12), 12)]
    )
    coverage = published["mart.coverage_monthly"].select(
        "category", "kode_kelurahan", "coverage_month", "participants"
    )
    assert sorted(coverage.rows()) == sorted(expected)


def test_person_in_both_categories_counts_once_in_city_persons(published: dict) -> None:
    persons = dict(published["mart.persons_city_monthly"].iter_rows())
    assert persons[month(2025, 12)] == 2
    assert persons[month(2026, 1)] == 3
    assert persons[month(2026, 3)] == 2
    assert persons[month(2026, 12)] == 1


def test_correction_replaces_and_rejected_correction_changes_nothing(published: dict) -> None:
    enrolment = published["core.enrolment"].sort("category", "kode_kelurahan")
    assert enrolment.select(
        "category", "kelurahan", "start_date", "end_date", "coverage_months", "replaced_rows"
    ).rows() == [
        ("pekerja_rentan", "Condong", date(2025, 12, 15), date(2026, 2, 10), 3, 0),
        ("pekerja_rentan", "Jawa", date(2026, 1, 5), None, 5, 1),
        ("sawit_bpu", "Pasiran", date(2026, 1, 2), None, 12, 0),
        ("sawit_bpu", "Tengah", date(2025, 12, 15), None, 12, 0),
    ]
    assert enrolment.filter(pl.col("kelurahan") == "Condong").get_column("sex").to_list() == ["P"]
    assert enrolment.get_column("nik_masked").str.contains(r"^\d{4}\*{8}\d{4}$").all()


def test_file_loads_and_rejections_are_counted_per_file(published: dict) -> None:
    loads = published["audit.file_loads"].select(
        "source_file", "status", "rows_read", "rows_accepted", "rows_rejected"
    )
    assert loads.rows() == [
        ("2025-12-16_kel_roban.csv", "loaded", 5, 4, 1),
        ("2025-12-30_koreksi.xlsx", "loaded", 2, 1, 1),
        ("2026-01-02_kel_roban_kirim_ulang.csv", "duplicate", 0, 0, 0),
    ]
    rejected = published["audit.rejected_rows"].select(
        "source_file", "source_sheet", "source_row", "reason", "column"
    )
    assert rejected.rows() == [
        ("2025-12-16_kel_roban.csv", None, 7, "nik_missing", "nik"),
        ("2025-12-30_koreksi.xlsx", "Koreksi", 5, "kelurahan_unknown", "kelurahan"),
    ]


def test_progress_and_premium_follow_the_hand_count(published: dict) -> None:
    progress = published["mart.progress_by_category"].select(
        "category", "enrolments", "premium_months", "premium_idr"
    )
    assert progress.rows() == [
        ("pekerja_rentan", 2, 8, 8 * 16_800),
        ("sawit_bpu", 2, 24, 24 * 16_800),
    ]
