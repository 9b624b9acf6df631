"""Properties that hold for any valid deliveries: the marts equal a brute-force count, totals
agree at every level, and neither running again nor renaming files changes a number.

Hypothesis draws the deliveries: persons, categories, kelurahan, start and end dates written
in every contract format, corrections in later deliveries, duplicates inside a file, a file
sent twice, CSV or XLSX, and the dates in the file names that order the deliveries.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import database, pipeline
from flows.config import Settings, load_settings
from flows.extracts import discover_extracts
from flows.history import utc_now
from flows.ingest import load_reference, process_with_cache, settings_fingerprint
from flows.pipeline import assemble_tables, publish
from flows.secrets import key_fingerprint
from tests.conftest import REFERENCE_DIR, TEST_NIK_KEY, write_test_config

KEY = TEST_NIK_KEY.encode()
REFERENCE = load_reference(REFERENCE_DIR)
KELURAHAN = REFERENCE.kelurahan.select("kode_kelurahan", "kelurahan", "kode_kecamatan").rows()
MONTH_NAMES = (
    "Januari",
    "Feb",
    "Maret",
    "Apr",
    "Mei",
    "Juni",
    "Jul",
    "Agu",
    "Sep",
    "Okt",
    "Nov",
    "Des",
)
CATEGORY_WRITINGS = {
    "pekerja_rentan": ("Pekerja Rentan", "rentan", "PR", "P.R."),
    "sawit_bpu": ("Pekerja Sawit BPU", "sawit", "BPU Sawit", "pekerja kelapa sawit bpu"),
}
NAME_WORDS = ("kiriman", "data", "peserta", "kec", "tambahan", "koreksi", "final", "rekap")
FOLDERS = ("", "kecamatan/", "kiriman/lama/", "sawit/")
COMPARED = sorted(
    table for table in database.PUBLISHED_MODELS if table.startswith(("mart.", "core."))
)
# Deliveries are at least one day apart, so a rename never changes their order.
FIRST_DELIVERY = date(2025, 12, 1)


@dataclass(frozen=True)
class Row:
    serial: int
    category: str
    kelurahan: int
    start: date
    end: date | None
    category_text: str
    date_style: int


@dataclass(frozen=True)
class Delivery:
    day: int
    rows: tuple[Row, ...]
    kind: str
    folder: str
    words: tuple[str, ...]
    compact_date: bool

    @property
    def delivery_date(self) -> date:
        return FIRST_DELIVERY + timedelta(days=self.day)

    def name(self) -> str:
        stamp = self.delivery_date.strftime("%Y%m%d" if self.compact_date else "%Y-%m-%d")
        suffix = ".xlsx" if self.kind == "xlsx" else ".csv"
        return f"{self.folder}{self.words[0]}_{stamp}_{'_'.join(self.words[1:])}{suffix}"


@dataclass(frozen=True)
class Plan:
    deliveries: tuple[Delivery, ...]
    resent: int | None  # a delivery sent again, unchanged, on a later day


def nik(serial: int) -> str:
    """A valid invented NIK; odd serials are women (day of birth + 40)."""
    day = 1 + serial % 28 + (40 if serial % 2 else 0)
    return f"617201{day:02d}{1 + serial % 12:02d}85{serial:04d}"


def written_date(value: date, style: int) -> str:
    if style == 0:
        return value.isoformat()
    if style == 1:
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    if style == 2:
        return f"{value.day}-{value.month}-{value.year}"
    if style == 3:
        return f"{value.day:02d}.{value.month:02d}.{value.year} 00:00"
    return f"{value.day} {MONTH_NAMES[value.month - 1]} {value.year}"


@st.composite
def rows(draw: st.DrawFn) -> Row:
    category = draw(st.sampled_from(sorted(CATEGORY_WRITINGS)))
    start = draw(st.dates(date(2025, 1, 1), date(2026, 12, 31)))
    end = draw(st.none() | st.integers(0, 500).map(lambda days: start + timedelta(days=days)))
    return Row(
        serial=draw(st.integers(1, 14)),
        category=category,
        kelurahan=draw(st.integers(0, len(KELURAHAN) - 1)),
        start=start,
        end=end,
        category_text=draw(st.sampled_from(CATEGORY_WRITINGS[category])),
        date_style=draw(st.integers(0, 4)),
    )


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    days = draw(st.lists(st.integers(0, 120), min_size=1, max_size=4, unique=True))
    deliveries = tuple(
        Delivery(
            day=day,
            rows=tuple(draw(st.lists(rows(), min_size=1, max_size=8))),
            kind=draw(st.sampled_from(["csv;", "csv,", "csv\t", "xlsx"])),
            folder=draw(st.sampled_from(FOLDERS)),
            words=tuple(draw(st.lists(st.sampled_from(NAME_WORDS), min_size=2, max_size=3))),
            compact_date=draw(st.booleans()),
        )
        for day in days
    )
    resent = draw(st.none() | st.integers(0, len(deliveries) - 1))
    return Plan(deliveries=deliveries, resent=resent)


def cells(row: Row) -> list[str]:
    _, kelurahan, _ = KELURAHAN[row.kelurahan]
    return [
        nik(row.serial),
        f"Peserta {row.serial}",
        kelurahan,
        row.category_text,
        written_date(row.start, row.date_style),
        "" if row.end is None else written_date(row.end, row.date_style),
    ]


HEADER = ["NIK", "Nama Lengkap", "Kelurahan", "Kategori", "TMT", "Tanggal Akhir"]


def write_delivery(raw: Path, delivery: Delivery) -> Path:
    path = raw / delivery.name()
    path.parent.mkdir(parents=True, exist_ok=True)
    table = [HEADER, *(cells(row) for row in delivery.rows)]
    if delivery.kind == "xlsx":
        workbook = xlsxwriter.Workbook(str(path))
        workbook.set_properties({"created": datetime(2025, 12, 1)})
        sheet = workbook.add_worksheet("Peserta")
        sheet.write_string(0, 0, "DAFTAR PESERTA")
        for r, values in enumerate(table, start=2):
            for c, value in enumerate(values):
                if value:
                    sheet.write_string(r, c, value)
        workbook.close()
    else:
        text = io.StringIO()
        csv.writer(text, delimiter=delivery.kind[3], lineterminator="\r\n").writerows(table)
        path.write_text(text.getvalue(), encoding="utf-8")
    return path


def write_plan(raw: Path, plan: Plan) -> list[str]:
    """Write every delivery (and the re-sent copy); return each delivery's SHA-256."""
    written = [write_delivery(raw, delivery) for delivery in plan.deliveries]
    if plan.resent is not None:
        last = max(delivery.day for delivery in plan.deliveries)
        again = replace(plan.deliveries[plan.resent], day=last + 1, folder="kirim_ulang/")
        target = raw / again.name()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(written[plan.resent], target)
    return [hashlib.sha256(path.read_bytes()).hexdigest() for path in written]


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def delivered(plan: Plan, shas: list[str]) -> list[Delivery]:
    """The deliveries in date order, without any whose bytes were delivered before."""
    seen: set[str] = set()
    kept = []
    for delivery, sha in sorted(zip(plan.deliveries, shas, strict=True), key=lambda i: i[0].day):
        if sha not in seen:
            seen.add(sha)
            kept.append(delivery)
    return kept


def final_enrolments(plan: Plan, shas: list[str]) -> dict[tuple[int, str], Row]:
    """The contract by brute force: deliveries in date order, the first row of a (person,
    category) inside a file, the latest delivery's row across files; a copy of bytes
    delivered before counts nothing."""
    final: dict[tuple[int, str], Row] = {}
    for delivery in delivered(plan, shas):
        first_in_file: dict[tuple[int, str], Row] = {}
        for row in delivery.rows:
            first_in_file.setdefault((row.serial, row.category), row)
        final.update(first_in_file)
    return final


def covered_months(row: Row, months: dict[str, int]) -> list[date]:
    count = months[row.category]
    if row.end is not None:
        until_end = (row.end.year - row.start.year) * 12 + row.end.month - row.start.month + 1
        count = min(count, until_end)
    return [add_months(row.start.replace(day=1), offset) for offset in range(count)]


def expected_coverage(
    final: dict[tuple[int, str], Row], months: dict[str, int]
) -> Counter[tuple[str, str, date]]:
    coverage: Counter[tuple[str, str, date]] = Counter()
    for (_, category), row in final.items():
        for month in covered_months(row, months):
            coverage[(category, KELURAHAN[row.kelurahan][0], month)] += 1
    return coverage


def duplicates_in_files(deliveries: list[Delivery]) -> int:
    return sum(
        len(delivery.rows) - len({(row.serial, row.category) for row in delivery.rows})
        for delivery in deliveries
    )


@contextmanager
def jamsos_folder() -> Iterator[Settings]:
    with tempfile.TemporaryDirectory(prefix="jamsos-sifat-") as folder:
        yield load_settings(write_test_config(Path(folder)), environ={})


def build_tables(
    settings: Settings, cache: bool = False, enrolments_per_part: int | None = None
) -> dict[str, pl.DataFrame]:
    """Run discover, ingest and assemble (no publish): the tables a run would publish.

    enrolments_per_part, when given, builds core.enrolment in parts of about that many rows.
    """
    files = discover_extracts(settings.paths.raw_dir)
    fingerprint = settings_fingerprint(settings.rules, REFERENCE, key_fingerprint(KEY))
    cache_dir = settings.paths.cache_dir if cache else None
    results = [
        process_with_cache(file, REFERENCE, settings.rules, KEY, cache_dir, fingerprint)
        for file in files
    ]
    per_part = enrolments_per_part or pipeline.ENROLMENTS_PER_PART
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "ENROLMENTS_PER_PART", per_part)
        assembly = assemble_tables(
            settings, files, results, REFERENCE.kelurahan, "sifat", utc_now()
        )
    enrolment = database.read_table(assembly.database, "core.enrolment")
    database.clear_assembled(database.DatabasePaths(settings.paths.db))
    return {**assembly.tables, "core.enrolment": enrolment}


def months_by_category(settings: Settings) -> dict[str, int]:
    return {category.code: category.months for category in settings.rules.categories}


def as_counter(coverage: pl.DataFrame) -> Counter[tuple[str, str, date]]:
    return Counter(
        {
            (category, code, month): participants
            for category, code, month, participants in coverage.select(
                "category", "kode_kelurahan", "coverage_month", "participants"
            ).iter_rows()
        }
    )


def sorted_frame(frame: pl.DataFrame, drop: tuple[str, ...] = ()) -> pl.DataFrame:
    kept = frame.drop([name for name in drop if name in frame.columns])
    return kept.sort(pl.all())


PROPERTY_SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)


@pytest.mark.slow
@settings(PROPERTY_SETTINGS, max_examples=30)
@given(plan=plans())
def test_marts_equal_a_brute_force_count_and_agree_at_every_level(plan: Plan) -> None:
    with jamsos_folder() as config:
        shas = write_plan(config.paths.raw_dir, plan)
        tables = build_tables(config)
    months = months_by_category(config)
    kept = delivered(plan, shas)
    final = final_enrolments(plan, shas)

    loads = tables["audit.file_loads"]
    duplicates = len(plan.deliveries) + (plan.resent is not None) - len(kept)
    assert sorted(loads.get_column("status").to_list()) == sorted(
        ["loaded"] * len(kept) + ["duplicate"] * duplicates
    )
    assert int(loads.get_column("rows_rejected").sum()) == duplicates_in_files(kept)
    assert loads.filter(
        pl.col("rows_read") != pl.col("rows_accepted") + pl.col("rows_rejected")
    ).is_empty()
    assert set(tables["audit.rejected_rows"].get_column("reason").to_list()) <= {
        "duplicate_in_file"
    }

    coverage = tables["mart.coverage_monthly"]
    assert as_counter(coverage) == expected_coverage(final, months)

    kecamatan = tables["mart.coverage_kecamatan_monthly"]
    summed = coverage.group_by("category", "kode_kecamatan", "coverage_month").agg(
        pl.col("participants").sum()
    )
    assert sorted_frame(kecamatan.select(summed.columns)).equals(sorted_frame(summed))
    city = tables["mart.coverage_city_monthly"]
    summed_city = kecamatan.group_by("category", "coverage_month").agg(pl.col("participants").sum())
    assert sorted_frame(city.select(summed_city.columns)).equals(sorted_frame(summed_city))

    persons_by_month: dict[date, set[int]] = {}
    for (serial, _), row in final.items():
        for month in covered_months(row, months):
            persons_by_month.setdefault(month, set()).add(serial)
    persons = tables["mart.persons_city_monthly"]
    assert dict(persons.select("coverage_month", "persons").iter_rows()) == {
        month: len(serials) for month, serials in persons_by_month.items()
    }

    progress = tables["mart.progress_by_category"].rows_by_key("category", named=True, unique=True)
    for category in months:
        in_category = [row for key, row in final.items() if key[1] == category]
        assert progress[category]["enrolments"] == len(in_category)
        assert progress[category]["persons"] == len(in_category)
        assert progress[category]["premium_months"] == sum(
            len(covered_months(row, months)) for row in in_category
        )
    premium = tables["mart.premium_monthly"]
    assert premium.filter(
        pl.col("premium_idr") != pl.col("premium_months") * config.rules.monthly_premium_idr
    ).is_empty()
    assert int(premium.get_column("premium_months").sum()) == sum(
        len(covered_months(row, months)) for row in final.values()
    )
    assert tables["core.enrolment"].height == len(final)


@settings(PROPERTY_SETTINGS, max_examples=8)
@given(plan=plans())
def test_running_again_with_or_without_stored_results_changes_nothing(plan: Plan) -> None:
    with jamsos_folder() as config:
        write_plan(config.paths.raw_dir, plan)
        fresh = build_tables(config)
        storing = build_tables(config, cache=True)
        reusing = build_tables(config, cache=True)
    for table in [*COMPARED, "audit.file_loads", "audit.rejected_rows", "audit.row_warnings"]:
        assert sorted_frame(storing[table]).equals(sorted_frame(fresh[table])), table
        assert sorted_frame(reusing[table]).equals(sorted_frame(fresh[table])), table


@settings(PROPERTY_SETTINGS, max_examples=8)
@given(plan=plans(), per_part=st.integers(min_value=1, max_value=40))
def test_building_enrolments_in_parts_changes_nothing(plan: Plan, per_part: int) -> None:
    with jamsos_folder() as config:
        write_plan(config.paths.raw_dir, plan)
        whole = build_tables(config)
        in_parts = build_tables(config, enrolments_per_part=per_part)
    for table in COMPARED:
        assert sorted_frame(in_parts[table]).equals(sorted_frame(whole[table])), table
    assert in_parts["core.enrolment"].height == whole["core.enrolment"].height


def renamed(plan: Plan, words: tuple[str, ...], folder: str) -> Plan:
    return Plan(
        deliveries=tuple(
            replace(
                delivery,
                words=tuple(reversed(delivery.words)) + words,
                folder=folder,
                compact_date=not delivery.compact_date,
            )
            for delivery in plan.deliveries
        ),
        resent=plan.resent,
    )


@settings(PROPERTY_SETTINGS, max_examples=8)
@given(
    plan=plans(),
    words=st.lists(st.sampled_from(NAME_WORDS), min_size=1, max_size=2).map(tuple),
    folder=st.sampled_from(FOLDERS),
)
def test_renaming_files_without_changing_their_dates_changes_nothing(
    plan: Plan, words: tuple[str, ...], folder: str
) -> None:
    path_columns = ("source_file",)
    with jamsos_folder() as config:
        write_plan(config.paths.raw_dir, plan)
        before = build_tables(config)
    with jamsos_folder() as config:
        write_plan(config.paths.raw_dir, renamed(plan, words, folder))
        after = build_tables(config)
    for table in COMPARED:
        assert sorted_frame(after[table], path_columns).equals(
            sorted_frame(before[table], path_columns)
        ), table


@settings(PROPERTY_SETTINGS, max_examples=4)
@given(plan=plans())
def test_published_coverage_monthly_equals_the_brute_force_count(plan: Plan) -> None:
    with jamsos_folder() as config:
        shas = write_plan(config.paths.raw_dir, plan)
        publish(config, build_tables(config), lambda _: None)
        connection = duckdb.connect(str(config.paths.db), read_only=True)
        try:
            coverage = pl.from_arrow(
                connection.sql("SELECT * FROM mart.coverage_monthly").to_arrow_table()
            )
        finally:
            connection.close()
        months = months_by_category(config)
    assert isinstance(coverage, pl.DataFrame)
    assert coverage.schema["coverage_month"] == pl.Date
    assert coverage.schema["participants"] == pl.Int64
    assert as_counter(coverage) == expected_coverage(final_enrolments(plan, shas), months)
