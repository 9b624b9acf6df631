"""Build the DuckDB file beside the published one, check it, and swap it in atomically."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandera.polars as pa
import polars as pl

from schemas import published

SQL_DIR = Path(__file__).resolve().parent / "sql"
# Files written with this storage version open in DuckDB 1.0 and newer, including the
# command-line shell that lags the Python package by a major version.
STORAGE_COMPATIBILITY_VERSION = "v1.0.0"
DATABASE_FILE_MODE = 0o640
# Beyond this the build and the queries of a run spill to disk: a run's memory stays
# bounded whatever its size.
BUILD_MEMORY_LIMIT = "1GB"
BUILD_UMASK = 0o027
# Compression named for the columns of core.enrolment whose best method never varies: FSST
# for the random hex of person_key, a dictionary for the columns of few distinct values.
# DuckDB would otherwise try every method on each segment first, which took a third of the
# time it spent storing the table.
_FEW_VALUES = (
    "category",
    "kode_kelurahan",
    "kelurahan",
    "kode_kecamatan",
    "kecamatan",
    "sex",
    "age_group",
    "source_file",
    "source_sheet",
)
COLUMN_COMPRESSION: dict[str, dict[str, str]] = {
    "core.enrolment": {"person_key": "fsst", **dict.fromkeys(_FEW_VALUES, "dictionary")}
}

PUBLISHED_MODELS: dict[str, type[pa.DataFrameModel]] = {
    "ref.program": published.RefProgram,
    "ref.kelurahan": published.RefKelurahan,
    "ref.category": published.RefCategory,
    "core.enrolment": published.CoreEnrolment,
    "mart.coverage_monthly": published.CoverageMonthly,
    "mart.coverage_kecamatan_monthly": published.CoverageKecamatanMonthly,
    "mart.coverage_city_monthly": published.CoverageCityMonthly,
    "mart.persons_city_monthly": published.PersonsCityMonthly,
    "mart.progress_by_category": published.ProgressByCategory,
    "mart.premium_monthly": published.PremiumMonthly,
    "mart.participants_by_kecamatan_sex_age": published.ParticipantsByKecamatanSexAge,
    "audit.file_loads": published.FileLoads,
    "audit.rejected_rows": published.RejectedRows,
    "audit.row_warnings": published.RowWarnings,
    "audit.runs": published.Runs,
}
SCHEMAS = ("ref", "core", "mart", "audit")
MART_TABLES = tuple(name for name in PUBLISHED_MODELS if name.startswith("mart."))


class PublishError(RuntimeError):
    """The database could not be published; the published file is unchanged."""


class RunInProgressError(PublishError):
    """Another run holds the publish lock."""


@dataclass(frozen=True)
class DatabasePaths:
    """Every file the publish step touches, derived from the published path."""

    published: Path

    @property
    def building(self) -> Path:
        return self.published.with_name(self.published.name + ".building")

    @property
    def previous(self) -> Path:
        return self.published.with_name(f"{self.published.stem}.previous{self.published.suffix}")

    @property
    def lock(self) -> Path:
        return self.published.with_name(self.published.name + ".lock")

    @property
    def parquet_dir(self) -> Path:
        return self.published.with_name(f"{self.published.stem}_parquet")

    @property
    def parquet_building(self) -> Path:
        return self.parquet_dir.with_name(self.parquet_dir.name + ".building")

    @property
    def parquet_old(self) -> Path:
        return self.parquet_dir.with_name(self.parquet_dir.name + ".old")

    @property
    def assembled(self) -> Path:
        return self.published.with_name(self.published.name + ".assembled")

    @property
    def run_history(self) -> Path:
        return self.published.with_name(f"{self.published.stem}_runs.jsonl")


@dataclass(frozen=True)
class CheckFailure:
    name: str
    meaning: str
    violations: int
    example: str


def model_columns(frame: pl.DataFrame, model: type[pa.DataFrameModel]) -> pl.DataFrame:
    """Select the model's columns in its order and cast them to its types."""
    schema = model.to_schema()
    columns = [
        pl.col(name).cast(column.dtype.type) if name in frame.columns else None
        for name, column in schema.columns.items()
    ]
    missing = [
        name for name, expression in zip(schema.columns, columns, strict=True) if expression is None
    ]
    if missing:
        raise PublishError(f"{schema.name or model.__name__}: missing columns {missing}")
    return frame.select([expression for expression in columns if expression is not None])


def validate_model(frame: pl.DataFrame, model: type[pa.DataFrameModel]) -> pl.DataFrame:
    """Check every value against the model; raise its errors, all of them at once."""
    return model.validate(frame, lazy=True)


def conform(frame: pl.DataFrame, model: type[pa.DataFrameModel]) -> pl.DataFrame:
    """Select the model's columns in its order, cast to its types, and validate values."""
    return validate_model(model_columns(frame, model), model)


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _comment_statements(table: str, model: type[pa.DataFrameModel]) -> list[str]:
    schema = model.to_schema()
    statements = [f"COMMENT ON TABLE {table} IS {_quote_literal(schema.description or '')}"]
    for name, column in schema.columns.items():
        statements.append(
            f'COMMENT ON COLUMN {table}."{name}" IS {_quote_literal(column.description or "")}'
        )
    return statements


def _sql_statements(path: Path) -> list[str]:
    text = re.sub(r"^\s*--.*$", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return [statement.strip() for statement in text.split(";\n") if statement.strip()]


def _remove_folder(folder: Path) -> None:
    if folder.is_dir() and not folder.is_symlink():
        for stale in folder.iterdir():
            stale.unlink()
        folder.rmdir()


def remove_stale_files(paths: DatabasePaths) -> None:
    """Delete what a killed run may have left: half-built files and write-ahead logs."""
    for path in (
        paths.building,
        paths.building.with_name(paths.building.name + ".wal"),
        paths.published.with_name(paths.published.name + ".wal"),
    ):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    _remove_folder(paths.parquet_building)
    _remove_folder(paths.parquet_old)


def clear_assembled(paths: DatabasePaths) -> None:
    """Delete the database a run assembled for publication (or a killed run left)."""
    for path in (paths.assembled, paths.assembled.with_name(paths.assembled.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextlib.contextmanager
def _build_umask() -> Iterator[None]:
    # DuckDB creates its files and write-ahead logs with the process umask (often 0644):
    # narrow it so that none is ever readable by other users.
    previous_umask = os.umask(BUILD_UMASK)
    try:
        yield
    finally:
        os.umask(previous_umask)


def _connect_for_build(path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(
        str(path),
        config={
            "storage_compatibility_version": STORAGE_COMPATIBILITY_VERSION,
            "memory_limit": BUILD_MEMORY_LIMIT,
        },
    )
    connection.execute("SET enable_progress_bar = false")
    return connection


def _register(connection: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> None:
    # String views pass to DuckDB without a copy into Arrow's older layout.
    connection.register("published_frame", frame.to_arrow(compat_level=pl.CompatLevel.newest()))


def _create_table(connection: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    _register(connection, frame)
    try:
        compression = COLUMN_COMPRESSION.get(table, {})
        described = connection.sql("DESCRIBE SELECT * FROM published_frame").fetchall()
        columns = ", ".join(
            f'"{name}" {column_type}'
            + (f" USING COMPRESSION {compression[name]}" if name in compression else "")
            for name, column_type, *_ in described
        )
        connection.execute(f"CREATE TABLE {table} ({columns})")
        connection.execute(f"INSERT INTO {table} SELECT * FROM published_frame")
    finally:
        connection.unregister("published_frame")
    for statement in _comment_statements(table, PUBLISHED_MODELS[table]):
        connection.execute(statement)


def _empty_frame(model: type[pa.DataFrameModel]) -> pl.DataFrame:
    schema = model.to_schema()
    return pl.DataFrame(schema={name: column.dtype.type for name, column in schema.columns.items()})


@dataclass(frozen=True)
class ConformedTables:
    """Published tables in their model's columns and types, every value validated."""

    frames: dict[str, pl.DataFrame]


def conform_tables(tables: dict[str, pl.DataFrame]) -> ConformedTables:
    """Conform every table to its model; refuse a table the model does not know."""
    unknown = set(tables) - set(PUBLISHED_MODELS)
    if unknown:
        raise PublishError(f"tables the model does not know: {sorted(unknown)}")
    return ConformedTables(
        {table: conform(tables[table], PUBLISHED_MODELS[table]) for table in tables}
    )


def _require_every_table(tables: set[str]) -> None:
    unknown = tables - set(PUBLISHED_MODELS)
    missing = set(PUBLISHED_MODELS) - tables
    if unknown or missing:
        raise PublishError(f"tables do not match the model: missing {missing}, unknown {unknown}")


def build_database(path: Path, tables: dict[str, pl.DataFrame]) -> None:
    """Write every published table, its comments and the views into a new DuckDB file."""
    if path.exists():
        raise PublishError(f"{path} already exists; remove it before building")
    _require_every_table(set(tables))
    conformed = conform_tables(tables)
    path.parent.mkdir(parents=True, exist_ok=True)
    with assembling(path) as built:
        built.insert(conformed.frames["core.enrolment"])
        built.add_tables(conformed)
    os.chmod(path, DATABASE_FILE_MODE)


class AssembledDatabase:
    """A new database, assembled beside the published one before a copy is published.

    core.enrolment arrives part by part, each validated with the model and appended in
    its row order; the other tables come last. Publishing copies the file, so a retried
    publication can start again from the same file. Open it with assembling().
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = _connect_for_build(self.path)
        for schema_name in SCHEMAS:
            self._connection.execute(f"CREATE SCHEMA {schema_name}")
        _create_table(self._connection, "core.enrolment", _empty_frame(published.CoreEnrolment))

    def append(self, part: pl.DataFrame) -> None:
        """Validate one part of core.enrolment and append it."""
        self.insert(conform(part, published.CoreEnrolment))

    def insert(self, part: pl.DataFrame) -> None:
        """Append rows already in the model's columns and types, which the caller validates.

        A caller that finds them invalid must not publish this file.
        """
        _register(self._connection, part)
        try:
            self._connection.execute("INSERT INTO core.enrolment SELECT * FROM published_frame")
        finally:
            self._connection.unregister("published_frame")

    def add_tables(self, tables: ConformedTables) -> None:
        """Write every other published table and the views, after the last part."""
        _require_every_table({"core.enrolment", *tables.frames})
        for table in PUBLISHED_MODELS:
            if table != "core.enrolment":
                _create_table(self._connection, table, tables.frames[table])
        for statement in _sql_statements(SQL_DIR / "views.sql"):
            self._connection.execute(statement)

    def close(self) -> None:
        """Write everything into the file itself and let it go."""
        try:
            self._connection.execute("CHECKPOINT")
        finally:
            self._connection.close()


@contextlib.contextmanager
def assembling(path: Path) -> Iterator[AssembledDatabase]:
    """Open a new database at path; close it, written through, when the block ends.

    DuckDB creates the write-ahead log at the first write, long after the file: the build
    umask holds for the whole block so that neither is ever readable by other users.
    """
    with _build_umask():
        assembled = AssembledDatabase(path)
        try:
            yield assembled
        finally:
            assembled.close()


def copy_assembled(assembled: Path, path: Path) -> None:
    """Copy an assembled database to a new file, refusing one that lacks a table."""
    if path.exists():
        raise PublishError(f"{path} already exists; remove it before building")
    connection = duckdb.connect(str(assembled), read_only=True)
    try:
        tables = connection.sql(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables()"
        ).fetchall()
    finally:
        connection.close()
    _require_every_table({table for (table,) in tables})
    with _build_umask():
        shutil.copyfile(assembled, path)
    os.chmod(path, DATABASE_FILE_MODE)


def parse_checks(text: str) -> list[tuple[str, str, str]]:
    """Split checks.sql into (name, meaning, query) triples."""
    checks: list[tuple[str, str, str]] = []
    for block in re.split(r"^-- check: ", text, flags=re.MULTILINE)[1:]:
        header, _, body = block.partition("\n")
        name, _, meaning = header.partition("|")
        query = body.strip().rstrip(";")
        checks.append((name.strip(), meaning.strip(), query))
    return checks


def run_checks(path: Path) -> list[CheckFailure]:
    """Run every publish check on a built database and return the ones that fail."""
    failures: list[CheckFailure] = []
    connection = duckdb.connect(str(path), read_only=True)
    try:
        connection.execute("SET enable_progress_bar = false")
        for name, meaning, query in parse_checks((SQL_DIR / "checks.sql").read_text("utf-8")):
            rows = connection.execute(query).fetchall()
            if rows:
                failures.append(CheckFailure(name, meaning, len(rows), repr(rows[0])))
    finally:
        connection.close()
    return failures


def export_parquet(path: Path, staging: Path) -> list[Path]:
    """Export every mart of a built database as Parquet into a fresh staging folder."""
    _remove_folder(staging)
    staging.mkdir(parents=True)
    connection = duckdb.connect(str(path), read_only=True)
    written: list[Path] = []
    try:
        for table in MART_TABLES:
            target = staging / f"{table.split('.', 1)[1]}.parquet"
            connection.execute(f"COPY {table} TO {_quote_literal(str(target))} (FORMAT parquet)")
            written.append(target)
    finally:
        connection.close()
    return written


def swap_in_parquet(paths: DatabasePaths) -> None:
    """Replace the published Parquet folder by the staged one (after the database swap)."""
    if not paths.parquet_building.is_dir():
        return
    _remove_folder(paths.parquet_old)
    if paths.parquet_dir.exists():
        paths.parquet_dir.rename(paths.parquet_old)
    paths.parquet_building.rename(paths.parquet_dir)
    _remove_folder(paths.parquet_old)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def swap_in(paths: DatabasePaths) -> None:
    """Make the built file the published one in one rename, keeping the old one as previous."""
    _fsync(paths.building)
    if paths.published.exists():
        keep = paths.previous.with_name(paths.previous.name + ".linking")
        with contextlib.suppress(FileNotFoundError):
            keep.unlink()
        os.link(paths.published, keep)
        os.replace(keep, paths.previous)
        # When a run killed mid-swap left previous as a link to the published file, rename
        # sees two names of one file and does nothing: the extra name must go.
        with contextlib.suppress(FileNotFoundError):
            keep.unlink()
    os.replace(paths.building, paths.published)
    _fsync(paths.published.parent)


def rollback(paths: DatabasePaths) -> None:
    """Swap the previous published file back in; the current one becomes the previous."""
    if not paths.previous.exists():
        raise PublishError(
            f"Tidak ada versi sebelumnya ({paths.previous.name}); rollback tidak bisa dilakukan."
        )
    current = paths.published.with_name(paths.published.name + ".rollback")
    with contextlib.suppress(FileNotFoundError):
        current.unlink()
    if paths.published.exists():
        os.link(paths.published, current)
    os.replace(paths.previous, paths.published)
    if current.exists():
        os.replace(current, paths.previous)
    _fsync(paths.published.parent)


@contextlib.contextmanager
def publish_lock(paths: DatabasePaths) -> Iterator[None]:
    """Hold the one-run-at-a-time lock; the kernel frees it when the process dies."""
    paths.lock.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(paths.lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise RunInProgressError(
                    "Proses jamsos lain sedang berjalan untuk database ini "
                    f"({paths.published}). Tunggu sampai selesai, lalu jalankan lagi."
                ) from error
            raise
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(descriptor)


def query_frame(path: Path, query: str) -> pl.DataFrame:
    """Run one query on a published database (read-only connection) into a polars frame."""
    connection = duckdb.connect(str(path), read_only=True)
    try:
        # Set on the connection, not at connect: another open connection to the same file in
        # this process would refuse a different configuration.
        connection.execute(f"SET memory_limit = '{BUILD_MEMORY_LIMIT}'")
        frame = pl.from_arrow(connection.sql(query).to_arrow_table())
    finally:
        connection.close()
    assert isinstance(frame, pl.DataFrame)
    return frame


def published_input_fingerprint(path: Path) -> str | None:
    """Return the input fingerprint a published database was built from, if it can be read."""
    if not path.is_file():
        return None
    try:
        value = query_frame(path, "SELECT input_fingerprint FROM ref.program").item()
    except (duckdb.Error, OSError, ValueError, pl.exceptions.PolarsError):
        return None
    return str(value) if value else None


def published_counts(path: Path) -> tuple[int, int]:
    """Return the enrolments and distinct persons of a published database.

    The run that built the file recorded its persons in audit.runs; a file whose run did
    not is counted instead.
    """
    try:
        enrolments, persons = query_frame(
            path,
            "SELECT (SELECT count(*) FROM core.enrolment), (SELECT persons FROM audit.runs "
            "WHERE outcome = 'published' ORDER BY finished_at DESC LIMIT 1)",
        ).row(0)
    except duckdb.BinderException:
        persons = None
    if persons is None:
        enrolments, persons = query_frame(
            path, "SELECT count(*), count(DISTINCT person_key) FROM core.enrolment"
        ).row(0)
    return int(enrolments), int(persons)


def read_table(path: Path, table: str) -> pl.DataFrame:
    """Read one table of a published database into a polars frame (read-only connection)."""
    if table not in PUBLISHED_MODELS and table not in {"core.coverage"}:
        raise KeyError(table)
    return query_frame(path, f"SELECT * FROM {table}")
