"""Building, checking, publishing and rolling back the DuckDB file."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows import database
from flows.config import Settings
from flows.history import RunRecord, runs_frame
from flows.pipeline import PipelineError, publish
from tests.conftest import small_published_tables


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def persons_in(path: Path) -> int:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        return connection.execute("SELECT count(*) FROM core.enrolment").fetchone()[0]
    finally:
        connection.close()


def test_built_database_passes_every_check_and_documents_every_column(
    settings: Settings,
) -> None:
    path = settings.paths.db
    database.build_database(path, small_published_tables(settings))
    assert database.run_checks(path) == []
    connection = duckdb.connect(str(path), read_only=True)
    undocumented = connection.execute(
        """
        SELECT table_name, column_name FROM duckdb_columns()
        WHERE schema_name IN ('ref', 'core', 'mart', 'audit')
          AND (comment IS NULL OR comment = '')
        """
    ).fetchall()
    tables = connection.execute(
        """
        SELECT schema_name || '.' || table_name, comment FROM duckdb_tables()
        UNION ALL
        SELECT schema_name || '.' || view_name, comment FROM duckdb_views() WHERE NOT internal
        """
    ).fetchall()
    coverage = connection.execute(
        "SELECT count(*) FROM core.coverage WHERE category = 'sawit_bpu'"
    ).fetchone()
    connection.close()
    assert undocumented == []
    assert all(comment for _, comment in tables), tables
    assert {name for name, _ in tables} >= set(database.PUBLISHED_MODELS) | {"core.coverage"}
    assert coverage == (12,)


def test_inconsistent_mart_fails_checks_and_is_not_published(settings: Settings) -> None:
    tables = small_published_tables(settings)
    publish(settings, tables, lambda _: None)
    before = sha256(settings.paths.db)
    broken = dict(small_published_tables(settings, persons=4))
    broken["mart.coverage_kecamatan_monthly"] = broken[
        "mart.coverage_kecamatan_monthly"
    ].with_columns(participants=pl.col("participants") + 1)
    with pytest.raises(PipelineError, match="kelurahan_sums_equal_kecamatan"):
        publish(settings, broken, lambda _: None)
    assert sha256(settings.paths.db) == before
    assert not database.DatabasePaths(settings.paths.db).building.exists()


@pytest.mark.parametrize("broken", ["mart", "core"])
def test_marts_that_differ_from_the_coverage_of_core_fail_the_checks(
    settings: Settings, broken: str
) -> None:
    tables = dict(small_published_tables(settings, persons=6))
    if broken == "mart":
        first_month = pl.int_range(pl.len()) == 0
        tables["mart.coverage_monthly"] = tables["mart.coverage_monthly"].with_columns(
            participants=pl.when(first_month)
            .then(pl.col("participants") + 1)
            .otherwise(pl.col("participants"))
        )
    else:
        first_enrolment = pl.int_range(pl.len()) == 0
        tables["core.enrolment"] = tables["core.enrolment"].with_columns(
            coverage_months=pl.when(first_enrolment)
            .then(pl.col("coverage_months") - 1)
            .otherwise(pl.col("coverage_months"))
        )
    path = settings.paths.db
    database.build_database(path, tables)
    assert "marts_equal_core_coverage" in {failure.name for failure in database.run_checks(path)}


def test_the_coverage_view_counts_what_the_marts_publish(settings: Settings) -> None:
    path = settings.paths.db
    database.build_database(path, small_published_tables(settings, persons=6))
    from_view = database.query_frame(
        path,
        "SELECT category, kode_kelurahan, coverage_month, count(*) FROM core.coverage "
        "GROUP BY ALL ORDER BY ALL",
    ).rows()
    published = database.query_frame(
        path,
        "SELECT category, kode_kelurahan, coverage_month, participants "
        "FROM mart.coverage_monthly ORDER BY ALL",
    ).rows()
    assert from_view == published and len(published) > 1


def test_publish_keeps_previous_and_rollback_swaps_it_back(settings: Settings) -> None:
    paths = database.DatabasePaths(settings.paths.db)
    publish(settings, small_published_tables(settings, persons=2), lambda _: None)
    publish(settings, small_published_tables(settings, persons=5), lambda _: None)
    assert persons_in(paths.published) == 6
    assert persons_in(paths.previous) == 3
    database.rollback(paths)
    assert persons_in(paths.published) == 3
    assert persons_in(paths.previous) == 6
    assert sorted(p.name for p in (paths.parquet_dir).iterdir()) == sorted(
        f"{name.split('.', 1)[1]}.parquet" for name in database.MART_TABLES
    )


def test_stale_wal_and_half_built_file_do_not_break_the_next_run(settings: Settings) -> None:
    paths = database.DatabasePaths(settings.paths.db)
    publish(settings, small_published_tables(settings), lambda _: None)
    paths.building.write_bytes(b"half written")
    paths.published.with_name(paths.published.name + ".wal").write_bytes(b"stale wal")
    publish(settings, small_published_tables(settings, persons=4), lambda _: None)
    assert persons_in(paths.published) == 5


def test_second_run_refuses_while_the_first_holds_the_lock(settings: Settings) -> None:
    paths = database.DatabasePaths(settings.paths.db)
    with (
        database.publish_lock(paths),
        pytest.raises(database.RunInProgressError, match="Proses jamsos lain"),
        database.publish_lock(paths),
    ):
        pass


def test_reader_in_another_process_keeps_its_data_while_a_run_publishes(
    settings: Settings,
) -> None:
    paths = database.DatabasePaths(settings.paths.db)
    publish(settings, small_published_tables(settings, persons=2), lambda _: None)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, threading
                held = duckdb.connect({str(paths.published)!r}, read_only=True)
                answers = []
                slow = "SELECT count(*) // 3000000 FROM core.enrolment, range(3000000)"
                worker = threading.Thread(
                    target=lambda: answers.append(held.cursor().execute(slow).fetchone()[0])
                )
                worker.start()
                print("querying", flush=True)
                sys.stdin.readline()
                worker.join()
                print(answers[0])
                print(held.execute("SELECT count(*) FROM core.enrolment").fetchone()[0])
                held.close()
                fresh = duckdb.connect({str(paths.published)!r}, read_only=True)
                print(fresh.execute("SELECT count(*) FROM core.enrolment").fetchone()[0])
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stdin is not None
    assert reader.stdout.readline().strip() == "querying"
    publish(settings, small_published_tables(settings, persons=5), lambda _: None)
    output, _ = reader.communicate("go\n", timeout=60)
    assert reader.returncode == 0
    assert output.split() == ["3", "3", "6"]
    assert persons_in(paths.published) == 6


def test_a_night_with_nothing_new_reads_the_persons_its_publication_recorded(
    settings: Settings,
) -> None:
    tables = small_published_tables(settings, persons=5)
    enrolment = tables["core.enrolment"]
    counted = (enrolment.height, enrolment.get_column("person_key").n_unique())
    path = settings.paths.db
    database.build_database(path, tables)
    assert database.published_counts(path) == counted, "no persons recorded: counted"

    now = datetime.now(UTC)
    recorded = RunRecord("run-2", now, now, date(2025, 12, 20), "test", enrolments=6, persons=4)
    other = settings.paths.db.with_name("dicatat.duckdb")
    database.build_database(other, {**tables, "audit.runs": runs_frame([recorded])})
    assert database.published_counts(other) == (enrolment.height, 4)

    # A file published before audit.runs recorded persons is counted.
    connection = duckdb.connect(str(other))
    try:
        connection.execute("ALTER TABLE audit.runs DROP COLUMN persons")
    finally:
        connection.close()
    assert database.published_counts(other) == counted
