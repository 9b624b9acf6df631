"""The nightly run's steps as plain functions; the Prefect flow wraps each in a task."""

from __future__ import annotations

import functools
import hashlib
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from importlib import metadata
from pathlib import Path

import polars as pl

from flows import database, ingest
from flows.config import PROJECT_ROOT, Settings
from flows.extracts import DiscoveredFile
from flows.history import RunRecord, append_history, read_history, runs_frame, utc_now
from flows.ingest import (
    ENROLMENT_ROW_SCHEMA,
    REJECTED_SCHEMA,
    WARNING_SCHEMA,
    FileResult,
)
from schemas.columns import FILE_DUPLICATE, FILE_LOADED, FILE_REJECTED
from schemas.published import CoreEnrolment
from transforms import marts
from transforms.dates import as_date
from transforms.enrolments import build_enrolments
from transforms.program import RULES_VERSION
from transforms.publication import (
    audit_tables,
    enrolment_candidates,
    in_person_key_range,
    person_key_ranges,
    reference_tables,
    statistics_tables,
)

# Enrolments built and held in memory at once; a run with more is built in parts.
ENROLMENTS_PER_PART = 1_000_000
FILE_LOADS_SCHEMA = {
    "source_file": pl.String,
    "sha256": pl.String,
    "status": pl.String,
    "rows_read": pl.Int64,
    "rows_accepted": pl.Int64,
    "rows_rejected": pl.Int64,
    "message": pl.String,
    "delivery_date": pl.Date,
    "delivery_date_source": pl.String,
    "delivery_rank": pl.Int64,
    "size_bytes": pl.Int64,
}


class PipelineError(RuntimeError):
    """The run did not publish; the message says why and what to do."""


@dataclass(frozen=True)
class RunSummary:
    """What a run did, in numbers a person compares night to night."""

    run_id: str
    db: Path
    data_as_of: date | None
    files_by_status: dict[str, int]
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    warnings: int
    enrolments_by_category: dict[str, int]
    targets: dict[str, int]
    persons: int
    files_from_cache: int
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    freshness_warnings: tuple[str, ...] = ()
    report_files: tuple[Path, ...] = ()
    unchanged: bool = False


@functools.cache
def code_version() -> str:
    """Return the package version, the rules version and, in a checkout, the commit."""
    try:
        version = metadata.version("jamsos")
    except metadata.PackageNotFoundError:
        version = "0"
    commit = ""
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if completed.returncode == 0:
            commit = "+" + completed.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return f"jamsos {version}{commit}, rules {RULES_VERSION}"


def input_fingerprint(files: list[DiscoveredFile], settings_fingerprint: str) -> str:
    """Fingerprint everything a publication is built from: files, rules, settings, code."""
    lines = [f"rules {ingest.RULES_VERSION}", f"settings {settings_fingerprint}", code_version()]
    lines += [
        "|".join(
            str(value)
            for value in (
                file.source_file,
                file.kind,
                file.sha256,
                file.size_bytes,
                file.delivery_date,
                file.date_source,
                file.duplicate_of,
                file.problem,
            )
        )
        for file in files
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def unchanged_summary(
    settings: Settings, run_id: str, started_at: datetime, seconds: float
) -> tuple[RunSummary, dict[str, pl.DataFrame], RunRecord]:
    """Describe a night with nothing new from the published database itself."""
    path = settings.paths.db
    names = (
        "audit.file_loads",
        "audit.rejected_rows",
        "audit.row_warnings",
        "mart.progress_by_category",
        "mart.coverage_monthly",
        "mart.coverage_city_monthly",
    )
    tables = {name: database.read_table(path, name) for name in names}
    enrolments, persons = database.published_counts(path)
    file_loads = tables["audit.file_loads"]
    record = run_record(run_id, started_at, file_loads, enrolments, "unchanged", persons=persons)
    summary = summarise(
        run_id, settings, tables, [], seconds, {}, record.data_as_of, persons=persons
    )
    return replace(summary, unchanged=True), tables, record


def file_loads_frame(files: list[DiscoveredFile], results: list[FileResult]) -> pl.DataFrame:
    """Return audit.file_loads: one row per file seen, in delivery order."""
    rows = []
    for rank, (file, result) in enumerate(zip(files, results, strict=True), start=1):
        note = file.date_note
        message = " ".join(part for part in (result.message, note) if part) or None
        rows.append(
            {
                "source_file": file.source_file,
                "sha256": file.sha256,
                "status": result.status,
                "rows_read": result.rows_read,
                "rows_accepted": result.rows_accepted,
                "rows_rejected": result.rows_rejected,
                "message": message,
                "delivery_date": file.delivery_date,
                "delivery_date_source": file.date_source,
                "delivery_rank": rank,
                "size_bytes": file.size_bytes,
            }
        )
    return pl.DataFrame(rows, schema=FILE_LOADS_SCHEMA, orient="row")


def concat_results(
    results: list[FileResult],
) -> tuple[pl.LazyFrame, pl.DataFrame, pl.DataFrame]:
    """Stack every file's enrolment rows (lazily), rejections and warnings."""
    enrolment_rows = pl.concat(
        [pl.LazyFrame(schema=ENROLMENT_ROW_SCHEMA)] + [r.enrolment_rows for r in results],
        how="vertical_relaxed",
    )
    rejected = pl.concat(
        [pl.DataFrame(schema=REJECTED_SCHEMA)] + [r.rejected for r in results],
        how="vertical_relaxed",
    )
    warnings = pl.concat(
        [pl.DataFrame(schema=WARNING_SCHEMA)] + [r.warnings for r in results],
        how="vertical_relaxed",
    )
    return enrolment_rows, rejected, warnings


def run_record(
    run_id: str,
    started_at: datetime,
    file_loads: pl.DataFrame | None,
    enrolments: int,
    outcome: str,
    message: str | None = None,
    persons: int | None = None,
) -> RunRecord:
    """Describe a finished run for audit.runs."""
    counts: dict[str, int] = {}
    data_as_of = None
    if file_loads is not None and file_loads.height:
        statuses = file_loads.get_column("status")
        counts = {
            "files_seen": file_loads.height,
            "files_loaded": int((statuses == FILE_LOADED).sum()),
            "files_rejected": int((statuses == FILE_REJECTED).sum()),
            "files_duplicate": int((statuses == FILE_DUPLICATE).sum()),
            "rows_read": int(file_loads.get_column("rows_read").sum()),
            "rows_accepted": int(file_loads.get_column("rows_accepted").sum()),
            "rows_rejected": int(file_loads.get_column("rows_rejected").sum()),
        }
        loaded = file_loads.filter(pl.col("status") == FILE_LOADED)
        latest = loaded.get_column("delivery_date").max() if loaded.height else None
        data_as_of = None if latest is None else as_date(latest)
    return RunRecord(
        run_id=run_id,
        started_at=started_at,
        finished_at=utc_now(),
        data_as_of=data_as_of,
        code_version=code_version(),
        enrolments=enrolments,
        persons=persons,
        outcome=outcome,
        message=message,
        **counts,
    )


def read_key_range(enrolment_rows: pl.LazyFrame, start: str, end: str | None) -> pl.DataFrame:
    """Read the enrolment rows whose person key lies in [start, end)."""
    try:
        rows = enrolment_rows.filter(in_person_key_range(start, end)).collect(engine="streaming")
    except (OSError, pl.exceptions.PolarsError) as error:
        raise PipelineError(
            "Hasil tersimpan per berkas (paths.cache_dir) tidak dapat dibaca lagi: "
            f"{type(error).__name__}: {error}. Hapus folder cache itu lalu jalankan ulang; "
            "semua berkas akan diproses lagi."
        ) from error
    return rows.rechunk()


@dataclass(frozen=True)
class PartCounts:
    """What the marts need of one part of core.enrolment."""

    enrolments: int
    persons: int
    counts: pl.DataFrame
    persons_monthly: pl.DataFrame


def count_part(part: pl.DataFrame) -> PartCounts:
    """Count one part of core.enrolment for the marts."""
    persons = marts.person_counts(part)
    return PartCounts(
        enrolments=part.height,
        persons=persons.distinct,
        counts=marts.enrolment_counts(part),
        persons_monthly=persons.by_month,
    )


@dataclass(frozen=True)
class Assembly:
    """What a run assembled: the database to publish, and the tables besides core.enrolment."""

    tables: dict[str, pl.DataFrame]
    database: Path
    record: RunRecord
    persons: int


def assemble_tables(
    settings: Settings,
    files: list[DiscoveredFile],
    results: list[FileResult],
    reference_kelurahan: pl.DataFrame,
    run_id: str,
    started_at: datetime,
    input_fingerprint: str = "",
    log: Callable[[str], None] | None = None,
) -> Assembly:
    """Build every published table, including this run's row in audit.runs.

    Everything goes into a DuckDB file beside the published one. core.enrolment is built
    one range of person keys at a time, each range holding about ENROLMENTS_PER_PART rows:
    a person's rows all fall in one range, so memory stays bounded by a range, not the run.
    """
    file_loads = file_loads_frame(files, results)
    enrolment_rows, rejected, warnings = concat_results(results)
    paths = database.DatabasePaths(settings.paths.db)
    history = read_history(paths.run_history)
    rules = settings.rules
    accepted = sum(result.rows_accepted for result in results)
    counted: list[PartCounts] = []
    # Each part is stored in a second thread while the next part is built and counted, and
    # validated by whichever thread is free first. Waiting for the second thread before
    # handing over the next part keeps one part in flight.
    database.clear_assembled(paths)
    with (
        database.assembling(paths.assembled) as assembled,
        ThreadPoolExecutor(max_workers=1) as background,
    ):
        in_flight: Future[None] | None = None
        ranges = person_key_ranges(accepted, ENROLMENTS_PER_PART)
        for index, (start, end) in enumerate(ranges):
            if log is not None and len(ranges) > 1:
                log(f"Menyusun core.enrolment: bagian {index + 1} dari {len(ranges)}")
            part = build_enrolments(
                enrolment_candidates(read_key_range(enrolment_rows, start, end), file_loads),
                reference_kelurahan,
                rules.months_by_category,
            )
            if index == len(ranges) - 1:
                # Nothing is left to build: this thread validates the last part, and then
                # makes the other tables, while the second one stores it. Invalid rows
                # raise here, and nothing is published.
                if in_flight is not None:
                    in_flight.result()
                part = database.model_columns(part, CoreEnrolment)
                in_flight = background.submit(assembled.insert, part)
                database.validate_model(part, CoreEnrolment)
            elif in_flight is not None and not in_flight.done():
                # The second thread is still storing the part before: validate this one
                # here meanwhile.
                part = database.conform(part, CoreEnrolment)
                in_flight.result()
                in_flight = background.submit(assembled.insert, part)
            else:
                if in_flight is not None:
                    in_flight.result()
                in_flight = background.submit(assembled.append, part)
            counted.append(count_part(part))
            del part  # only the part in flight and the one being built stay in memory
        tables = {
            **reference_tables(
                reference_kelurahan, rules, settings.program_name, input_fingerprint
            ),
            **statistics_tables(
                marts.add_enrolment_counts([part.counts for part in counted]),
                marts.add_persons_city_monthly([part.persons_monthly for part in counted]),
                rules,
            ),
            **audit_tables(file_loads, rejected, warnings, runs_frame(history)),
        }
        enrolments = sum(part.enrolments for part in counted)
        persons = sum(part.persons for part in counted)
        record = run_record(
            run_id, started_at, file_loads, enrolments, "published", persons=persons
        )
        tables["audit.runs"] = runs_frame([*history, record])
        conformed = database.conform_tables(tables)
        if in_flight is not None:
            in_flight.result()
        assembled.add_tables(conformed)
    return Assembly(tables, assembled.path, record, persons)


def publish(
    settings: Settings, tables: dict[str, pl.DataFrame], log: Callable[[str], None]
) -> dict[str, float]:
    """Build a new database from every table beside the published one, check it, swap."""
    return _publish(settings, lambda building: database.build_database(building, tables), log)


def publish_assembled(
    settings: Settings, assembled: Path, log: Callable[[str], None]
) -> dict[str, float]:
    """Publish a copy of the database a run assembled: check it, export Parquet, swap."""
    timings = _publish(settings, lambda building: database.copy_assembled(assembled, building), log)
    # Kept after a failure so that a retry can publish again; the next assembly replaces it.
    database.clear_assembled(database.DatabasePaths(settings.paths.db))
    return timings


def _publish(
    settings: Settings, build: Callable[[Path], None], log: Callable[[str], None]
) -> dict[str, float]:
    paths = database.DatabasePaths(settings.paths.db)
    timings: dict[str, float] = {}
    database.remove_stale_files(paths)
    started = time.perf_counter()
    try:
        build(paths.building)
        timings["build"] = time.perf_counter() - started
        started = time.perf_counter()
        failures = database.run_checks(paths.building)
        timings["checks"] = time.perf_counter() - started
        if failures:
            details = "; ".join(
                f"{failure.name} ({failure.meaning}): {failure.violations} pelanggaran, "
                f"contoh {failure.example}"
                for failure in failures
            )
            raise PipelineError(
                f"Pemeriksaan sebelum terbit gagal, database lama tetap dipakai: {details}"
            )
        started = time.perf_counter()
        database.export_parquet(paths.building, paths.parquet_building)
        timings["parquet"] = time.perf_counter() - started
        started = time.perf_counter()
        database.swap_in(paths)
        database.swap_in_parquet(paths)
        timings["swap"] = time.perf_counter() - started
    finally:
        database.remove_stale_files(paths)
    log(
        f"Database terbit: {paths.published} (build {timings['build']:.2f} s, "
        f"pemeriksaan {timings['checks']:.2f} s)"
    )
    return timings


def summarise(
    run_id: str,
    settings: Settings,
    tables: dict[str, pl.DataFrame],
    results: list[FileResult],
    seconds: float,
    stage_seconds: dict[str, float],
    data_as_of: date | None,
    persons: int,
) -> RunSummary:
    """Return the numbers the command line prints and the artifacts show."""
    file_loads = tables["audit.file_loads"]
    statuses = file_loads.group_by("status").len()
    reasons = tables["audit.rejected_rows"].group_by("reason").len().sort("reason")
    progress = tables["mart.progress_by_category"]
    return RunSummary(
        run_id=run_id,
        db=settings.paths.db,
        data_as_of=data_as_of,
        files_by_status=dict(statuses.iter_rows()),
        rows_read=int(file_loads.get_column("rows_read").sum()),
        rows_accepted=int(file_loads.get_column("rows_accepted").sum()),
        rows_rejected=int(file_loads.get_column("rows_rejected").sum()),
        rejected_by_reason=dict(reasons.iter_rows()),
        warnings=tables["audit.row_warnings"].height,
        enrolments_by_category=dict(progress.select("category", "enrolments").iter_rows()),
        targets=dict(progress.select("category", "target").iter_rows()),
        persons=persons,
        files_from_cache=sum(1 for result in results if result.from_cache),
        seconds=seconds,
        stage_seconds=stage_seconds,
    )


def record_failure(settings: Settings, run_id: str, started_at: datetime, message: str) -> None:
    """Add a failed run to the history so the next published audit.runs shows it."""
    paths = database.DatabasePaths(settings.paths.db)
    append_history(paths.run_history, run_record(run_id, started_at, None, 0, "failed", message))


def record_success(settings: Settings, record: RunRecord) -> None:
    """Add a published run to the history."""
    append_history(database.DatabasePaths(settings.paths.db).run_history, record)
