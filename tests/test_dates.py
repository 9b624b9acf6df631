"""Reading tanggal_mulai and tanggal_akhir by the contract's date rule."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.dates import MONTHS, date_follows_rule, parse_contract_date


def _parse(values: list[str | None]) -> list[date | None]:
    frame = pl.DataFrame({"d": values}, schema={"d": pl.String})
    return frame.select(parse_contract_date(pl.col("d")).alias("d"))["d"].to_list()


def _follows_rule(values: list[str | None]) -> list[bool]:
    frame = pl.DataFrame({"d": values}, schema={"d": pl.String})
    return frame.select(date_follows_rule(pl.col("d")).alias("d"))["d"].to_list()


DEC_15 = date(2025, 12, 15)


@pytest.mark.parametrize(
    ("written", "parsed"),
    [
        ("2025-12-15", DEC_15),
        ("2026-2-1", date(2026, 2, 1)),
        ("15/12/2025", DEC_15),
        ("1/2/2026", date(2026, 2, 1)),
        ("15-12-2025", DEC_15),
        ("01-02-2026", date(2026, 2, 1)),
        ("15.12.2025", DEC_15),
        ("1.2.2026", date(2026, 2, 1)),
        ("2025-12-15 00:00:00", DEC_15),
        ("15/12/2025 0:00", DEC_15),
        ("2025-12-15T08.30", DEC_15),
        ("15.12.2025 23:59:59", DEC_15),
        ("15 Desember 2025", DEC_15),
        ("15 des 2025", DEC_15),
        ("15 DES 2025", DEC_15),
        ("3 Agt 2026", date(2026, 8, 3)),
        ("3 Agu 2026", date(2026, 8, 3)),
        ("3 agustus 2026", date(2026, 8, 3)),
        ("1 Mei 2026", date(2026, 5, 1)),
        ("29 Februari 2028", date(2028, 2, 29)),
    ],
)
def test_accepted_formats_are_read_day_first(written, parsed):
    assert _parse([written]) == [parsed]
    assert _follows_rule([written]) == [True]


def test_ambiguous_numeric_date_is_read_day_first():
    assert _parse(["02/03/2026", "2026-03-02"]) == [date(2026, 3, 2), date(2026, 3, 2)]


@pytest.mark.parametrize(
    "written",
    [
        "46006",  # a serial number as text is not a date
        "46006.0",
        "2025/12/15",
        "15/12/25",
        "15-12/2025",
        "15 Dec 2025",  # English month name
        "15 Desem 2025",
        "Desember 2025",
        "15/12/2025 24:00",
        "15/12/2025 8",
        "15/12/2025 pagi",
        "tgl 15/12/2025",
        "20251215",
        "",
        None,
    ],
)
def test_other_text_is_not_a_date_by_the_rule(written):
    assert _parse([written]) == [None]
    assert _follows_rule([written]) == [False]


@pytest.mark.parametrize(
    "written", ["31/02/2026", "29.02.2025", "2025-13-01", "0/12/2025", "31 April 2026"]
)
def test_date_by_the_rule_that_does_not_exist_is_null(written):
    assert _follows_rule([written]) == [True]
    assert _parse([written]) == [None]


def test_every_indonesian_month_name_and_short_form_is_known():
    assert sorted(set(MONTHS.values())) == list(range(1, 13))
    written = [f"1 {name} 2026" for name in MONTHS]
    assert _parse(written) == [date(2026, MONTHS[name], 1) for name in MONTHS]


_SHORT = {month: name for name, month in MONTHS.items() if len(name) == 3}
_LONG = {month: name for name, month in MONTHS.items() if len(name) > 3 or name == "mei"}

FORMATS = {
    "iso": lambda d: d.isoformat(),
    "slash": lambda d: f"{d.day}/{d.month}/{d.year}",
    "dash": lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
    "dot": lambda d: f"{d.day}.{d.month:02d}.{d.year}",
    "iso_time": lambda d: f"{d.isoformat()} 00:00:00",
    "iso_t_dot": lambda d: f"{d.isoformat()}T08.30",
    "slash_time": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year} 7:05",
    "month_name": lambda d: f"{d.day} {_LONG[d.month].title()} {d.year}",
    "month_short": lambda d: f"{d.day} {_SHORT.get(d.month, 'mei').upper()} {d.year}",
}


@given(st.dates(min_value=date(1000, 1, 1)), st.sampled_from(sorted(FORMATS)))
def test_any_date_written_in_an_accepted_format_parses_back(day, format_name):
    assert _parse([FORMATS[format_name](day)]) == [day]
