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
    deliveries = file_loads.filter(pl.col("status") == FILE_LOADED).select(
        "source_file", "delivery_rank", "delivery_date"
    )
    return enrolment_rows.join(deliveries, on="source_file", how="inner")


def statistics_tables(enrolments: pl.DataFrame, rules: ProgramRules) -> dict[str, pl.DataFrame]:
    """Compute every mart from core.enrolment."""
    coverage = marts.coverage_monthly(enrolments)
    city = marts.coverage_city_monthly(coverage)
    return {
        "mart.coverage_monthly": coverage,
        "mart.coverage_kecamatan_monthly": marts.coverage_kecamatan_monthly(coverage),
        "mart.coverage_city_monthly": city,
        "mart.persons_city_monthly": marts.persons_city_monthly(enrolments),
        "mart.progress_by_category": marts.progress_by_category(enrolments, rules),
        "mart.premium_monthly": marts.premium_monthly(city, rules.monthly_premium_idr),
        "mart.participants_by_kecamatan_sex_age": marts.participants_by_kecamatan_sex_age(
            enrolments
        ),
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
    """Return every table of the published database, keyed by its qualified name."""
    candidates = enrolment_candidates(enrolment_rows, file_loads)
    enrolments = build_enrolments(candidates, kelurahan, rules.months_by_category)
    return {
        **reference_tables(kelurahan, rules, program_name, input_fingerprint),
        "core.enrolment": enrolments,
        **statistics_tables(enrolments, rules),
        "audit.file_loads": file_loads,
        "audit.rejected_rows": rejected.sort("source_file", "source_sheet", "source_row"),
        "audit.row_warnings": warnings.sort("source_file", "source_sheet", "source_row"),
        "audit.runs": runs,
    }
