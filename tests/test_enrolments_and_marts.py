"""Given rows, expected rows: corrections, coverage windows and every mart."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import polars as pl
import pytest

from tests.conftest import DEFAULT_RULES
from transforms import marts
from transforms.enrolments import (
    add_coverage_window,
    build_enrolments,
    hmac_sha256_hex,
    resolve_corrections,
)

RULES = DEFAULT_RULES
KELURAHAN = pl.DataFrame(
    {
        "kode_kecamatan": ["61.72.01", "61.72.01", "61.72.02"],
        "kecamatan": ["Singkawang Tengah", "Singkawang Tengah", "Singkawang Barat"],
        "kode_kelurahan": ["61.72.01.1001", "61.72.01.1002", "61.72.02.1003"],
        "kelurahan": ["Roban", "Condong", "Tengah"],
        "kode_pos": ["79112", "79111", "79121"],
    }
)


def candidate(
    person: str,
    category: str,
    kelurahan: str,
    start: date,
    end: date | None = None,
    rank: int = 1,
    row: int = 2,
) -> dict[str, object]:
    return {
        "source_file": f"file{rank}.csv",
        "source_sheet": None,
        "source_row": row,
        "person_key": person * 64,
        "nik_masked": "6172********0001",
        "category": category,
        "kode_kelurahan": kelurahan,
        "start_date": start,
        "end_date": end,
        "sex": "L",
        "age_group": "25-34",
        "delivery_rank": rank,
        "delivery_date": date(2025, 12, rank),
    }


def frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema_overrides={"source_sheet": pl.String, "end_date": pl.Date},
    )


def test_hmac_matches_the_standard_library() -> None:
    key = b"a-secret-key-of-some-length"
    values = pl.Series(["6172015508900001", "6172015508900002", "6172015508900001"])
    expected = [hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values]
    assert hmac_sha256_hex(values, key).to_list() == expected


def test_later_delivery_replaces_earlier_row() -> None:
    rows = frame(
        [
            candidate("a", "pekerja_rentan", "61.72.01.1001", date(2025, 12, 15), rank=1),
            candidate("a", "pekerja_rentan", "61.72.01.1002", date(2026, 1, 5), rank=3),
            candidate("a", "sawit_bpu", "61.72.01.1001", date(2025, 12, 15), rank=2),
        ]
    )
    resolved = resolve_corrections(rows).sort("category")
    assert resolved.select("category", "kode_kelurahan", "replaced_rows").rows() == [
        ("pekerja_rentan", "61.72.01.1002", 1),
        ("sawit_bpu", "61.72.01.1001", 0),
    ]
    assert "delivery_rank" not in resolved.columns


@pytest.mark.parametrize(
    ("category", "start", "end", "first", "last", "months"),
    [
        ("pekerja_rentan", date(2025, 12, 15), None, date(2025, 12, 1), date(2026, 4, 1), 5),
        ("sawit_bpu", date(2025, 12, 15), None, date(2025, 12, 1), date(2026, 11, 1), 12),
        (
            "pekerja_rentan",
            date(2025, 12, 15),
            date(2026, 2, 10),
            date(2025, 12, 1),
            date(2026, 2, 1),
            3,
        ),
        (
            "pekerja_rentan",
            date(2025, 12, 15),
            date(2027, 6, 30),
            date(2025, 12, 1),
            date(2026, 4, 1),
            5,
        ),
        (
            "sawit_bpu",
            date(2026, 1, 31),
            date(2026, 1, 31),
            date(2026, 1, 1),
            date(2026, 1, 1),
            1,
        ),
    ],
)
def test_coverage_window_is_months_of_the_category_cut_by_end_date(
    category: str, start: date, end: date | None, first: date, last: date, months: int
) -> None:
    rows = frame([candidate("a", category, "61.72.01.1001", start, end)])
    windowed = add_coverage_window(rows, RULES.months_by_category)
    assert windowed.select("coverage_start_month", "coverage_end_month", "coverage_months").row(
        0
    ) == (first, last, months)


def small_enrolments() -> pl.DataFrame:
    rows = frame(
        [
            candidate("a", "pekerja_rentan", "61.72.01.1001", date(2025, 12, 15)),
            candidate("a", "sawit_bpu", "61.72.02.1003", date(2026, 3, 1)),
            candidate("b", "pekerja_rentan", "61.72.01.1001", date(2026, 1, 2), date(2026, 2, 1)),
            candidate("c", "pekerja_rentan", "61.72.01.1002", date(2025, 12, 15)),
        ]
    )
    return build_enrolments(rows, KELURAHAN, RULES.months_by_category)


def test_coverage_monthly_counts_persons_per_kelurahan_and_month() -> None:
    coverage = marts.coverage_monthly(small_enrolments())
    rentan_roban = coverage.filter(
        (pl.col("category") == "pekerja_rentan") & (pl.col("kode_kelurahan") == "61.72.01.1001")
    )
    assert rentan_roban.select("coverage_month", "participants").rows() == [
        (date(2025, 12, 1), 1),
        (date(2026, 1, 1), 2),
        (date(2026, 2, 1), 2),
        (date(2026, 3, 1), 1),
        (date(2026, 4, 1), 1),
    ]
    sawit = coverage.filter(pl.col("category") == "sawit_bpu")
    assert sawit.height == 12
    assert sawit.get_column("coverage_month").min() == date(2026, 3, 1)
    assert sawit.get_column("coverage_month").max() == date(2027, 2, 1)
    assert set(sawit.get_column("kecamatan")) == {"Singkawang Barat"}


def test_roll_ups_add_up_to_kecamatan_and_city() -> None:
    coverage = marts.coverage_monthly(small_enrolments())
    kecamatan = marts.coverage_kecamatan_monthly(coverage)
    city = marts.coverage_city_monthly(coverage)
    tengah_january = kecamatan.filter(
        (pl.col("category") == "pekerja_rentan")
        & (pl.col("kode_kecamatan") == "61.72.01")
        & (pl.col("coverage_month") == date(2026, 1, 1))
    )
    assert tengah_january.get_column("participants").to_list() == [3]
    assert city.get_column("participants").sum() == coverage.get_column("participants").sum()


def test_person_in_both_categories_counts_once_in_city_persons() -> None:
    enrolments = small_enrolments()
    persons = marts.persons_city_monthly(enrolments)
    march = persons.filter(pl.col("coverage_month") == date(2026, 3, 1))
    # a (both categories, counted once) and c; b ended in February.
    assert march.get_column("persons").to_list() == [2]
    december = persons.filter(pl.col("coverage_month") == date(2025, 12, 1))
    assert december.get_column("persons").to_list() == [2]


def test_progress_and_premium_follow_configuration() -> None:
    enrolments = small_enrolments()
    progress = marts.progress_by_category(enrolments, RULES)
    assert progress.select("category", "enrolments", "target", "premium_months").rows() == [
        ("pekerja_rentan", 3, 7737, 5 + 2 + 5),
        ("sawit_bpu", 1, 767, 12),
    ]
    assert progress.get_column("premium_idr").to_list() == [12 * 16_800, 12 * 16_800]
    city = marts.coverage_city_monthly(marts.coverage_monthly(enrolments))
    premium = marts.premium_monthly(city, 16_800)
    rentan = premium.filter(pl.col("category") == "pekerja_rentan")
    assert rentan.get_column("premium_idr").to_list() == [
        2 * 16_800,
        3 * 16_800,
        3 * 16_800,
        2 * 16_800,
        2 * 16_800,
    ]
    assert rentan.get_column("cumulative_premium_idr").to_list()[-1] == 12 * 16_800


def test_sex_and_age_breakdown_counts_every_enrolment_once() -> None:
    enrolments = small_enrolments()
    breakdown = marts.participants_by_kecamatan_sex_age(enrolments)
    assert breakdown.get_column("participants").sum() == enrolments.height
