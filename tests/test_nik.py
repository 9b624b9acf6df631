"""NIK cleaning, validation, masking, and what a NIK encodes."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.nik import (
    birth_date_from_nik,
    clean_nik,
    mask_digit_runs,
    mask_digit_runs_expr,
    mask_nik,
    nik_is_valid,
    sex_from_nik,
)


def _apply(expr_fn, values: list[str | None], *args) -> list:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(expr_fn(pl.col("v"), *args).alias("v"))["v"].to_list()


def _clean_and_check(values: list[str | None]) -> list[bool]:
    return _apply(lambda e: nik_is_valid(clean_nik(e)), values)


@pytest.mark.parametrize(
    ("written", "cleaned"),
    [
        ("6172010101900001", "6172010101900001"),
        ("'6172010101900001", "6172010101900001"),
        ("6172 0101 0190 0001", "6172010101900001"),
        ("' 6172 010101900001", "6172010101900001"),
        ("6172\u00a0010101900001", "6172010101900001"),
        ("6172\t010101900001", "6172010101900001"),
        ("'", None),
        (None, None),
    ],
)
def test_clean_nik_removes_spaces_and_a_leading_apostrophe(written, cleaned):
    assert _apply(clean_nik, [written]) == [cleaned]


@pytest.mark.parametrize(
    "nik",
    [
        "6172010101900001",  # day 01, month 01
        "6172013112900001",  # day 31, month 12
        "6172014101900001",  # woman, day 01 + 40
        "6172017112900001",  # woman, day 31 + 40
        "9171010101900001",  # another province is still a valid NIK
    ],
)
def test_valid_nik_passes(nik):
    assert _clean_and_check([nik]) == [True]


@pytest.mark.parametrize(
    "nik",
    [
        "617201010190001",  # 15 digits
        "61720101019000012",  # 17 digits
        "6.17201E+15",  # scientific notation: precision already lost
        "6,17201E+15",
        "6172010101900001.0",
        "6172-0101-0190-0001",
        "61720101019OOO01",  # letters O instead of zeros
        "6172010100900001",  # month 00
        "6172010113900001",  # month 13
        "6172013201900001",  # day 32
        "6172014001900001",  # day 40
        "6172017201900001",  # day 72
        "6172010001900001",  # day 00
        "",
    ],
)
def test_invalid_nik_fails(nik):
    assert _clean_and_check([nik]) == [False]


@pytest.mark.parametrize(
    ("nik", "masked"),
    [
        ("6172010101900001", "6172********0001"),
        ("617201010190001", "6172*******0001"),
        ("61720101019000012", "6172*********0012"),
        ("12345678", "12****78"),
        ("123", "***"),
        (None, None),
    ],
)
def test_mask_nik_keeps_first_and_last_four_of_long_values(nik, masked):
    assert _apply(mask_nik, [nik]) == [masked]


@given(st.text(alphabet="0123456789", min_size=1, max_size=40))
def test_masked_value_has_no_run_of_eight_digits(digits):
    masked = _apply(mask_nik, [digits])[0]
    assert re.search(r"\d{8}", masked) is None
    assert len(masked) == len(digits)


def test_mask_digit_runs_masks_every_sixteen_digit_run_in_a_message():
    message = "Header '6172010101900001' dan 61720101019000011; KPJ 12345678901"
    masked = mask_digit_runs(message)
    assert masked == "Header '6172********0001' dan 6172********0011; KPJ 12345678901"
    assert re.search(r"\d{16}", masked) is None


def test_mask_digit_runs_expression_agrees_with_the_python_helper():
    messages = ["NIK 6172010101900001 ganda", "tanpa angka", "61720101019000011"]
    assert _apply(mask_digit_runs_expr, messages) == [mask_digit_runs(m) for m in messages]


@pytest.mark.parametrize(
    ("nik", "sex"),
    [
        ("6172010101900001", "L"),
        ("6172013101900001", "L"),
        ("6172014101900001", "P"),
        ("6172017101900001", "P"),
        ("617201010190001", None),
    ],
)
def test_sex_is_read_from_the_day_digits(nik, sex):
    assert _apply(sex_from_nik, [nik]) == [sex]


@pytest.mark.parametrize(
    ("nik", "born"),
    [
        ("6172011508850001", date(1985, 8, 15)),
        ("6172015508850002", date(1985, 8, 15)),  # woman: 55 - 40
        ("6172010101050001", date(2005, 1, 1)),
        ("6172011512250001", date(2025, 12, 15)),  # on the reference date: 2000s
        ("6172011612250001", date(1925, 12, 16)),  # after the reference date: 1900s
        ("6172013102900001", None),  # 31 February does not exist
        ("617201010190001", None),
    ],
)
def test_birth_date_is_read_from_ddmmyy_with_century_before_reference_date(nik, born):
    assert _apply(birth_date_from_nik, [nik], date(2025, 12, 15)) == [born]


def born_by_calendar(nik: str, reference_date: date) -> date | None:
    """The birth date a NIK's DDMMYY digits name, read with Python's calendar."""
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if not (1 <= month <= 12 and (1 <= day <= 31 or 41 <= day <= 71)):
        return None
    day = day - 40 if day > 40 else day
    reference = (reference_date.year, reference_date.month, reference_date.day)
    century = 2000 if (2000 + year, month, day) <= reference else 1900
    try:
        return date(century + year, month, day)
    except ValueError:
        return None


@pytest.mark.parametrize(
    "reference_date",
    [date(2025, 12, 15), date(2024, 2, 29), date(2000, 2, 29), date(1999, 12, 31)],
)
def test_birth_date_agrees_with_the_calendar_for_every_ddmmyy(reference_date):
    niks = [
        f"617201{day:02d}{month:02d}{year:02d}0001"
        for day in range(73)
        for month in range(14)
        for year in range(100)
    ]
    expected = [born_by_calendar(nik, reference_date) for nik in niks]
    assert _apply(birth_date_from_nik, niks, reference_date) == expected


@st.composite
def valid_niks(draw) -> str:
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    day = draw(st.integers(1, 31)) + draw(st.sampled_from([0, 40]))
    month = draw(st.integers(1, 12))
    year = draw(st.integers(0, 99))
    serial = draw(st.integers(0, 9999))
    return f"{region}{day:02d}{month:02d}{year:02d}{serial:04d}"


@given(valid_niks(), st.sampled_from(["", "'"]), st.integers(0, 15))
def test_every_generated_valid_nik_passes_however_it_is_spaced(nik, prefix, space_at):
    written = f"{prefix}{nik[:space_at]} {nik[space_at:]}"
    assert _clean_and_check([written]) == [True]
    assert _apply(lambda e: mask_nik(clean_nik(e)), [written]) == [f"{nik[:4]}{'*' * 8}{nik[-4:]}"]
