"""A run over the demo data logs counts, never a NIK or a name."""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)

from flows.demo import write_demo_extracts
from flows.extracts import read_extract
from flows.nightly import nightly
from schemas.columns import COLUMN_ALIASES, NAMA
from tests.conftest import TEST_NIK_KEY

pytestmark = pytest.mark.slow

SHORTEST_NAME_CHECKED = 5


class Recorder(logging.Handler):
    """Keep every formatted record, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """Record what the root and prefect loggers see while the test runs."""
    handler = Recorder()
    loggers = [logging.getLogger(), logging.getLogger("prefect")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def _normalise(header: str) -> str:
    return re.sub(r"[\s._/-]", "", header).upper()


NAME_HEADERS = {_normalise(alias) for alias in COLUMN_ALIASES[NAMA]}


def names_in_csv(path: Path) -> set[str]:
    """Read every value under a NAMA header, even in a file the pipeline rejects."""
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig") if _is_utf8(raw) else raw.decode("cp1252")
    for delimiter in (",", ";", "\t"):
        rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
        for number, row in enumerate(rows):
            columns = [i for i, cell in enumerate(row) if _normalise(cell) in NAME_HEADERS]
            if columns:
                return {
                    cell[i].strip() for cell in rows[number + 1 :] for i in columns if i < len(cell)
                }
    return set()


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def personal_data(raw: Path, manifest_niks: set[str]) -> tuple[set[str], set[str]]:
    """Return the NIKs and names the raw files hold."""
    niks = set(manifest_niks)
    names: set[str] = set()
    for path in raw.rglob("*"):
        if not path.is_file() or path.suffix.lower() not in {".csv", ".xlsx"}:
            continue
        extract = read_extract(path, path.name)
        if extract.error is None:
            for nik in extract.rows.get_column("nik").drop_nulls().to_list():
                niks.update(re.findall(r"\d{16}", re.sub(r"\s", "", nik)))
            names.update(extract.rows.get_column("nama").drop_nulls().to_list())
        if path.suffix.lower() == ".csv":
            names |= names_in_csv(path)
    names = {
        name.strip()
        for name in names
        if len(name.strip()) >= SHORTEST_NAME_CHECKED and not re.search(r"\d", name)
    }
    return niks, names


def test_run_logs_and_artifacts_hold_no_nik_and_no_name(
    prefect_harness: None,
    recorder: Recorder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JAMSOS_NIK_KEY", TEST_NIK_KEY)
    monkeypatch.setenv("JAMSOS__PATHS__CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("JAMSOS__PATHS__KEY_FILE", str(tmp_path / "nik.key"))
    raw = tmp_path / "raw"
    manifest = write_demo_extracts(raw)
    niks, names = personal_data(raw, {enrolment.nik for enrolment in manifest.enrolments})
    assert len(niks) >= len(manifest.enrolments)
    assert len(names) > 500

    summary = nightly(
        raw_dir=str(raw), db=str(tmp_path / "jamsos.duckdb"), reports_dir=str(tmp_path / "rep")
    )

    with get_client(sync_client=True) as client:
        api_logs = client.read_logs(
            LogFilter(flow_run_id=LogFilterFlowRunId(any_=[summary.run_id]))
        )
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[summary.run_id])
            )
        )
    console = capfd.readouterr()
    texts = {
        "log records": "\n".join(recorder.lines),
        "server logs": "\n".join(log.message for log in api_logs),
        "console": console.out + console.err,
        "artifacts": "\n".join(str(artifact.data) for artifact in artifacts if artifact.key),
    }
    assert "berkas ditemukan" in texts["log records"]
    # Files are processed two at a time, and still reported in delivery order.
    # (The recorder listens on two loggers, so each line may come twice.)
    positions = [int(number) for number in re.findall(r"\[(\d+)/\d+\] ", texts["log records"])]
    assert positions == sorted(positions)
    files_logged = list(dict.fromkeys(positions))
    assert files_logged == list(range(1, len(files_logged) + 1)) and len(files_logged) >= 5
    assert texts["artifacts"]
    assert texts["server logs"]
    for where, text in texts.items():
        leaked_niks = sorted(nik for nik in niks if nik in text)
        leaked_names = sorted(name for name in names if name in text)
        assert leaked_niks == [], f"NIK in {where}"
        assert leaked_names == [], f"name in {where}"
