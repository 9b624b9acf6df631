"""Clean, validate and mask the NIK (Nomor Induk Kependudukan), and read what it encodes."""

from __future__ import annotations

import re
from datetime import date

import polars as pl

NIK_LENGTH = 16
NIK_PATTERN = r"^\d{16}$"
SCIENTIFIC_NOTATION_PATTERN = r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$"
_DIGIT_RUN = re.compile(r"(\d{4})\d{8,}(\d{4})")
_STARS = "*" * 64
_APOSTROPHES = ("'", "’")


def clean_nik(expr: pl.Expr) -> pl.Expr:
    """Remove every white space character and a leading apostrophe from a NIK."""
    no_space = expr.str.replace_all(r"\s", "")
    for apostrophe in _APOSTROPHES:
        no_space = no_space.str.strip_prefix(apostrophe)
    return pl.when(no_space.str.len_chars() > 0).then(no_space)


def _day_digits(expr: pl.Expr) -> pl.Expr:
    return expr.str.slice(6, 2).cast(pl.Int32, strict=False)


def _month_digits(expr: pl.Expr) -> pl.Expr:
    return expr.str.slice(8, 2).cast(pl.Int32, strict=False)


def _year_digits(expr: pl.Expr) -> pl.Expr:
    return expr.str.slice(10, 2).cast(pl.Int32, strict=False)


def nik_has_sixteen_digits(expr: pl.Expr) -> pl.Expr:
    """Tell whether a cleaned NIK is exactly 16 digits."""
    return expr.str.contains(NIK_PATTERN)


def nik_month_is_valid(expr: pl.Expr) -> pl.Expr:
    """Tell whether the birth-month digits (positions 9-10) are 01-12."""
    return _month_digits(expr).is_between(1, 12)


def nik_day_is_valid(expr: pl.Expr) -> pl.Expr:
    """Tell whether the birth-day digits (positions 7-8) are 01-31, or 41-71 for women."""
    day = _day_digits(expr)
    return day.is_between(1, 31) | day.is_between(41, 71)


def nik_is_scientific_notation(expr: pl.Expr) -> pl.Expr:
    """Tell whether a cleaned NIK is a number in scientific notation, such as 6.17201E+15."""
    return expr.str.contains(SCIENTIFIC_NOTATION_PATTERN)


def nik_is_valid(expr: pl.Expr) -> pl.Expr:
    """Tell whether a cleaned NIK is 16 digits with a possible birth day and month."""
    return (
        nik_has_sixteen_digits(expr)
        & nik_month_is_valid(expr).fill_null(False)
        & nik_day_is_valid(expr).fill_null(False)
    )


def mask_nik(expr: pl.Expr) -> pl.Expr:
    """Mask a cleaned NIK as 6172********0001, leaving no run of 8 or more characters.

    Values of 12 characters or more keep their first and last 4; shorter ones keep
    their first and last 2 (5 to 11 characters) or nothing (4 or fewer). Null stays null.
    """
    length = expr.str.len_chars()
    return (
        pl.when(expr.is_null())
        .then(None)
        .when(length >= 12)
        .then(
            pl.concat_str(
                expr.str.slice(0, 4),
                _stars(length - 8),
                expr.str.slice(-4, 4),
            )
        )
        .when(length >= 5)
        .then(
            pl.concat_str(
                expr.str.slice(0, 2),
                _stars(length - 4),
                expr.str.slice(-2, 2),
            )
        )
        .otherwise(_stars(length))
    )


def _stars(count: pl.Expr) -> pl.Expr:
    return pl.lit(_STARS).str.slice(0, count)


def mask_digit_runs_expr(expr: pl.Expr) -> pl.Expr:
    """Mask every run of 16 or more digits in a text column as 6172********0001."""
    return expr.str.replace_all(_DIGIT_RUN.pattern, "${1}********${2}")


def mask_digit_runs(text: str) -> str:
    """Mask every run of 16 or more digits in a text as 6172********0001."""
    return _DIGIT_RUN.sub(r"\1********\2", text)


def sex_from_nik(expr: pl.Expr) -> pl.Expr:
    """Read the sex from a valid NIK: "P" when the day digits carry the +40, else "L"."""
    return (
        pl.when(~nik_is_valid(expr))
        .then(None)
        .when(_day_digits(expr) > 40)
        .then(pl.lit("P"))
        .otherwise(pl.lit("L"))
    )


def birth_date_from_nik(expr: pl.Expr, reference_date: date) -> pl.Expr:
    """Read the birth date from a valid NIK's DDMMYY digits; null when it is no real date.

    A woman's day carries +40. A two-digit year that would put the birth after
    reference_date belongs to the 1900s.
    """
    # A valid day is 01-31, or 41-71 for a woman: modulo 40 reads both.
    month_day = _month_digits(expr) * 100 + _day_digits(expr) % 40
    yymmdd = _year_digits(expr) * 10_000 + month_day
    # YYMMDD numbers order real dates of one century as dates. A day missing from its 2000s
    # year (29 February 2001) is missing from its 1900s year too: one parse per NIK is enough.
    ref = reference_date
    in_2000s = yymmdd <= (ref.year - 2000) * 10_000 + ref.month * 100 + ref.day
    birth = (yymmdd + pl.when(in_2000s).then(20_000_000).otherwise(19_000_000)).cast(pl.String)
    return pl.when(nik_is_valid(expr)).then(birth.str.to_date("%Y%m%d", strict=False))
