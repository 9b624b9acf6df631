"""From accepted rows to one enrolment per (person, category), with its coverage window."""

from __future__ import annotations

import calendar
from datetime import date

import polars as pl
import polars_hash

from transforms.nik import birth_date_from_nik, mask_nik, sex_from_nik

AGE_GROUP_BOUNDS: tuple[tuple[int, str], ...] = (
    (15, "<15"),
    (25, "15-24"),
    (35, "25-34"),
    (45, "35-44"),
    (55, "45-54"),
    (65, "55-64"),
)
AGE_GROUP_OLDEST = "65+"
AGE_GROUP_UNKNOWN = "tidak diketahui"

ENROLMENT_ROW_COLUMNS: tuple[str, ...] = (
    "source_file",
    "source_sheet",
    "source_row",
    "person_key",
    "nik_masked",
    "category",
    "kode_kelurahan",
    "start_date",
    "end_date",
    "sex",
    "age_group",
)


def hmac_sha256_hex(values: pl.Series, key: bytes) -> pl.Series:
    """Return HMAC-SHA256(key, value) in lower-case hex for every value; null stays null.

    The key is text (UTF-8), as the key file and the environment variable give it. The
    values are hashed in one slice per core, in parallel.
    """
    try:
        text_key = key.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the NIK key must be UTF-8 text") from None
    frame = values.to_frame("message")
    slice_rows = max(1, -(-frame.height // pl.thread_pool_size()))
    slices = [
        frame.slice(offset, slice_rows)
        .lazy()
        .select(polars_hash.col("message").chash.hmac_sha256(key=text_key))
        for offset in range(0, frame.height, slice_rows)
    ]
    if not slices:
        return pl.Series(values.name, [], dtype=pl.String)
    hashed = pl.concat(pl.collect_all(slices), rechunk=False)
    return hashed.get_column("message").alias(values.name)


def _years_before(on: date, years: int) -> date:
    """Return the same day `years` years earlier; 29 February becomes 28 in a common year."""
    year = on.year - years
    return date(year, on.month, min(on.day, calendar.monthrange(year, on.month)[1]))


def age_group(birth_date: pl.Expr, on: date) -> pl.Expr:
    """Return the age group (in whole years on the given day) of a birth date."""
    # Whole years reach a bound exactly when the birth is on or before the same day that
    # many years earlier; a birth after the given day reaches none.
    reached = pl.sum_horizontal(
        birth_date <= _years_before(on, upper) for upper, _ in AGE_GROUP_BOUNDS
    )
    labels = [label for _, label in AGE_GROUP_BOUNDS] + [AGE_GROUP_OLDEST]
    by_years = reached.replace_strict(dict(enumerate(labels)), return_dtype=pl.String)
    return pl.when(birth_date.is_null()).then(pl.lit(AGE_GROUP_UNKNOWN)).otherwise(by_years)


def privatise_accepted_rows(accepted: pl.DataFrame, key: bytes, launch_date: date) -> pl.DataFrame:
    """Replace the NIK by its keyed hash and masked form; keep only sex and age group of it."""
    nik = pl.col("nik")
    # Lazily, so that sex and birth date read the NIK's digits once between them.
    return (
        accepted.lazy()
        .with_columns(
            person_key=hmac_sha256_hex(accepted.get_column("nik"), key),
            nik_masked=mask_nik(nik),
            sex=sex_from_nik(nik),
            age_group=birth_date_from_nik(nik, launch_date),
        )
        # age_group reads the birth date seven times: parse it once, in a column of its own.
        .with_columns(age_group=age_group(pl.col("age_group"), launch_date))
        .select(ENROLMENT_ROW_COLUMNS)
        .collect()
    )


def person_key_prefix(key: pl.Expr, digits: int = 15) -> pl.Expr:
    """Return the first hex digits of a lower-case hex key as an integer, else null.

    Equal keys have equal prefixes, and keys whose prefixes differ order as the prefixes.
    """
    head = key.str.slice(0, digits)
    return pl.when(head.str.contains(f"^[0-9a-f]{{{digits}}}$")).then(
        head.str.to_integer(base=16, strict=False)
    )


def resolve_corrections(candidates: pl.DataFrame) -> pl.DataFrame:
    """Keep, per (person, category), the accepted row of the latest delivery.

    `candidates` carries `delivery_rank` (1 = first delivered) and `delivery_date`; within
    one file a (person, category) is unique because later rows are rejected as duplicates.
    `replaced_rows` counts the earlier accepted rows the kept row replaced.
    """
    # Most pairs occur once. A pair whose key hash and category occur once is unique, so
    # only the rest are grouped on the whole 64-character key.
    marked = candidates.with_columns(
        _maybe_repeated=pl.struct(pl.col("person_key").hash(), "category").is_duplicated()
    )
    once = marked.filter(~pl.col("_maybe_repeated")).select(
        pl.exclude("_maybe_repeated", "delivery_rank"), replaced_rows=pl.lit(0, dtype=pl.Int64)
    )
    repeated = (
        marked.filter(pl.col("_maybe_repeated"))
        .drop("_maybe_repeated")
        .sort("delivery_rank", "source_sheet", "source_row", nulls_last=False)
        .group_by("person_key", "category", maintain_order=True)
        .agg(pl.all().last(), replaced_rows=(pl.len() - 1).cast(pl.Int64))
        .select(once.columns)
    )
    return pl.concat([once, repeated])


def add_coverage_window(
    enrolments: pl.DataFrame, months_by_category: dict[str, int]
) -> pl.DataFrame:
    """Add the first and last covered month and the number of covered months.

    Cover runs from the month of start_date for the category's months, and ends earlier
    with the month of end_date when that comes first.
    """
    start_month = pl.col("start_date").dt.month_start()
    full_months = pl.col("category").replace_strict(months_by_category, return_dtype=pl.Int64)
    months_until_end = (
        (pl.col("end_date").dt.year() - pl.col("start_date").dt.year()) * 12
        + pl.col("end_date").dt.month()
        - pl.col("start_date").dt.month()
        + 1
    ).cast(pl.Int64)
    coverage_months = (
        pl.when(pl.col("end_date").is_null())
        .then(full_months)
        .otherwise(pl.min_horizontal(full_months, months_until_end))
    )
    # Months counted from year 0: the last covered month is start + coverage_months - 1.
    last_month = (
        pl.col("start_date").dt.year().cast(pl.Int64) * 12
        + pl.col("start_date").dt.month().cast(pl.Int64)
        - 1
        + pl.col("coverage_months")
        - 1
    )
    return enrolments.with_columns(
        coverage_start_month=start_month, coverage_months=coverage_months
    ).with_columns(coverage_end_month=pl.date(last_month // 12, last_month % 12 + 1, 1))


def attach_places(enrolments: pl.DataFrame, kelurahan: pl.DataFrame) -> pl.DataFrame:
    """Add kelurahan, kecamatan and its code from the official reference."""
    places = kelurahan.select("kode_kelurahan", "kelurahan", "kode_kecamatan", "kecamatan")
    return enrolments.join(places, on="kode_kelurahan", how="left", maintain_order="left")


def build_enrolments(
    candidates: pl.DataFrame, kelurahan: pl.DataFrame, months_by_category: dict[str, int]
) -> pl.DataFrame:
    """Turn every accepted row of every delivery into the core.enrolment table."""
    resolved = resolve_corrections(candidates)
    windowed = add_coverage_window(resolved, months_by_category)
    placed = attach_places(windowed, kelurahan)
    return placed.select(
        "person_key",
        "nik_masked",
        "category",
        "kode_kelurahan",
        "kelurahan",
        "kode_kecamatan",
        "kecamatan",
        "start_date",
        "end_date",
        "coverage_start_month",
        "coverage_end_month",
        "coverage_months",
        "sex",
        "age_group",
        "source_file",
        "source_sheet",
        "source_row",
        "delivery_date",
        "replaced_rows",
    ).pipe(_sort_by_place_and_person)


def _sort_by_place_and_person(enrolments: pl.DataFrame) -> pl.DataFrame:
    """Sort by category, kode_kelurahan and person_key, comparing numbers where that is exact.

    Sorting millions of 64-character keys as text is slow. The rank of the (category,
    kode_kelurahan) pair and the first hex digits of a lower-case hex key together make one
    63-bit number that sorts as the texts do. Only when two keys share that number, or a
    key is not lower-case hex, does the sort compare the texts.
    """
    groups = (
        enrolments.select("category", "kode_kelurahan")
        .unique()
        .sort("category", "kode_kelurahan")
        .with_row_index("_group")
    )
    digits = (63 - groups.height.bit_length()) // 4
    key = (
        enrolments.select("category", "kode_kelurahan", "person_key")
        .join(groups, on=["category", "kode_kelurahan"], how="left", maintain_order="left")
        .select(
            pl.col("_group").cast(pl.Int64) * 16**digits
            + person_key_prefix(pl.col("person_key"), digits)
        )
        .to_series()
    )
    if key.null_count() or key.n_unique() != key.len():
        return enrolments.sort("category", "kode_kelurahan", "person_key")
    # Text columns gather many times faster from one contiguous chunk.
    return enrolments.rechunk()[key.arg_sort()]
