"""Aggregate enrolments into the published marts; every function is frame in, frame out."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms.program import ProgramRules

PLACE_COLUMNS = ("kode_kelurahan", "kelurahan", "kode_kecamatan", "kecamatan")
COUNT_DIMENSIONS = (
    "category",
    *PLACE_COLUMNS,
    "coverage_start_month",
    "coverage_months",
    "sex",
    "age_group",
)


def enrolment_counts(enrolments: pl.DataFrame) -> pl.DataFrame:
    """Count enrolments per category, place, coverage window, sex and age group.

    Every mart but persons_city_monthly is a sum over these counts, so the counts of
    disjoint sets of enrolments add up to the counts of their union.
    """
    return enrolments.group_by(*COUNT_DIMENSIONS).agg(enrolments=pl.len().cast(pl.Int64))


def add_enrolment_counts(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Add up the enrolment counts of disjoint sets of enrolments."""
    return (
        pl.concat(parts).group_by(*COUNT_DIMENSIONS).agg(pl.col("enrolments").sum().cast(pl.Int64))
    )


def add_persons_city_monthly(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Add up persons_city_monthly of sets of enrolments that share no person."""
    return (
        pl.concat(parts)
        .group_by("coverage_month")
        .agg(pl.col("persons").sum().cast(pl.Int64))
        .sort("coverage_month")
    )


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


def coverage_monthly(counts: pl.DataFrame) -> pl.DataFrame:
    """Count participants per category, kelurahan and coverage month from enrolment counts.

    Within one category a person has one enrolment and so one kelurahan: counting
    enrolments counts distinct persons.
    """
    keys = ["category", *PLACE_COLUMNS]
    grouped = counts.group_by(*keys, "coverage_start_month", "coverage_months").agg(
        participants=pl.col("enrolments").sum()
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


@dataclass(frozen=True)
class PersonCounts:
    """Distinct persons of a set of enrolments, in all and per coverage month."""

    distinct: int
    by_month: pl.DataFrame


def person_counts(enrolments: pl.DataFrame) -> PersonCounts:
    """Count distinct persons (known person keys), in all and covered per month.

    Every enrolment counts in each of its months; a person with several enrolments is
    then taken off once for every extra enrolment covering the same month.
    """
    rows = enrolments.select("person_key", "coverage_start_month", "coverage_months").filter(
        pl.col("person_key").is_not_null()
    )
    repeated = _rows_of_repeated_persons(rows)
    windows = rows.group_by("coverage_start_month", "coverage_months").agg(persons=pl.len())
    enrolled = _spread_over_months(windows.with_columns(all=pl.lit(1)), ["all"], "persons")
    extra = (
        _spread_over_months(
            repeated.with_columns(enrolments=pl.lit(1)), ["person_key"], "enrolments"
        )
        .group_by("coverage_month")
        .agg(extra=(pl.col("enrolments") - 1).sum())
    )
    by_month = (
        enrolled.join(extra, on="coverage_month", how="left")
        .select(
            "coverage_month",
            persons=(pl.col("persons") - pl.col("extra").fill_null(0)).cast(pl.Int64),
        )
        .sort("coverage_month")
    )
    distinct = rows.height - repeated.height + repeated.get_column("person_key").n_unique()
    return PersonCounts(distinct=distinct, by_month=by_month)


def persons_city_monthly(enrolments: pl.DataFrame) -> pl.DataFrame:
    """Count distinct persons covered per month in any category, each person once."""
    return person_counts(enrolments).by_month


def distinct_persons(enrolments: pl.DataFrame) -> int:
    """Count the distinct persons (known person keys) among enrolments."""
    return person_counts(enrolments).distinct


def _rows_of_repeated_persons(rows: pl.DataFrame) -> pl.DataFrame:
    """Return the rows whose person_key occurs more than once.

    Equal keys have equal hashes, so the exact (slow) comparison of whole 64-character
    keys runs only on rows whose 64-bit hash repeats.
    """
    maybe = rows.filter(pl.col("person_key").hash().is_duplicated())
    return maybe.filter(pl.col("person_key").is_duplicated())


def progress_by_category(counts: pl.DataFrame, rules: ProgramRules) -> pl.DataFrame:
    """Compare enrolments with each category's target and price the committed cover.

    A person has one enrolment per category, so a category's persons are its enrolments.
    """
    categories = pl.DataFrame(
        {
            "category": [category.code for category in rules.categories],
            "label": [category.label for category in rules.categories],
            "target": [category.target for category in rules.categories],
        },
        schema={"category": pl.String, "label": pl.String, "target": pl.Int64},
    )
    by_category = counts.group_by("category").agg(
        enrolments=pl.col("enrolments").sum().cast(pl.Int64),
        persons=pl.col("enrolments").sum().cast(pl.Int64),
        premium_months=(pl.col("coverage_months") * pl.col("enrolments")).sum().cast(pl.Int64),
    )
    return (
        categories.join(by_category, on="category", how="left")
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


def participants_by_kecamatan_sex_age(counts: pl.DataFrame) -> pl.DataFrame:
    """Count enrolled persons per category, kecamatan, sex and age group."""
    return (
        counts.group_by("category", "kode_kecamatan", "kecamatan", "sex", "age_group")
        .agg(participants=pl.col("enrolments").sum().cast(pl.Int64))
        .sort("category", "kode_kecamatan", "sex", "age_group")
    )
