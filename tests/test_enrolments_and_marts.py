"""Given rows, expected rows: corrections, coverage windows and every mart."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import date, timedelta

import polars as pl
import pytest

from tests.conftest import DEFAULT_RULES
from transforms import marts
from transforms.enrolments import (
    AGE_GROUP_BOUNDS,
    AGE_GROUP_OLDEST,
    AGE_GROUP_UNKNOWN,
    add_coverage_window,
    age_group,
    build_enrolments,
    hmac_sha256_hex,
    privatise_accepted_rows,
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


def hmac_messages() -> list[str | None]:
    """A few hundred values: NIKs with duplicates, other text, escapes, nulls and the empty one."""
    rng = random.Random(20251201)
    niks = [f"6172{rng.randrange(10**12):012d}" for _ in range(200)]
    alphabet = "0123456789 abcXYZ'\"\\%_\x00\n\té€٣ñ漢😀"
    texts = ["".join(rng.choices(alphabet, k=rng.randrange(1, 90))) for _ in range(100)]
    odd = ["", " ", "\\x41", "'6172010101900001", "6172 0101 0190 0001", "x" * 200]
    values: list[str | None] = [*niks, *texts, *odd, None, *niks[:25], None, "", *texts[:5]]
    rng.shuffle(values)
    return values


@pytest.mark.parametrize("key_length", [0, 1, 16, 32, 63, 64, 65, 100])
@pytest.mark.parametrize("alphabet", ["0123456789abcdef", "aZ 9'\\\x00é€漢😀"])
def test_hmac_matches_the_standard_library(key_length: int, alphabet: str) -> None:
    text_key = "".join(random.Random(key_length).choices(alphabet, k=key_length))
    key = text_key.encode()
    values = hmac_messages()
    expected = [
        None if v is None else hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values
    ]
    keys = hmac_sha256_hex(pl.Series("nik", values, dtype=pl.String), key)
    assert keys.dtype == pl.String
    assert keys.name == "nik"
    assert keys.to_list() == expected


def test_hmac_of_many_values_keeps_their_order() -> None:
    key = b"a-secret-key-of-some-length"
    values = [f"{number:016d}" for number in range(50_001)]
    keys = hmac_sha256_hex(pl.Series("nik", values), key)
    for position in (0, 1, 24_999, 25_000, 25_001, 50_000):
        expected = hmac.new(key, values[position].encode(), hashlib.sha256).hexdigest()
        assert keys[position] == expected


def test_hmac_refuses_a_key_that_is_not_text() -> None:
    with pytest.raises(ValueError, match="UTF-8"):
        hmac_sha256_hex(pl.Series("nik", ["6172011508850001"]), b"\xff\xfe-not-text-at-all")


def test_hmac_of_no_values_is_an_empty_text_column() -> None:
    keys = hmac_sha256_hex(pl.Series("nik", [], dtype=pl.String), b"a-secret-key-of-some-length")
    assert keys.dtype == pl.String
    assert keys.len() == 0


def test_privatised_row_keeps_keyed_hash_masked_nik_sex_and_age_group() -> None:
    key = b"a-secret-key-of-some-length"
    niks = ["6172011508850001", "6172015508100002", "6172013102900003"]
    accepted = pl.DataFrame(
        {
            "source_file": "a.csv",
            "source_sheet": None,
            "source_row": [2, 3, 4],
            "nik": niks,
            "category": "pekerja_rentan",
            "kode_kelurahan": "61.72.01.1001",
            "start_date": date(2025, 12, 1),
            "end_date": None,
        },
        schema_overrides={"source_sheet": pl.String, "end_date": pl.Date},
    )
    rows = privatise_accepted_rows(accepted, key, date(2025, 12, 15))
    assert "nik" not in rows.columns
    assert rows["person_key"].to_list() == [
        hmac.new(key, nik.encode(), hashlib.sha256).hexdigest() for nik in niks
    ]
    assert rows.select("nik_masked", "sex", "age_group").rows() == [
        ("6172********0001", "L", "35-44"),
        ("6172********0002", "P", "15-24"),
        ("6172********0003", "L", AGE_GROUP_UNKNOWN),  # 31 February does not exist
    ]


def age_group_by_birthday(born: date | None, on: date) -> str:
    """The age group from whole years counted birthday by birthday."""
    if born is None:
        return AGE_GROUP_UNKNOWN
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return next((label for upper, label in AGE_GROUP_BOUNDS if years < upper), AGE_GROUP_OLDEST)


@pytest.mark.parametrize(
    "on", [date(2025, 12, 15), date(2024, 2, 29), date(2025, 2, 28), date(2025, 3, 1)]
)
def test_age_group_counts_whole_years_birthday_by_birthday(on: date) -> None:
    first = date(1950, 1, 1)
    births: list[date | None] = [first + timedelta(days=d) for d in range(31_000)]
    births.append(None)
    groups = pl.DataFrame({"born": births}, schema={"born": pl.Date}).select(
        age_group(pl.col("born"), on)
    )
    assert groups.to_series().to_list() == [age_group_by_birthday(b, on) for b in births]


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
    coverage = marts.coverage_monthly(marts.enrolment_counts(small_enrolments()))
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
    coverage = marts.coverage_monthly(marts.enrolment_counts(small_enrolments()))
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
    progress = marts.progress_by_category(marts.enrolment_counts(enrolments), RULES)
    assert progress.select("category", "enrolments", "target", "premium_months").rows() == [
        ("pekerja_rentan", 3, 7737, 5 + 2 + 5),
        ("sawit_bpu", 1, 767, 12),
    ]
    assert progress.get_column("premium_idr").to_list() == [12 * 16_800, 12 * 16_800]
    city = marts.coverage_city_monthly(marts.coverage_monthly(marts.enrolment_counts(enrolments)))
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
    breakdown = marts.participants_by_kecamatan_sex_age(marts.enrolment_counts(enrolments))
    assert breakdown.get_column("participants").sum() == enrolments.height
