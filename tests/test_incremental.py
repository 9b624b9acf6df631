"""A night without new files reuses every stored result and publishes the same numbers."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from uuid import UUID

import polars as pl
import pytest
from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.states import Failed

from flows import database, ingest
from flows.artifacts import FAILURE_KEY, REJECTIONS_KEY, SUMMARY_KEY
from flows.config import Settings
from flows.demo import write_demo_extracts
from flows.nightly import nightly, retry_only_transient
from flows.pipeline import PipelineError, RunSummary
from schemas.columns import FILE_LOADED
from tests.conftest import TEST_NIK_KEY, small_published_tables

pytestmark = pytest.mark.slow

# audit.runs grows by one row per run; every other table must not change.
COMPARED_TABLES = sorted(set(database.PUBLISHED_MODELS) - {"audit.runs"})


@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write the demo extracts once for this module."""
    raw = tmp_path_factory.mktemp("demo") / "raw"
    write_demo_extracts(raw)
    return raw


@pytest.fixture
def processed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the cache, key and reports of every run into tmp_path; return the database path."""
    monkeypatch.setenv("JAMSOS_NIK_KEY", TEST_NIK_KEY)
    monkeypatch.setenv("JAMSOS__PATHS__CACHE_DIR", str(tmp_path / "processed" / "cache"))
    monkeypatch.setenv("JAMSOS__PATHS__KEY_FILE", str(tmp_path / "secret" / "nik.key"))
    monkeypatch.setenv("JAMSOS__PATHS__REPORTS_DIR", str(tmp_path / "processed" / "reports"))
    return tmp_path / "processed" / "jamsos.duckdb"


def published(db: Path) -> dict[str, pl.DataFrame]:
    return {table: database.read_table(db, table) for table in COMPARED_TABLES}


def assert_same_publication(left: dict[str, pl.DataFrame], right: dict[str, pl.DataFrame]) -> None:
    def comparable(frame: pl.DataFrame) -> pl.DataFrame:
        # The fingerprint of the inputs changes with the rules version by design.
        return frame.drop("input_fingerprint", strict=False)

    changed = [
        table
        for table in COMPARED_TABLES
        if not comparable(left[table]).equals(comparable(right[table]))
    ]
    assert changed == []


def timed_run(raw: Path, db: Path) -> tuple[RunSummary, float]:
    started = time.perf_counter()
    summary = nightly(raw_dir=str(raw), db=str(db))
    return summary, time.perf_counter() - started


def artifact_markdown(flow_run_id: str) -> dict[str, str]:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)])
            )
        )
    return {artifact.key: str(artifact.data) for artifact in artifacts if artifact.key}


def test_night_without_new_files_keeps_the_publication_and_a_rule_change_rebuilds_it(
    prefect_harness: None, demo_raw: Path, processed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, first_seconds = timed_run(demo_raw, processed)
    loaded = first.files_by_status[FILE_LOADED]
    assert first.files_from_cache == 0
    assert "Belum ada terbitan sebelumnya" in artifact_markdown(first.run_id)[SUMMARY_KEY]
    first_tables = published(processed)

    published_bytes = hashlib.sha256(processed.read_bytes()).hexdigest()
    second, second_seconds = timed_run(demo_raw, processed)
    assert second.unchanged
    assert second.files_from_cache == 0
    assert second.enrolments_by_category == first.enrolments_by_category
    assert (
        second.persons
        == first.persons
        == first_tables["core.enrolment"].get_column("person_key").n_unique()
    )
    assert hashlib.sha256(processed.read_bytes()).hexdigest() == (published_bytes)
    artifacts = artifact_markdown(second.run_id)
    assert set(artifacts) == {SUMMARY_KEY, REJECTIONS_KEY}
    assert "Tidak ada perubahan jumlah peserta" in artifacts[SUMMARY_KEY]

    monkeypatch.setattr(ingest, "RULES_VERSION", "rules-changed-for-test")
    third, third_seconds = timed_run(demo_raw, processed)
    assert not third.unchanged
    assert third.files_from_cache == 0
    assert_same_publication(first_tables, published(processed))

    print(
        f"\nfull run {first_seconds:.2f} s (pipeline {first.seconds:.2f} s); "
        f"no new files {second_seconds:.2f} s (pipeline {second.seconds:.2f} s, "
        f"publication kept, {loaded} loaded files not read again); "
        f"after a rule change {third_seconds:.2f} s (pipeline {third.seconds:.2f} s)"
    )


def test_failed_run_keeps_the_published_file_and_is_not_retried(
    prefect_harness: None, settings: Settings, tmp_path: Path
) -> None:
    db = settings.paths.db
    database.build_database(db, small_published_tables(settings))
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    state = nightly(raw_dir=str(tmp_path / "tidak-ada"), db=str(db), return_state=True)

    assert state.is_failed()
    assert "Folder data mentah" in str(state.message)
    assert "paths.raw_dir" in str(state.message)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[state.state_details.flow_run_id])
            )
        )
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    discover = [run for run in task_runs if run.name.startswith("discover-extracts")]
    assert [run.run_count for run in discover] == [1]
    assert [artifact.key for artifact in artifacts if artifact.key] == [FAILURE_KEY]


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (OSError("disk penuh"), True),
        (TimeoutError("NFS tidak menjawab"), True),
        (PipelineError("kolom wajib tidak ada"), False),
        (ValueError("tanggal tidak sah"), False),
    ],
)
def test_only_file_system_failures_are_retried(error: Exception, retried: bool) -> None:
    state = Failed(data=error)
    assert retry_only_transient(None, None, state) is retried


def test_file_system_failure_is_retried_within_a_flow(prefect_harness: None) -> None:
    attempts: list[int] = []

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=retry_only_transient)
    def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("berkas sedang dikunci")
        return len(attempts)

    @flow
    def probe() -> int:
        return flaky()

    assert probe() == 2
