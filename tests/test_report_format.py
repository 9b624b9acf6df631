"""Indonesian formatting of numbers, rupiah, percentages, months and formula-safe text."""

from __future__ import annotations

from datetime import date

import pytest

from transforms.report_format import (
    format_date,
    format_month,
    format_month_short,
    format_number,
    format_percent,
    format_rupiah,
    neutralise_formula,
)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (7737, 0, "7.737"),
        (767, 0, "767"),
        (0, 0, "0"),
        (1234567, 0, "1.234.567"),
        (-1234567, 0, "-1.234.567"),
        (12.345, 1, "12,3"),
        (12.35, 1, "12,4"),
        (2.5, 0, "3"),
        (1000.5, 2, "1.000,50"),
        (-0.04, 1, "0,0"),
    ],
)
def test_number_uses_dot_for_thousands_and_comma_for_decimals(
    value: float, decimals: int, expected: str
) -> None:
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(16800, "Rp16.800"), (649_908_000, "Rp649.908.000"), (0, "Rp0"), (-16800, "-Rp16.800")],
)
def test_rupiah_has_no_space_and_no_decimals(value: int, expected: str) -> None:
    assert format_rupiah(value) == expected


def test_percent_has_decimal_comma() -> None:
    assert format_percent(100.0) == "100,0%"
    assert format_percent(16.1561) == "16,2%"
    assert format_percent(16.1561, 2) == "16,16%"


@pytest.mark.parametrize(
    ("value", "full", "short"),
    [
        (date(2025, 12, 1), "Desember 2025", "Des 2025"),
        (date(2026, 5, 1), "Mei 2026", "Mei 2026"),
        (date(2026, 8, 1), "Agustus 2026", "Agu 2026"),
        (date(2026, 1, 31), "Januari 2026", "Jan 2026"),
    ],
)
def test_months_are_named_in_bahasa_indonesia(value: date, full: str, short: str) -> None:
    assert format_month(value) == full
    assert format_month_short(value) == short


def test_date_is_day_month_name_year() -> None:
    assert format_date(date(2025, 12, 15)) == "15 Desember 2025"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+62 812", "'+62 812"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Roban", "Roban"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_that_starts_a_formula_is_neutralised(text: str, expected: str) -> None:
    assert neutralise_formula(text) == expected
