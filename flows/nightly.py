"""The nightly Prefect flow: thin tasks around the pipeline's steps."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows import database
from flows.artifacts import create_failure_artifact, create_run_artifacts
from flows.config import Settings, load_settings
from flows.extracts import DiscoveredFile, discover_extracts
from flows.history import utc_now
from flows.ingest import (
    FileResult,
    load_reference,
    process_with_cache,
    results_in_order,
    settings_fingerprint,
)
from flows.pipeline import (
    Assembly,
    PipelineError,
    RunSummary,
    assemble_tables,
    input_fingerprint,
    publish_assembled,
    record_failure,
    record_success,
    summarise,
    unchanged_summary,
)
from flows.secrets import key_fingerprint, load_nik_key
from transforms.freshness import freshness_warnings
from transforms.kelurahan import KelurahanReference
from transforms.nik import mask_digit_runs
from transforms.program import ProgramRules

FLOW_NAME = "jamsos-nightly"
# Everything a run writes (database, Parquet, reports, history) is readable by the owner's
# group at most, never by other users of the machine.
OUTPUT_UMASK = 0o027


def retry_only_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a task only when it failed on the file system, never on bad data."""
    try:
        state.result()
    except (OSError, TimeoutError):
        return True
    except Exception:
        return False
    return False


@task(
    name="discover-extracts",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=retry_only_transient,
)
def discover_task(raw_dir: Path) -> list[DiscoveredFile]:
    """List the extracts under the raw folder in delivery order."""
    if not raw_dir.is_dir():
        raise PipelineError(
            f"Folder data mentah {raw_dir} tidak ada. Periksa paths.raw_dir di jamsos.toml "
            "atau opsi --raw-dir."
        )
    return discover_extracts(raw_dir)


@task(
    name="process-extract",
    task_run_name="process-extract-{position}",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=retry_only_transient,
)
def process_extract_task(
    file: DiscoveredFile,
    position: int,
    reference: KelurahanReference,
    rules: ProgramRules,
    key: bytes,
    cache_dir: Path,
    fingerprint: str,
) -> FileResult:
    """Read and validate one extract, or reuse its stored result."""
    return process_with_cache(file, reference, rules, key, cache_dir, fingerprint)


@task(name="build-tables", cache_policy=NO_CACHE)
def build_tables_task(
    settings: Settings,
    files: list[DiscoveredFile],
    results: list[FileResult],
    kelurahan: pl.DataFrame,
    run_id: str,
    started_at: datetime,
    inputs: str,
) -> Assembly:
    """Assemble every published table from the files' results."""
    logger = get_run_logger()
    return assemble_tables(
        settings, files, results, kelurahan, run_id, started_at, inputs, logger.info
    )


@task(
    name="publish-database",
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=5,
    retry_condition_fn=retry_only_transient,
)
def publish_task(settings: Settings, assembly: Assembly) -> dict[str, float]:
    """Check a copy of the assembled database and publish it atomically."""
    logger = get_run_logger()
    return publish_assembled(settings, assembly.database, logger.info)


@task(name="check-freshness", cache_policy=NO_CACHE)
def freshness_task(settings: Settings, tables: dict[str, pl.DataFrame], today: date) -> list[str]:
    """Return the staff warnings: stale deliveries, targets exceeded, uncovered months."""
    return freshness_warnings(
        tables["audit.file_loads"],
        tables["mart.progress_by_category"],
        tables["mart.coverage_city_monthly"],
        settings.rules,
        today,
        settings.schedule.stale_after_days,
    )


@task(name="create-artifacts", cache_policy=NO_CACHE)
def artifacts_task(
    summary: RunSummary,
    tables: dict[str, pl.DataFrame],
    previous_db: Path,
    warnings: list[str],
) -> None:
    """Create the run's summary and rejections artifacts."""
    create_run_artifacts(summary, tables, previous_db, warnings)


def report_run(
    settings: Settings,
    summary: RunSummary,
    tables: dict[str, pl.DataFrame],
    previous_db: Path | None = None,
) -> list[str]:
    """Log the freshness warnings and create the artifacts of a published run.

    The database is already published: a failure here is logged, never raised.
    """
    logger = get_run_logger()
    today = datetime.now(ZoneInfo(settings.schedule.timezone)).date()
    warnings: list[str] = []
    try:
        warnings = freshness_task(settings, tables, today)
        for warning in warnings:
            logger.warning(warning)
        compared_with = previous_db or database.DatabasePaths(settings.paths.db).previous
        artifacts_task(summary, tables, compared_with, warnings)
    except Exception as error:
        logger.warning(
            "Ringkasan run tidak dapat dibuat; database tetap terbit. %s: %s",
            type(error).__name__,
            error,
        )
    return warnings


def report_failure(message: str) -> None:
    """Create the artifact of a failed run without hiding the failure itself."""
    try:
        create_failure_artifact(message)
    except Exception as error:
        get_run_logger().warning("Artefak run gagal tidak dapat dibuat: %s", error)


def keep_publication(
    settings: Settings, run_id: str, started_at: datetime, clock: float
) -> RunSummary:
    """Leave the published database as it is: nothing it was built from has changed."""
    logger = get_run_logger()
    logger.info(
        "Tidak ada kiriman baru dan tidak ada perubahan aturan atau pengaturan sejak terbitan "
        "terakhir: database yang terbit tetap dipakai."
    )
    summary, tables, record = unchanged_summary(
        settings, run_id, started_at, time.perf_counter() - clock
    )
    record_success(settings, record)
    warnings = report_run(settings, summary, tables, previous_db=settings.paths.db)
    return replace(summary, freshness_warnings=tuple(warnings))


def run_pipeline(settings: Settings, run_id: str) -> RunSummary:
    """Run every step once; raise PipelineError (published file untouched) on failure."""
    logger = get_run_logger()
    started_at = utc_now()
    clock = time.perf_counter()
    stages: dict[str, float] = {}
    paths = database.DatabasePaths(settings.paths.db)
    with database.publish_lock(paths):
        try:
            files = discover_task(settings.paths.raw_dir)
            logger.info("%d berkas ditemukan di %s", len(files), settings.paths.raw_dir)
            reference = load_reference(settings.paths.reference_dir)
            key = load_nik_key(settings.paths.key_file)
            fingerprint = settings_fingerprint(settings.rules, reference, key_fingerprint(key))
            inputs = input_fingerprint(files, fingerprint)
            stages["discover"] = time.perf_counter() - clock
            if database.published_input_fingerprint(paths.published) == inputs:
                return keep_publication(settings, run_id, started_at, clock)
            results: list[FileResult] = []
            processed = results_in_order(
                enumerate(files, start=1),
                lambda numbered: process_extract_task.submit(
                    numbered[1],
                    numbered[0],
                    reference,
                    settings.rules,
                    key,
                    settings.paths.cache_dir,
                    fingerprint,
                ),
                settings.processing.files_at_once,
            )
            for position, (file, result) in enumerate(zip(files, processed, strict=True), start=1):
                results.append(result)
                logger.info(
                    "[%d/%d] %s: %s, %d baris dibaca, %d diterima, %d ditolak%s",
                    position,
                    len(files),
                    file.source_file,
                    result.status,
                    result.rows_read,
                    result.rows_accepted,
                    result.rows_rejected,
                    " (hasil tersimpan dipakai)" if result.from_cache else "",
                )
            stages["ingest"] = time.perf_counter() - clock - stages["discover"]
            mark = time.perf_counter()
            assembly = build_tables_task(
                settings, files, results, reference.kelurahan, run_id, started_at, inputs
            )
            tables, record = assembly.tables, assembly.record
            stages["tables"] = time.perf_counter() - mark
            mark = time.perf_counter()
            publish_timings = publish_task(settings, assembly)
            stages["publish"] = time.perf_counter() - mark
            stages.update({f"publish_{name}": value for name, value in publish_timings.items()})
            record_success(settings, record)
        except Exception as error:
            message = mask_digit_runs(
                str(error)
                if isinstance(error, PipelineError)
                else f"{type(error).__name__}: {error}"
            )
            record_failure(settings, run_id, started_at, message)
            logger.error("Run gagal, database yang terbit tidak berubah: %s", message)
            report_failure(message)
            raise
        finally:
            database.clear_assembled(paths)
        summary = summarise(
            run_id,
            settings,
            tables,
            results,
            time.perf_counter() - clock,
            stages,
            record.data_as_of,
            assembly.persons,
        )
        warnings = report_run(settings, summary, tables)
    return replace(summary, freshness_warnings=tuple(warnings))


# Reports and email (flows/reports.py, flows/emailer.py): after the run, never failing it.


@task(name="deliver-reports", cache_policy=NO_CACHE)
def deliver_reports_task(settings: Settings, run_id: str) -> tuple[Path, ...]:
    """Write the reports of the published database; email them when email is enabled.

    The database is already published: a failure here is logged and alerted, never raised.
    """
    from flows.emailer import send_failure_alert, send_reports
    from flows.reports import report_day, write_reports

    logger = get_run_logger()
    try:
        files = write_reports(
            settings.paths.db,
            settings.paths.reports_dir,
            settings,
            report_day(settings),
            settings.reports.public,
        )
    except Exception as error:
        logger.error("Laporan tidak dapat dibuat; database tetap terbit. %s", error)
        if settings.email.enabled:
            message = f"Database terbit, tetapi laporan tidak dapat dibuat: {error}"
            send_failure_alert(settings.email, run_id, message, log=logger)
        return ()
    logger.info("Laporan ditulis: %s", ", ".join(str(path) for path in files.paths))
    if settings.email.enabled:
        send_reports(settings.email, files, log=logger)
    return tuple(files.paths)


@task(name="send-failure-alert", cache_policy=NO_CACHE)
def failure_alert_task(settings: Settings, run_id: str, message: str) -> None:
    """Email the alert of a failed run when email is enabled; never raises."""
    from flows.emailer import send_failure_alert

    if settings.email.enabled:
        send_failure_alert(settings.email, run_id, message, log=get_run_logger())


@flow(name=FLOW_NAME, log_prints=False)
def nightly(
    raw_dir: str | None = None,
    db: str | None = None,
    reports_dir: str | None = None,
    config_file: str | None = None,
) -> RunSummary:
    """Validate every extract, rebuild the statistics and publish them atomically."""
    os.umask(OUTPUT_UMASK)
    settings = load_settings(
        Path(config_file) if config_file else None,
        raw_dir=Path(raw_dir) if raw_dir else None,
        db=Path(db) if db else None,
        reports_dir=Path(reports_dir) if reports_dir else None,
    )
    run_id = str(flow_run.get_id() or utc_now().strftime("local-%Y%m%dT%H%M%S"))
    try:
        summary = run_pipeline(settings, run_id)
    except Exception as error:
        failure_alert_task(settings, run_id, str(error) or type(error).__name__)
        raise
    report_files = deliver_reports_task(settings, run_id)
    return replace(summary, report_files=report_files)
