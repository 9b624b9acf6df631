"""Read the dates the contract accepts: numeric day-first, ISO, and Indonesian month names."""

from __future__ import annotations

from datetime import date

import polars as pl

MONTHS: dict[str, int] = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "feb": 2,
    "maret": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "september": 9,
    "sep": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "desember": 12,
    "des": 12,
}

# A time after the date is ignored: a space or T, then H:MM or H.MM, optional :SS.
_TIME = r"(?:(?:\s+|T)(?:[01]?\d|2[0-3])[:.][0-5]\d(?::[0-5]\d)?)?"
_ISO = rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}$"
_DAY_FIRST = tuple(
    rf"^(\d{{1,2}}){separator}(\d{{1,2}}){separator}(\d{{4}}){_TIME}$"
    for separator in ("/", "-", r"\.")
)
_MONTH_NAME = rf"(?i)^(\d{{1,2}})\s+(\p{{L}}+)\s+(\d{{4}}){_TIME}$"


def _numeric_parts(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Return year, month and day text of the numeric formats, null where none applies."""
    years = [expr.str.extract(_ISO, 1)] + [expr.str.extract(p, 3) for p in _DAY_FIRST]
    months = [expr.str.extract(_ISO, 2)] + [expr.str.extract(p, 2) for p in _DAY_FIRST]
    days = [expr.str.extract(_ISO, 3)] + [expr.str.extract(p, 1) for p in _DAY_FIRST]
    return pl.coalesce(years), pl.coalesce(months), pl.coalesce(days)


def _month_name_parts(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Return year, month and day text of the `D <bulan> YYYY` format, null where it fails."""
    month = (
        expr.str.extract(_MONTH_NAME, 2)
        .str.to_lowercase()
        .replace_strict(MONTHS, default=None, return_dtype=pl.Int32)
        .cast(pl.String)
    )
    return expr.str.extract(_MONTH_NAME, 3), month, expr.str.extract(_MONTH_NAME, 1)


def _date_parts(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    numeric = _numeric_parts(expr)
    named = _month_name_parts(expr)
    year, month, day = (pl.coalesce(a, b) for a, b in zip(numeric, named, strict=True))
    return year, month, day


def date_follows_rule(expr: pl.Expr) -> pl.Expr:
    """Tell whether a text is written in one of the accepted date formats.

    True for 31/02/2026 too: whether the date exists is parse_contract_date's question.
    """
    year, month, day = _date_parts(expr)
    return pl.all_horizontal(year.is_not_null(), month.is_not_null(), day.is_not_null())


def parse_contract_date(expr: pl.Expr) -> pl.Expr:
    """Parse a date written in an accepted format, day first; null when it is no real date.

    Runs on any column; apply it to the distinct values of a large one and join back.
    """
    year, month, day = _date_parts(expr)
    iso = pl.format("{}-{}-{}", year, month.str.zfill(2), day.str.zfill(2))
    return iso.str.to_date("%Y-%m-%d", strict=False)


def as_date(value: object) -> date:
    """Return a scalar read from a polars Date column, such as `Series.max()`, as a date.

    polars types such scalars as any Python value; a null or another type raises TypeError.
    """
    if not isinstance(value, date):
        raise TypeError(f"expected a date, got {value!r}")
    return value
