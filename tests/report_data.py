"""A small published database with known totals, built the way the pipeline builds one."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from flows.config import PROJECT_ROOT, Settings
from flows.database import build_database
from flows.history import RunRecord, runs_frame
from transforms.publication import published_tables

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


def report_tables(settings: Settings) -> dict[str, pl.DataFrame]:
    """Return every published table for the known population above."""
    kelurahan = pl.read_csv(
        REFERENCE_CSV,
        schema_overrides={
            name: pl.String for name in ("kode_kecamatan", "kode_kelurahan", "kode_pos")
        },
    )
    rows = enrolment_rows(kelurahan)
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


def build_report_database(path: Path, settings: Settings) -> Path:
    """Build the published database of the known population at `path`."""
    build_database(path, report_tables(settings))
    return path
