"""Format numbers, money, percentages and months the Indonesian way for reports."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MONTH_NAMES = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Mei",
    "Jun",
    "Jul",
    "Agu",
    "Sep",
    "Okt",
    "Nov",
    "Des",
)
# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def format_number(value: float, decimals: int = 0) -> str:
    """Write a number with '.' between thousands and ',' before decimals: 7737 -> '7.737'."""
    # Half up, as statistics offices round, not Python's half to even.
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    text = f"{abs(rounded):,.{decimals}f}"
    text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"-{text}" if rounded < 0 else text


def format_rupiah(value: float) -> str:
    """Write an amount of rupiah without decimals: 16800 -> 'Rp16.800'."""
    text = format_number(value)
    return f"-Rp{text[1:]}" if text.startswith("-") else f"Rp{text}"


def format_percent(value: float, decimals: int = 1) -> str:
    """Write a percentage (already times 100) with a decimal comma: 12.34 -> '12,3%'."""
    return f"{format_number(value, decimals)}%"


def format_month(value: date) -> str:
    """Write a month in full: date(2025, 12, 1) -> 'Desember 2025'."""
    return f"{MONTH_NAMES[value.month - 1]} {value.year}"


def format_month_short(value: date) -> str:
    """Write a month for a chart axis: date(2025, 12, 1) -> 'Des 2025'."""
    return f"{MONTH_ABBREVIATIONS[value.month - 1]} {value.year}"


def format_date(value: date) -> str:
    """Write a day in full: date(2025, 12, 15) -> '15 Desember 2025'."""
    return f"{value.day} {MONTH_NAMES[value.month - 1]} {value.year}"


def neutralise_formula(text: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would otherwise run as a formula."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text
