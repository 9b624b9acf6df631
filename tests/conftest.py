"""Shared fixtures: settings pointing into tmp_path and small published tables."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from flows.config import PROJECT_ROOT, Settings, load_settings
from flows.history import RunRecord, runs_frame
from flows.ingest import WARNING_SCHEMA, load_reference
from transforms.program import Category, ProgramRules
from transforms.publication import published_tables

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="jamsos-prefect-home-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
# The program's defaults, written out so transform tests need no configuration file.
DEFAULT_RULES = ProgramRules(
    launch_date=date(2025, 12, 15),
    start_date_min=date(2025, 1, 1),
    start_date_max=date(2026, 12, 31),
    monthly_premium_idr=16_800,
    categories=(
        Category("pekerja_rentan", "Pekerja Rentan", 7_737, 5),
        Category("sawit_bpu", "Pekerja Sawit Bukan Penerima Upah (BPU)", 767, 12),
    ),
)
TEST_NIK_KEY = "test-key-0123456789abcdef"


def write_test_config(folder: Path) -> Path:
    """Write a copy of jamsos.toml whose every path lies under folder; return its path."""
    text = (PROJECT_ROOT / "jamsos.toml").read_text(encoding="utf-8")
    paths = {
        "raw_dir": folder / "raw",
        "db": folder / "processed" / "jamsos.duckdb",
        "reports_dir": folder / "processed" / "reports",
        "cache_dir": folder / "processed" / "cache",
        "reference_dir": REFERENCE_DIR,
        "key_file": folder / "secret" / "nik.key",
    }
    for name, value in paths.items():
        text = re.sub(rf'^{name} = ".*"$', f'{name} = "{value}"', text, flags=re.MULTILINE)
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    config = folder / "jamsos.toml"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Return settings whose every path lies in tmp_path (raw, db, reports, cache, key)."""
    monkeypatch.setenv("JAMSOS_NIK_KEY", TEST_NIK_KEY)
    return load_settings(write_test_config(tmp_path), environ={})


def _enrolment_row(person: str, category: str, kelurahan: str, start: date, row: int) -> dict:
    return {
        "source_file": "2025-12-20_kiriman.csv",
        "source_sheet": None,
        "source_row": row,
        "person_key": person * 64,
        "nik_masked": "6172********0001",
        "category": category,
        "kode_kelurahan": kelurahan,
        "start_date": start,
        "end_date": None,
        "sex": "P",
        "age_group": "35-44",
    }


def small_published_tables(settings: Settings, persons: int = 3) -> dict[str, pl.DataFrame]:
    """Return a complete, consistent set of published tables for a few persons."""
    reference = load_reference(settings.paths.reference_dir)
    people = "abcdef"[:persons]
    rows = [
        _enrolment_row(person, "pekerja_rentan", "61.72.01.1001", date(2025, 12, 15), index + 2)
        for index, person in enumerate(people)
    ]
    rows.append(_enrolment_row("a", "sawit_bpu", "61.72.04.1002", date(2026, 1, 3), 10))
    enrolment_rows = pl.DataFrame(
        rows, schema_overrides={"source_sheet": pl.String, "end_date": pl.Date}
    )
    file_loads = pl.DataFrame(
        {
            "source_file": ["2025-12-20_kiriman.csv"],
            "sha256": ["0" * 64],
            "status": ["loaded"],
            "rows_read": [len(rows) + 1],
            "rows_accepted": [len(rows)],
            "rows_rejected": [1],
            "message": [None],
            "delivery_date": [date(2025, 12, 20)],
            "delivery_date_source": ["file_name"],
            "delivery_rank": [1],
            "size_bytes": [1234],
        },
        schema_overrides={"message": pl.String},
    )
    rejected = pl.DataFrame(
        {
            "source_file": ["2025-12-20_kiriman.csv"],
            "source_sheet": [None],
            "source_row": [20],
            "reason": ["nik_missing"],
            "message": ["NIK kosong. Isi NIK sesuai KTP."],
            "column": ["nik"],
            "nik_masked": [None],
        },
        schema_overrides={"source_sheet": pl.String, "nik_masked": pl.String},
    )
    warnings = pl.DataFrame(schema=WARNING_SCHEMA)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    runs = runs_frame([RunRecord("run-1", now, now, date(2025, 12, 20), "test")])
    return published_tables(
        file_loads=file_loads,
        enrolment_rows=enrolment_rows,
        rejected=rejected,
        warnings=warnings,
        runs=runs,
        kelurahan=reference.kelurahan,
        rules=settings.rules,
        program_name=settings.program_name,
    )


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Run flows against one temporary Prefect server shared by the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def write_workbook(
    path: Path,
    sheets: dict[str, list[list[object]]],
    hidden: tuple[str, ...] = (),
    very_hidden: tuple[str, ...] = (),
) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
        if name in hidden:
            sheet.hide()
        if name in very_hidden:
            sheet.very_hidden()
    workbook.close()
    return path
