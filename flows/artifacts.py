"""What a run tells people in the Prefect UI: a markdown summary and a rejections table."""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import duckdb
import polars as pl

from flows.pipeline import RunSummary
from schemas.columns import FILE_DUPLICATE, FILE_LOADED, FILE_REJECTED

SUMMARY_KEY = "jamsos-ringkasan-run"
REJECTIONS_KEY = "jamsos-penolakan"
FAILURE_KEY = "jamsos-run-gagal"
EXAMPLE_ROWS = 5
FILE_REJECTED_REASON = "berkas_ditolak"

PREVIOUS_ENROLMENT_SQL = "SELECT category, kode_kelurahan, kelurahan, kecamatan FROM core.enrolment"
PREVIOUS_COVERAGE_SQL = "SELECT category, kode_kelurahan, participants FROM mart.coverage_monthly"
COUNT_SCHEMA = pl.Schema(
    {
        "category": pl.String,
        "kode_kelurahan": pl.String,
        "kelurahan": pl.String,
        "kecamatan": pl.String,
        "enrolments": pl.Int64,
        "participant_months": pl.Int64,
    }
)


def _number(value: int | float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _signed(value: int) -> str:
    return f"+{_number(value)}" if value > 0 else ("-" + _number(-value) if value < 0 else "0")


def kelurahan_counts(enrolment: pl.DataFrame, coverage: pl.DataFrame) -> pl.DataFrame:
    """Count enrolments and covered person-months per category and kelurahan."""
    enrolments = enrolment.group_by("category", "kode_kelurahan").agg(
        pl.col("kelurahan").first(),
        pl.col("kecamatan").first(),
        enrolments=pl.len().cast(pl.Int64),
    )
    months = coverage.group_by("category", "kode_kelurahan").agg(
        participant_months=pl.col("participants").sum().cast(pl.Int64)
    )
    return (
        enrolments.join(months, on=["category", "kode_kelurahan"], how="left")
        .with_columns(pl.col("participant_months").fill_null(0))
        .select(list(COUNT_SCHEMA))
        .cast(COUNT_SCHEMA)
    )


def read_kelurahan_counts(db: Path) -> pl.DataFrame | None:
    """Count a published database per kelurahan, or return None when there is none to read."""
    if not db.exists():
        return None
    try:
        connection = duckdb.connect(str(db), read_only=True)
        try:
            enrolment = pl.from_arrow(connection.sql(PREVIOUS_ENROLMENT_SQL).to_arrow_table())
            coverage = pl.from_arrow(connection.sql(PREVIOUS_COVERAGE_SQL).to_arrow_table())
        finally:
            connection.close()
        # An Arrow table always becomes a DataFrame (pl.from_arrow also returns Series).
        assert isinstance(enrolment, pl.DataFrame) and isinstance(coverage, pl.DataFrame)
        return kelurahan_counts(enrolment, coverage)
    except (duckdb.Error, OSError, pl.exceptions.PolarsError):
        return None


def kelurahan_changes(previous: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """Return the (category, kelurahan) rows whose counts differ between two publications."""
    keys = ["category", "kode_kelurahan"]
    names = pl.concat(
        [
            previous.select(*keys, "kelurahan", "kecamatan"),
            current.select(*keys, "kelurahan", "kecamatan"),
        ]
    ).unique(subset=keys, keep="last")
    joined = (
        names.join(previous.select(*keys, "enrolments", "participant_months"), on=keys, how="left")
        .join(
            current.select(*keys, "enrolments", "participant_months"),
            on=keys,
            how="left",
            suffix="_now",
        )
        .with_columns(pl.col(pl.Int64).fill_null(0))
        .rename(
            {"enrolments": "enrolments_before", "participant_months": "participant_months_before"}
        )
        .with_columns(
            enrolments_change=pl.col("enrolments_now") - pl.col("enrolments_before"),
            participant_months_change=pl.col("participant_months_now")
            - pl.col("participant_months_before"),
        )
    )
    return joined.filter(
        (pl.col("enrolments_change") != 0) | (pl.col("participant_months_change") != 0)
    ).sort("category", "kode_kelurahan")


def rejections_table(file_loads: pl.DataFrame, rejected_rows: pl.DataFrame) -> dict[str, list]:
    """Return rejections by file and reason: rejected rows, plus files rejected whole."""
    place = (
        pl.when(pl.col("source_sheet").is_not_null())
        .then(pl.format("{}!{}", pl.col("source_sheet"), pl.col("source_row")))
        .otherwise(pl.col("source_row").cast(pl.String))
    )
    by_reason = (
        rejected_rows.sort("source_file", "source_sheet", "source_row", nulls_last=False)
        .with_columns(place=place)
        .group_by("source_file", "reason", maintain_order=True)
        .agg(
            rows=pl.len().cast(pl.Int64),
            example_rows=pl.col("place").head(EXAMPLE_ROWS).str.join(", "),
            message=pl.col("message").first(),
        )
    )
    whole_files = file_loads.filter(pl.col("status") == FILE_REJECTED).select(
        "source_file",
        reason=pl.lit(FILE_REJECTED_REASON),
        rows=pl.col("rows_read").cast(pl.Int64),
        example_rows=pl.lit("seluruh berkas"),
        message=pl.col("message"),
    )
    table = pl.concat([whole_files, by_reason], how="vertical_relaxed").sort(
        "source_file", "reason"
    )
    return {
        "berkas": table.get_column("source_file").to_list(),
        "alasan": table.get_column("reason").to_list(),
        "jumlah_baris": table.get_column("rows").to_list(),
        "contoh_baris": table.get_column("example_rows").to_list(),
        "pesan": table.get_column("message").to_list(),
    }


def _changes_section(changes: pl.DataFrame | None, labels: dict[str, str]) -> list[str]:
    lines = ["## Perubahan sejak terbitan sebelumnya, per kelurahan", ""]
    if changes is None:
        return [*lines, "Belum ada terbitan sebelumnya untuk dibandingkan.", ""]
    if changes.is_empty():
        return [*lines, "Tidak ada perubahan jumlah peserta di kelurahan mana pun.", ""]
    lines += [
        "| Kategori | Kecamatan | Kelurahan | Peserta sebelumnya | Peserta sekarang | Selisih "
        "| Bulan-peserta sebelumnya | Bulan-peserta sekarang |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in changes.iter_rows(named=True):
        lines.append(
            f"| {labels.get(row['category'], row['category'])} | {row['kecamatan']} "
            f"| {row['kelurahan']} | {_number(row['enrolments_before'])} "
            f"| {_number(row['enrolments_now'])} | {_signed(row['enrolments_change'])} "
            f"| {_number(row['participant_months_before'])} "
            f"| {_number(row['participant_months_now'])} |"
        )
    return [*lines, ""]


def summary_markdown(
    summary: RunSummary,
    progress: pl.DataFrame,
    file_loads: pl.DataFrame,
    changes: pl.DataFrame | None,
    warnings: list[str],
) -> str:
    """Write the run summary staff read in the Prefect UI (Bahasa Indonesia)."""
    files = summary.files_by_status
    as_of = summary.data_as_of.isoformat() if summary.data_as_of else "belum ada"
    lines = [
        "# Ringkasan run jamsos",
        "",
        f"Database terbit: `{summary.db}`  ",
        f"Data per tanggal kirim terakhir: {as_of}  ",
        f"Lama run: {summary.seconds:.1f} detik",
        "",
        "## Berkas",
        "",
        "| Status | Berkas |",
        "|---|---:|",
        f"| dimuat | {files.get(FILE_LOADED, 0)} |",
        f"| ditolak seluruhnya | {files.get(FILE_REJECTED, 0)} |",
        f"| duplikat | {files.get(FILE_DUPLICATE, 0)} |",
        "",
        f"{summary.files_from_cache} berkas memakai hasil pemeriksaan tersimpan "
        "(isi dan aturan tidak berubah sejak run sebelumnya).",
        "",
    ]
    rejected_files = file_loads.filter(pl.col("status") == FILE_REJECTED)
    for row in rejected_files.iter_rows(named=True):
        lines.append(f"- `{row['source_file']}` ditolak: {row['message']}")
    if rejected_files.height:
        lines.append("")
    lines += [
        "## Baris",
        "",
        f"{_number(summary.rows_read)} baris dibaca, {_number(summary.rows_accepted)} diterima, "
        f"{_number(summary.rows_rejected)} ditolak; {_number(summary.warnings)} baris diterima "
        "dengan peringatan.",
        "",
    ]
    if summary.rejected_by_reason:
        lines += ["| Alasan penolakan | Baris |", "|---|---:|"]
        lines += [
            f"| `{reason}` | {_number(rows)} |"
            for reason, rows in summary.rejected_by_reason.items()
        ]
        lines.append("")
    lines += [
        "## Peserta per kategori",
        "",
        "| Kategori | Peserta | Target | Capaian |",
        "|---|---:|---:|---:|",
    ]
    for row in progress.sort("category").iter_rows(named=True):
        lines.append(
            f"| {row['label']} | {_number(row['enrolments'])} | {_number(row['target'])} "
            f"| {row['percent_of_target']:.1f}% |"
        )
    lines += [
        "",
        f"Orang (semua kategori, dihitung sekali): {_number(summary.persons)}",
        "",
    ]
    labels = dict(progress.select("category", "label").iter_rows())
    lines += _changes_section(changes, labels)
    lines += ["## Peringatan", ""]
    lines += [f"- {warning}" for warning in warnings] or ["Tidak ada peringatan."]
    return "\n".join(lines) + "\n"


def failure_markdown(message: str) -> str:
    """Write what a failed run tells people: nothing changed, and what to do."""
    return (
        "# Run jamsos gagal\n\n"
        f"{message}\n\n"
        "Database yang sudah terbit **tidak berubah**. Perbaiki masalah di atas, lalu jalankan "
        "ulang run ini (atau `jamsos run`).\n"
    )


def create_run_artifacts(
    summary: RunSummary,
    tables: dict[str, pl.DataFrame],
    previous_db: Path,
    warnings: list[str],
) -> list[UUID]:
    """Create the run's markdown summary and rejections table artifacts."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    previous = read_kelurahan_counts(previous_db)
    current = read_kelurahan_counts(summary.db)
    changes = None if previous is None or current is None else kelurahan_changes(previous, current)
    markdown = summary_markdown(
        summary,
        tables["mart.progress_by_category"],
        tables["audit.file_loads"],
        changes,
        warnings,
    )
    rejections: dict[str, Any] = rejections_table(
        tables["audit.file_loads"], tables["audit.rejected_rows"]
    )
    return [
        _created(
            create_markdown_artifact(
                markdown, key=SUMMARY_KEY, description="Ringkasan run jamsos malam ini"
            )
        ),
        _created(
            create_table_artifact(
                rejections,
                key=REJECTIONS_KEY,
                description="Baris dan berkas yang ditolak, per berkas dan alasan",
            )
        ),
    ]


def create_failure_artifact(message: str) -> UUID:
    """Create the markdown artifact of a failed run."""
    from prefect.artifacts import create_markdown_artifact

    return _created(
        create_markdown_artifact(
            failure_markdown(message), key=FAILURE_KEY, description="Run jamsos gagal"
        )
    )


def _created(artifact_id: UUID | Coroutine[Any, Any, UUID]) -> UUID:
    """Return the id of an artifact created from synchronous code.

    Prefect's create_*_artifact return a coroutine only when called from an async task or
    flow; every caller here is synchronous, so the id itself comes back.
    """
    return cast(UUID, artifact_id)
