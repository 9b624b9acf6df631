"""Run the per-file stage on a local Dask cluster of two workers, orchestrated by Prefect.

Each file is one Prefect task on the cluster (prefect-dask's DaskTaskRunner). A worker
reads, validates and de-identifies its file and stores the result in the per-file cache
(flows.ingest.process_with_cache), the folder the nightly run already keeps; the flow
then assembles and publishes from the cache as a warm night does. Workers return only a
short summary, so no rows cross the network: on a real cluster the cache folder is a
shared file system or object store.

    python -m benchmarks.distributed --size 1M
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks.generate import DATA_DIR, ensure_dataset, parse_size

WORKERS = 2


def _quiet_prefect(home: Path) -> None:
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def run_distributed(raw_dir: Path, work_dir: Path, workers: int = WORKERS) -> dict[str, Any]:
    """Process every file on a local cluster, then assemble and publish; return timings."""
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    _quiet_prefect(work_dir / "prefect")

    from prefect import flow, task, unmapped
    from prefect.cache_policies import NO_CACHE
    from prefect_dask import DaskTaskRunner

    from benchmarks.run import bench_settings
    from flows.extracts import DiscoveredFile, discover_extracts
    from flows.history import utc_now
    from flows.ingest import load_reference, process_with_cache, settings_fingerprint
    from flows.pipeline import assemble_tables, publish_assembled
    from flows.secrets import key_fingerprint, load_nik_key
    from transforms.kelurahan import KelurahanReference
    from transforms.program import ProgramRules

    settings = bench_settings(raw_dir, work_dir)

    @task(name="process-extract-on-worker", cache_policy=NO_CACHE)
    def process_on_worker(
        file: DiscoveredFile,
        reference: KelurahanReference,
        rules: ProgramRules,
        key: bytes,
        cache_dir: Path,
        fingerprint: str,
    ) -> dict[str, Any]:
        """Process one file on a worker and leave its result in the shared cache."""
        started = time.perf_counter()
        result = process_with_cache(file, reference, rules, key, cache_dir, fingerprint)
        return {
            "source_file": result.source_file,
            "status": result.status,
            "rows_read": result.rows_read,
            "seconds": round(time.perf_counter() - started, 3),
            "worker_pid": os.getpid(),
        }

    runner = DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
            "env": {"POLARS_MAX_THREADS": "1"},
        }
    )

    @flow(name="jamsos-distributed-benchmark", task_runner=runner, log_prints=False)
    def distributed_nightly() -> dict[str, Any]:
        """Fan the files out to the workers, then assemble and publish from the cache."""
        clock = time.perf_counter()
        files = discover_extracts(settings.paths.raw_dir)
        reference = load_reference(settings.paths.reference_dir)
        key = load_nik_key(settings.paths.key_file)
        fingerprint = settings_fingerprint(settings.rules, reference, key_fingerprint(key))
        fanned = time.perf_counter()
        futures = process_on_worker.map(
            files,
            unmapped(reference),
            unmapped(settings.rules),
            unmapped(key),
            unmapped(settings.paths.cache_dir),
            unmapped(fingerprint),
        )
        summaries = [future.result() for future in futures]
        per_file = time.perf_counter() - fanned
        gathered = time.perf_counter()
        results = [
            process_with_cache(
                file, reference, settings.rules, key, settings.paths.cache_dir, fingerprint
            )
            for file in files
        ]
        assembly = assemble_tables(
            settings, files, results, reference.kelurahan, "distributed", utc_now()
        )
        publish_assembled(settings, assembly.database, lambda message: None)
        return {
            "per_file_seconds": round(per_file, 3),
            "assemble_publish_seconds": round(time.perf_counter() - gathered, 3),
            "flow_body_seconds": round(time.perf_counter() - clock, 3),
            "files": summaries,
            "workers_used": len({item["worker_pid"] for item in summaries}),
            "from_cache_after_fan_out": sum(result.from_cache for result in results),
        }

    started = time.perf_counter()
    outcome = distributed_nightly()
    outcome["wall_seconds"] = round(time.perf_counter() - started, 3)
    outcome["workers"] = workers
    outcome["db"] = str(settings.paths.db)
    return outcome


def main() -> None:
    """Run the distributed demo on one generated data set and print its timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--work-dir", type=Path, default=DATA_DIR / "work" / "distributed")
    arguments = parser.parse_args()
    raw_dir = ensure_dataset(parse_size(arguments.size)) / "raw"
    outcome = run_distributed(raw_dir, arguments.work_dir, arguments.workers)
    print(json.dumps(outcome, indent=1))


if __name__ == "__main__":
    main()
