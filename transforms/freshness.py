"""Warn staff when the data is stale, over target, or leaves a month uncovered."""

from __future__ import annotations

from datetime import date

import polars as pl

from schemas.columns import FILE_LOADED
from transforms.dates import as_date
from transforms.program import ProgramRules
from transforms.report_format import format_month


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def program_months(rules: ProgramRules, category: str, today: date) -> list[date]:
    """Return the months of a category's program period that have already begun.

    The period runs from the launch month for as many months as the category covers;
    months after today's month are left out because enrolments may still fill them.
    """
    first = rules.launch_date.replace(day=1)
    last = _add_months(first, rules.category(category).months - 1)
    current = today.replace(day=1)
    months: list[date] = []
    month = first
    while month <= min(last, current):
        months.append(month)
        month = _add_months(month, 1)
    return months


def stale_delivery_warnings(
    file_loads: pl.DataFrame, today: date, stale_after_days: int
) -> list[str]:
    """Warn when the latest loaded delivery is older than stale_after_days."""
    loaded = file_loads.filter(pl.col("status") == FILE_LOADED)
    if loaded.is_empty():
        return [
            "Belum ada satu pun kiriman data yang berhasil dimuat. Periksa folder data mentah "
            "dan daftar berkas yang ditolak."
        ]
    latest = as_date(loaded.get_column("delivery_date").max())
    age = (today - latest).days
    if age <= stale_after_days:
        return []
    return [
        f"Tidak ada kiriman data baru selama {age} hari: kiriman terakhir yang dimuat "
        f"bertanggal {latest.isoformat()} (batas {stale_after_days} hari). Hubungi BPJS "
        "Ketenagakerjaan Cabang Singkawang untuk ekstrak terbaru."
    ]


def over_target_warnings(progress: pl.DataFrame) -> list[str]:
    """Warn for every category whose enrolments exceed its target."""
    messages = []
    for row in progress.sort("category").iter_rows(named=True):
        if row["enrolments"] > row["target"]:
            excess = row["enrolments"] - row["target"]
            messages.append(
                f"Kepesertaan {row['label']} ({_number(row['enrolments'])}) melebihi target "
                f"{_number(row['target'])} sebanyak {_number(excess)} orang. Periksa apakah "
                "anggaran APBD mencukupi atau ada pendaftaran ganda."
            )
    return messages


def coverage_gap_warnings(coverage: pl.DataFrame, rules: ProgramRules, today: date) -> list[str]:
    """Warn for every category and month of its program period without any participant.

    coverage holds at least category, coverage_month and participants
    (mart.coverage_monthly or mart.coverage_city_monthly).
    """
    covered = set(
        coverage.filter(pl.col("participants") > 0)
        .select("category", "coverage_month")
        .unique()
        .iter_rows()
    )
    messages = []
    for category in rules.categories:
        empty = [
            month
            for month in program_months(rules, category.code, today)
            if (category.code, month) not in covered
        ]
        if empty:
            months = ", ".join(format_month(month) for month in empty)
            messages.append(
                f"{category.label}: tidak ada peserta yang ditanggung pada bulan {months}, "
                "padahal bulan itu masih dalam masa program. Periksa apakah ada kiriman data "
                "yang belum masuk."
            )
    return messages


def freshness_warnings(
    file_loads: pl.DataFrame,
    progress: pl.DataFrame,
    coverage: pl.DataFrame,
    rules: ProgramRules,
    today: date,
    stale_after_days: int,
) -> list[str]:
    """Return every freshness warning of a run, stale data first."""
    return [
        *stale_delivery_warnings(file_loads, today, stale_after_days),
        *over_target_warnings(progress),
        *coverage_gap_warnings(coverage, rules, today),
    ]
