"""Assemble every published table from the per-file results of one run."""

from __future__ import annotations

import polars as pl

from schemas.columns import FILE_LOADED
from transforms import marts
from transforms.enrolments import build_enrolments
from transforms.program import RULES_VERSION, ProgramRules


def reference_tables(
    kelurahan: pl.DataFrame, rules: ProgramRules, program_name: str, input_fingerprint: str = ""
) -> dict[str, pl.DataFrame]:
    """Return ref.program, ref.kelurahan and ref.category for these settings."""
    program = pl.DataFrame(
        {
            "program_name": [program_name],
            "launch_date": [rules.launch_date],
            "start_date_min": [rules.start_date_min],
            "start_date_max": [rules.start_date_max],
            "monthly_premium_idr": [rules.monthly_premium_idr],
            "rules_version": [RULES_VERSION],
            "input_fingerprint": [input_fingerprint],
        }
    )
    category = pl.DataFrame(
        {
            "category": [category.code for category in rules.categories],
            "label": [category.label for category in rules.categories],
            "target": [category.target for category in rules.categories],
            "months": [category.months for category in rules.categories],
            "monthly_premium_idr": [rules.monthly_premium_idr for _ in rules.categories],
        }
    )
    places = kelurahan.select(
        "kode_kecamatan", "kecamatan", "kode_kelurahan", "kelurahan", "kode_pos"
    ).sort("kode_kelurahan")
    return {"ref.program": program, "ref.kelurahan": places, "ref.category": category}


def enrolment_candidates(enrolment_rows: pl.DataFrame, file_loads: pl.DataFrame) -> pl.DataFrame:
    """Attach each accepted row's delivery rank and date from its file."""
    loaded = file_loads.filter(pl.col("status") == FILE_LOADED)
    files = loaded.get_column("source_file")
    source_file = pl.col("source_file")
    return enrolment_rows.filter(source_file.is_in(files.implode())).with_columns(
        delivery_rank=source_file.replace_strict(files, loaded.get_column("delivery_rank")),
        delivery_date=source_file.replace_strict(files, loaded.get_column("delivery_date")),
    )


def statistics_tables(
    counts: pl.DataFrame, persons_monthly: pl.DataFrame, rules: ProgramRules
) -> dict[str, pl.DataFrame]:
    """Compute every mart from the enrolment counts and the persons covered per month."""
    coverage = marts.coverage_monthly(counts)
    city = marts.coverage_city_monthly(coverage)
    return {
        "mart.coverage_monthly": coverage,
        "mart.coverage_kecamatan_monthly": marts.coverage_kecamatan_monthly(coverage),
        "mart.coverage_city_monthly": city,
        "mart.persons_city_monthly": persons_monthly,
        "mart.progress_by_category": marts.progress_by_category(counts, rules),
        "mart.premium_monthly": marts.premium_monthly(city, rules.monthly_premium_idr),
        "mart.participants_by_kecamatan_sex_age": marts.participants_by_kecamatan_sex_age(counts),
    }


def audit_tables(
    file_loads: pl.DataFrame, rejected: pl.DataFrame, warnings: pl.DataFrame, runs: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    """Return the audit tables, rows in file and row order."""
    return {
        "audit.file_loads": file_loads,
        "audit.rejected_rows": rejected.sort("source_file", "source_sheet", "source_row"),
        "audit.row_warnings": warnings.sort("source_file", "source_sheet", "source_row"),
        "audit.runs": runs,
    }


def published_tables(
    *,
    file_loads: pl.DataFrame,
    enrolment_rows: pl.DataFrame,
    rejected: pl.DataFrame,
    warnings: pl.DataFrame,
    runs: pl.DataFrame,
    kelurahan: pl.DataFrame,
    rules: ProgramRules,
    program_name: str,
    input_fingerprint: str = "",
) -> dict[str, pl.DataFrame]:
    """Return every table of the published database, keyed by its qualified name.

    Everything is built in memory at once, for inputs small enough to hold; a nightly run
    builds core.enrolment one range of person keys at a time (flows.pipeline) from the
    same functions.
    """
    candidates = enrolment_candidates(enrolment_rows, file_loads)
    enrolments = build_enrolments(candidates, kelurahan, rules.months_by_category)
    counts = marts.enrolment_counts(enrolments)
    return {
        **reference_tables(kelurahan, rules, program_name, input_fingerprint),
        "core.enrolment": enrolments,
        **statistics_tables(counts, marts.persons_city_monthly(enrolments), rules),
        **audit_tables(file_loads, rejected, warnings, runs),
    }


def person_key_ranges(enrolment_rows: int, rows_per_range: int) -> list[tuple[str, str | None]]:
    """Split person keys into ranges of their first two hex digits, about rows_per_range each.

    Keys are evenly spread hex digests, so 2^k ranges of equal width hold about equal
    rows. Every key falls in exactly one range: the first starts at "" and the last is open.
    """
    ranges = 1
    while ranges < 256 and enrolment_rows > ranges * rows_per_range:
        ranges *= 2
    starts = ["", *(f"{index * 256 // ranges:02x}" for index in range(1, ranges))]
    return [
        (start, starts[index + 1] if index + 1 < ranges else None)
        for index, start in enumerate(starts)
    ]


def in_person_key_range(start: str, end: str | None) -> pl.Expr:
    """Tell whether a row's person_key lies in [start, end); end None means no upper bound.

    A missing key belongs to the first range, so that no row falls outside every range.
    """
    key = pl.col("person_key")
    in_range = key >= start if end is None else (key >= start) & (key < end)
    return in_range | key.is_null() if start == "" else in_range
