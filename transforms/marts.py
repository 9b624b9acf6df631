"""Aggregate enrolments into the published marts; every function is frame in, frame out."""

from __future__ import annotations

import polars as pl

from transforms.program import ProgramRules

PLACE_COLUMNS = ("kode_kelurahan", "kelurahan", "kode_kecamatan", "kecamatan")


def _spread_over_months(grouped: pl.DataFrame, keys: list[str], value: str) -> pl.DataFrame:
    """Spread counts of (start month, months) groups over each covered month and sum them."""
    return (
        grouped.with_columns(month_offset=pl.int_ranges(0, pl.col("coverage_months")))
        .explode("month_offset")
        .with_columns(
            coverage_month=pl.col("coverage_start_month").dt.offset_by(
                pl.format("{}mo", pl.col("month_offset"))
            )
        )
        .group_by(*keys, "coverage_month")
        .agg(pl.col(value).sum().cast(pl.Int64))
        .sort(*keys, "coverage_month")
    )


def coverage_monthly(enrolments: pl.DataFrame) -> pl.DataFrame:
    """Count participants per category, kelurahan and coverage month.

    Within one category a person has one enrolment and so one kelurahan: counting
    enrolments counts distinct persons.
    """
    keys = ["category", *PLACE_COLUMNS]
    grouped = enrolments.group_by(*keys, "coverage_start_month", "coverage_months").agg(
        participants=pl.len()
    )
    return _spread_over_months(grouped, keys, "participants").select(
        "category", *PLACE_COLUMNS, "coverage_month", "participants"
    )


def coverage_kecamatan_monthly(coverage: pl.DataFrame) -> pl.DataFrame:
    """Sum the kelurahan rows of each kecamatan."""
    return (
        coverage.group_by("category", "kode_kecamatan", "kecamatan", "coverage_month")
        .agg(pl.col("participants").sum().cast(pl.Int64))
        .sort("category", "kode_kecamatan", "coverage_month")
    )


def coverage_city_monthly(coverage: pl.DataFrame) -> pl.DataFrame:
    """Sum the kelurahan rows of the whole city per category."""
    return (
        coverage.group_by("category", "coverage_month")
        .agg(pl.col("participants").sum().cast(pl.Int64))
        .sort("category", "coverage_month")
    )


def persons_city_monthly(enrolments: pl.DataFrame) -> pl.DataFrame:
    """Count distinct persons covered per month in any category, each person once."""
    rows = enrolments.select("person_key", "coverage_start_month", "coverage_months")
    rows = rows.with_row_index("_row")
    several_rows = _rows_of_repeated_persons(rows)
    known = pl.col("person_key").is_not_null()
    several = pl.col("_row").is_in(several_rows.implode())
    single = (
        rows.filter(known & ~several)
        .group_by("coverage_start_month", "coverage_months")
        .agg(persons=pl.len())
    )
    single_by_month = _spread_over_months(single.with_columns(all=pl.lit(1)), ["all"], "persons")
    several_by_month = (
        rows.filter(known & several)
        .with_columns(month_offset=pl.int_ranges(0, pl.col("coverage_months")))
        .explode("month_offset")
        .with_columns(
            coverage_month=pl.col("coverage_start_month").dt.offset_by(
                pl.format("{}mo", pl.col("month_offset"))
            )
        )
        .group_by("coverage_month")
        .agg(persons=pl.col("person_key").n_unique().cast(pl.Int64))
    )
    return (
        pl.concat([single_by_month.select("coverage_month", "persons"), several_by_month])
        .group_by("coverage_month")
        .agg(pl.col("persons").sum().cast(pl.Int64))
        .sort("coverage_month")
    )


def _rows_of_repeated_persons(rows: pl.DataFrame) -> pl.Series:
    """Return the _row of every row whose person_key occurs more than once.

    Equal keys share their first hex digits, so the exact (slow) comparison of whole
    64-character keys runs only on rows whose 60-bit prefix repeats or is not hex.
    """
    prefix = pl.col("person_key").str.slice(0, 15).str.to_integer(base=16, strict=False)
    maybe = rows.filter(prefix.is_duplicated() | prefix.is_null())
    return maybe.filter(pl.col("person_key").is_duplicated()).get_column("_row")


def progress_by_category(enrolments: pl.DataFrame, rules: ProgramRules) -> pl.DataFrame:
    """Compare enrolments with each category's target and price the committed cover."""
    categories = pl.DataFrame(
        {
            "category": [category.code for category in rules.categories],
            "label": [category.label for category in rules.categories],
            "target": [category.target for category in rules.categories],
        },
        schema={"category": pl.String, "label": pl.String, "target": pl.Int64},
    )
    counts = enrolments.group_by("category").agg(
        enrolments=pl.len().cast(pl.Int64),
        persons=pl.col("person_key").n_unique().cast(pl.Int64),
        premium_months=pl.col("coverage_months").sum().cast(pl.Int64),
    )
    return (
        categories.join(counts, on="category", how="left")
        .with_columns(pl.col("enrolments", "persons", "premium_months").fill_null(0))
        .with_columns(
            percent_of_target=pl.when(pl.col("target") > 0)
            .then(pl.col("persons") * 100.0 / pl.col("target"))
            .otherwise(0.0),
            premium_idr=pl.col("premium_months") * rules.monthly_premium_idr,
        )
        .select(
            "category",
            "label",
            "target",
            "enrolments",
            "persons",
            "percent_of_target",
            "premium_months",
            "premium_idr",
        )
        .sort("category")
    )


def premium_monthly(city_monthly: pl.DataFrame, monthly_premium_idr: int) -> pl.DataFrame:
    """Price each category's covered person-months: the budget realisation per month."""
    return (
        city_monthly.sort("category", "coverage_month")
        .select(
            "category",
            "coverage_month",
            premium_months=pl.col("participants"),
            monthly_premium_idr=pl.lit(monthly_premium_idr, dtype=pl.Int64),
            premium_idr=pl.col("participants") * monthly_premium_idr,
        )
        .with_columns(cumulative_premium_idr=pl.col("premium_idr").cum_sum().over("category"))
    )


def participants_by_kecamatan_sex_age(enrolments: pl.DataFrame) -> pl.DataFrame:
    """Count enrolled persons per category, kecamatan, sex and age group."""
    return (
        enrolments.group_by("category", "kode_kecamatan", "kecamatan", "sex", "age_group")
        .agg(participants=pl.len().cast(pl.Int64))
        .sort("category", "kode_kecamatan", "sex", "age_group")
    )
