"""The run history kept beside the database, failed runs included."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

RUNS_SCHEMA: Mapping[str, pl.DataType | type[pl.DataType]] = {
    "run_id": pl.String,
    "started_at": pl.Datetime("us", "UTC"),
    "finished_at": pl.Datetime("us", "UTC"),
    "data_as_of": pl.Date,
    "code_version": pl.String,
    "files_seen": pl.Int64,
    "files_loaded": pl.Int64,
    "files_rejected": pl.Int64,
    "files_duplicate": pl.Int64,
    "rows_read": pl.Int64,
    "rows_accepted": pl.Int64,
    "rows_rejected": pl.Int64,
    "enrolments": pl.Int64,
    "persons": pl.Int64,
    "outcome": pl.String,
    "message": pl.String,
}


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    started_at: datetime
    finished_at: datetime
    data_as_of: date | None
    code_version: str
    files_seen: int = 0
    files_loaded: int = 0
    files_rejected: int = 0
    files_duplicate: int = 0
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    enrolments: int = 0
    persons: int | None = None
    outcome: str = "published"
    message: str | None = None

    def to_json(self) -> str:
        values = asdict(self)
        for name in ("started_at", "finished_at", "data_as_of"):
            value = values[name]
            values[name] = None if value is None else value.isoformat()
        return json.dumps(values, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> RunRecord:
        values = json.loads(line)
        values["started_at"] = datetime.fromisoformat(values["started_at"])
        values["finished_at"] = datetime.fromisoformat(values["finished_at"])
        as_of = values.get("data_as_of")
        values["data_as_of"] = None if as_of is None else date.fromisoformat(as_of)
        return cls(**values)


def read_history(path: Path) -> list[RunRecord]:
    """Return the recorded runs, oldest first; unreadable lines are skipped."""
    if not path.exists():
        return []
    records: list[RunRecord] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            records.append(RunRecord.from_json(line))
        except (ValueError, KeyError, TypeError):
            continue
    return records


def append_history(path: Path, record: RunRecord) -> None:
    """Add one run to the history file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(record.to_json() + "\n")


def runs_frame(records: list[RunRecord]) -> pl.DataFrame:
    """Return the runs as the audit.runs frame."""
    rows = [asdict(record) for record in records]
    return (
        pl.DataFrame(rows, schema=RUNS_SCHEMA, orient="row")
        if rows
        else pl.DataFrame(schema=RUNS_SCHEMA)
    )


def utc_now() -> datetime:
    return datetime.now(UTC)
