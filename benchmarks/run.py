"""Time the nightly pipeline against the one-query DuckDB floor and a pandas implementation.

For every size the runner generates the data set once (benchmarks/generate.py), then runs
each measurement in a fresh Python process, so that peak memory is that measurement's own:

- pipeline: the data path of a full night, the plain functions the Prefect flow wraps
  (discover, read, validate and de-identify every file with an empty per-file cache,
  assemble the tables, publish the DuckDB file), with the time of every stage;
- no new files: the same night again with the per-file cache warm;
- floor: one DuckDB query from the raw files to mart.coverage_monthly (floor.sql);
- pandas: the same job in pandas (pandas_reference.py).

All three coverage tables must be identical. Prefect's fixed cost is one `jamsos run` on
the smallest data set, and the distributed demo runs the per-file stage on a local Dask
cluster of two workers. Results go to benchmarks/results.json and the table in
benchmarks/README.md.

    python -m benchmarks.run [--sizes 10k,1M,10M] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.generate import (
    BENCHMARKS_DIR,
    DATA_DIR,
    REFERENCE_DIR,
    Manifest,
    ensure_dataset,
    parse_size,
    size_label,
)

if TYPE_CHECKING:
    import polars as pl

    from flows.config import Settings

RESULTS_FILE = BENCHMARKS_DIR / "results.json"
README_FILE = BENCHMARKS_DIR / "README.md"
FLOOR_SQL = BENCHMARKS_DIR / "floor.sql"
SCAN_SQL = BENCHMARKS_DIR / "scan.sql"
WORK_DIR = DATA_DIR / "work"
BENCH_NIK_KEY = "bench-nik-key-0123456789abcdef"
PROJECT_ROOT = BENCHMARKS_DIR.parent
STAGES = ("read", "validate", "normalise", "deduplicate", "aggregate", "publish")
# (module, function, stage): the pipeline's own functions, timed where they are called.
TIMED_FUNCTIONS = (
    ("flows.ingest", "read_extract", "read"),
    ("flows.ingest", "conform_rows", "validate"),
    ("flows.ingest", "validate_rows", "validate"),
    ("flows.ingest", "privatise_accepted_rows", "normalise"),
    ("flows.ingest", "read_cached", "cache"),
    ("flows.ingest", "write_cached", "cache"),
    ("flows.pipeline", "read_key_range", "cache"),
    ("flows.pipeline", "enrolment_candidates", "deduplicate"),
    ("flows.pipeline", "build_enrolments", "deduplicate"),
    ("transforms.marts", "enrolment_counts", "aggregate"),
    ("transforms.marts", "person_counts", "aggregate"),
    ("flows.pipeline", "statistics_tables", "aggregate"),
    ("flows.database", "AssembledDatabase.insert", "publish"),
    ("flows.database", "AssembledDatabase.add_tables", "publish"),
)
# Work inside the stages that the floor does not do, timed on its own.
DETAIL_FUNCTIONS: tuple[tuple[str, str, str | None], ...] = (
    ("transforms.enrolments", "hmac_sha256_hex", None),
    ("flows.database", "validate_model", None),
    ("flows.database", "run_checks", None),
)
TARGET_FLOOR_RATIO = 3.0
TARGET_PEAK_MB_10M = 2048
TARGET_NO_NEW_FILES_SHARE = 0.10
README_BLOCKS = ("results", "targets")


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------ measurements (children)


def _time_stages(stages: dict[str, float], functions: dict[str, float]) -> None:
    """Wrap the pipeline's functions so that their time adds up per stage and per function.

    Functions timed for their own sake (stage None) run inside a stage's functions: their
    time shows where a stage's time goes and is not counted twice.
    """
    import importlib

    for module_name, function_name, stage in (*TIMED_FUNCTIONS, *DETAIL_FUNCTIONS):
        owner: Any = importlib.import_module(module_name)
        *owners, attribute = function_name.split(".")
        for name in owners:
            owner = getattr(owner, name)
        original = getattr(owner, attribute, None)
        if original is None:
            print(f"warning: {module_name}.{function_name} not found, not timed", file=sys.stderr)
            continue

        def timed(
            *args: Any,
            _original: Callable[..., Any] = original,
            _stage: str | None = stage,
            _name: str = f"{module_name}.{function_name}",
            **kw: Any,
        ) -> Any:
            started = time.perf_counter()
            try:
                return _original(*args, **kw)
            finally:
                elapsed = time.perf_counter() - started
                functions[_name] = functions.get(_name, 0.0) + elapsed
                if _stage is not None:
                    stages[_stage] = stages.get(_stage, 0.0) + elapsed

        setattr(owner, attribute, timed)


def bench_settings(raw_dir: Path, work: Path) -> Settings:
    """Return the settings of a benchmark run: its own work folder and the benchmark key."""
    from flows.config import load_settings

    os.environ["JAMSOS_NIK_KEY"] = BENCH_NIK_KEY
    return load_settings(
        None,
        raw_dir=raw_dir,
        db=work / "jamsos.duckdb",
        reports_dir=work / "reports",
        cache_dir=work / "cache",
        key_file=work / "secret" / "nik.key",
    )


def measure_pipeline(raw_dir: Path, work: Path, fresh: bool) -> dict[str, Any]:
    """Run one night's data path with plain functions; fresh empties the per-file cache."""
    if fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    settings = bench_settings(raw_dir, work)
    stages: dict[str, float] = {}
    functions: dict[str, float] = {}
    _time_stages(stages, functions)

    from flows import database
    from flows.extracts import discover_extracts
    from flows.history import utc_now
    from flows.ingest import (
        load_reference,
        process_with_cache,
        results_in_order,
        settings_fingerprint,
    )
    from flows.pipeline import (
        assemble_tables,
        input_fingerprint,
        publish_assembled,
        record_success,
        unchanged_summary,
    )
    from flows.secrets import key_fingerprint, load_nik_key

    clock = time.perf_counter()
    started_at = utc_now()
    with database.publish_lock(database.DatabasePaths(settings.paths.db)):
        files = discover_extracts(settings.paths.raw_dir)
        reference = load_reference(settings.paths.reference_dir)
        key = load_nik_key(settings.paths.key_file)
        fingerprint = settings_fingerprint(settings.rules, reference, key_fingerprint(key))
        inputs = input_fingerprint(files, fingerprint)
        stages["read"] = stages.get("read", 0.0) + time.perf_counter() - clock
        if database.published_input_fingerprint(settings.paths.db) == inputs:
            summary, _, unchanged = unchanged_summary(
                settings, f"bench-{time.time_ns()}", started_at, time.perf_counter() - clock
            )
            record_success(settings, unchanged)
            seconds = time.perf_counter() - clock
            stages["other"] = seconds - stages["read"]
            return {
                "seconds": seconds,
                "stages": stages,
                "functions": functions,
                "unchanged": True,
                "rows_read": summary.rows_read,
                "rows_accepted": summary.rows_accepted,
                "rows_rejected": summary.rows_rejected,
                "enrolments": sum(summary.enrolments_by_category.values()),
                "files_from_cache": 0,
                "files": len(files),
                "peak_rss_mb": peak_rss_mb(),
                "db": str(settings.paths.db),
            }
        per_file = time.perf_counter()
        # As the nightly flow does: files_at_once files in flight, results in order.
        at_once = settings.processing.files_at_once
        with ThreadPoolExecutor(max_workers=at_once) as pool:
            results = list(
                results_in_order(
                    files,
                    lambda file: pool.submit(
                        process_with_cache,
                        file,
                        reference,
                        settings.rules,
                        key,
                        settings.paths.cache_dir,
                        fingerprint,
                    ),
                    at_once,
                )
            )
        per_file = time.perf_counter() - per_file
        assembled = time.perf_counter()
        assembly = assemble_tables(
            settings,
            files,
            results,
            reference.kelurahan,
            f"bench-{time.time_ns()}",
            started_at,
            inputs,
        )
        tables = assembly.tables
        assembled = time.perf_counter() - assembled
        published = time.perf_counter()
        publish_parts = publish_assembled(settings, assembly.database, lambda message: None)
        stages["publish"] = stages.get("publish", 0.0) + time.perf_counter() - published
        record_success(settings, assembly.record)
    seconds = time.perf_counter() - clock
    rows_read = int(tables["audit.file_loads"].get_column("rows_read").sum())
    counted = sum(value for name, value in stages.items() if name in STAGES or name == "cache")
    # Parts of core.enrolment are validated, written and counted in a second thread while
    # the next part is built: stage times then add up to more than the wall time.
    stages["other"] = max(seconds - counted, 0.0)
    stages["overlap"] = max(counted - seconds, 0.0)
    return {
        "seconds": seconds,
        "stages": stages,
        "functions": functions,
        "per_file_seconds": per_file,
        "assemble_seconds": assembled,
        "publish_parts": publish_parts,
        "rows_read": rows_read,
        "rows_accepted": int(tables["audit.file_loads"].get_column("rows_accepted").sum()),
        "rows_rejected": int(tables["audit.file_loads"].get_column("rows_rejected").sum()),
        "enrolments": assembly.record.enrolments,
        "files_from_cache": sum(result.from_cache for result in results),
        "files": len(files),
        "peak_rss_mb": peak_rss_mb(),
        "db": str(settings.paths.db),
    }


def floor_parameters(raw_dir: Path) -> dict[str, Any]:
    """Return the floor query's parameters for a raw folder under the default settings."""
    from flows.config import load_settings
    from schemas.columns import CATEGORY_LABELS

    rules = load_settings(None).rules
    labels = [
        {"label_key": "".join(char for char in label.lower() if char.isalnum()), "category": code}
        for code, texts in CATEGORY_LABELS.items()
        for label in texts
    ]
    return {
        "files": sorted(str(path) for path in raw_dir.rglob("*.csv")),
        "kelurahan_csv": str(REFERENCE_DIR / "kelurahan_singkawang.csv"),
        "aliases_csv": str(REFERENCE_DIR / "kelurahan_aliases.csv"),
        "labels": labels,
        "months": [
            {"category": code, "months": months}
            for code, months in rules.months_by_category.items()
        ],
        "start_min": rules.start_date_min,
        "start_max": rules.start_date_max,
    }


def measure_floor(raw_dir: Path, output: Path) -> dict[str, Any]:
    """Run the floor query once and keep its table; time the bare scan beside it."""
    import duckdb

    parameters = floor_parameters(raw_dir)
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    table = connection.sql(FLOOR_SQL.read_text(encoding="utf-8"), params=parameters).pl()
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    table.write_parquet(output)
    started = time.perf_counter()
    scan = SCAN_SQL.read_text(encoding="utf-8")
    connection.sql(scan, params={"files": parameters["files"]}).fetchall()
    scan_seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": peak,
        "rows_out": table.height,
        "bare_scan_seconds": scan_seconds,
    }


def measure_pandas(raw_dir: Path, output: Path) -> dict[str, Any]:
    """Run the pandas implementation once and keep its table."""
    import polars as pl

    from benchmarks.pandas_reference import coverage_monthly
    from flows.config import load_settings

    rules = load_settings(None).rules
    started = time.perf_counter()
    table = coverage_monthly(
        sorted(raw_dir.rglob("*.csv")),
        raw_dir,
        REFERENCE_DIR,
        rules.months_by_category,
        rules.start_date_min,
        rules.start_date_max,
    )
    seconds = time.perf_counter() - started
    pl.from_pandas(table).write_parquet(output)
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "rows_out": len(table)}


def run_child(kind: str, raw_dir: Path, work: Path, output: Path) -> None:
    """Run one measurement in this process and write it as JSON."""
    if kind == "pipeline":
        result = measure_pipeline(raw_dir, work, fresh=True)
    elif kind == "no-new-files":
        result = measure_pipeline(raw_dir, work, fresh=False)
    elif kind == "floor":
        result = measure_floor(raw_dir, work / "floor.parquet")
    elif kind == "pandas":
        result = measure_pandas(raw_dir, work / "pandas.parquet")
    elif kind == "distributed":
        from benchmarks.distributed import run_distributed

        result = run_distributed(raw_dir, work / "distributed")
        result["peak_rss_mb_flow_process"] = peak_rss_mb()
    else:
        raise SystemExit(f"unknown measurement {kind}")
    output.write_text(json.dumps(result, default=str, indent=1), encoding="utf-8")


# ------------------------------------------------------------------ orchestration (parent)


def _child(kind: str, raw_dir: Path, work: Path) -> dict[str, Any]:
    output = work / f"{kind}.json"
    work.mkdir(parents=True, exist_ok=True)
    output.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--child",
        kind,
        "--raw-dir",
        str(raw_dir),
        "--work",
        str(work),
        "--child-output",
        str(output),
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT_ROOT, check=True)
    result = json.loads(output.read_text(encoding="utf-8"))
    result["process_seconds"] = time.perf_counter() - started
    return result


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the fastest run, with every run's time and the highest peak memory."""
    best = dict(min(runs, key=lambda run: run["seconds"]))
    best["runs_seconds"] = [round(run["seconds"], 3) for run in runs]
    best["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    return best


def _mart(db: Path) -> pl.DataFrame:
    import duckdb

    connection = duckdb.connect(str(db), read_only=True)
    try:
        return connection.sql("SELECT * FROM mart.coverage_monthly").pl()
    finally:
        connection.close()


def measure_size(rows: int, repeat: int, with_pandas: bool) -> dict[str, Any]:
    """Measure pipeline, no-new-files night, floor and pandas at one size."""
    import polars as pl

    data = ensure_dataset(rows)
    manifest = Manifest.from_json(data / "manifest.json")
    raw_dir = data / "raw"
    work = WORK_DIR / size_label(rows)
    label = size_label(rows)
    pipeline_runs, nightly_runs, floor_runs, pandas_runs = [], [], [], []
    for attempt in range(repeat):
        print(f"[{label}] run {attempt + 1}/{repeat}: pipeline", flush=True)
        pipeline_runs.append(_child("pipeline", raw_dir, work / "pipeline"))
        print(f"[{label}] run {attempt + 1}/{repeat}: night with no new files", flush=True)
        nightly_runs.append(_child("no-new-files", raw_dir, work / "pipeline"))
        print(f"[{label}] run {attempt + 1}/{repeat}: floor", flush=True)
        floor_runs.append(_child("floor", raw_dir, work / "floor"))
        if with_pandas:
            print(f"[{label}] run {attempt + 1}/{repeat}: pandas", flush=True)
            pandas_runs.append(_child("pandas", raw_dir, work / "pandas"))

    pipeline = _best(pipeline_runs)
    nightly = _best(nightly_runs)
    floor = _best(floor_runs)
    floor["bare_scan_runs"] = [round(run["bare_scan_seconds"], 3) for run in floor_runs]
    published = _mart(Path(pipeline["db"]))
    floor_table = pl.read_parquet(work / "floor" / "floor.parquet")
    identical = {"pipeline_floor": published.equals(floor_table)}
    result: dict[str, Any] = {
        "rows": rows,
        "files": len(manifest.files),
        "megabytes": round(manifest.bytes / 1e6, 1),
        "expected": {
            "rows_rejected": manifest.rejected,
            "enrolments": manifest.enrolments,
        },
        "pipeline": pipeline,
        "no_new_files": nightly,
        "floor": floor,
    }
    if pandas_runs:
        result["pandas"] = _best(pandas_runs)
        pandas_table = pl.read_parquet(work / "pandas" / "pandas.parquet")
        identical["pipeline_pandas"] = published.equals(pandas_table)
    result["identical"] = identical
    result["counts_match_generator"] = (
        pipeline["rows_read"] == rows
        and pipeline["rows_rejected"] == manifest.rejected
        and pipeline["enrolments"] == manifest.enrolments
    )
    result["ratios"] = {
        "pipeline_over_floor": pipeline["seconds"] / floor["seconds"],
        "no_new_files_over_full": nightly["seconds"] / pipeline["seconds"],
    }
    if "pandas" in result:
        result["ratios"]["pandas_over_pipeline"] = result["pandas"]["seconds"] / pipeline["seconds"]
    result["rows_per_second"] = rows / pipeline["seconds"]
    result["targets"] = _targets(rows, result)
    return result


def _targets(rows: int, result: dict[str, Any]) -> dict[str, bool]:
    targets = {
        "within_3x_floor": result["ratios"]["pipeline_over_floor"] <= TARGET_FLOOR_RATIO,
        "no_new_files_at_most_10_percent": result["ratios"]["no_new_files_over_full"]
        <= TARGET_NO_NEW_FILES_SHARE,
    }
    if rows >= 10_000_000:
        targets["peak_at_most_2_gb"] = result["pipeline"]["peak_rss_mb"] <= TARGET_PEAK_MB_10M
    return targets


def measure_prefect(rows: int, data_path_seconds: float | None) -> dict[str, Any]:
    """Time one `jamsos run` (Prefect flow with a temporary server) on a data set."""
    raw_dir = ensure_dataset(rows) / "raw"
    work = WORK_DIR / "prefect"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    environment = os.environ | {
        "PREFECT_HOME": str(work / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "JAMSOS_NIK_KEY": BENCH_NIK_KEY,
        "JAMSOS__PATHS__CACHE_DIR": str(work / "cache"),
        "JAMSOS__PATHS__KEY_FILE": str(work / "secret" / "nik.key"),
    }
    command = [
        str(Path(sys.executable).with_name("jamsos")),
        "run",
        "--raw-dir",
        str(raw_dir),
        "--db",
        str(work / "jamsos.duckdb"),
        "--reports-dir",
        str(work / "reports"),
    ]
    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run(command, cwd=PROJECT_ROOT, env=environment, check=True, capture_output=True)
        seconds.append(time.perf_counter() - started)
        shutil.rmtree(work / "cache", ignore_errors=True)
    result: dict[str, Any] = {
        "rows": rows,
        "jamsos_run_seconds": [round(value, 2) for value in seconds],
        "note": "first run includes creating the Prefect database; both start a temporary server",
    }
    if data_path_seconds is not None:
        result["data_path_seconds"] = data_path_seconds
        result["fixed_cost_seconds"] = min(seconds) - data_path_seconds
    return result


def machine() -> dict[str, Any]:
    """Describe the machine and the software versions the numbers were measured with."""
    import psutil

    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if changed:
        commit += " with uncommitted changes"
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {
            name: metadata.version(name)
            for name in ("polars", "duckdb", "pandas", "pyarrow", "pandera", "prefect")
        },
        "commit": commit,
        "load_average_at_start": os.getloadavg(),
    }


# ------------------------------------------------------------------ report


def _seconds(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def results_table(results: dict[str, Any]) -> str:
    """Render the results as the Markdown tables of benchmarks/README.md."""
    sizes = results["sizes"]
    labels = list(sizes)
    lines = [
        f"Measured {results['finished_at'][:10]} on {results['machine']['cpu']}, "
        f"{results['machine']['cores']} cores, {results['machine']['memory_gb']} GB "
        f"({results['machine']['os']}; Python {results['machine']['python']}, "
        + ", ".join(f"{name} {version}" for name, version in results["machine"]["packages"].items())
        + f"; commit {results['machine']['commit']}). Best of {results['repeat']} runs per "
        "size, each in a fresh process; peak memory is the highest of those runs.",
        "",
        "| seconds | " + " | ".join(labels) + " |",
        "|---|" + "---:|" * len(labels),
    ]

    def row(name: str, value: Callable[[dict[str, Any]], str]) -> None:
        lines.append(f"| {name} | " + " | ".join(value(sizes[label]) for label in labels) + " |")

    def stage_seconds(stage: str) -> Callable[[dict[str, Any]], str]:
        return lambda size: _seconds(size["pipeline"]["stages"].get(stage, 0.0))

    for stage in (*STAGES, "cache", "other"):
        row(f"pipeline: {stage}", stage_seconds(stage))
    row("pipeline: in a second thread, alongside", stage_seconds("overlap"))
    for label, function in (
        ("HMAC of every NIK (in normalise)", "transforms.enrolments.hmac_sha256_hex"),
        ("boundary models of every file (in validate)", "flows.ingest.conform_rows"),
        ("models of the published tables", "flows.database.validate_model"),
        ("DuckDB: storing core.enrolment (in publish)", "flows.database.AssembledDatabase.insert"),
        (
            "DuckDB: the other tables and views (in publish)",
            "flows.database.AssembledDatabase.add_tables",
        ),
        ("publish checks (in publish)", "flows.database.run_checks"),
        ("writing the per-file cache (in cache)", "flows.ingest.write_cached"),
    ):
        row(
            f"of which: {label}",
            lambda size, name=function: _seconds(
                size["pipeline"].get("functions", {}).get(name, 0.0)
            ),
        )
    row("**pipeline, full night**", lambda size: f"**{_seconds(size['pipeline']['seconds'])}**")
    row("night with no new files", lambda size: _seconds(size["no_new_files"]["seconds"]))
    row("floor (one DuckDB query)", lambda size: _seconds(size["floor"]["seconds"]))
    row(
        "bare scan and group-by (not the same table)",
        lambda size: _seconds(min(size["floor"]["bare_scan_runs"])),
    )
    row("pandas", lambda size: _seconds(size["pandas"]["seconds"]) if "pandas" in size else "-")
    row(
        "**pipeline / floor**",
        lambda size: f"**{size['ratios']['pipeline_over_floor']:.1f}x**",
    )
    row(
        "pandas / pipeline",
        lambda size: (
            f"{size['ratios']['pandas_over_pipeline']:.1f}x"
            if "pandas_over_pipeline" in size["ratios"]
            else "-"
        ),
    )
    row(
        "no new files / full night",
        lambda size: f"{100 * size['ratios']['no_new_files_over_full']:.0f}%",
    )
    row("pipeline rows per second", lambda size: f"{size['rows_per_second']:,.0f}")
    row("peak memory, pipeline (MB)", lambda size: f"{size['pipeline']['peak_rss_mb']:,.0f}")
    row(
        "peak memory, no new files (MB)",
        lambda size: f"{size['no_new_files']['peak_rss_mb']:,.0f}",
    )
    row("peak memory, floor (MB)", lambda size: f"{size['floor']['peak_rss_mb']:,.0f}")
    row(
        "peak memory, pandas (MB)",
        lambda size: f"{size['pandas']['peak_rss_mb']:,.0f}" if "pandas" in size else "-",
    )
    row(
        "three tables identical",
        lambda size: "yes" if all(size["identical"].values()) else "NO",
    )
    row("counts as generated", lambda size: "yes" if size["counts_match_generator"] else "NO")
    row(
        "publish: build / checks (s)",
        lambda size: (
            f"{size['pipeline']['publish_parts']['build']:.2f} / "
            f"{size['pipeline']['publish_parts']['checks']:.2f}"
        ),
    )
    prefect = results.get("prefect")
    if prefect:
        lines += [
            "",
            f"Prefect's fixed cost: `jamsos run` on the {size_label(prefect['rows'])} set took "
            + " s and ".join(str(value) for value in prefect["jamsos_run_seconds"])
            + " s (a temporary Prefect server each time, the first one creating its database)"
            + (
                f", against {prefect['data_path_seconds']:.2f} s for the data path: about "
                f"{prefect['fixed_cost_seconds']:.0f} s of start-up and orchestration per run."
                if "fixed_cost_seconds" in prefect
                else "."
            ),
        ]
    distributed = results.get("distributed")
    if distributed:
        lines += [
            "",
            f"Distributed demo ({size_label(distributed['rows'])} rows, "
            f"{distributed['workers']} Dask workers through prefect-dask): per-file stage "
            f"{distributed['per_file_seconds']:.2f} s on the cluster against "
            f"{distributed['sequential_per_file_seconds']:.2f} s in one process; assemble and "
            f"publish {distributed['assemble_publish_seconds']:.2f} s; "
            f"{distributed['workers_used']} workers used; coverage table identical to the "
            f"single-process run: {'yes' if distributed['identical'] else 'NO'}; wall time "
            f"with cluster and server start {distributed['wall_seconds']:.0f} s.",
        ]
    return "\n".join(lines)


def targets_table(results: dict[str, Any]) -> str:
    """Render each target of the issue against what was measured."""
    lines = ["| target | size | measured | met |", "|---|---|---:|:---:|"]

    def verdict(met: bool) -> str:
        return "yes" if met else "**no**"

    for label, size in results["sizes"].items():
        if size["rows"] < 1_000_000:
            continue
        ratio = size["ratios"]["pipeline_over_floor"]
        lines.append(
            f"| pipeline within {TARGET_FLOOR_RATIO:.0f}x the floor | {label} | "
            f"{ratio:.1f}x ({_seconds(size['pipeline']['seconds'])} s against "
            f"{_seconds(size['floor']['seconds'])} s) | {verdict(ratio <= TARGET_FLOOR_RATIO)} |"
        )
        share = size["ratios"]["no_new_files_over_full"]
        lines.append(
            f"| night with no new files at most {100 * TARGET_NO_NEW_FILES_SHARE:.0f}% of a "
            f"full night | {label} | {100 * share:.0f}% | "
            f"{verdict(share <= TARGET_NO_NEW_FILES_SHARE)} |"
        )
        if size["rows"] >= 10_000_000:
            peak = size["pipeline"]["peak_rss_mb"]
            lines.append(
                f"| peak memory at most {TARGET_PEAK_MB_10M / 1024:.0f} GB | {label} | "
                f"{peak / 1024:.1f} GB | {verdict(peak <= TARGET_PEAK_MB_10M)} |"
            )
    identical = all(all(size["identical"].values()) for size in results["sizes"].values())
    lines.append(
        f"| pipeline, floor and pandas give identical tables | all | "
        f"{'identical' if identical else 'DIFFERENT'} | {verdict(identical)} |"
    )
    speeds = [size["rows_per_second"] for size in results["sizes"].values() if size["rows"] >= 1e6]
    if len(speeds) > 1:
        lines.append(
            "| cost grows linearly with rows | 1M to 10M | rows per second "
            + " to ".join(f"{speed:,.0f}" for speed in speeds)
            + f" | {verdict(min(speeds) >= 0.5 * max(speeds))} |"
        )
    return "\n".join(lines)


def write_readme_tables(results: dict[str, Any], readme: Path = README_FILE) -> None:
    """Put the results and targets tables between their markers in benchmarks/README.md."""
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    for name, table in (("results", results_table(results)), ("targets", targets_table(results))):
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        block = f"{start}\n{table}\n{end}"
        if start in text and end in text:
            pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
            text = pattern.sub(block.replace("\\", "\\\\"), text)
        else:
            text = text.rstrip() + f"\n\n## {name.capitalize()}\n\n{block}\n"
    readme.write_text(text, encoding="utf-8")


def main() -> None:
    """Run the benchmarks named on the command line, or one measurement as a child."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,1M,10M", help="comma-separated row counts")
    parser.add_argument("--repeat", type=int, default=0, help="runs per size (default 3, 10M: 2)")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--no-prefect", action="store_true")
    parser.add_argument(
        "--distributed",
        default="largest",
        help="size of the distributed demo: 'largest' of --sizes (default), a size, or 'none'",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    parser.add_argument(
        "--readme-only", action="store_true", help="rewrite the README tables from --output"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--raw-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-output", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        run_child(arguments.child, arguments.raw_dir, arguments.work, arguments.child_output)
        return
    if arguments.readme_only:
        write_readme_tables(json.loads(arguments.output.read_text(encoding="utf-8")))
        return

    sizes = [parse_size(text) for text in arguments.sizes.split(",")]
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m benchmarks.run", *sys.argv[1:]]),
        "machine": machine(),
        "repeat": arguments.repeat or "3 (2 at 10M and above)",
        "sizes": {},
    }
    for rows in sizes:
        repeat = arguments.repeat or (2 if rows >= 10_000_000 else 3)
        measured = measure_size(rows, repeat, not arguments.no_pandas)
        results["sizes"][size_label(rows)] = measured
        print(json.dumps({size_label(rows): measured["ratios"]}, indent=1), flush=True)
    if not arguments.no_prefect:
        smallest = min(sizes)
        data_path = results["sizes"][size_label(smallest)]["pipeline"]["seconds"]
        print("Prefect fixed cost: jamsos run", flush=True)
        results["prefect"] = measure_prefect(smallest, data_path)
    if arguments.distributed != "none":
        rows = (
            max(sizes) if arguments.distributed == "largest" else parse_size(arguments.distributed)
        )
        print(f"distributed demo at {size_label(rows)}", flush=True)
        raw_dir = ensure_dataset(rows) / "raw"
        work = WORK_DIR / f"distributed-{size_label(rows)}"
        demo = _child("distributed", raw_dir, work)
        sequential = results["sizes"].get(size_label(rows))
        if sequential is None:
            sequential = {"pipeline": _child("pipeline", raw_dir, work / "sequential")}
        demo["rows"] = rows
        demo["sequential_per_file_seconds"] = sequential["pipeline"]["per_file_seconds"]
        demo["identical"] = _mart(Path(demo["db"])).equals(
            _mart(Path(sequential["pipeline"]["db"]))
        )
        results["distributed"] = demo
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    arguments.output.write_text(json.dumps(results, indent=1, default=str) + "\n", "utf-8")
    if arguments.output.resolve() == RESULTS_FILE:
        write_readme_tables(results)
    print(results_table(results))
    print(targets_table(results))


if __name__ == "__main__":
    main()
