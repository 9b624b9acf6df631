"""A run killed at any moment, or stopped by a full disk, never publishes half a result.

Each test runs the pipeline in a child process (the same steps as the nightly flow, without
Prefect), which SIGKILLs itself at one chosen point by wrapping the pipeline function it
is about to call. Afterwards the published database must be the one from before (or, once
the swap happened, the complete new one), it must open and pass every check, and the next
run must publish the same numbers as a run that was never interrupted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import psutil
import pytest

from flows import database
from flows.config import PROJECT_ROOT, Settings, load_settings
from tests.conftest import TEST_NIK_KEY, write_test_config
from tests.test_hostile_files import HEADER, csv_bytes, good_row, nik, run_once, write_workbook

pytestmark = pytest.mark.slow

# audit.runs and audit.file_loads name the run and the files' order; every number is elsewhere.
COMPARED_TABLES = sorted(
    table for table in database.PUBLISHED_MODELS if table.startswith(("mart.", "core."))
)

RUN_SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path

    import psutil

    from flows import database, ingest, pipeline
    from flows.config import load_settings
    from flows.extracts import discover_extracts
    from flows.history import utc_now
    from flows.secrets import key_fingerprint, load_nik_key

    point, config = sys.argv[1], Path(sys.argv[2])
    settings = load_settings(config, environ={})
    paths = database.DatabasePaths(settings.paths.db)


    def die(where):
        children = [child.pid for child in psutil.Process().children(recursive=True)]
        print(json.dumps({"killed_at": where, "children": children}), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


    def kill_on_call(module, name, when):
        real = getattr(module, name)
        calls = []

        def wrapper(*args, **kwargs):
            calls.append(args)
            if when(len(calls), args, "before"):
                die(point)
            result = real(*args, **kwargs)
            if when(len(calls), args, "after"):
                die(point)
            return result

        setattr(module, name, wrapper)


    if point == "ingest":  # after the third file, with the XLSX reader process running
        kill_on_call(ingest, "process_extract", lambda n, a, moment: n == 3 and moment == "after")
    elif point == "assemble":  # core.enrolment stored, half the other tables made
        kill_on_call(database, "conform", lambda n, a, moment: n == 8)
    elif point == "build":  # the assembled file copied for publication, nothing checked
        kill_on_call(database, "copy_assembled", lambda n, a, moment: moment == "after")
    elif point == "checks":
        kill_on_call(database, "run_checks", lambda n, a, moment: True)
    elif point == "parquet_export":  # the new marts half written as Parquet, nothing swapped
        kill_on_call(database, "export_parquet", lambda n, a, moment: moment == "before")
    elif point == "parquet_swap":  # database swapped, the new Parquet folder not yet in place
        kill_on_call(
            Path, "rename", lambda n, a, moment: str(a[0]).endswith("_parquet.building")
        )
    elif point == "before_swap":
        kill_on_call(database, "swap_in", lambda n, a, moment: moment == "before")
    elif point == "mid_swap":  # previous kept, the new file not yet renamed over the old
        kill_on_call(
            os, "replace", lambda n, a, moment: moment == "before" and Path(a[1]) == paths.published
        )
    elif point == "after_swap":  # published, run history not yet written
        kill_on_call(database, "swap_in", lambda n, a, moment: moment == "after")

    with database.publish_lock(paths):
        files = discover_extracts(settings.paths.raw_dir)
        reference = ingest.load_reference(settings.paths.reference_dir)
        key = load_nik_key(settings.paths.key_file)
        fingerprint = ingest.settings_fingerprint(settings.rules, reference, key_fingerprint(key))
        results = [
            ingest.process_with_cache(
                file, reference, settings.rules, key, settings.paths.cache_dir, fingerprint
            )
            for file in files
        ]
        assembly = pipeline.assemble_tables(
            settings, files, results, reference.kelurahan, "terbunuh", utc_now()
        )
        pipeline.publish_assembled(settings, assembly.database, lambda _: None)
        pipeline.record_success(settings, assembly.record)
    print(json.dumps({"killed_at": None}), flush=True)
    """
)


def first_delivery(raw: Path) -> None:
    (raw / "2025-12-16_kec_tengah.csv").write_bytes(
        csv_bytes([HEADER, *(good_row(serial) for serial in range(1, 21))])
    )
    (raw / "2025-12-17_kec_barat.csv").write_bytes(
        csv_bytes([HEADER, *(good_row(serial) for serial in range(21, 31))], delimiter=",")
    )


def second_delivery(raw: Path) -> None:
    sawit = [
        [nik(serial), f"Peserta {serial}", "Pasiran", "sawit", "03/01/2026"]
        for serial in range(1, 11)
    ]
    write_workbook(raw / "2025-12-20_sawit.xlsx", {"Data": [HEADER, *sawit]})
    correction = [
        [nik(serial), f"Peserta {serial}", "Condong", "rentan", "1 Jan 2026"]
        for serial in range(5, 10)
    ]
    (raw / "2026-01-08_koreksi.csv").write_bytes(csv_bytes([HEADER, *correction]))
    (raw / "2026-01-09_tambahan.csv").write_bytes(
        csv_bytes([HEADER, *(good_row(serial) for serial in range(31, 41)), ["", "", "", "", ""]])
    )


def settings_for(folder: Path) -> Settings:
    return load_settings(write_test_config(folder), environ={})


def read_tables(db: Path, tables: list[str] = COMPARED_TABLES) -> dict[str, pl.DataFrame]:
    connection = duckdb.connect(str(db), read_only=True)
    try:
        return {
            table: pl.from_arrow(connection.sql(f"SELECT * FROM {table}").to_arrow_table()).sort(
                pl.all()
            )
            for table in tables
        }
    finally:
        connection.close()


def assert_same_tables(got: dict[str, pl.DataFrame], expected: dict[str, pl.DataFrame]) -> None:
    assert sorted(got) == sorted(expected)
    for table, frame in expected.items():
        assert got[table].equals(frame), table


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    """Publish both deliveries in one run nobody interrupts; return its tables."""
    folder = tmp_path_factory.mktemp("tanpa_gangguan")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JAMSOS_NIK_KEY", TEST_NIK_KEY)
        settings = settings_for(folder)
        first_delivery(settings.paths.raw_dir)
        second_delivery(settings.paths.raw_dir)
        run_once(settings)
    return read_tables(settings.paths.db)


@pytest.fixture(scope="module")
def published_first(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder in which the first delivery is already published."""
    folder = tmp_path_factory.mktemp("terbit_pertama")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JAMSOS_NIK_KEY", TEST_NIK_KEY)
        settings = settings_for(folder)
        first_delivery(settings.paths.raw_dir)
        run_once(settings, "pertama")
    return folder


@dataclass
class Scene:
    """A copy of the published first delivery with the second one waiting in the raw folder."""

    settings: Settings
    published_sha: str
    published_rows: int


@pytest.fixture
def scene(
    published_first: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Scene]:
    monkeypatch.setenv("JAMSOS_NIK_KEY", TEST_NIK_KEY)
    folder = tmp_path / "jamsos"
    shutil.copytree(published_first, folder, symlinks=True)
    settings = settings_for(folder)
    second_delivery(settings.paths.raw_dir)
    yield Scene(
        settings=settings,
        published_sha=sha256(settings.paths.db),
        published_rows=read_tables(settings.paths.db)["core.enrolment"].height,
    )


def run_child(
    settings: Settings, point: str, script: str = RUN_SCRIPT
) -> subprocess.CompletedProcess[str]:
    assert settings.config_file is not None
    path = settings.config_file.parent / "jalankan.py"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(path), point, str(settings.config_file)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "JAMSOS_NIK_KEY": TEST_NIK_KEY, "PYTHONPATH": str(PROJECT_ROOT)},
        cwd=settings.config_file.parent,
    )


def assert_published_file_is_whole(settings: Settings) -> None:
    """The published file opens read-only and passes every publish check."""
    assert database.run_checks(settings.paths.db) == []
    tables = read_tables(settings.paths.db, ["mart.coverage_monthly", "audit.file_loads"])
    assert tables["mart.coverage_monthly"].height > 0


def assert_gone(pids: list[int]) -> None:
    """Every process the killed run had started ends on its own."""
    deadline = time.monotonic() + 10
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"process {pid} of the killed run is still running")


@pytest.mark.parametrize(
    ("point", "swapped"),
    [
        ("ingest", False),
        ("assemble", False),
        ("build", False),
        ("checks", False),
        ("parquet_export", False),
        ("before_swap", False),
        ("mid_swap", False),
        ("after_swap", True),
        ("parquet_swap", True),
    ],
)
def test_run_killed_at_any_point_leaves_a_whole_published_file_and_the_next_run_recovers(
    scene: Scene, uninterrupted: dict[str, pl.DataFrame], point: str, swapped: bool
) -> None:
    settings = scene.settings
    paths = database.DatabasePaths(settings.paths.db)

    completed = run_child(settings, point)

    assert completed.returncode == -signal.SIGKILL, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["killed_at"] == point
    if point == "ingest":
        assert report["children"], "the XLSX reader process should have been running"
    assert_gone(report["children"])
    if point == "assemble":
        assert paths.assembled.exists(), "killed before the assembled file existed"
    if point == "build":
        assert paths.building.exists(), "killed before the new file existed"
    assert_published_file_is_whole(settings)
    if swapped:
        assert_same_tables(read_tables(settings.paths.db), uninterrupted)
    else:
        assert sha256(settings.paths.db) == scene.published_sha
        assert read_tables(settings.paths.db)["core.enrolment"].height == scene.published_rows

    _, results, assembly = run_once(settings, "sesudahnya")

    assert_same_tables(read_tables(settings.paths.db), uninterrupted)
    assert [result.status for result in results] == ["loaded"] * 5
    assert assembly.tables["audit.file_loads"].get_column("rows_accepted").sum() == 55
    leftovers = [
        path.name
        for path in settings.paths.db.parent.iterdir()
        if path.name.endswith((".building", ".assembled", ".wal", ".old", ".linking"))
    ]
    assert leftovers == []
    assert sorted(p.name for p in paths.parquet_dir.iterdir()) == sorted(
        f"{table.split('.', 1)[1]}.parquet" for table in database.MART_TABLES
    )


FULL_DISK_SCRIPT = textwrap.dedent(
    """
    import errno, hashlib, json, os, resource, signal, subprocess, sys
    from pathlib import Path

    import duckdb

    from flows import database
    from flows.config import load_settings
    from tests.test_hostile_files import run_once
    from tests.test_killed_runs import read_tables, second_delivery

    mode, config = sys.argv[1], Path(sys.argv[2])
    settings = load_settings(config, environ={})
    paths = database.DatabasePaths(settings.paths.db)
    report = {}

    run_once(settings, "pertama")
    before = hashlib.sha256(paths.published.read_bytes()).hexdigest()
    second_delivery(settings.paths.raw_dir)

    filler = paths.published.parent / "pengisi"
    if mode == "tmpfs":
        # Fill the small file system until 256 KB are left.
        stat = os.statvfs(filler.parent)
        free = stat.f_bavail * stat.f_frsize
        with open(filler, "wb") as handle:
            handle.truncate(0)
            handle.write(b"\\0" * max(free - (256 << 10), 0))
        soft, hard = None, None
    else:
        # Every file this process writes beyond 256 KB fails with EFBIG, as on a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 10, hard))
    try:
        run_once(settings, "disk-penuh")
        report["failed"] = None
    except Exception as error:
        report["failed"] = f"{type(error).__name__}: {error}"
        report["errno"] = getattr(error, "errno", None)
    if mode == "tmpfs":
        filler.unlink()
    else:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    report["unchanged"] = hashlib.sha256(paths.published.read_bytes()).hexdigest() == before
    report["checks"] = [failure.name for failure in database.run_checks(paths.published)]
    report["leftovers"] = sorted(
        path.name for path in paths.published.parent.iterdir()
        if path.name.endswith((".building", ".assembled", ".wal", ".old"))
    )
    run_once(settings, "sesudahnya")
    report["after"] = {
        table: frame.write_csv() for table, frame in read_tables(paths.published).items()
    }
    print(json.dumps(report))
    """
)


def can_mount_tmpfs() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         "mount -t tmpfs -o size=1m tmpfs /mnt"],
        capture_output=True,
    )  # fmt: skip
    return probe.returncode == 0


@pytest.mark.parametrize("mode", ["file_size_limit", "tmpfs"])
def test_full_disk_fails_the_run_and_leaves_the_published_file_whole(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    uninterrupted: dict[str, pl.DataFrame],
    mode: str,
) -> None:
    monkeypatch.setenv("JAMSOS_NIK_KEY", TEST_NIK_KEY)
    settings = settings_for(tmp_path / "jamsos")
    first_delivery(settings.paths.raw_dir)
    processed = settings.paths.db.parent
    processed.mkdir(parents=True, exist_ok=True)
    assert settings.config_file is not None
    script = tmp_path / "disk_penuh.py"
    script.write_text(FULL_DISK_SCRIPT, encoding="utf-8")
    command = [sys.executable, str(script), mode, str(settings.config_file)]
    if mode == "tmpfs":
        if not can_mount_tmpfs():
            pytest.skip("cannot mount a small tmpfs here (needs root and mount namespaces)")
        # The small file system exists only inside the child's own mount namespace.
        command = [
            "unshare", "--mount", "--propagation", "private", "sh", "-c",
            f'mount -t tmpfs -o size=16m,mode=0750 tmpfs "{processed}" && exec "$0" "$@"',
            *command,
        ]  # fmt: skip
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "JAMSOS_NIK_KEY": TEST_NIK_KEY, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["failed"], "the run should have failed on the full disk"
    assert any(word in report["failed"] for word in ("space", "too large", "File too large", "IO"))
    assert report["unchanged"]
    assert report["checks"] == []
    assert report["leftovers"] == []
    expected = {table: frame.write_csv() for table, frame in uninterrupted.items()}
    assert report["after"] == expected
