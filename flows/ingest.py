"""Turn one discovered extract into its audit row, enrolment rows, rejections and warnings."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, TypeVar

import pandera.polars as pa
import polars as pl

from flows.extracts import DiscoveredFile, read_extract
from schemas.columns import FILE_DUPLICATE, FILE_LOADED, FILE_REJECTED
from schemas.extract import AcceptedRow, MappedExtract, RejectedRow, RowWarning
from transforms.enrolments import privatise_accepted_rows
from transforms.kelurahan import KelurahanReference
from transforms.nik import mask_digit_runs
from transforms.program import RULES_VERSION, ProgramRules
from transforms.rows import REJECTED_COLUMNS, WARNING_COLUMNS, validate_rows

ENROLMENT_ROW_SCHEMA = {
    "source_file": pl.String,
    "source_sheet": pl.String,
    "source_row": pl.Int64,
    "person_key": pl.String,
    "nik_masked": pl.String,
    "category": pl.String,
    "kode_kelurahan": pl.String,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "sex": pl.String,
    "age_group": pl.String,
}
CACHE_ROW_GROUP_ROWS = 32_768
REJECTED_SCHEMA = {
    "source_file": pl.String,
    "source_sheet": pl.String,
    "source_row": pl.Int64,
    "reason": pl.String,
    "message": pl.String,
    "column": pl.String,
    "nik_masked": pl.String,
}
WARNING_SCHEMA = {
    "source_file": pl.String,
    "source_sheet": pl.String,
    "source_row": pl.Int64,
    "warning": pl.String,
    "column": pl.String,
    "message": pl.String,
}


@dataclass(frozen=True)
class FileResult:
    """What one file contributes to a run: its audit row and its rows, without any NIK.

    The enrolment rows are lazy: read back from the per-file cache, they stay on disk until
    the run assembles them.
    """

    source_file: str
    status: str
    rows_read: int
    rows_accepted: int
    message: str | None
    enrolment_rows: pl.LazyFrame = field(repr=False)
    rejected: pl.DataFrame = field(repr=False)
    warnings: pl.DataFrame = field(repr=False)
    from_cache: bool = False

    @property
    def rows_rejected(self) -> int:
        return self.rejected.height


def load_reference(reference_dir: Path) -> KelurahanReference:
    """Read the official kelurahan list and its aliases shipped with the project."""
    text = {name: pl.String for name in ("kode_kecamatan", "kode_kelurahan", "kode_pos")}
    kelurahan = pl.read_csv(reference_dir / "kelurahan_singkawang.csv", schema_overrides=text)
    aliases = pl.read_csv(
        reference_dir / "kelurahan_aliases.csv", schema_overrides={"kode_kelurahan": pl.String}
    )
    return KelurahanReference(kelurahan=kelurahan, aliases=aliases)


def _empty(schema: Mapping[str, pl.DataType | type[pl.DataType]]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def _without_rows(
    file: DiscoveredFile, status: str, message: str | None, rows_read: int = 0
) -> FileResult:
    return FileResult(
        source_file=file.source_file,
        status=status,
        rows_read=rows_read,
        rows_accepted=0,
        message=None if message is None else mask_digit_runs(message),
        enrolment_rows=_empty(ENROLMENT_ROW_SCHEMA).lazy(),
        rejected=_empty(REJECTED_SCHEMA),
        warnings=_empty(WARNING_SCHEMA),
    )


def _join_messages(*parts: str | None) -> str | None:
    kept = [part for part in parts if part]
    return " ".join(kept) if kept else None


def process_extract(
    file: DiscoveredFile, reference: KelurahanReference, rules: ProgramRules, key: bytes
) -> FileResult:
    """Read, validate and de-identify one extract; a bad file becomes a rejected result."""
    if file.problem is not None or file.kind not in ("csv", "xlsx"):
        return _without_rows(file, FILE_REJECTED, file.problem)
    if file.duplicate_of is not None:
        message = (
            f"Isi berkas sama persis dengan {file.duplicate_of} yang sudah dikirim lebih dulu; "
            "berkas ini tidak dihitung lagi."
        )
        return _without_rows(file, FILE_DUPLICATE, message)
    extract = read_extract(file.path, file.source_file, expected=file.identity)
    if extract.error is not None:
        return _without_rows(file, FILE_REJECTED, _join_messages(extract.error, *extract.notes))
    rows = conform_rows(extract.rows, MappedExtract, file.source_file)
    validated = validate_rows(rows, reference, rules)
    conform_rows(validated.accepted, AcceptedRow, file.source_file)
    conform_rows(validated.rejected, RejectedRow, file.source_file)
    conform_rows(validated.warnings, RowWarning, file.source_file)
    if validated.accepted.height + validated.rejected.height != rows.height:
        raise RowAccountingError(
            f"{file.source_file}: {rows.height} baris dibaca tetapi "
            f"{validated.accepted.height} diterima + {validated.rejected.height} ditolak."
        )
    enrolment_rows = privatise_accepted_rows(validated.accepted, key, rules.launch_date)
    return FileResult(
        source_file=file.source_file,
        status=FILE_LOADED,
        rows_read=rows.height,
        rows_accepted=enrolment_rows.height,
        message=_join_messages(*extract.notes),
        enrolment_rows=enrolment_rows.lazy(),
        rejected=validated.rejected.select(REJECTED_COLUMNS),
        warnings=validated.warnings.select(WARNING_COLUMNS),
    )


class RowAccountingError(RuntimeError):
    """A file's rows do not add up or break a boundary model: a defect, never bad input."""


def conform_rows(
    frame: pl.DataFrame, model: type[pa.DataFrameModel], source_file: str
) -> pl.DataFrame:
    """Validate a frame against its boundary model; say which checks failed, never values."""
    try:
        return model.validate(frame, lazy=True)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as error:
        failures = getattr(error, "failure_cases", None)
        summary = (
            failures.group_by("column", "check").len().sort("column").rows()
            if isinstance(failures, pl.DataFrame)
            else []
        )
        raise RowAccountingError(
            f"{source_file}: hasil baca tidak sesuai model {model.__name__} "
            f"(kolom, pemeriksaan, jumlah): {summary}"
        ) from None


def cache_key(file: DiscoveredFile, settings_fingerprint: str) -> str | None:
    """Return the cache key of a file's result: its bytes, the rules and the settings."""
    if file.sha256 is None or file.kind not in ("csv", "xlsx") or file.duplicate_of is not None:
        return None
    material = f"{file.sha256}|{RULES_VERSION}|{settings_fingerprint}"
    return hashlib.sha256(material.encode()).hexdigest()


def settings_fingerprint(
    rules: ProgramRules, reference: KelurahanReference, key_fingerprint: str
) -> str:
    """Fingerprint everything besides the file's bytes that changes a file's result."""
    parts = [
        repr(rules),
        reference.kelurahan.write_csv(),
        reference.aliases.write_csv(),
        key_fingerprint,
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def read_cached(cache_dir: Path, key: str, file: DiscoveredFile) -> FileResult | None:
    """Return the cached result for this key, renamed to the file's current path, if any."""
    folder = cache_dir / key
    source_file = pl.lit(file.source_file, dtype=pl.String)
    try:
        meta = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        enrolment_rows = pl.scan_parquet(folder / "enrolment_rows.parquet")
        rows_accepted = enrolment_rows.select(pl.len()).collect().item()
        rejected, warnings = (
            pl.read_parquet(folder / f"{name}.parquet").with_columns(source_file=source_file)
            for name in ("rejected", "warnings")
        )
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None
    return FileResult(
        source_file=file.source_file,
        status=meta["status"],
        rows_read=int(meta["rows_read"]),
        rows_accepted=int(rows_accepted),
        message=meta["message"],
        enrolment_rows=enrolment_rows.with_columns(source_file=source_file),
        rejected=rejected,
        warnings=warnings,
        from_cache=True,
    )


def write_cached(cache_dir: Path, key: str, result: FileResult) -> None:
    """Store a file's result under its key; the folder appears whole or not at all.

    Enrolment rows are stored in order of their person key's first two hex digits, in
    small row groups, so that a run assembling one range of keys reads only that range.
    """
    folder = cache_dir / key
    if folder.exists():
        return
    staging = cache_dir / f".{key}.{uuid.uuid4().hex}"
    staging.mkdir(parents=True, mode=0o700)
    try:
        rows = result.enrolment_rows.collect().rechunk()
        first_byte = pl.col("person_key").str.slice(0, 2).str.to_integer(base=16, strict=False)
        rows.sort(first_byte, maintain_order=True, nulls_last=False).write_parquet(
            staging / "enrolment_rows.parquet",
            row_group_size=CACHE_ROW_GROUP_ROWS,
            compression="lz4",
        )
        result.rejected.write_parquet(staging / "rejected.parquet")
        result.warnings.write_parquet(staging / "warnings.parquet")
        meta = {"status": result.status, "rows_read": result.rows_read, "message": result.message}
        (staging / "result.json").write_text(json.dumps(meta), encoding="utf-8")
        with contextlib.suppress(FileExistsError, OSError):
            os.rename(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def process_with_cache(
    file: DiscoveredFile,
    reference: KelurahanReference,
    rules: ProgramRules,
    key: bytes,
    cache_dir: Path | None,
    fingerprint: str,
) -> FileResult:
    """Reuse the stored result of the same bytes under the same rules, else process."""
    entry = cache_key(file, fingerprint) if cache_dir is not None else None
    if entry is not None and cache_dir is not None:
        cached = read_cached(cache_dir, entry, file)
        if cached is not None:
            return cached
    result = process_extract(file, reference, rules, key)
    if entry is not None and cache_dir is not None and result.status == FILE_LOADED:
        write_cached(cache_dir, entry, result)
        # The stored rows stand in for the ones in memory, which the run no longer holds.
        stored = read_cached(cache_dir, entry, file)
        if stored is not None:
            return replace(stored, from_cache=False)
    return result


Item = TypeVar("Item")
Outcome = TypeVar("Outcome", covariant=True)


class Pending(Protocol[Outcome]):
    """Work started elsewhere (a thread, a task runner) whose outcome can be waited for."""

    def result(self) -> Outcome: ...


def results_in_order(
    items: Iterable[Item], start: Callable[[Item], Pending[Outcome]], at_once: int
) -> Iterator[Outcome]:
    """Start the work of each item, at most at_once in flight, and yield outcomes in order.

    An item's error is raised when its turn comes; the work already started goes on.
    """
    in_flight: deque[Pending[Outcome]] = deque()
    for item in items:
        if len(in_flight) == at_once:
            yield in_flight.popleft().result()
        in_flight.append(start(item))
    while in_flight:
        yield in_flight.popleft().result()
