"""Building core.enrolment in ranges of person keys: same tables, bounded memory."""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import database, pipeline
from flows.config import Settings
from flows.extracts import DiscoveredFile, discover_extracts
from flows.history import utc_now
from flows.ingest import (
    FileResult,
    load_reference,
    process_with_cache,
    results_in_order,
    settings_fingerprint,
)
from flows.pipeline import publish_assembled
from tests.conftest import small_published_tables
from tests.test_hostile_files import HEADER, KEY, csv_bytes, good_row
from transforms import marts
from transforms.publication import in_person_key_range, person_key_ranges

HEX_KEYS = st.text(alphabet="0123456789abcdef", min_size=0, max_size=64)


@settings(max_examples=200, deadline=None)
@given(
    keys=st.lists(st.one_of(HEX_KEYS, st.none(), st.text(max_size=5)), min_size=1, max_size=60),
    rows=st.integers(min_value=0, max_value=5_000_000),
    per_range=st.integers(min_value=1, max_value=2_000_000),
)
def test_every_key_falls_in_exactly_one_range(
    keys: list[str | None], rows: int, per_range: int
) -> None:
    frame = pl.DataFrame({"person_key": keys}, schema={"person_key": pl.String})
    ranges = person_key_ranges(rows, per_range)
    hits = frame.select(
        pl.sum_horizontal(
            in_person_key_range(start, end).fill_null(False).cast(pl.Int64).alias(str(index))
            for index, (start, end) in enumerate(ranges)
        )
    ).to_series()
    assert hits.to_list() == [1] * frame.height


def test_ranges_are_powers_of_two_of_even_width() -> None:
    assert person_key_ranges(8_504, 1_000_000) == [("", None)]
    assert person_key_ranges(1_000_000, 1_000_000) == [("", None)]
    assert person_key_ranges(1_000_001, 1_000_000) == [("", "80"), ("80", None)]
    ten_million = person_key_ranges(10_000_000, 1_000_000)
    assert len(ten_million) == 16
    assert [start for start, _ in ten_million[1:]] == [f"{digit:x}0" for digit in range(1, 16)]
    assert len(person_key_ranges(10**12, 1)) == 256


def key(person: int) -> str:
    return hashlib.sha256(str(person).encode()).hexdigest()


@settings(max_examples=50, deadline=None)
@given(
    persons=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=30),
            st.dates(min_value=date(2025, 12, 1), max_value=date(2026, 6, 1)),
            st.integers(min_value=1, max_value=12),
        ),
        max_size=40,
    )
)
def test_persons_city_monthly_and_distinct_persons_equal_a_brute_force_count(
    persons: list[tuple[int, date, int]],
) -> None:
    rows = pl.DataFrame(
        {
            "person_key": [key(person) for person, _, _ in persons],
            "coverage_start_month": [start.replace(day=1) for _, start, _ in persons],
            "coverage_months": [months for _, _, months in persons],
        },
        schema={
            "person_key": pl.String,
            "coverage_start_month": pl.Date,
            "coverage_months": pl.Int64,
        },
    )
    covered: dict[date, set[int]] = {}
    for person, start, months in persons:
        index = start.year * 12 + start.month - 1
        for offset in range(months):
            month = date((index + offset) // 12, (index + offset) % 12 + 1, 1)
            covered.setdefault(month, set()).add(person)
    expected = sorted((month, len(people)) for month, people in covered.items())
    assert marts.persons_city_monthly(rows).rows() == expected
    assert marts.distinct_persons(rows) == len({person for person, _, _ in persons})


def describe_database(path: Path) -> dict[str, object]:
    """Every table's columns, rows and comments, the views, and person_key's compression."""
    connection = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            name
            for (name,) in connection.sql(
                "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1"
            ).fetchall()
        ]
        return {
            "tables": tables,
            "columns": {name: connection.sql(f"DESCRIBE {name}").fetchall() for name in tables},
            "rows": {name: connection.sql(f"SELECT * FROM {name}").fetchall() for name in tables},
            "comments": connection.sql(
                "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
                "ORDER BY ALL"
            ).fetchall(),
            "views": connection.sql(
                "SELECT schema_name, view_name, comment, sql FROM duckdb_views() "
                "WHERE NOT internal ORDER BY ALL"
            ).fetchall(),
            "person_key": connection.sql(
                "SELECT DISTINCT compression FROM pragma_storage_info('core.enrolment') "
                "WHERE column_name = 'person_key' AND segment_type = 'VARCHAR'"
            ).fetchall(),
        }
    finally:
        connection.close()


def test_database_assembled_in_parts_equals_one_built_from_frames(settings: Settings) -> None:
    tables = small_published_tables(settings, persons=5)
    paths = database.DatabasePaths(settings.paths.db)
    enrolment = tables["core.enrolment"]
    without_enrolment = {name: frame for name, frame in tables.items() if name != "core.enrolment"}
    with database.assembling(paths.assembled) as assembled:
        assembled.append(enrolment.head(2))
        assembled.append(enrolment.tail(enrolment.height - 2))
        assembled.add_tables(database.conform_tables(without_enrolment))
    from_frames = settings.paths.db.with_name("dari_frame.duckdb")
    database.build_database(from_frames, tables)
    publish_assembled(settings, assembled.path, lambda _: None)

    assert not paths.assembled.exists(), "the assembled file outlived the publication"
    expected = describe_database(from_frames)
    assert describe_database(settings.paths.db) == expected
    assert set(expected["tables"]) == set(database.PUBLISHED_MODELS)  # type: ignore[arg-type]
    assert len(expected["rows"]["core.enrolment"]) == enrolment.height  # type: ignore[index]
    assert expected["person_key"] == [("FSST",)]
    assert expected["views"] and all(view[2] for view in expected["views"])  # type: ignore[union-attr, index]


def test_an_assembled_database_without_every_table_is_not_published(settings: Settings) -> None:
    tables = small_published_tables(settings, persons=3)
    paths = database.DatabasePaths(settings.paths.db)
    with database.assembling(paths.assembled) as assembled:
        assembled.append(tables["core.enrolment"])

    with pytest.raises(database.PublishError, match="missing"):
        publish_assembled(settings, assembled.path, lambda _: None)
    assert not settings.paths.db.exists()
    database.clear_assembled(paths)


def test_cached_enrolment_rows_stay_on_disk_until_assembled(settings: Settings) -> None:
    raw = settings.paths.raw_dir
    (raw / "2025-12-20_kiriman.csv").write_bytes(
        csv_bytes([HEADER, *(good_row(serial) for serial in range(1, 40))])
    )
    (file,) = discover_extracts(raw)
    reference = load_reference(settings.paths.reference_dir)
    fingerprint = settings_fingerprint(settings.rules, reference, "uji")
    in_memory = process_with_cache(file, reference, settings.rules, KEY, None, fingerprint)
    cache = settings.paths.cache_dir
    stored = process_with_cache(file, reference, settings.rules, KEY, cache, fingerprint)
    reused = process_with_cache(file, reference, settings.rules, KEY, cache, fingerprint)

    assert (stored.from_cache, reused.from_cache) == (False, True)
    for result in (stored, reused):
        assert "parquet" in result.enrolment_rows.explain().lower()
        assert result.rows_accepted == in_memory.rows_accepted == 39
        assert (
            result.enrolment_rows.collect()
            .sort("source_row")
            .equals(in_memory.enrolment_rows.collect().sort("source_row"))
        )


def processed_delivery(
    settings: Settings, persons: int, cache_dir: Path | None = None
) -> tuple[list[DiscoveredFile], list[FileResult], pl.DataFrame]:
    """Write one delivery of good rows, process it, and return files, results and kelurahan."""
    raw = settings.paths.raw_dir
    (raw / "2025-12-20_kiriman.csv").write_bytes(
        csv_bytes([HEADER, *(good_row(serial) for serial in range(1, persons + 1))])
    )
    files = discover_extracts(raw)
    reference = load_reference(settings.paths.reference_dir)
    fingerprint = settings_fingerprint(settings.rules, reference, "uji")
    results = [
        process_with_cache(file, reference, settings.rules, KEY, cache_dir, fingerprint)
        for file in files
    ]
    return files, results, reference.kelurahan


def test_a_run_in_parts_says_how_far_it_is(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, results, kelurahan = processed_delivery(settings, persons=39)
    monkeypatch.setattr(pipeline, "ENROLMENTS_PER_PART", 5)
    messages: list[str] = []
    assembly = pipeline.assemble_tables(
        settings, files, results, kelurahan, "uji", utc_now(), log=messages.append
    )

    assert messages == [f"Menyusun core.enrolment: bagian {n} dari 8" for n in range(1, 9)]
    assert assembly.record.enrolments == assembly.persons == 39
    assert database.read_table(assembly.database, "core.enrolment").height == 39
    database.clear_assembled(database.DatabasePaths(settings.paths.db))


def test_a_stored_result_gone_before_assembly_fails_the_run_with_what_to_do(
    settings: Settings,
) -> None:
    cache = settings.paths.cache_dir
    files, results, kelurahan = processed_delivery(settings, persons=9, cache_dir=cache)
    for stored in cache.glob("*/enrolment_rows.parquet"):
        stored.unlink()

    with pytest.raises(pipeline.PipelineError, match="Hapus folder cache itu lalu jalankan ulang"):
        pipeline.assemble_tables(settings, files, results, kelurahan, "uji", utc_now())
    database.clear_assembled(database.DatabasePaths(settings.paths.db))


@pytest.mark.parametrize("broken_part", ["first", "last"])
def test_a_part_that_breaks_the_model_stops_the_run_before_anything_is_published(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, broken_part: str
) -> None:
    files, results, kelurahan = processed_delivery(settings, persons=39)
    real_build = pipeline.build_enrolments
    parts_built: list[int] = []

    def build_one_part_wrong(*args: object) -> pl.DataFrame:
        part = real_build(*args)  # type: ignore[arg-type]
        parts_built.append(part.height)
        wrong = len(parts_built) == 1 if broken_part == "first" else len(parts_built) == 8
        return part.with_columns(coverage_months=pl.lit(13)) if wrong else part

    monkeypatch.setattr(pipeline, "ENROLMENTS_PER_PART", 5)
    monkeypatch.setattr(pipeline, "build_enrolments", build_one_part_wrong)
    with pytest.raises(Exception, match="coverage_months"):
        pipeline.assemble_tables(settings, files, results, kelurahan, "uji", utc_now())

    assert not settings.paths.db.exists()
    database.clear_assembled(database.DatabasePaths(settings.paths.db))


def test_a_publication_that_fails_on_the_way_can_be_retried_from_the_same_parts(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, results, kelurahan = processed_delivery(settings, persons=39)
    assembly = pipeline.assemble_tables(settings, files, results, kelurahan, "uji", utc_now())
    paths = database.DatabasePaths(settings.paths.db)
    real_export = database.export_parquet

    def disk_full_once(*args: object) -> list:
        monkeypatch.setattr(database, "export_parquet", real_export)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(database, "export_parquet", disk_full_once)
    with pytest.raises(OSError, match="No space left"):
        publish_assembled(settings, assembly.database, lambda _: None)
    assert not paths.published.exists() and not paths.building.exists()
    assert assembly.database.exists(), "a retry needs the assembled parts"

    publish_assembled(settings, assembly.database, lambda _: None)

    assert database.read_table(paths.published, "core.enrolment").height == 39
    assert not assembly.database.exists()


def test_results_come_in_order_with_at_most_so_many_in_flight() -> None:
    in_flight = 0
    most_in_flight = 0
    lock = threading.Lock()

    def work(item: int) -> int:
        nonlocal in_flight, most_in_flight
        with lock:
            in_flight += 1
            most_in_flight = max(most_in_flight, in_flight)
        time.sleep(0.02 * (item % 3))
        with lock:
            in_flight -= 1
        return item * item

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(results_in_order(range(10), lambda item: pool.submit(work, item), 2))

    assert outcomes == [item * item for item in range(10)]
    assert most_in_flight == 2


def test_an_error_comes_at_its_turn_after_the_results_before_it() -> None:
    def work(item: int) -> int:
        if item == 2:
            raise ValueError("berkas ketiga rusak")
        return item

    seen: list[int] = []
    with (
        ThreadPoolExecutor(max_workers=2) as pool,
        pytest.raises(ValueError, match="berkas ketiga rusak"),
    ):
        for outcome in results_in_order(range(5), lambda item: pool.submit(work, item), 2):
            seen.append(outcome)
    assert seen == [0, 1]
