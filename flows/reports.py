"""Write the reports of a published database: XLSX and PDF for staff, a public version.

Everything here reads the published DuckDB file through a read-only connection and never
touches the raw extracts. Each file is written beside its final name and renamed into
place, so a reader never sees half a report.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import duckdb
import matplotlib
import polars as pl
import xlsxwriter
from fpdf import FPDF
from fpdf.fonts import FontFace
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from flows.config import Settings
from schemas.columns import FILE_DUPLICATE, FILE_LOADED, FILE_REJECTED, REJECTION_REASONS
from transforms.dates import as_date
from transforms.nik import mask_digit_runs
from transforms.report_format import (
    format_date,
    format_month,
    format_month_short,
    format_number,
    format_percent,
    format_rupiah,
    neutralise_formula,
)
from transforms.suppression import (
    LEVEL_KECAMATAN,
    LEVEL_KELURAHAN,
    LEVEL_KOTA,
    add_area_totals,
    complete_grid,
    suppress_small_counts,
)

REPORT_TITLE = "Laporan Kepesertaan Jaminan Sosial Ketenagakerjaan Pekerja Rentan Kota Singkawang"
PUBLIC_TITLE = f"{REPORT_TITLE} (Versi Publik)"
PROVINCE_CODE = "61"
PROVINCE_NAME = "Kalimantan Barat"
CITY_CODE = "61.72"
CITY_NAME = "Kota Singkawang"
REGION_CODE_SOURCE = "Kode wilayah Kemendagri (Kepmendagri 300.2.2-2138/2025)"
SHORT_LABELS = {"pekerja_rentan": "Pekerja Rentan", "sawit_bpu": "Pekerja Sawit BPU"}
REASON_LABELS = {
    "nik_missing": "NIK kosong",
    "nik_invalid": "NIK tidak valid",
    "category_unknown": "Kategori tidak dikenal",
    "kelurahan_unknown": "Kelurahan tidak dikenal",
    "start_date_missing": "Tanggal mulai kosong",
    "start_date_invalid": "Tanggal mulai tidak valid",
    "start_date_out_of_range": "Tanggal mulai di luar periode program",
    "end_date_invalid": "Tanggal akhir tidak valid",
    "end_before_start": "Tanggal akhir sebelum tanggal mulai",
    "duplicate_in_file": "NIK dan kategori ganda dalam satu berkas",
}
STATUS_LABELS = {FILE_LOADED: "dimuat", FILE_REJECTED: "ditolak", FILE_DUPLICATE: "duplikat"}
WARNING_LABELS = {
    "kelurahan_typo": "Nama kelurahan salah ketik (dianggap kelurahan terdekat)",
    "kecamatan_mismatch": "Kecamatan tidak cocok dengan kelurahan (kelurahan dipakai)",
}
DATE_SOURCE_LABELS = {"file_name": "nama berkas", "modified_time": "waktu ubah berkas"}
HIDDEN_MARK = "x"
LEVEL_LABELS = {LEVEL_KOTA: "Kota", LEVEL_KECAMATAN: "Kecamatan", LEVEL_KELURAHAN: "Kelurahan"}
PUBLIC_DIR_NAME = "publik"
ROUNDING_UNIT_IDR = 1_000_000
EXCEL_MAX_ROWS = 1_048_576
MIN_COLUMN_WIDTH = 6
MAX_COLUMN_WIDTH = 70
HEADER_LINE_POINTS = 14

QUERIES = {
    "program": "SELECT program_name, monthly_premium_idr FROM ref.program",
    "categories": "SELECT category, label, target, months FROM ref.category ORDER BY category",
    "places": (
        "SELECT kode_kecamatan, kecamatan, kode_kelurahan, kelurahan FROM ref.kelurahan "
        "ORDER BY kode_kelurahan"
    ),
    "progress": (
        "SELECT category, persons, percent_of_target, premium_idr FROM mart.progress_by_category"
    ),
    "coverage": (
        "SELECT category, kode_kelurahan, coverage_month, participants FROM mart.coverage_monthly"
    ),
    "enrolled": (
        "SELECT category, kode_kelurahan, count(*) AS persons FROM core.enrolment GROUP BY ALL"
    ),
    "persons_all": "SELECT count(DISTINCT person_key) AS persons FROM core.enrolment",
    "persons_monthly": "SELECT coverage_month, persons FROM mart.persons_city_monthly",
    "premium": (
        "SELECT category, coverage_month, premium_idr FROM mart.premium_monthly "
        "ORDER BY category, coverage_month"
    ),
    "file_loads": (
        "SELECT delivery_rank, source_file, delivery_date, delivery_date_source, status, "
        "rows_read, rows_accepted, rows_rejected, message FROM audit.file_loads "
        "ORDER BY delivery_rank"
    ),
    "rejected": (
        'SELECT source_file, source_sheet, source_row, "column", reason, message, nik_masked '
        "FROM audit.rejected_rows ORDER BY source_file, source_sheet NULLS FIRST, source_row"
    ),
    "warnings": (
        'SELECT source_file, source_sheet, source_row, "column", warning, message '
        "FROM audit.row_warnings ORDER BY source_file, source_sheet NULLS FIRST, source_row"
    ),
    "last_run": (
        "SELECT data_as_of, finished_at FROM audit.runs WHERE outcome = 'published' "
        "ORDER BY finished_at DESC LIMIT 1"
    ),
}


class ReportError(RuntimeError):
    """The reports cannot be written; the message says why and what to do."""


@dataclass(frozen=True)
class CategoryFigures:
    """One category's headline figures; None marks a figure hidden in the public version."""

    code: str
    label: str
    short_label: str
    target: int
    months: int
    persons: int | None
    percent_of_target: float | None
    premium_to_date_idr: int | None
    premium_committed_idr: int | None


@dataclass(frozen=True)
class Headline:
    """The figures a reader looks at first, as printed on page 1 and in the email."""

    report_date: date
    data_as_of: date | None
    reference_month: date | None
    premium_month: date
    monthly_premium_idr: int
    categories: tuple[CategoryFigures, ...]
    persons_all: int | None
    premium_to_date_idr: int | None
    premium_committed_idr: int | None
    premium_rounding_idr: int
    files_by_status: dict[str, int]
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]


@dataclass(frozen=True)
class ReportData:
    """Every table the reports need, as read from the published database."""

    program_name: str
    monthly_premium_idr: int
    categories: pl.DataFrame
    places: pl.DataFrame
    progress: pl.DataFrame
    coverage: pl.DataFrame
    enrolled: pl.DataFrame
    persons_all: int
    persons_monthly: pl.DataFrame
    premium: pl.DataFrame
    file_loads: pl.DataFrame
    rejected: pl.DataFrame
    warnings: pl.DataFrame
    data_as_of: date | None


@dataclass(frozen=True)
class ReportContent:
    """What one version of the report shows; null counts are hidden (public version)."""

    public: bool
    threshold: int
    program_name: str
    headline: Headline
    categories: tuple[CategoryFigures, ...]
    areas: pl.DataFrame
    area_months: pl.DataFrame
    city_months: pl.DataFrame
    file_loads: pl.DataFrame
    rejected: pl.DataFrame
    warnings: pl.DataFrame


@dataclass(frozen=True)
class ReportFiles:
    """The files one call of `write_reports` wrote, and the headline figures they carry."""

    directory: Path
    xlsx: Path
    pdf: Path
    headline: Headline
    public_xlsx: Path | None = None
    public_pdf: Path | None = None
    public_csv: Path | None = None
    public_metadata: Path | None = None

    @property
    def paths(self) -> list[Path]:
        optional = (self.public_xlsx, self.public_pdf, self.public_csv, self.public_metadata)
        return [self.xlsx, self.pdf, *(path for path in optional if path is not None)]


def report_day(settings: Settings) -> date:
    """Return today's date in the schedule's time zone (the city's calendar day)."""
    return datetime.now(ZoneInfo(settings.schedule.timezone)).date()


def read_report_data(db_path: Path) -> ReportData:
    """Read every table the reports need through one read-only connection."""
    if not db_path.is_file():
        raise ReportError(
            f"Database {db_path} tidak ada. Jalankan 'jamsos run' dulu untuk menerbitkannya."
        )
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        connection.execute("SET enable_progress_bar = false")
        frames = {name: connection.sql(query).pl() for name, query in QUERIES.items()}
    except duckdb.Error as error:
        raise ReportError(f"Database {db_path} tidak bisa dibaca untuk laporan: {error}") from error
    finally:
        connection.close()
    program = frames["program"].row(0, named=True)
    last_run = frames["last_run"]
    return ReportData(
        program_name=program["program_name"],
        monthly_premium_idr=int(program["monthly_premium_idr"]),
        categories=frames["categories"],
        places=frames["places"],
        progress=frames["progress"],
        coverage=frames["coverage"],
        enrolled=frames["enrolled"],
        persons_all=int(frames["persons_all"].item()),
        persons_monthly=frames["persons_monthly"],
        premium=frames["premium"],
        file_loads=frames["file_loads"],
        rejected=frames["rejected"],
        warnings=frames["warnings"],
        data_as_of=last_run.item(0, "data_as_of") if last_run.height else None,
    )


# ---------------------------------------------------------------------------------------
# Content: the same figures for the staff and the public version, hidden where needed.
# ---------------------------------------------------------------------------------------


def _month_tables(coverage: pl.DataFrame) -> pl.DataFrame:
    """Return one row per category and month from its first to its last covered month."""
    if coverage.is_empty():
        return pl.DataFrame(schema={"category": pl.String, "coverage_month": pl.Date})
    return (
        coverage.group_by("category")
        .agg(first=pl.col("coverage_month").min(), last=pl.col("coverage_month").max())
        .select(
            "category",
            coverage_month=pl.date_ranges("first", "last", interval="1mo"),
        )
        .explode("coverage_month")
        .sort("category", "coverage_month")
    )


def _area_cells(
    counts: pl.DataFrame,
    places: pl.DataFrame,
    tables: pl.DataFrame,
    value: str,
    threshold: int | None,
) -> pl.DataFrame:
    """Return counts at kelurahan, kecamatan and city level with a `hidden` flag."""
    cells = complete_grid(counts, places, tables, value)
    keys = tables.columns
    if threshold is None:
        return add_area_totals(cells, keys, value).with_columns(hidden=pl.lit(False))
    return (
        suppress_small_counts(cells, keys, value, threshold)
        .with_columns(hidden=pl.col("suppression").is_not_null())
        .drop("suppression")
    )


def _shown(value: str, hidden: str = "hidden") -> pl.Expr:
    """Return the value, null where hidden, zero where the table has no such cell."""
    return (
        pl.when(pl.col(hidden).fill_null(False))
        .then(None)
        .otherwise(pl.col(value).fill_null(0))
        .cast(pl.Int64)
    )


def _named_areas(cells: pl.DataFrame, places: pl.DataFrame) -> pl.DataFrame:
    """Attach kecamatan and kelurahan names and a display order (city total last)."""
    kecamatan = places.select("kode_kecamatan", "kecamatan").unique()
    kelurahan = places.select(kode_wilayah="kode_kelurahan", kelurahan="kelurahan")
    return (
        cells.join(kecamatan, on="kode_kecamatan", how="left")
        .join(kelurahan, on="kode_wilayah", how="left")
        .with_columns(
            kecamatan=pl.when(pl.col("level") == LEVEL_KOTA)
            .then(pl.lit(CITY_NAME))
            .otherwise(pl.col("kecamatan")),
            order_kecamatan=pl.col("kode_kecamatan").fill_null("~"),
            order_level=pl.col("level").replace_strict(
                {LEVEL_KECAMATAN: 0, LEVEL_KELURAHAN: 1, LEVEL_KOTA: 2}, return_dtype=pl.Int8
            ),
        )
    )


def _round_half_up(value: int, unit: int) -> int:
    return int((Decimal(value) / unit).quantize(Decimal(1), ROUND_HALF_UP)) * unit


def premium_rounding_unit(threshold: int, monthly_premium_idr: int) -> int:
    """Return the rupiah unit public premium totals are rounded to.

    A premium total divided by the monthly premium is a sum of person-months, which could
    give a hidden count away; rounding to this unit leaves at least `threshold`
    person-months of doubt on either side.
    """
    needed = 2 * threshold * monthly_premium_idr
    return max(1, -(-needed // ROUNDING_UNIT_IDR)) * ROUNDING_UNIT_IDR


def build_content(
    data: ReportData, report_date: date, public: bool, threshold: int
) -> ReportContent:
    """Compute every figure of one report version from the published tables."""
    hide_below = threshold if public else None
    codes = data.categories["category"].to_list()
    month_tables = _month_tables(data.coverage)
    reference_month = None
    if not month_tables.is_empty():
        first = as_date(month_tables["coverage_month"].min())
        last = as_date(month_tables["coverage_month"].max())
        reference_month = min(max(report_date.replace(day=1), first), last)

    enrolled = _area_cells(
        data.enrolled, data.places, data.categories.select("category"), "persons", hide_below
    )
    area_months = _area_cells(data.coverage, data.places, month_tables, "participants", hide_below)
    covered = area_months.filter(
        pl.lit(False) if reference_month is None else pl.col("coverage_month") == reference_month
    )
    areas = _named_areas(
        enrolled.select("level", "kode_wilayah", "kode_kecamatan").unique(), data.places
    )
    for code in codes:
        for name, cells, value in (
            ("enrolled", enrolled, "persons"),
            ("covered", covered, "participants"),
        ):
            column = f"{name}__{code}"
            part = cells.filter(pl.col("category") == code).select(
                "kode_wilayah", pl.col(value).alias(column), pl.col("hidden").alias("is_hidden")
            )
            areas = (
                areas.join(part, on="kode_wilayah", how="left")
                .with_columns(_shown(column, "is_hidden").alias(column))
                .drop("is_hidden")
            )
    areas = areas.sort("order_kecamatan", "order_level", "kode_wilayah")
    city_enrolled = {
        row["category"]: None if row["hidden"] else int(row["persons"])
        for row in enrolled.filter(pl.col("level") == LEVEL_KOTA).iter_rows(named=True)
    }
    headline = _headline(data, report_date, reference_month, city_enrolled, public, threshold)
    named_months = (
        _named_areas(area_months, data.places)
        .with_columns(_shown("participants").alias("participants"))
        .sort("category", "coverage_month", "order_kecamatan", "order_level", "kode_wilayah")
    )
    return ReportContent(
        public=public,
        threshold=threshold,
        program_name=data.program_name,
        headline=headline,
        categories=headline.categories,
        areas=areas,
        area_months=named_months,
        city_months=_city_months(data, named_months, codes, hide_below),
        file_loads=data.file_loads,
        rejected=data.rejected,
        warnings=data.warnings,
    )


def _overlap_is_small(total_of_categories: int, persons: int, threshold: int) -> bool:
    """Tell whether the persons counted in several categories must stay hidden."""
    overlap = total_of_categories - persons
    return 0 < overlap < threshold


def _city_months(
    data: ReportData, area_months: pl.DataFrame, codes: list[str], threshold: int | None
) -> pl.DataFrame:
    """Return one row per month: participants per category, persons and premium."""
    city = area_months.filter(pl.col("level") == LEVEL_KOTA)
    months = city.select("coverage_month").unique().sort("coverage_month")
    premium_columns = [f"premium__{code}" for code in codes]
    for code in codes:
        participants = city.filter(pl.col("category") == code).select(
            "coverage_month",
            pl.col("participants").alias(f"participants__{code}"),
            pl.col("hidden").alias("is_hidden"),
        )
        premium = data.premium.filter(pl.col("category") == code).select(
            "coverage_month", pl.col("premium_idr").alias(f"premium__{code}")
        )
        months = (
            months.join(participants, on="coverage_month", how="left")
            .with_columns(
                pl.when(pl.col("is_hidden").fill_null(False))
                .then(None)
                .otherwise(pl.col(f"participants__{code}").fill_null(0))
                .alias(f"participants__{code}")
            )
            .drop("is_hidden")
            .join(premium, on="coverage_month", how="left")
        )
    months = (
        months.join(data.persons_monthly, on="coverage_month", how="left")
        .with_columns(pl.col("persons", *premium_columns).fill_null(0))
        .with_columns(premium_idr=pl.sum_horizontal(premium_columns))
        .with_columns(cumulative_premium_idr=pl.col("premium_idr").cum_sum())
    )
    if threshold is None:
        return months
    participant_columns = [pl.col(f"participants__{code}") for code in codes]
    overlap = pl.sum_horizontal(participant_columns) - pl.col("persons")
    hide_persons = (
        pl.any_horizontal(column.is_null() for column in participant_columns)
        | ((pl.col("persons") > 0) & (pl.col("persons") < threshold))
        | ((overlap > 0) & (overlap < threshold))
    )
    # Premium per month is participants times the premium: public totals only, rounded.
    return months.with_columns(
        persons=pl.when(hide_persons).then(None).otherwise(pl.col("persons")),
        **{column: pl.lit(None, dtype=pl.Int64) for column in premium_columns},
        premium_idr=pl.lit(None, dtype=pl.Int64),
        cumulative_premium_idr=pl.lit(None, dtype=pl.Int64),
    )


def _headline(
    data: ReportData,
    report_date: date,
    reference_month: date | None,
    city_enrolled: dict[str, int | None],
    public: bool,
    threshold: int,
) -> Headline:
    """Summarise progress, premium and data quality for page 1 and the email."""
    premium_month = report_date.replace(day=1)
    unit = premium_rounding_unit(threshold, data.monthly_premium_idr) if public else 1
    to_date = data.premium.filter(pl.col("coverage_month") <= premium_month)
    to_date_by_code = to_date.group_by("category").agg(pl.col("premium_idr").sum())
    to_date_of = dict(zip(to_date_by_code["category"], to_date_by_code["premium_idr"], strict=True))
    progress = {row["category"]: row for row in data.progress.iter_rows(named=True)}
    figures = []
    for row in data.categories.iter_rows(named=True):
        code = row["category"]
        done = progress.get(code, {})
        persons = city_enrolled.get(code, 0) if public else int(done.get("persons", 0))
        percent = None
        if persons is not None:
            percent = persons * 100.0 / row["target"] if row["target"] else 0.0
        figures.append(
            CategoryFigures(
                code=code,
                label=row["label"],
                short_label=SHORT_LABELS.get(code, row["label"]),
                target=int(row["target"]),
                months=int(row["months"]),
                persons=persons,
                percent_of_target=percent,
                premium_to_date_idr=_round_half_up(int(to_date_of.get(code, 0)), unit),
                premium_committed_idr=_round_half_up(int(done.get("premium_idr", 0)), unit),
            )
        )
    persons_all: int | None = data.persons_all
    if public:
        shown = [figure.persons for figure in figures]
        if (
            any(persons is None for persons in shown)
            or 0 < data.persons_all < threshold
            or _overlap_is_small(sum(p or 0 for p in shown), data.persons_all, threshold)
        ):
            persons_all = None
    loads = data.file_loads
    status_counts = dict(loads.group_by("status").agg(files=pl.len()).iter_rows())
    reason_counts = dict(data.rejected.group_by("reason").agg(rows=pl.len()).iter_rows())
    return Headline(
        report_date=report_date,
        data_as_of=data.data_as_of,
        reference_month=reference_month,
        premium_month=premium_month,
        monthly_premium_idr=data.monthly_premium_idr,
        categories=tuple(figures),
        persons_all=persons_all,
        premium_to_date_idr=_round_half_up(int(to_date["premium_idr"].sum()), unit),
        premium_committed_idr=_round_half_up(int(data.progress["premium_idr"].sum()), unit),
        premium_rounding_idr=unit,
        files_by_status={
            status: int(status_counts.get(status, 0))
            for status in (FILE_LOADED, FILE_REJECTED, FILE_DUPLICATE)
        },
        rows_read=int(loads["rows_read"].sum()),
        rows_accepted=int(loads["rows_accepted"].sum()),
        rows_rejected=int(loads["rows_rejected"].sum()),
        rejected_by_reason={
            reason: int(reason_counts[reason])
            for reason in REJECTION_REASONS
            if reason in reason_counts
        },
    )


# ---------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it into place when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def write_reports(
    db_path: Path, reports_dir: Path, settings: Settings, report_date: date, public: bool
) -> ReportFiles:
    """Write the staff XLSX and PDF of `report_date`, and the public version when asked.

    Files go to `reports_dir/<date>/`; the public version to its `publik/` folder, so the
    folder a portal receives holds nothing that is not for publication.
    """
    data = read_report_data(db_path)
    threshold = settings.reports.suppression_threshold
    stamp = report_date.isoformat()
    directory = reports_dir / stamp
    staff = build_content(data, report_date, public=False, threshold=threshold)
    xlsx = directory / f"laporan_jamsos_{stamp}.xlsx"
    pdf = directory / f"laporan_jamsos_{stamp}.pdf"
    write_xlsx(staff, xlsx)
    write_pdf(staff, pdf)
    if not public:
        return ReportFiles(directory=directory, xlsx=xlsx, pdf=pdf, headline=staff.headline)
    published = build_content(data, report_date, public=True, threshold=threshold)
    public_dir = directory / PUBLIC_DIR_NAME
    public_xlsx = public_dir / f"laporan_jamsos_publik_{stamp}.xlsx"
    public_pdf = public_dir / f"laporan_jamsos_publik_{stamp}.pdf"
    public_csv = public_dir / f"jamsos_peserta_kelurahan_bulanan_{stamp}.csv"
    public_metadata = public_dir / f"jamsos_peserta_kelurahan_bulanan_{stamp}_metadata.csv"
    files = ReportFiles(
        directory=directory,
        xlsx=xlsx,
        pdf=pdf,
        headline=staff.headline,
        public_xlsx=public_xlsx,
        public_pdf=public_pdf,
        public_csv=public_csv,
        public_metadata=public_metadata,
    )
    write_xlsx(published, public_xlsx)
    write_pdf(published, public_pdf)
    write_public_csv(published, public_csv)
    write_metadata_csv(published, public_metadata)
    return files


# ---------------------------------------------------------------------------------------
# Shared wording
# ---------------------------------------------------------------------------------------


def _count_text(value: int | None) -> str:
    return HIDDEN_MARK if value is None else format_number(value)


def _rupiah_text(value: int | None) -> str:
    return HIDDEN_MARK if value is None else format_rupiah(value)


def _reference_label(content: ReportContent) -> str:
    month = content.headline.reference_month
    return format_month(month) if month else "bulan laporan"


def definitions(content: ReportContent) -> list[tuple[str, str]]:
    """Return (term, meaning) pairs explaining every figure of the report."""
    headline = content.headline
    premium = format_rupiah(headline.monthly_premium_idr)
    notes = [
        (
            "Peserta terdaftar",
            "Orang yang terdaftar dalam satu kategori (satu NIK dihitung sekali per kategori), "
            "setelah koreksi: baris yang sama pada kiriman yang lebih baru menggantikan yang lama.",
        ),
        (
            "Ditanggung (bulan)",
            "Peserta yang preminya dibayar untuk bulan itu. Cakupan dimulai pada bulan tanggal "
            "mulai (TMT) dan berlangsung sesuai lama cakupan kategorinya, atau berakhir lebih "
            "awal pada bulan tanggal akhir bila ada.",
        ),
        (
            "Orang berbeda",
            "Orang yang terdaftar di kedua kategori dihitung satu kali.",
        ),
        (
            "Premi",
            f"{premium} per peserta per bulan (JKK dan JKM), dibayar dari APBD Kota Singkawang. "
            f"Premi s.d. {format_month(headline.premium_month)}: bulan cakupan sampai bulan "
            "itu. Premi terikat: seluruh bulan cakupan peserta yang sudah terdaftar.",
        ),
        (
            "Data per",
            "Tanggal kiriman data terakhir yang dimuat (tanggal pada nama berkas, atau waktu "
            "ubah berkas bila nama berkas tidak memuat tanggal).",
        ),
        ("Kode wilayah", f"{REGION_CODE_SOURCE}, bukan kode BPS."),
    ]
    if content.public:
        rounding = format_rupiah(headline.premium_rounding_idr)
        notes += [
            (
                f"{HIDDEN_MARK} (dirahasiakan)",
                f"Jumlah 1 sampai {content.threshold - 1} orang tidak ditampilkan per kelurahan, "
                "kecamatan dan kota, per kategori dan bulan. Sel lain ikut disembunyikan bila "
                "perlu, agar angka yang dirahasiakan tidak dapat dihitung dari jumlah kecamatan "
                "atau kota. Angka nol tetap ditampilkan.",
            ),
            (
                "Pembulatan premi",
                f"Jumlah premi dibulatkan ke {rounding} terdekat agar jumlah peserta yang "
                "dirahasiakan tidak dapat dihitung dari premi.",
            ),
        ]
    return notes


# ---------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------

INDONESIAN_MONTH_FORMAT = "[$-421]mmmm yyyy"
INDONESIAN_DATE_FORMAT = "[$-421]d mmmm yyyy"
NAVY = "#1F3A5F"
CATEGORY_COLOURS = {"pekerja_rentan": "#1F6FB2", "sawit_bpu": "#2E7D32"}
OTHER_COLOURS = ("#C77C02", "#7B3F98")


class _Styles:
    """The workbook's cell formats, created once."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        base = {"font_name": "Calibri", "font_size": 10, "valign": "top"}

        def add(**properties: Any) -> Any:
            return workbook.add_format({**base, **properties})

        self.title = add(bold=True, font_size=14, font_color=NAVY)
        self.subtitle = add(italic=True, font_color="#555555")
        self.label = add(bold=True)
        self.text = add()
        self.header = add(
            bold=True,
            font_color="#FFFFFF",
            bg_color=NAVY,
            text_wrap=True,
            border=1,
            valign="vcenter",
        )
        self.count = add(num_format="#,##0")
        self.rupiah = add(num_format='"Rp"#,##0')
        self.percent = add(num_format="0.0%")
        self.month = add(num_format=INDONESIAN_MONTH_FORMAT, align="left")
        self.day = add(num_format=INDONESIAN_DATE_FORMAT, align="left")
        self.hidden = add(align="right", font_color="#777777")
        self.bold_text = add(bold=True, bg_color="#E8EEF5")
        self.bold_count = add(bold=True, bg_color="#E8EEF5", num_format="#,##0")
        self.bold_hidden = add(bold=True, bg_color="#E8EEF5", align="right")
        self.wrap = add(text_wrap=True)


class _Sheet:
    """A worksheet that writes typed cells and remembers how wide each column must be."""

    def __init__(self, workbook: xlsxwriter.Workbook, name: str, styles: _Styles) -> None:
        self.sheet = workbook.add_worksheet(name)
        self.name = name
        self.styles = styles
        self.widths: dict[int, int] = {}

    def _fit(self, column: int, characters: int) -> None:
        self.widths[column] = max(self.widths.get(column, 0), characters)

    def text(self, row: int, column: int, value: str | None, style: Any = None) -> None:
        if value is None or value == "":
            self.sheet.write_blank(row, column, None, style or self.styles.text)
            return
        safe = neutralise_formula(mask_digit_runs(str(value)))
        self.sheet.write_string(row, column, safe, style or self.styles.text)
        self._fit(column, len(safe))

    def note(self, row: int, column: int, value: str, style: Any = None) -> None:
        """Write text that may spill over the next columns without widening its own."""
        self.sheet.write_string(row, column, neutralise_formula(value), style or self.styles.text)

    def count(self, row: int, column: int, value: int | None, bold: bool = False) -> None:
        styles = self.styles
        if value is None:
            self.sheet.write_string(
                row, column, HIDDEN_MARK, styles.bold_hidden if bold else styles.hidden
            )
            self._fit(column, 1)
            return
        self.sheet.write_number(row, column, value, styles.bold_count if bold else styles.count)
        self._fit(column, len(format_number(value)))

    def rupiah(self, row: int, column: int, value: int | None) -> None:
        if value is None:
            self.sheet.write_string(row, column, HIDDEN_MARK, self.styles.hidden)
            return
        self.sheet.write_number(row, column, value, self.styles.rupiah)
        self._fit(column, len(format_rupiah(value)))

    def percent(self, row: int, column: int, value: float | None) -> None:
        if value is None:
            self.sheet.write_string(row, column, HIDDEN_MARK, self.styles.hidden)
            return
        self.sheet.write_number(row, column, value / 100, self.styles.percent)
        self._fit(column, len(format_percent(value)))

    def month(self, row: int, column: int, value: date) -> None:
        self.sheet.write_datetime(
            row, column, datetime(value.year, value.month, 1), self.styles.month
        )
        self._fit(column, len(format_month(value)))

    def day(self, row: int, column: int, value: date | None) -> None:
        if value is None:
            self.sheet.write_blank(row, column, None, self.styles.text)
            return
        self.sheet.write_datetime(
            row, column, datetime(value.year, value.month, value.day), self.styles.day
        )
        self._fit(column, len(format_date(value)))

    def header(self, row: int, labels: list[str]) -> None:
        for column, label in enumerate(labels):
            self.sheet.write_string(row, column, label, self.styles.header)
            longest_word = max(len(word) for word in label.split())
            self._fit(column, max(longest_word, min(len(label), 14)))

    def _width(self, column: int) -> int:
        return min(max(self.widths.get(column, 0) + 2, MIN_COLUMN_WIDTH), MAX_COLUMN_WIDTH)

    def finish(
        self, header_row: int | None, labels: list[str] | None = None, table_rows: int = 0
    ) -> None:
        """Set column widths, size the header row, freeze panes below it and add a filter."""
        for column in self.widths:
            self.sheet.set_column(column, column, self._width(column))
        if header_row is None:
            return
        if labels:
            lines = max(-(-len(label) // self._width(i)) for i, label in enumerate(labels))
            self.sheet.set_row(header_row, HEADER_LINE_POINTS * lines + 2)
            if table_rows:
                self.sheet.autofilter(header_row, 0, header_row + table_rows, len(labels) - 1)
        self.sheet.freeze_panes(header_row + 1, 0)


def _title_block(sheet: _Sheet, content: ReportContent, subtitle: str) -> int:
    """Write the title lines of a sheet and return the first free row."""
    title = PUBLIC_TITLE if content.public else REPORT_TITLE
    sheet.note(0, 0, title, sheet.styles.title)
    sheet.note(1, 0, subtitle, sheet.styles.subtitle)
    headline = content.headline
    as_of = format_date(headline.data_as_of) if headline.data_as_of else "-"
    sheet.note(
        2,
        0,
        f"Tanggal laporan {format_date(headline.report_date)}; data per {as_of}.",
        sheet.styles.subtitle,
    )
    return 4


def _summary_sheet(workbook: xlsxwriter.Workbook, styles: _Styles, content: ReportContent) -> None:
    sheet = _Sheet(workbook, "Ringkasan", styles)
    headline = content.headline
    row = _title_block(sheet, content, content.program_name)
    facts: list[tuple[str, date | int | None, Literal["day", "month", "rupiah"]]] = [
        ("Tanggal laporan", headline.report_date, "day"),
        ("Data per (kiriman terakhir)", headline.data_as_of, "day"),
        ("Bulan laporan", headline.reference_month, "month"),
        ("Premi per peserta per bulan", headline.monthly_premium_idr, "rupiah"),
    ]
    for label, value, kind in facts:
        sheet.text(row, 0, label, styles.label)
        if value is None:
            sheet.text(row, 1, "-")
        elif isinstance(value, int):
            sheet.rupiah(row, 1, value)
        elif kind == "month":
            sheet.month(row, 1, value)
        else:
            sheet.day(row, 1, value)
        row += 1
    row += 1
    premium_to_date = f"Premi s.d. {format_month(headline.premium_month)}"
    labels = [
        "Kategori",
        "Target (orang)",
        "Peserta terdaftar (orang)",
        "Tercapai",
        "Lama cakupan (bulan)",
        premium_to_date,
        "Premi terikat (seluruh masa cakupan)",
    ]
    header_row = row
    sheet.header(row, labels)
    for figure in headline.categories:
        row += 1
        sheet.text(row, 0, figure.label)
        sheet.count(row, 1, figure.target)
        sheet.count(row, 2, figure.persons)
        sheet.percent(row, 3, figure.percent_of_target)
        sheet.count(row, 4, figure.months)
        sheet.rupiah(row, 5, figure.premium_to_date_idr)
        sheet.rupiah(row, 6, figure.premium_committed_idr)
    row += 1
    sheet.text(row, 0, "Semua kategori", styles.bold_text)
    sheet.count(row, 1, sum(figure.target for figure in headline.categories), bold=True)
    sheet.count(row, 2, headline.persons_all, bold=True)
    sheet.text(row, 3, "", styles.bold_text)
    sheet.text(row, 4, "", styles.bold_text)
    sheet.rupiah(row, 5, headline.premium_to_date_idr)
    sheet.rupiah(row, 6, headline.premium_committed_idr)
    row += 1
    sheet.note(
        row,
        0,
        "Baris 'Semua kategori': orang berbeda, yang terdaftar di kedua kategori dihitung sekali.",
        styles.subtitle,
    )
    if content.public:
        row += 1
        sheet.note(
            row,
            0,
            f"Premi dibulatkan ke {format_rupiah(headline.premium_rounding_idr)} terdekat; "
            f"{HIDDEN_MARK} = dirahasiakan (lihat lembar Metadata).",
            styles.subtitle,
        )
    row += 2
    sheet.text(row, 0, "Kualitas data", styles.label)
    quality = _quality_counts(
        headline, "Berkas duplikat (isi sama dengan berkas lain)", "  ditolak: "
    )
    for label, value in quality:
        row += 1
        sheet.text(row, 0, label)
        sheet.count(row, 1, value)
    if not content.public:
        row += 1
        sheet.note(
            row,
            0,
            "Setiap baris yang ditolak, dengan berkas, nomor baris dan alasannya, ada di lembar "
            "'Baris Ditolak'.",
            styles.subtitle,
        )
    sheet.finish(None)
    sheet.sheet.freeze_panes(header_row + 1, 1)


def _areas_sheet(workbook: xlsxwriter.Workbook, styles: _Styles, content: ReportContent) -> None:
    sheet = _Sheet(workbook, "Per Wilayah", styles)
    reference = _reference_label(content)
    row = _title_block(
        sheet,
        content,
        f"Peserta terdaftar dan peserta ditanggung pada {reference}, per kecamatan dan kelurahan.",
    )
    labels = ["Tingkat", "Kode wilayah", "Kecamatan", "Kelurahan"]
    for figure in content.categories:
        labels.append(f"{figure.short_label}: terdaftar")
    for figure in content.categories:
        labels.append(f"{figure.short_label}: ditanggung {reference}")
    header_row = row
    sheet.header(row, labels)
    for area in content.areas.iter_rows(named=True):
        row += 1
        bold = area["level"] != LEVEL_KELURAHAN
        text_style = styles.bold_text if bold else styles.text
        sheet.text(row, 0, LEVEL_LABELS[area["level"]], text_style)
        sheet.text(row, 1, area["kode_wilayah"], text_style)
        sheet.text(row, 2, area["kecamatan"], text_style)
        sheet.text(row, 3, area["kelurahan"], text_style)
        column = 4
        for prefix in ("enrolled", "covered"):
            for figure in content.categories:
                sheet.count(row, column, area[f"{prefix}__{figure.code}"], bold=bold)
                column += 1
    sheet.finish(header_row, labels, content.areas.height)


def _months_sheet(workbook: xlsxwriter.Workbook, styles: _Styles, content: ReportContent) -> None:
    sheet = _Sheet(workbook, "Per Bulan", styles)
    row = _title_block(
        sheet, content, "Peserta ditanggung per bulan cakupan, seluruh Kota Singkawang."
    )
    labels = ["Bulan cakupan"]
    labels += [f"{figure.short_label} (orang)" for figure in content.categories]
    labels.append("Orang berbeda (semua kategori)")
    if not content.public:
        labels += [f"Premi {figure.short_label}" for figure in content.categories]
        labels += ["Premi bulan ini", "Premi kumulatif"]
    header_row = row
    sheet.header(row, labels)
    months = content.city_months
    for month in months.iter_rows(named=True):
        row += 1
        sheet.month(row, 0, month["coverage_month"])
        column = 1
        for figure in content.categories:
            sheet.count(row, column, month[f"participants__{figure.code}"])
            column += 1
        sheet.count(row, column, month["persons"])
        column += 1
        if not content.public:
            for figure in content.categories:
                sheet.rupiah(row, column, month[f"premium__{figure.code}"])
                column += 1
            sheet.rupiah(row, column, month["premium_idr"])
            sheet.rupiah(row, column + 1, month["cumulative_premium_idr"])
    sheet.finish(header_row, labels, months.height)
    if months.is_empty():
        return
    charted = [f"participants__{figure.code}" for figure in content.categories]
    if any(months[column].null_count() for column in charted):
        sheet.note(
            row + 2,
            0,
            "Grafik tidak dibuat karena ada angka yang dirahasiakan; lihat grafik di PDF.",
            styles.subtitle,
        )
        return
    chart = workbook.add_chart({"type": "line"})
    first, last = header_row + 1, header_row + months.height
    for index, figure in enumerate(content.categories, start=1):
        colour = CATEGORY_COLOURS.get(figure.code, OTHER_COLOURS[index % 2])
        chart.add_series(
            {
                "name": figure.short_label,
                "categories": [sheet.name, first, 0, last, 0],
                "values": [sheet.name, first, index, last, index],
                "line": {"color": colour, "width": 2.25},
                "marker": {
                    "type": "circle",
                    "size": 5,
                    "fill": {"color": colour},
                    "border": {"color": colour},
                },
            }
        )
    chart.set_title({"name": "Peserta ditanggung per bulan", "name_font": {"size": 12}})
    chart.set_x_axis({"num_format": "[$-421]mmm yyyy", "num_font": {"rotation": -45}})
    chart.set_y_axis(
        {
            "num_format": "#,##0",
            "min": 0,
            "major_gridlines": {"visible": True, "line": {"color": "#DDDDDD"}},
        }
    )
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 360})
    sheet.sheet.insert_chart(header_row, len(labels) + 1, chart)


def _area_months_sheet(
    workbook: xlsxwriter.Workbook, styles: _Styles, content: ReportContent
) -> None:
    sheet = _Sheet(workbook, "Kelurahan per Bulan", styles)
    subtitle = (
        "Peserta ditanggung per kategori, bulan dan wilayah (sama dengan berkas CSV publik)."
        if content.public
        else "Peserta ditanggung per kategori, bulan dan kelurahan (baris dengan peserta saja)."
    )
    row = _title_block(sheet, content, subtitle)
    labels = [
        "Kategori",
        "Bulan cakupan",
        "Tingkat",
        "Kode wilayah",
        "Kecamatan",
        "Kelurahan",
        "Peserta ditanggung (orang)",
    ]
    header_row = row
    sheet.header(row, labels)
    cells = content.area_months
    if not content.public:
        cells = cells.filter((pl.col("level") == LEVEL_KELURAHAN) & (pl.col("participants") > 0))
    labels_of = {figure.code: figure.short_label for figure in content.categories}
    for cell in cells.iter_rows(named=True):
        row += 1
        sheet.text(row, 0, labels_of.get(cell["category"], cell["category"]))
        sheet.month(row, 1, cell["coverage_month"])
        sheet.text(row, 2, LEVEL_LABELS[cell["level"]])
        sheet.text(row, 3, cell["kode_wilayah"])
        sheet.text(row, 4, cell["kecamatan"])
        sheet.text(row, 5, cell["kelurahan"])
        sheet.count(row, 6, cell["participants"])
    sheet.finish(header_row, labels, cells.height)


def _files_sheet(workbook: xlsxwriter.Workbook, styles: _Styles, content: ReportContent) -> None:
    sheet = _Sheet(workbook, "Berkas", styles)
    row = _title_block(sheet, content, "Setiap berkas yang ditemukan, dalam urutan kiriman.")
    labels = [
        "Urutan",
        "Berkas",
        "Tanggal kiriman",
        "Tanggal dari",
        "Status",
        "Baris dibaca",
        "Baris diterima",
        "Baris ditolak",
        "Keterangan",
    ]
    header_row = row
    sheet.header(row, labels)
    for file in content.file_loads.iter_rows(named=True):
        row += 1
        sheet.count(row, 0, file["delivery_rank"])
        sheet.text(row, 1, file["source_file"])
        sheet.day(row, 2, file["delivery_date"])
        source = file["delivery_date_source"]
        sheet.text(row, 3, DATE_SOURCE_LABELS.get(source, source))
        sheet.text(row, 4, STATUS_LABELS.get(file["status"], file["status"]))
        sheet.count(row, 5, file["rows_read"])
        sheet.count(row, 6, file["rows_accepted"])
        sheet.count(row, 7, file["rows_rejected"])
        sheet.text(row, 8, file["message"])
    sheet.finish(header_row, labels, content.file_loads.height)


def _rejected_sheet(workbook: xlsxwriter.Workbook, styles: _Styles, content: ReportContent) -> None:
    sheet = _Sheet(workbook, "Baris Ditolak", styles)
    row = _title_block(
        sheet,
        content,
        "Setiap baris yang ditolak: perbaiki baris ini di berkas sumber lalu kirim ulang.",
    )
    labels = [
        "Berkas",
        "Lembar",
        "Baris",
        "Kolom",
        "Alasan",
        "Pesan",
        "NIK (tersamar)",
        "Kode alasan",
    ]
    header_row = row
    sheet.header(row, labels)
    room = EXCEL_MAX_ROWS - header_row - 3
    rejected = content.rejected.head(room)
    for rejection in rejected.iter_rows(named=True):
        row += 1
        sheet.text(row, 0, rejection["source_file"])
        sheet.text(row, 1, rejection["source_sheet"])
        sheet.count(row, 2, rejection["source_row"])
        sheet.text(row, 3, rejection["column"])
        sheet.text(row, 4, REASON_LABELS.get(rejection["reason"], rejection["reason"]))
        sheet.text(row, 5, rejection["message"])
        sheet.text(row, 6, rejection["nik_masked"])
        sheet.text(row, 7, rejection["reason"])
    if content.rejected.height > rejected.height:
        sheet.note(
            row + 2,
            0,
            f"{format_number(content.rejected.height - rejected.height)} baris lain tidak muat "
            "di lembar ini; lihat tabel audit.rejected_rows di database.",
            styles.subtitle,
        )
    sheet.finish(header_row, labels, rejected.height)


def _warnings_sheet(workbook: xlsxwriter.Workbook, styles: _Styles, content: ReportContent) -> None:
    sheet = _Sheet(workbook, "Peringatan", styles)
    row = _title_block(
        sheet,
        content,
        "Baris yang diterima dengan anggapan (misalnya salah ketik nama kelurahan): periksa.",
    )
    labels = ["Berkas", "Lembar", "Baris", "Kolom", "Peringatan", "Pesan"]
    header_row = row
    sheet.header(row, labels)
    warnings = content.warnings.head(EXCEL_MAX_ROWS - header_row - 3)
    for warning in warnings.iter_rows(named=True):
        row += 1
        sheet.text(row, 0, warning["source_file"])
        sheet.text(row, 1, warning["source_sheet"])
        sheet.count(row, 2, warning["source_row"])
        sheet.text(row, 3, warning["column"])
        sheet.text(row, 4, WARNING_LABELS.get(warning["warning"], warning["warning"]))
        sheet.text(row, 5, warning["message"])
    sheet.finish(header_row, labels, warnings.height)


def _quality_counts(
    headline: Headline, duplicate_label: str, reason_prefix: str
) -> list[tuple[str, int]]:
    """Return the data-quality figures: files by status, rows, and rows per reason."""
    counts = [
        ("Berkas dimuat", headline.files_by_status[FILE_LOADED]),
        ("Berkas ditolak seluruhnya", headline.files_by_status[FILE_REJECTED]),
        (duplicate_label, headline.files_by_status[FILE_DUPLICATE]),
        ("Baris dibaca", headline.rows_read),
        ("Baris diterima", headline.rows_accepted),
        ("Baris ditolak", headline.rows_rejected),
    ]
    return counts + [
        (f"{reason_prefix}{REASON_LABELS.get(reason, reason)}", count)
        for reason, count in headline.rejected_by_reason.items()
    ]


def _quality_sheet(workbook: xlsxwriter.Workbook, styles: _Styles, content: ReportContent) -> None:
    sheet = _Sheet(workbook, "Kualitas Data", styles)
    row = _title_block(sheet, content, "Ringkasan pemeriksaan data kiriman.")
    labels = ["Ukuran", "Jumlah"]
    header_row = row
    sheet.header(row, labels)
    headline = content.headline
    rows = _quality_counts(headline, "Berkas duplikat", "Baris ditolak: ")
    for label, value in rows:
        row += 1
        sheet.text(row, 0, label)
        sheet.count(row, 1, value)
    sheet.finish(header_row, labels, len(rows))


def _notes_sheet(workbook: xlsxwriter.Workbook, styles: _Styles, content: ReportContent) -> None:
    name = "Metadata" if content.public else "Catatan"
    sheet = _Sheet(workbook, name, styles)
    row = _title_block(sheet, content, "Definisi dan catatan.")
    labels = ["Istilah", "Arti"]
    header_row = row
    sheet.header(row, labels)
    entries = metadata_entries(content) if content.public else definitions(content)
    for term, meaning in entries:
        row += 1
        sheet.text(row, 0, term, styles.label)
        sheet.sheet.write_string(row, 1, neutralise_formula(meaning), styles.wrap)
    sheet.finish(header_row, labels, 0)
    sheet.sheet.set_column(1, 1, 100)


def write_xlsx(content: ReportContent, path: Path) -> None:
    """Write the workbook: summary, areas, months, area-months and data quality sheets."""
    with _replacing(path) as temporary:
        workbook = xlsxwriter.Workbook(
            str(temporary),
            {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        try:
            workbook.set_properties(
                {
                    "title": PUBLIC_TITLE if content.public else REPORT_TITLE,
                    "subject": content.program_name,
                    "author": "jamsos",
                    "created": datetime(
                        content.headline.report_date.year,
                        content.headline.report_date.month,
                        content.headline.report_date.day,
                    ),
                }
            )
            styles = _Styles(workbook)
            _summary_sheet(workbook, styles, content)
            _areas_sheet(workbook, styles, content)
            _months_sheet(workbook, styles, content)
            _area_months_sheet(workbook, styles, content)
            if content.public:
                _quality_sheet(workbook, styles, content)
            else:
                _files_sheet(workbook, styles, content)
                _rejected_sheet(workbook, styles, content)
                _warnings_sheet(workbook, styles, content)
            _notes_sheet(workbook, styles, content)
        finally:
            workbook.close()


# ---------------------------------------------------------------------------------------
# Public CSV and its metadata
# ---------------------------------------------------------------------------------------

PUBLIC_CSV_COLUMNS = (
    ("kode_provinsi", "Kode Kemendagri provinsi (61 = Kalimantan Barat)."),
    ("nama_provinsi", "Nama provinsi."),
    ("kode_kabupaten_kota", "Kode Kemendagri kabupaten/kota (61.72 = Kota Singkawang)."),
    ("nama_kabupaten_kota", "Nama kabupaten/kota."),
    ("tingkat_wilayah", "kota, kecamatan atau kelurahan: tingkat baris ini."),
    ("kode_wilayah", "Kode Kemendagri wilayah baris ini (kota, kecamatan atau kelurahan)."),
    ("kode_kecamatan", "Kode Kemendagri kecamatan (kosong pada baris kota)."),
    ("nama_kecamatan", "Nama kecamatan (kosong pada baris kota)."),
    ("kode_kelurahan", "Kode Kemendagri kelurahan (hanya pada baris kelurahan)."),
    ("nama_kelurahan", "Nama kelurahan (hanya pada baris kelurahan)."),
    ("kategori", "Kode kategori peserta: pekerja_rentan atau sawit_bpu."),
    ("nama_kategori", "Nama kategori peserta."),
    ("tahun", "Tahun bulan cakupan."),
    ("bulan", "Bulan cakupan (1-12)."),
    ("jumlah_peserta", "Peserta yang preminya dibayar untuk bulan itu; kosong bila dirahasiakan."),
    ("status_angka", "tersedia, atau dirahasiakan (jumlah_peserta kosong)."),
    ("satuan", "Satuan jumlah_peserta."),
)


def public_rows(content: ReportContent) -> list[dict[str, object]]:
    """Return the rows of the public CSV: every area, category and month, hidden as empty."""
    labels = {figure.code: figure.label for figure in content.categories}
    rows = []
    for cell in content.area_months.iter_rows(named=True):
        level = cell["level"]
        hidden = cell["participants"] is None
        rows.append(
            {
                "kode_provinsi": PROVINCE_CODE,
                "nama_provinsi": PROVINCE_NAME,
                "kode_kabupaten_kota": CITY_CODE,
                "nama_kabupaten_kota": CITY_NAME,
                "tingkat_wilayah": level,
                "kode_wilayah": cell["kode_wilayah"],
                "kode_kecamatan": cell["kode_kecamatan"] or "",
                "nama_kecamatan": "" if level == LEVEL_KOTA else cell["kecamatan"],
                "kode_kelurahan": cell["kode_wilayah"] if level == LEVEL_KELURAHAN else "",
                "nama_kelurahan": cell["kelurahan"] or "",
                "kategori": cell["category"],
                "nama_kategori": labels.get(cell["category"], cell["category"]),
                "tahun": cell["coverage_month"].year,
                "bulan": cell["coverage_month"].month,
                "jumlah_peserta": "" if hidden else cell["participants"],
                "status_angka": "dirahasiakan" if hidden else "tersedia",
                "satuan": "orang",
            }
        )
    return rows


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with (
        _replacing(path) as temporary,
        open(temporary, "w", encoding="utf-8", newline="") as handle,
    ):
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(
                [neutralise_formula(value) if isinstance(value, str) else value for value in row]
            )


def write_public_csv(content: ReportContent, path: Path) -> None:
    """Write the public table as UTF-8 CSV with Kemendagri region codes on every row."""
    header = [name for name, _ in PUBLIC_CSV_COLUMNS]
    rows = [[row[name] for name in header] for row in public_rows(content)]
    _write_csv(path, header, rows)


def metadata_entries(content: ReportContent) -> list[tuple[str, str]]:
    """Return the metadata of the public table: source, period, definitions, method."""
    headline = content.headline
    months = content.city_months["coverage_month"]
    period = (
        f"{format_month(as_date(months.min()))} - {format_month(as_date(months.max()))}"
        if len(months)
        else "-"
    )
    entries = [
        (
            "judul",
            "Peserta Jaminan Sosial Ketenagakerjaan pekerja rentan yang ditanggung APBD, per "
            "kelurahan dan bulan, Kota Singkawang",
        ),
        ("program", content.program_name),
        (
            "sumber",
            "Data kepesertaan BPJS Ketenagakerjaan (JKK dan JKM) yang preminya dibayar APBD "
            "Kota Singkawang, diolah dengan jamsos.",
        ),
        ("wilayah", f"{CITY_NAME} ({CITY_CODE}), Provinsi {PROVINCE_NAME} ({PROVINCE_CODE})"),
        ("periode", period),
        ("data_per", headline.data_as_of.isoformat() if headline.data_as_of else "-"),
        ("tanggal_rilis", headline.report_date.isoformat()),
        ("frekuensi", "Diperbarui setiap malam setelah data kiriman baru diproses."),
        ("satuan", "orang"),
        ("kode_wilayah", REGION_CODE_SOURCE),
        (
            "kerahasiaan",
            f"Jumlah 1 sampai {content.threshold - 1} orang dirahasiakan (sel primer); sel lain "
            "ikut dirahasiakan (sel sekunder) sampai setiap jumlah kecamatan dan kota memuat "
            "nol atau paling sedikit dua sel yang dirahasiakan, sehingga tidak ada sel yang "
            "dirahasiakan dapat dihitung dengan pengurangan. Berkas tidak membedakan sel primer "
            "dan sekunder. Tabel setiap kategori dan bulan dilindungi sendiri-sendiri; "
            "tidak ada jumlah lintas kategori atau lintas bulan yang diterbitkan.",
        ),
    ]
    entries += [(f"kolom {name}", meaning) for name, meaning in PUBLIC_CSV_COLUMNS]
    entries += [(term, meaning) for term, meaning in definitions(content)]
    return entries


def write_metadata_csv(content: ReportContent, path: Path) -> None:
    """Write the metadata block of the public table as a two-column CSV."""
    _write_csv(path, ["elemen", "keterangan"], [list(entry) for entry in metadata_entries(content)])


# ---------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
PAGE_WIDTH = 210
MARGIN = 15
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
NAVY_RGB = (31, 58, 95)
PALE_RGB = (232, 238, 245)
GREY_RGB = (100, 100, 100)
MAX_PAGES = 4
# Rows of the problem-files table to try, longest first, until the report fits MAX_PAGES.
FILE_ROW_LIMITS = (8, 4, 0)
MESSAGE_CHARACTERS = 110
CHART_DPI = 170


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _colour(code: str, index: int) -> str:
    return CATEGORY_COLOURS.get(code, OTHER_COLOURS[index % len(OTHER_COLOURS)])


class _ReportPdf(FPDF):
    """An A4 page set with the report's fonts, running header and page footer."""

    def __init__(self, content: ReportContent) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.content = content
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_margins(MARGIN, 14, MARGIN)
        self.set_auto_page_break(True, margin=16)
        report_date = content.headline.report_date
        self.set_title(PUBLIC_TITLE if content.public else REPORT_TITLE)
        self.set_subject(content.program_name)
        self.set_author("jamsos")
        self.set_lang("id-ID")
        self.set_creation_date(datetime(report_date.year, report_date.month, report_date.day))

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*GREY_RGB)
        label = "Versi publik · " if self.content.public else ""
        self.cell(
            0,
            4,
            f"{label}Kepesertaan Jamsostek Pekerja Rentan Kota Singkawang · "
            f"{format_date(self.content.headline.report_date)}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.set_draw_color(190, 190, 190)
        self.line(MARGIN, self.get_y() + 1, PAGE_WIDTH - MARGIN, self.get_y() + 1)
        self.ln(5)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.set_text_color(*GREY_RGB)
        as_of = self.content.headline.data_as_of
        source = "Sumber: data kepesertaan BPJS Ketenagakerjaan, diolah jamsos"
        if as_of:
            source += f"; data per {format_date(as_of)}"
        self.cell(CONTENT_WIDTH - 30, 4, source + ".")
        self.cell(30, 4, f"Halaman {self.page_no()} dari {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def section(self, title: str) -> None:
        self.ln(2)
        self.set_font(FONT, "B", 11)
        self.set_text_color(*NAVY_RGB)
        self.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*NAVY_RGB)
        self.set_line_width(0.4)
        self.line(MARGIN, self.get_y(), MARGIN + 25, self.get_y())
        self.set_line_width(0.2)
        self.ln(2)
        self.set_text_color(0, 0, 0)

    def paragraph(self, text: str, size: float = 8.5, muted: bool = False) -> None:
        self.set_font(FONT, "", size)
        if muted:
            self.set_text_color(*GREY_RGB)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_text_color(0, 0, 0)


def _figure_png(figure: Figure) -> io.BytesIO:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=CHART_DPI)
    buffer.seek(0)
    return buffer


def _new_axes(width_mm: float, height_mm: float) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), layout="constrained")
    axes = figure.subplots()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=7)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_number(value)))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    axes.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _empty_chart(axes: Any, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=9, color="#666666")
    axes.set_xticks([])
    axes.set_yticks([])


def kecamatan_chart(content: ReportContent, width_mm: float, height_mm: float) -> io.BytesIO:
    """Draw enrolled participants per kecamatan as grouped bars, one colour per category."""
    figure, axes = _new_axes(width_mm, height_mm)
    rows = content.areas.filter(pl.col("level") == LEVEL_KECAMATAN).sort("kode_wilayah")
    names = [name.replace("Singkawang ", "Singkawang\n") for name in rows["kecamatan"]]
    columns = [f"enrolled__{figure.code}" for figure in content.categories]
    if rows.is_empty() or not any(rows[column].fill_null(0).sum() for column in columns):
        _empty_chart(axes, "Belum ada peserta terdaftar")
        return _figure_png(figure)
    positions = list(range(rows.height))
    width = 0.8 / len(content.categories)
    for index, category in enumerate(content.categories):
        values = rows[f"enrolled__{category.code}"].to_list()
        offset = (index - (len(content.categories) - 1) / 2) * width
        bars = axes.bar(
            [position + offset for position in positions],
            [value or 0 for value in values],
            width * 0.95,
            label=category.short_label,
            color=_colour(category.code, index),
        )
        for bar, value in zip(bars, values, strict=True):
            axes.annotate(
                _count_text(value),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=6.5,
            )
    axes.set_xticks(positions, names, fontsize=7.5)
    axes.set_ylabel("Orang", fontsize=7.5)
    axes.margins(y=0.12)
    axes.legend(
        fontsize=7.5,
        frameon=False,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=len(content.categories),
    )
    return _figure_png(figure)


def months_chart(content: ReportContent, width_mm: float, height_mm: float) -> io.BytesIO:
    """Draw covered participants per month, one panel per category, each with its target."""
    months = content.city_months
    if months.is_empty():
        figure, axes = _new_axes(width_mm, height_mm)
        _empty_chart(axes, "Belum ada bulan cakupan")
        return _figure_png(figure)
    figure = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), layout="constrained")
    panels = figure.subplots(1, len(content.categories), sharex=True, squeeze=False)[0]
    positions = list(range(months.height))
    labels = [format_month_short(month) for month in months["coverage_month"]]
    step = max(1, -(-len(labels) // 12))
    for index, (axes, category) in enumerate(zip(panels, content.categories, strict=True)):
        colour = _colour(category.code, index)
        values = [
            float("nan") if value is None else value
            for value in months[f"participants__{category.code}"].to_list()
        ]
        axes.spines[["top", "right"]].set_visible(False)
        axes.grid(axis="y", color="#DDDDDD", linewidth=0.6)
        axes.set_axisbelow(True)
        axes.fill_between(positions, values, color=colour, alpha=0.12, linewidth=0)
        axes.plot(positions, values, marker="o", markersize=2.8, linewidth=1.8, color=colour)
        axes.axhline(category.target, color=colour, linestyle="--", linewidth=0.9, alpha=0.8)
        axes.annotate(
            f"target {format_number(category.target)}",
            (positions[-1], category.target),
            xytext=(0, 2),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=6.5,
            color=colour,
        )
        axes.set_title(category.short_label, fontsize=8.5, color=colour, loc="left")
        axes.set_ylim(0, category.target * 1.12 if category.target else None)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_number(value)))
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        axes.tick_params(labelsize=6.5)
        axes.set_xticks(positions[::step], labels[::step], rotation=45, ha="right")
    panels[0].set_ylabel("Orang ditanggung", fontsize=7.5)
    return _figure_png(figure)


def _headline_boxes(pdf: _ReportPdf, content: ReportContent) -> None:
    headline = content.headline
    gap = 4
    count = len(headline.categories)
    width = (CONTENT_WIDTH - gap * (count - 1)) / count
    top = pdf.get_y()
    height = 38
    for index, figure in enumerate(headline.categories):
        x = MARGIN + index * (width + gap)
        colour = _rgb(_colour(figure.code, index))
        pdf.set_fill_color(247, 249, 252)
        pdf.set_draw_color(*colour)
        pdf.rect(x, top, width, height, style="DF")
        pdf.set_fill_color(*colour)
        pdf.rect(x, top, 1.6, height, style="F")
        pdf.set_xy(x + 5, top + 3)
        pdf.set_font(FONT, "B", 9.5)
        pdf.set_text_color(*colour)
        pdf.cell(width - 8, 5, figure.short_label)
        pdf.set_xy(x + 5, top + 9)
        pdf.set_font(FONT, "B", 20)
        pdf.set_text_color(0, 0, 0)
        persons = (
            HIDDEN_MARK if figure.persons is None else f"{format_number(figure.persons)} orang"
        )
        pdf.cell(width - 8, 9, persons)
        pdf.set_xy(x + 5, top + 19)
        pdf.set_font(FONT, "", 8.5)
        pdf.cell(width - 8, 4.5, f"dari target {format_number(figure.target)} orang")
        bar_width = width - 10
        pdf.set_fill_color(220, 224, 230)
        pdf.rect(x + 5, top + 25, bar_width, 3, style="F")
        if figure.percent_of_target is not None:
            filled = bar_width * min(figure.percent_of_target, 100) / 100
            pdf.set_fill_color(*colour)
            if filled > 0:
                pdf.rect(x + 5, top + 25, filled, 3, style="F")
        pdf.set_xy(x + 5, top + 29.5)
        pdf.set_font(FONT, "B", 8.5)
        percent = (
            HIDDEN_MARK
            if figure.percent_of_target is None
            else format_percent(figure.percent_of_target)
        )
        pdf.cell(22, 4.5, f"{percent} tercapai")
        pdf.set_font(FONT, "", 8)
        pdf.cell(width - 30, 4.5, f"· ditanggung {figure.months} bulan per peserta", align="R")
    small_top = top + height + gap
    small_height = 21
    rounded = ", dibulatkan" if content.public else ""
    persons_all = headline.persons_all
    boxes = [
        (
            "Orang berbeda, semua kategori",
            HIDDEN_MARK if persons_all is None else f"{format_number(persons_all)} orang",
            "terdaftar di dua kategori dihitung sekali",
        ),
        (
            f"Premi s.d. {format_month(headline.premium_month)}",
            _rupiah_text(headline.premium_to_date_idr),
            f"bulan cakupan sampai bulan ini{rounded}",
        ),
        (
            "Premi terikat",
            _rupiah_text(headline.premium_committed_idr),
            f"seluruh masa cakupan{rounded}",
        ),
    ]
    small_width = (CONTENT_WIDTH - gap * 2) / 3
    for index, (label, value, note) in enumerate(boxes):
        x = MARGIN + index * (small_width + gap)
        pdf.set_fill_color(*PALE_RGB)
        pdf.rect(x, small_top, small_width, small_height, style="F")
        pdf.set_xy(x + 4, small_top + 2.5)
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(*GREY_RGB)
        pdf.cell(small_width - 8, 4, label)
        pdf.set_xy(x + 4, small_top + 7.5)
        pdf.set_font(FONT, "B", 13)
        pdf.set_text_color(*NAVY_RGB)
        pdf.cell(small_width - 8, 7, value)
        pdf.set_xy(x + 4, small_top + 15)
        pdf.set_font(FONT, "", 6.8)
        pdf.set_text_color(*GREY_RGB)
        pdf.cell(small_width - 8, 4, note)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(small_top + small_height + 2)
    pdf.set_font(FONT, "", 7.5)
    pdf.set_text_color(*GREY_RGB)
    pdf.cell(
        0,
        4,
        f"Premi {format_rupiah(headline.monthly_premium_idr)} per peserta per bulan (JKK dan "
        "JKM), dibayar dari APBD Kota Singkawang.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)


def highlights(content: ReportContent) -> list[str]:
    """Return the few sentences a reader should take away from page 1."""
    headline = content.headline
    lines = []
    for figure in headline.categories:
        if figure.persons is None or figure.percent_of_target is None:
            continue
        line = (
            f"{figure.short_label}: {format_number(figure.persons)} dari target "
            f"{format_number(figure.target)} orang ({format_percent(figure.percent_of_target)})"
        )
        missing = figure.target - figure.persons
        line += (
            f"; kurang {format_number(missing)} orang lagi."
            if missing > 0
            else "; target tercapai."
        )
        lines.append(line)
    reference = headline.reference_month
    if reference is not None:
        row = content.city_months.filter(pl.col("coverage_month") == reference)
        if row.height:
            parts = [
                f"{_count_text(row.item(0, f'participants__{figure.code}'))} "
                f"peserta {figure.short_label}"
                for figure in headline.categories
            ]
            lines.append(f"Pada {format_month(reference)} ditanggung {' dan '.join(parts)}.")
    files = headline.files_by_status
    if headline.rows_rejected or files[FILE_REJECTED]:
        lines.append(
            f"Kualitas data: {format_number(headline.rows_rejected)} baris dan "
            f"{format_number(files[FILE_REJECTED])} berkas ditolak; perbaiki di berkas sumber "
            "dan kirim ulang (rincian di halaman terakhir)."
        )
    else:
        lines.append("Kualitas data: semua baris data yang dikirim diterima.")
    return lines


@dataclass(frozen=True)
class _Charts:
    kecamatan: bytes
    months: bytes
    months_height: float


def _draw_charts(content: ReportContent) -> _Charts:
    months_height = 70 if content.city_months.height <= 24 else 60
    return _Charts(
        kecamatan=kecamatan_chart(content, CONTENT_WIDTH, 80).getvalue(),
        months=months_chart(content, CONTENT_WIDTH, months_height).getvalue(),
        months_height=months_height,
    )


def _first_page(pdf: _ReportPdf, content: ReportContent, charts: _Charts) -> None:
    headline = content.headline
    pdf.add_page()
    pdf.set_fill_color(*NAVY_RGB)
    pdf.rect(0, 0, PAGE_WIDTH, 36, style="F")
    pdf.set_xy(MARGIN, 8)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 14.5)
    pdf.multi_cell(CONTENT_WIDTH, 6.8, REPORT_TITLE, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(FONT, "", 8.5)
    pdf.ln(1)
    subtitle = (
        "Jaminan Kecelakaan Kerja (JKK) dan Jaminan Kematian (JKM) yang dibiayai APBD Kota "
        "Singkawang"
    )
    if content.public:
        subtitle = "VERSI PUBLIK · " + subtitle
    pdf.cell(0, 4.5, subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(40)
    pdf.set_font(FONT, "", 8.5)
    as_of = format_date(headline.data_as_of) if headline.data_as_of else "-"
    reference = _reference_label(content)
    pdf.cell(
        0,
        5,
        f"Tanggal laporan: {format_date(headline.report_date)}     Data per: {as_of}     "
        f"Bulan laporan: {reference}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.section("Capaian kepesertaan dibanding target")
    _headline_boxes(pdf, content)
    pdf.section("Peserta terdaftar per kecamatan")
    pdf.image(io.BytesIO(charts.kecamatan), w=CONTENT_WIDTH, h=80)
    pdf.section("Pokok-pokok")
    pdf.set_font(FONT, "", 8.5)
    for line in highlights(content):
        pdf.set_x(MARGIN + 2)
        pdf.cell(4, 4.6, "•")
        pdf.multi_cell(CONTENT_WIDTH - 6, 4.6, line, new_x="LMARGIN", new_y="NEXT", align="L")
    if content.public:
        pdf.paragraph(
            f"{HIDDEN_MARK} = dirahasiakan: jumlah di bawah {content.threshold} orang, atau "
            "disembunyikan agar angka yang dirahasiakan tidak dapat dihitung dari jumlahnya.",
            size=7.5,
            muted=True,
        )


def _table_style(size: float = 7.5) -> FontFace:
    return FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=NAVY_RGB, size_pt=size)


def _months_page(pdf: _ReportPdf, content: ReportContent, charts: _Charts) -> None:
    pdf.add_page()
    pdf.section("Peserta ditanggung per bulan")
    months = content.city_months
    pdf.image(io.BytesIO(charts.months), w=CONTENT_WIDTH, h=charts.months_height)
    pdf.ln(2)
    headings = ["Bulan cakupan"]
    headings += [figure.short_label for figure in content.categories]
    headings.append("Orang berbeda")
    if not content.public:
        headings += ["Premi bulan ini", "Premi kumulatif"]
    first_width = 30
    rest = (CONTENT_WIDTH - first_width) / (len(headings) - 1)
    line_height = 4.2 if months.height <= 24 else 3.6
    pdf.set_font(FONT, "", 7.5 if months.height <= 24 else 6.8)
    with pdf.table(
        col_widths=(first_width, *([rest] * (len(headings) - 1))),
        text_align=("LEFT", *(["RIGHT"] * (len(headings) - 1))),
        headings_style=_table_style(),
        line_height=line_height,
        borders_layout="HORIZONTAL_LINES",
        cell_fill_color=(246, 248, 251),
        cell_fill_mode="ROWS",
        padding=(0.5, 1.5),
        width=CONTENT_WIDTH,
    ) as table:
        table.row(headings)
        for month in months.iter_rows(named=True):
            cells = [format_month(month["coverage_month"])]
            cells += [
                _count_text(month[f"participants__{figure.code}"]) for figure in content.categories
            ]
            cells.append(_count_text(month["persons"]))
            if not content.public:
                cells += [
                    _rupiah_text(month["premium_idr"]),
                    _rupiah_text(month["cumulative_premium_idr"]),
                ]
            table.row(cells)


def _areas_page(pdf: _ReportPdf, content: ReportContent) -> None:
    pdf.add_page()
    reference = _reference_label(content)
    pdf.section("Peserta per kecamatan dan kelurahan")
    pdf.paragraph(
        f"Terdaftar: peserta yang terdaftar sampai data per tanggal laporan. Ditanggung: "
        f"peserta yang preminya dibayar untuk {reference}.",
        size=7.5,
    )
    pdf.ln(1.5)
    headings = ["Kecamatan / kelurahan", "Kode wilayah"]
    headings += [f"{figure.short_label} terdaftar" for figure in content.categories]
    headings += [f"{figure.short_label} ditanggung" for figure in content.categories]
    numbers = len(headings) - 2
    first, second = 46, 24
    rest = (CONTENT_WIDTH - first - second) / numbers
    subtotal = FontFace(emphasis="BOLD", fill_color=PALE_RGB)
    total = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=NAVY_RGB)
    pdf.set_font(FONT, "", 7.5)
    with pdf.table(
        col_widths=(first, second, *([rest] * numbers)),
        text_align=("LEFT", "LEFT", *(["RIGHT"] * numbers)),
        headings_style=_table_style(7.2),
        line_height=4.1,
        borders_layout="HORIZONTAL_LINES",
        padding=(0.45, 1.5),
        width=CONTENT_WIDTH,
    ) as table:
        table.row(headings)
        for area in content.areas.iter_rows(named=True):
            level = area["level"]
            if level == LEVEL_KELURAHAN:
                name, style = f"    {area['kelurahan']}", None
            elif level == LEVEL_KECAMATAN:
                name, style = f"Kec. {area['kecamatan']}", subtotal
            else:
                name, style = CITY_NAME, total
            cells = [name, area["kode_wilayah"]]
            cells += [
                _count_text(area[f"{prefix}__{figure.code}"])
                for prefix in ("enrolled", "covered")
                for figure in content.categories
            ]
            table.row(cells, style=style)


def _quality_page(pdf: _ReportPdf, content: ReportContent, file_rows: int) -> None:
    headline = content.headline
    pdf.add_page()
    pdf.section("Kualitas data kiriman")
    files = headline.files_by_status
    read = headline.rows_read
    rejected_share = f" ({format_percent(headline.rows_rejected * 100 / read)})" if read else ""
    pdf.paragraph(
        f"Berkas: {format_number(files[FILE_LOADED])} dimuat, "
        f"{format_number(files[FILE_REJECTED])} ditolak seluruhnya, "
        f"{format_number(files[FILE_DUPLICATE])} duplikat. Baris: {format_number(read)} dibaca, "
        f"{format_number(headline.rows_accepted)} diterima, "
        f"{format_number(headline.rows_rejected)} ditolak{rejected_share}.",
        size=8.5,
    )
    pdf.ln(2)
    if headline.rejected_by_reason:
        pdf.set_font(FONT, "", 7.5)
        with pdf.table(
            col_widths=(95, 25),
            text_align=("LEFT", "RIGHT"),
            headings_style=_table_style(),
            line_height=4.2,
            borders_layout="HORIZONTAL_LINES",
            padding=(0.5, 1.5),
            width=120,
            align="LEFT",
        ) as table:
            table.row(["Alasan penolakan baris", "Baris"])
            for reason, rows in headline.rejected_by_reason.items():
                table.row([REASON_LABELS.get(reason, reason), format_number(rows)])
        pdf.ln(3)
    if not content.public:
        problem_files = (
            content.file_loads.filter(
                (pl.col("status") == FILE_REJECTED) | (pl.col("rows_rejected") > 0)
            )
            .with_columns(whole=pl.col("status") == FILE_REJECTED)
            .sort(["whole", "rows_rejected"], descending=True)
        )
        if problem_files.height and file_rows:
            pdf.set_font(FONT, "B", 8.5)
            pdf.cell(0, 5, "Berkas yang perlu diperbaiki", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FONT, "", 7)
            with pdf.table(
                col_widths=(50, 14, 15, 16, 15, 70),
                text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
                headings_style=_table_style(7),
                line_height=3.6,
                borders_layout="HORIZONTAL_LINES",
                padding=(0.5, 1.2),
                width=CONTENT_WIDTH,
            ) as table:
                table.row(["Berkas", "Status", "Dibaca", "Diterima", "Ditolak", "Keterangan"])
                for file in problem_files.head(file_rows).iter_rows(named=True):
                    message = mask_digit_runs(file["message"] or "")
                    if len(message) > MESSAGE_CHARACTERS:
                        message = message[: MESSAGE_CHARACTERS - 3] + "..."
                    table.row(
                        [
                            mask_digit_runs(file["source_file"]),
                            STATUS_LABELS.get(file["status"], file["status"]),
                            format_number(file["rows_read"]),
                            format_number(file["rows_accepted"]),
                            format_number(file["rows_rejected"]),
                            message,
                        ]
                    )
            more = problem_files.height - file_rows
            pdf.ln(1)
            pdf.paragraph(
                (f"Dan {format_number(more)} berkas lain. " if more > 0 else "")
                + "Setiap baris yang ditolak (berkas, lembar, nomor baris, kolom, alasan dan "
                "NIK tersamar) ada di lembar 'Baris Ditolak' pada berkas Excel laporan ini.",
                size=7.5,
                muted=True,
            )
    pdf.section("Catatan dan definisi")
    pdf.set_font(FONT, "", 7.5)
    for term, meaning in definitions(content):
        pdf.multi_cell(
            0,
            3.7,
            f"**{term}**: {meaning}",
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
            markdown=True,
        )
        pdf.ln(0.8)


def write_pdf(content: ReportContent, path: Path) -> None:
    """Write the printable summary: headline, charts, kelurahan table, data quality."""
    charts = _draw_charts(content)
    for file_rows in FILE_ROW_LIMITS:
        pdf = _ReportPdf(content)
        _first_page(pdf, content, charts)
        _months_page(pdf, content, charts)
        _areas_page(pdf, content)
        _quality_page(pdf, content, file_rows)
        if pdf.page_no() <= MAX_PAGES:
            break
    with _replacing(path) as temporary:
        pdf.output(str(temporary))
