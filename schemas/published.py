"""pandera models of every published table; their descriptions become DuckDB comments."""

from __future__ import annotations

from typing import Annotated, Any

import pandera.polars as pa
import polars as pl

from schemas.columns import (
    CATEGORY_CODES,
    FILE_DUPLICATE,
    FILE_LOADED,
    FILE_REJECTED,
    REJECTION_REASONS,
)
from schemas.extract import KODE_KELURAHAN_PATTERN

KODE_KECAMATAN_PATTERN = r"^61\.72\.0[1-5]$"
SEXES = ("L", "P")
AGE_GROUPS = ("<15", "15-24", "25-34", "35-44", "45-54", "55-64", "65+", "tidak diketahui")


# Each helper returns what pa.Field returns: typed Any so that it fits any column annotation.
def _category(*, unique: bool = False) -> Any:
    return pa.Field(
        isin=list(CATEGORY_CODES),
        description="Category code: pekerja_rentan or sawit_bpu (see ref.category).",
        unique=unique,
    )


def _kode_kelurahan() -> Any:
    return pa.Field(
        str_matches=KODE_KELURAHAN_PATTERN,
        description="Kemendagri code of the kelurahan, e.g. 61.72.01.1001 (see ref.kelurahan).",
    )


def _kode_kecamatan() -> Any:
    return pa.Field(
        str_matches=KODE_KECAMATAN_PATTERN,
        description="Kemendagri code of the kecamatan, e.g. 61.72.01 (not the BPS code).",
    )


def _kelurahan() -> Any:
    return pa.Field(description="Official kelurahan name (Kemendagri).")


def _kecamatan() -> Any:
    return pa.Field(description="Official kecamatan name (Kemendagri).")


def _coverage_month() -> Any:
    return pa.Field(description="First day of the calendar month the premium covers.")


class RefKelurahan(pa.DataFrameModel):
    """ref.kelurahan."""

    kode_kecamatan: str = _kode_kecamatan()
    kecamatan: str = _kecamatan()
    kode_kelurahan: str = _kode_kelurahan()
    kelurahan: str = _kelurahan()
    kode_pos: str = pa.Field(description="Postal code.")

    class Config:
        strict = True
        unique = ["kode_kelurahan"]
        description = (
            "One row per official kelurahan of Kota Singkawang (61.72), with its kecamatan, "
            "Kemendagri codes and postal code."
        )


class RefCategory(pa.DataFrameModel):
    """ref.category."""

    category: str = _category(unique=True)
    label: str = pa.Field(description="Name of the category in Bahasa Indonesia.")
    target: int = pa.Field(ge=0, description="Number of participants the budget pays for.")
    months: int = pa.Field(ge=1, description="Months of cover paid per participant.")
    monthly_premium_idr: int = pa.Field(
        ge=0, description="Premium per participant per month in rupiah (JKK + JKM)."
    )

    class Config:
        strict = True
        description = (
            "One row per program category: target, months of cover and monthly premium, "
            "as configured for this run."
        )


class RefProgram(pa.DataFrameModel):
    """ref.program."""

    program_name: str = pa.Field(description="Name of the program.")
    launch_date: pl.Date = pa.Field(description="Day the program was launched.")
    start_date_min: pl.Date = pa.Field(description="Earliest accepted tanggal_mulai.")
    start_date_max: pl.Date = pa.Field(description="Latest accepted tanggal_mulai.")
    monthly_premium_idr: int = pa.Field(ge=0, description="Premium per person per month (Rp).")
    rules_version: str = pa.Field(description="Version of the validation rules of this run.")
    input_fingerprint: str = pa.Field(
        description=(
            "Fingerprint of everything the database was built from (files' bytes and dates, "
            "rules, settings, code); a night with the same fingerprint publishes nothing new."
        )
    )

    class Config:
        strict = True
        description = "One row: the program settings this database was built with."


class CoreEnrolment(pa.DataFrameModel):
    """core.enrolment."""

    person_key: str = pa.Field(
        str_matches=r"^[0-9a-f]{64}$",
        description="Keyed hash (HMAC-SHA256) of the NIK: the same person has the same key.",
    )
    nik_masked: str = pa.Field(
        str_matches=r"^\d{4}\*{8}\d{4}$", description="NIK with its middle 8 digits hidden."
    )
    category: str = _category()
    kode_kelurahan: str = _kode_kelurahan()
    kelurahan: str = _kelurahan()
    kode_kecamatan: str = _kode_kecamatan()
    kecamatan: str = _kecamatan()
    start_date: pl.Date = pa.Field(description="tanggal_mulai: the day cover starts (TMT).")
    end_date: pl.Date = pa.Field(
        nullable=True, description="tanggal_akhir when the extract gives one, else null."
    )
    coverage_start_month: pl.Date = pa.Field(description="First covered month (first day).")
    coverage_end_month: pl.Date = pa.Field(description="Last covered month (first day).")
    coverage_months: int = pa.Field(
        ge=1, le=12, description="Number of covered months, at most the category's months."
    )
    sex: str = pa.Field(
        isin=list(SEXES), description="L (laki-laki) or P (perempuan), read from the NIK."
    )
    age_group: str = pa.Field(
        isin=list(AGE_GROUPS),
        description="Age group at the program launch, from the birth date encoded in the NIK.",
    )
    source_file: str = pa.Field(description="Extract the row came from, relative to raw dir.")
    source_sheet: str = pa.Field(nullable=True, description="Sheet name (XLSX); null for CSV.")
    source_row: int = pa.Field(ge=1, description="Row number as a person sees it in the file.")
    delivery_date: pl.Date = pa.Field(description="Delivery date of the source file.")
    replaced_rows: int = pa.Field(
        ge=0, description="Accepted rows of earlier deliveries this row replaced (corrections)."
    )

    class Config:
        strict = True
        unique = ["person_key", "category"]
        description = (
            "One row per enrolment (person, category) after corrections: the latest accepted "
            "row of the latest delivery wins."
        )


class CoverageMonthly(pa.DataFrameModel):
    """mart.coverage_monthly."""

    category: str = _category()
    kode_kelurahan: str = _kode_kelurahan()
    kelurahan: str = _kelurahan()
    kode_kecamatan: str = _kode_kecamatan()
    kecamatan: str = _kecamatan()
    coverage_month: pl.Date = _coverage_month()
    participants: int = pa.Field(gt=0, description="Distinct persons covered that month.")

    class Config:
        strict = True
        unique = ["category", "kode_kelurahan", "coverage_month"]
        description = (
            "One row per category, kelurahan and coverage month with at least one participant."
        )


class CoverageKecamatanMonthly(pa.DataFrameModel):
    """mart.coverage_kecamatan_monthly."""

    category: str = _category()
    kode_kecamatan: str = _kode_kecamatan()
    kecamatan: str = _kecamatan()
    coverage_month: pl.Date = _coverage_month()
    participants: int = pa.Field(gt=0, description="Distinct persons covered that month.")

    class Config:
        strict = True
        unique = ["category", "kode_kecamatan", "coverage_month"]
        description = "One row per category, kecamatan and coverage month (sum of kelurahan)."


class CoverageCityMonthly(pa.DataFrameModel):
    """mart.coverage_city_monthly."""

    category: str = _category()
    coverage_month: pl.Date = _coverage_month()
    participants: int = pa.Field(gt=0, description="Distinct persons covered that month.")

    class Config:
        strict = True
        unique = ["category", "coverage_month"]
        description = "One row per category and coverage month for the whole city."


class PersonsCityMonthly(pa.DataFrameModel):
    """mart.persons_city_monthly."""

    coverage_month: pl.Date = _coverage_month()
    persons: int = pa.Field(
        gt=0, description="Distinct persons covered that month in any category (counted once)."
    )

    class Config:
        strict = True
        unique = ["coverage_month"]
        description = (
            "One row per coverage month: distinct persons covered in any category, a person "
            "in both categories counted once."
        )


class ProgressByCategory(pa.DataFrameModel):
    """mart.progress_by_category."""

    category: str = _category(unique=True)
    label: str = pa.Field(description="Name of the category in Bahasa Indonesia.")
    target: int = pa.Field(ge=0, description="Participants the budget pays for.")
    enrolments: int = pa.Field(ge=0, description="Enrolments (NIK, category) after corrections.")
    persons: int = pa.Field(ge=0, description="Distinct persons enrolled in the category.")
    percent_of_target: float = pa.Field(
        ge=0, description="persons / target x 100 (null-free; 0 when the target is 0)."
    )
    premium_months: int = pa.Field(
        ge=0, description="Covered months summed over all enrolments (committed)."
    )
    premium_idr: int = pa.Field(ge=0, description="premium_months x monthly premium (rupiah).")

    class Config:
        strict = True
        description = "One row per category: enrolled against target and committed premium."


class PremiumMonthly(pa.DataFrameModel):
    """mart.premium_monthly."""

    category: str = _category()
    coverage_month: pl.Date = _coverage_month()
    premium_months: int = pa.Field(gt=0, description="Participants covered that month.")
    monthly_premium_idr: int = pa.Field(ge=0, description="Premium per person-month (rupiah).")
    premium_idr: int = pa.Field(ge=0, description="premium_months x monthly_premium_idr.")
    cumulative_premium_idr: int = pa.Field(
        ge=0, description="premium_idr summed over this and earlier months of the category."
    )

    class Config:
        strict = True
        unique = ["category", "coverage_month"]
        description = (
            "One row per category and coverage month: the premium the city budget pays "
            "(budget realisation)."
        )


class ParticipantsByKecamatanSexAge(pa.DataFrameModel):
    """mart.participants_by_kecamatan_sex_age."""

    category: str = _category()
    kode_kecamatan: str = _kode_kecamatan()
    kecamatan: str = _kecamatan()
    sex: str = pa.Field(isin=list(SEXES), description="L or P, from the NIK.")
    age_group: str = pa.Field(isin=list(AGE_GROUPS), description="Age group at launch.")
    participants: int = pa.Field(gt=0, description="Enrolled persons in this group.")

    class Config:
        strict = True
        unique = ["category", "kode_kecamatan", "sex", "age_group"]
        description = "One row per category, kecamatan, sex and age group of enrolled persons."


class FileLoads(pa.DataFrameModel):
    """audit.file_loads."""

    source_file: str = pa.Field(description="File path relative to the raw folder.")
    sha256: str = pa.Field(nullable=True, description="SHA-256 of the file's bytes.")
    status: str = pa.Field(
        isin=[FILE_LOADED, FILE_REJECTED, FILE_DUPLICATE],
        description="loaded, rejected (whole file) or duplicate (same bytes as an earlier file).",
    )
    rows_read: int = pa.Field(ge=0, description="Data rows read (blank and footer rows skipped).")
    rows_accepted: int = pa.Field(ge=0, description="Rows that passed every rule.")
    rows_rejected: int = pa.Field(ge=0, description="Rows quarantined in audit.rejected_rows.")
    message: str = pa.Field(nullable=True, description="What happened, in Bahasa Indonesia.")
    delivery_date: pl.Date = pa.Field(description="Date that orders the deliveries.")
    delivery_date_source: str = pa.Field(
        isin=["file_name", "modified_time"],
        description="Where the delivery date came from: the file name or its modified time.",
    )
    delivery_rank: int = pa.Field(ge=1, description="Position in delivery order (1 = first).")
    size_bytes: int = pa.Field(nullable=True, ge=0, description="File size in bytes.")

    class Config:
        strict = True
        unique = ["source_file"]
        description = "One row per file seen in the raw folder, in delivery order."


class RejectedRows(pa.DataFrameModel):
    """audit.rejected_rows."""

    source_file: str = pa.Field(description="File path relative to the raw folder.")
    source_sheet: str = pa.Field(nullable=True, description="Sheet name (XLSX); null for CSV.")
    source_row: int = pa.Field(ge=1, description="Row number as a person sees it in the file.")
    reason: str = pa.Field(
        isin=list(REJECTION_REASONS), description="Reason code: the first rule the row fails."
    )
    message: str = pa.Field(description="What is wrong and how to fix it (Bahasa Indonesia).")
    column: str = pa.Field(description="The contract column at fault.")
    nik_masked: str = pa.Field(nullable=True, description="NIK as written, digits masked.")

    class Config:
        strict = True
        description = "One row per rejected (quarantined) row of a loaded file."


class RowWarnings(pa.DataFrameModel):
    """audit.row_warnings."""

    source_file: str = pa.Field(description="File path relative to the raw folder.")
    source_sheet: str = pa.Field(nullable=True, description="Sheet name (XLSX); null for CSV.")
    source_row: int = pa.Field(ge=1, description="Row number as a person sees it in the file.")
    warning: str = pa.Field(description="kelurahan_typo or kecamatan_mismatch.")
    column: str = pa.Field(description="The contract column concerned.")
    message: str = pa.Field(description="What was assumed (Bahasa Indonesia).")

    class Config:
        strict = True
        description = "One row per accepted row kept with a warning (typo match, kecamatan)."


class Runs(pa.DataFrameModel):
    """audit.runs."""

    run_id: str = pa.Field(description="Identifier of the run (Prefect flow run id if any).")
    started_at: Annotated[pl.Datetime, "us", "UTC"] = pa.Field(description="Start time (UTC).")
    finished_at: Annotated[pl.Datetime, "us", "UTC"] = pa.Field(description="End time (UTC).")
    data_as_of: pl.Date = pa.Field(nullable=True, description="Latest delivery date loaded.")
    code_version: str = pa.Field(description="jamsos version and rules version.")
    files_seen: int = pa.Field(ge=0, description="Files in audit.file_loads.")
    files_loaded: int = pa.Field(ge=0, description="Files loaded.")
    files_rejected: int = pa.Field(ge=0, description="Files rejected whole.")
    files_duplicate: int = pa.Field(ge=0, description="Files skipped as duplicates.")
    rows_read: int = pa.Field(ge=0, description="Rows read over all files.")
    rows_accepted: int = pa.Field(ge=0, description="Rows accepted.")
    rows_rejected: int = pa.Field(ge=0, description="Rows rejected.")
    enrolments: int = pa.Field(ge=0, description="Enrolments after corrections.")
    persons: int = pa.Field(
        nullable=True,
        ge=0,
        description="Distinct persons in core.enrolment after the run; null if it published none.",
    )
    outcome: str = pa.Field(
        isin=["published", "unchanged", "failed"],
        description=(
            "published; unchanged (nothing new since the last publication, file kept); "
            "or failed (nothing changed)."
        ),
    )
    message: str = pa.Field(nullable=True, description="Why a run failed.")

    class Config:
        strict = True
        unique = ["run_id"]
        description = "One row per nightly run, failed runs included, newest last."
