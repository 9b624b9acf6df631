"""The nightly flow over the demo extracts, checked against what the generator intended."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows import database
from flows.config import Settings, load_settings
from flows.demo import DemoManifest, write_demo_extracts
from flows.extracts import discover_extracts, read_extract
from flows.pipeline import RunSummary
from tests.conftest import write_test_config

MONTHS = {"pekerja_rentan": 5, "sawit_bpu": 12}
LATE_ENROLMENT = "6172042902960009"
TABLES_COMPARED = [name for name in database.PUBLISHED_MODELS if name != "audit.runs"]


@dataclass(frozen=True)
class DemoRun:
    settings: Settings
    manifest: DemoManifest
    first: RunSummary
    second: RunSummary
    third: RunSummary
    first_tables: dict[str, pl.DataFrame]
    second_tables: dict[str, pl.DataFrame]
    third_tables: dict[str, pl.DataFrame]


def read_all_tables(path: Path) -> dict[str, pl.DataFrame]:
    return {name: database.read_table(path, name) for name in database.PUBLISHED_MODELS}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> DemoRun:
    from flows.nightly import nightly

    folder = tmp_path_factory.mktemp("demo")
    config = write_test_config(folder)
    settings = load_settings(config, environ={})
    manifest = write_demo_extracts(settings.paths.raw_dir)
    first = nightly(config_file=str(config))
    first_tables = read_all_tables(settings.paths.db)
    second = nightly(config_file=str(config))
    second_tables = read_all_tables(settings.paths.db)
    (settings.paths.raw_dir / "2026-03-20_susulan_satu_peserta.csv").write_text(
        "NIK;Kelurahan;Kategori;TMT\n" + LATE_ENROLMENT + ";Naram;Pekerja Rentan;2/3/2026\n",
        encoding="utf-8",
    )
    third = nightly(config_file=str(config))
    third_tables = read_all_tables(settings.paths.db)
    return DemoRun(
        settings, manifest, first, second, third, first_tables, second_tables, third_tables
    )


def month_add(month: date, offset: int) -> date:
    index = month.year * 12 + month.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def expected_coverage(manifest: DemoManifest) -> Counter[tuple[str, str, date]]:
    """Spread each intended enrolment over its months, one month at a time."""
    counts: Counter[tuple[str, str, date]] = Counter()
    for enrolment in manifest.enrolments:
        first = enrolment.start_date.replace(day=1)
        for offset in range(MONTHS[enrolment.category]):
            month = month_add(first, offset)
            if enrolment.end_date is not None and month > enrolment.end_date.replace(day=1):
                break
            counts[(enrolment.category, enrolment.kode_kelurahan, month)] += 1
    return counts


def test_demo_run_publishes_the_targets(demo_run: DemoRun) -> None:
    progress = demo_run.first_tables["mart.progress_by_category"]
    assert dict(progress.select("category", "enrolments").iter_rows()) == {
        "pekerja_rentan": 7737,
        "sawit_bpu": 767,
    }
    assert demo_run.first.enrolments_by_category == demo_run.manifest.accepted_counts()
    assert demo_run.first.persons == len({e.nik for e in demo_run.manifest.enrolments})


def test_coverage_monthly_equals_the_generators_intent(demo_run: DemoRun) -> None:
    coverage = demo_run.first_tables["mart.coverage_monthly"]
    published = {
        (category, kelurahan, month): participants
        for category, kelurahan, month, participants in coverage.select(
            "category", "kode_kelurahan", "coverage_month", "participants"
        ).iter_rows()
    }
    assert published == dict(expected_coverage(demo_run.manifest))
    assert coverage.get_column("kode_kelurahan").n_unique() == 26


def test_rejected_rows_are_the_ones_the_generator_planted(demo_run: DemoRun) -> None:
    rejected = demo_run.first_tables["audit.rejected_rows"]
    published = Counter(
        rejected.select("source_file", "source_sheet", "source_row", "reason").iter_rows()
    )
    intended = Counter(
        (note.source_file, note.source_sheet, note.source_row, note.code)
        for note in demo_run.manifest.rejected_rows
    )
    assert published == intended
    assert demo_run.first.rejected_by_reason == demo_run.manifest.rejected_counts()
    assert rejected.get_column("message").str.len_chars().min() > 10


def test_warnings_are_the_ones_the_generator_planted(demo_run: DemoRun) -> None:
    warnings = demo_run.first_tables["audit.row_warnings"]
    published = Counter(
        warnings.select("source_file", "source_sheet", "source_row", "warning").iter_rows()
    )
    intended = Counter(
        (note.source_file, note.source_sheet, note.source_row, note.code)
        for note in demo_run.manifest.warnings
    )
    assert published == intended


def test_file_loads_match_every_file_the_generator_wrote(demo_run: DemoRun) -> None:
    loads = demo_run.first_tables["audit.file_loads"]
    by_file = {row["source_file"]: row for row in loads.iter_rows(named=True)}
    status_of = {"not_extract": "rejected"}
    for expected in demo_run.manifest.files:
        row = by_file.pop(expected.source_file)
        assert row["status"] == status_of.get(expected.status, expected.status), expected
        assert row["delivery_date"] == expected.delivery_date
        if expected.rows_read is not None:
            assert (row["rows_read"], row["rows_accepted"], row["rows_rejected"]) == (
                expected.rows_read,
                expected.rows_accepted,
                expected.rows_rejected,
            )
        if row["status"] == "rejected":
            assert row["message"]
    assert by_file == {}
    assert loads.get_column("delivery_rank").to_list() == list(range(1, loads.height + 1))


def test_night_without_anything_new_keeps_the_publication_as_it_is(
    demo_run: DemoRun,
) -> None:
    assert demo_run.second.unchanged
    assert demo_run.second.files_from_cache == 0
    assert demo_run.second.enrolments_by_category == demo_run.first.enrolments_by_category
    assert demo_run.second.rejected_by_reason == demo_run.first.rejected_by_reason
    assert demo_run.second.persons == demo_run.first.persons
    for name in database.PUBLISHED_MODELS:
        assert demo_run.first_tables[name].equals(demo_run.second_tables[name]), name


def test_new_delivery_reuses_the_stored_results_of_earlier_files(demo_run: DemoRun) -> None:
    loaded = demo_run.first.files_by_status["loaded"]
    assert not demo_run.third.unchanged
    assert demo_run.third.files_from_cache == loaded
    assert demo_run.third.enrolments_by_category["pekerja_rentan"] == 7738
    for name in ("audit.rejected_rows", "audit.row_warnings"):
        assert demo_run.first_tables[name].equals(demo_run.third_tables[name]), name
    runs = demo_run.third_tables["audit.runs"]
    assert runs.get_column("outcome").to_list() == ["published", "unchanged", "published"]


def personal_values(raw_dir: Path) -> set[str]:
    """Collect every NIK, name and birth date written in the raw extracts."""
    values: set[str] = set()
    for file in discover_extracts(raw_dir):
        if not file.is_extract:
            continue
        rows = read_extract(file.path, file.source_file).rows
        for column in ("nik", "nama", "tanggal_lahir"):
            values.update(
                value for value in rows.get_column(column).drop_nulls().to_list() if len(value) > 5
            )
        values.update(
            digits
            for value in rows.get_column("nik").drop_nulls().to_list()
            if len(digits := re.sub(r"\D", "", value)) == 16
        )
    return values


def test_published_database_and_parquet_hold_no_nik_name_or_birth_date(
    demo_run: DemoRun,
) -> None:
    secrets = personal_values(demo_run.settings.paths.raw_dir)
    niks = {e.nik for e in demo_run.manifest.enrolments}
    assert niks <= secrets
    paths = database.DatabasePaths(demo_run.settings.paths.db)
    published = [paths.published, *sorted(paths.parquet_dir.iterdir())]
    for path in published:
        leaked = leaked_values(path.read_bytes(), secrets)
        assert leaked == [], f"{path.name} holds {len(leaked)} personal values"


def leaked_values(content: bytes, secrets: set[str]) -> list[str]:
    """Return the secrets found in content; only values whose every word occurs are searched."""
    text = content.decode("latin-1")
    words = set(re.findall(r"[A-Za-z0-9]+", text))
    candidates = [
        value for value in secrets if all(w in words for w in re.findall(r"[A-Za-z0-9]+", value))
    ]
    utf8 = content.decode("utf-8", errors="replace")
    return [value for value in candidates if value in text or value in utf8]


def test_published_file_opens_in_the_duckdb_shell_and_shows_comments(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    import shutil
    import subprocess

    shell = shutil.which("duckdb", path=str(Path(__import__("sys").executable).parent))
    if shell is None:
        pytest.fail("the duckdb shell (package duckdb-cli) is not installed")
    copy = tmp_path / "copy.duckdb"
    shutil.copy(demo_run.settings.paths.db, copy)
    completed = subprocess.run(
        [
            shell,
            "-readonly",
            "-csv",
            str(copy),
            "-c",
            "SELECT version(), comment FROM duckdb_tables() "
            "WHERE schema_name = 'mart' AND table_name = 'coverage_monthly';",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "One row per category, kelurahan and coverage month" in completed.stdout
    connection = duckdb.connect(str(copy), read_only=True)
    assert connection.execute("SELECT count(*) FROM mart.coverage_monthly").fetchone()[0] > 0
    connection.close()


def readme_queries() -> list[str]:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", readme, flags=re.DOTALL)
    return [q.strip() for block in blocks for q in block.split(";") if q.strip()]


def test_readme_example_queries_answer_on_the_published_file(demo_run: DemoRun) -> None:
    queries = readme_queries()
    assert len(queries) == 5
    connection = duckdb.connect(str(demo_run.settings.paths.db), read_only=True)
    try:
        for query in queries:
            assert connection.execute(query).fetchall(), query
    finally:
        connection.close()
