"""Freshness warnings: stale deliveries, targets exceeded, months without coverage."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tests.conftest import DEFAULT_RULES
from transforms.freshness import (
    coverage_gap_warnings,
    freshness_warnings,
    over_target_warnings,
    program_months,
    stale_delivery_warnings,
)

RULES = DEFAULT_RULES


def file_loads(*deliveries: tuple[str, date]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "status": [status for status, _ in deliveries],
            "delivery_date": [delivered for _, delivered in deliveries],
        },
        schema={"status": pl.String, "delivery_date": pl.Date},
    )


def progress(rentan: int, sawit: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "category": ["pekerja_rentan", "sawit_bpu"],
            "label": ["Pekerja Rentan", "Pekerja Sawit Bukan Penerima Upah (BPU)"],
            "target": [7737, 767],
            "enrolments": [rentan, sawit],
        }
    )


def coverage(*months: tuple[str, date]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "category": [category for category, _ in months],
            "coverage_month": [month for _, month in months],
            "participants": [10] * len(months),
        },
        schema={"category": pl.String, "coverage_month": pl.Date, "participants": pl.Int64},
    )


def every_month(category: str, first: date, count: int) -> list[tuple[str, date]]:
    index = first.year * 12 + first.month - 1
    return [(category, date((index + n) // 12, (index + n) % 12 + 1, 1)) for n in range(count)]


@pytest.mark.parametrize(
    ("latest", "today", "stale"),
    [
        (date(2026, 1, 10), date(2026, 1, 17), False),
        (date(2026, 1, 10), date(2026, 1, 18), True),
        (date(2026, 1, 10), date(2026, 1, 10), False),
    ],
)
def test_delivery_older_than_the_limit_is_reported_stale(
    latest: date, today: date, stale: bool
) -> None:
    loads = file_loads(("loaded", date(2025, 12, 20)), ("loaded", latest))
    warnings = stale_delivery_warnings(loads, today, stale_after_days=7)
    assert bool(warnings) is stale
    if stale:
        assert latest.isoformat() in warnings[0]
        assert "8 hari" in warnings[0]


def test_rejected_and_duplicate_files_do_not_count_as_fresh_data() -> None:
    loads = file_loads(
        ("loaded", date(2025, 12, 20)),
        ("rejected", date(2026, 1, 30)),
        ("duplicate", date(2026, 1, 30)),
    )
    warnings = stale_delivery_warnings(loads, date(2026, 2, 1), stale_after_days=7)
    assert len(warnings) == 1
    assert "2025-12-20" in warnings[0]


def test_no_loaded_delivery_at_all_is_reported() -> None:
    warnings = stale_delivery_warnings(
        file_loads(("rejected", date(2026, 1, 1))), date(2026, 1, 2), 7
    )
    assert warnings and "Belum ada" in warnings[0]


def test_enrolments_above_target_are_reported_per_category() -> None:
    assert over_target_warnings(progress(7737, 767)) == []
    warnings = over_target_warnings(progress(7737, 770))
    assert len(warnings) == 1
    assert "Pekerja Sawit" in warnings[0]
    assert "melebihi target 767 sebanyak 3 orang" in warnings[0]
    assert "7.737" in over_target_warnings(progress(8000, 1))[0]


@pytest.mark.parametrize(
    ("category", "today", "expected"),
    [
        ("pekerja_rentan", date(2025, 11, 30), []),
        ("pekerja_rentan", date(2025, 12, 15), [date(2025, 12, 1)]),
        (
            "pekerja_rentan",
            date(2026, 2, 3),
            [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)],
        ),
        ("pekerja_rentan", date(2027, 1, 1), [m for _, m in every_month("", date(2025, 12, 1), 5)]),
        ("sawit_bpu", date(2027, 1, 1), [m for _, m in every_month("", date(2025, 12, 1), 12)]),
    ],
)
def test_program_period_runs_from_launch_month_and_stops_at_today(
    category: str, today: date, expected: list[date]
) -> None:
    assert program_months(RULES, category, today) == expected


def test_month_inside_the_program_period_without_participants_is_reported() -> None:
    covered = every_month("pekerja_rentan", date(2025, 12, 1), 5) + [
        item for item in every_month("sawit_bpu", date(2025, 12, 1), 12) if item[1].month != 3
    ]
    warnings = coverage_gap_warnings(coverage(*covered), RULES, date(2026, 11, 25))
    assert warnings == [
        "Pekerja Sawit Bukan Penerima Upah (BPU): tidak ada peserta yang ditanggung pada bulan "
        "Maret 2026, padahal bulan itu masih dalam masa program. Periksa apakah ada kiriman "
        "data yang belum masuk."
    ]


def test_months_after_today_or_after_the_period_are_not_gaps() -> None:
    covered = every_month("pekerja_rentan", date(2025, 12, 1), 2) + every_month(
        "sawit_bpu", date(2025, 12, 1), 2
    )
    assert coverage_gap_warnings(coverage(*covered), RULES, date(2026, 1, 20)) == []


def test_all_warnings_come_together_stale_first() -> None:
    warnings = freshness_warnings(
        file_loads(("loaded", date(2025, 12, 20))),
        progress(9000, 10),
        coverage(),
        RULES,
        today=date(2026, 1, 20),
        stale_after_days=7,
    )
    assert len(warnings) == 4
    assert warnings[0].startswith("Tidak ada kiriman data baru selama 31 hari")
    assert "Pekerja Rentan (9.000) melebihi target" in warnings[1]
    assert "Desember 2025, Januari 2026" in warnings[2]
    assert warnings[3].startswith("Pekerja Sawit")


def test_fresh_complete_data_gives_no_warning() -> None:
    covered = every_month("pekerja_rentan", date(2025, 12, 1), 5) + every_month(
        "sawit_bpu", date(2025, 12, 1), 12
    )
    assert (
        freshness_warnings(
            file_loads(("loaded", date(2026, 11, 20))),
            progress(100, 100),
            coverage(*covered),
            RULES,
            today=date(2026, 11, 25),
            stale_after_days=7,
        )
        == []
    )
