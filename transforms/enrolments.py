"""From accepted rows to one enrolment per (person, category), with its coverage window."""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl

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
    """Return HMAC-SHA256(key, value) in hex for every value, hashing each distinct value once."""
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    inner_start = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
    outer_start = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))

    def digest(message: bytes) -> bytes:
        inner = inner_start.copy()
        inner.update(message)
        outer = outer_start.copy()
        outer.update(inner.digest())
        return outer.digest()

    distinct = values.unique()
    digests = pl.Series(list(map(digest, distinct.cast(pl.Binary).to_list())), dtype=pl.Binary)
    lookup = pl.DataFrame({"value": distinct, "key": digests.bin.encode("hex")})
    return (
        values.to_frame("value")
        .join(lookup, on="value", how="left", maintain_order="left")
        .get_column("key")
    )


def age_group(birth_date: pl.Expr, on: date) -> pl.Expr:
    """Return the age group (in whole years on the given day) of a birth date."""
    # Whole years are the floor of the difference of YYYYMMDD numbers divided by 10,000.
    birth = (
        birth_date.dt.year() * 10_000
        + birth_date.dt.month().cast(pl.Int32) * 100
        + birth_date.dt.day().cast(pl.Int32)
    )
    years = (on.year * 10_000 + on.month * 100 + on.day - birth) // 10_000
    labels: dict[int, str] = {}
    lower = 0
    for upper, label in AGE_GROUP_BOUNDS:
        labels.update(dict.fromkeys(range(lower, upper), label))
        lower = upper
    labels[lower] = AGE_GROUP_OLDEST
    by_years = years.clip(0, lower).replace_strict(labels, return_dtype=pl.String)
    return pl.when(birth_date.is_null()).then(pl.lit(AGE_GROUP_UNKNOWN)).otherwise(by_years)


def privatise_accepted_rows(accepted: pl.DataFrame, key: bytes, launch_date: date) -> pl.DataFrame:
    """Replace the NIK by its keyed hash and masked form; keep only sex and age group of it."""
    nik = pl.col("nik")
    return (
        accepted.with_columns(
            person_key=hmac_sha256_hex(accepted.get_column("nik"), key),
            nik_masked=mask_nik(nik),
            sex=sex_from_nik(nik),
            age_group=birth_date_from_nik(nik, launch_date),
        )
        # age_group reads the birth date six times: parse it once, in a column of its own.
        .with_columns(age_group=age_group(pl.col("age_group"), launch_date))
        .select(ENROLMENT_ROW_COLUMNS)
    )


def resolve_corrections(candidates: pl.DataFrame) -> pl.DataFrame:
    """Keep, per (person, category), the accepted row of the latest delivery.

    `candidates` carries `delivery_rank` (1 = first delivered) and `delivery_date`; within
    one file a (person, category) is unique because later rows are rejected as duplicates.
    `replaced_rows` counts the earlier accepted rows the kept row replaced.
    """
    return (
        candidates.sort("delivery_rank", "source_sheet", "source_row", nulls_last=False)
        .group_by("person_key", "category", maintain_order=True)
        .agg(pl.all().last(), replaced_rows=(pl.len() - 1).cast(pl.Int64))
        .drop("delivery_rank")
    )


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
    return enrolments.with_columns(
        coverage_start_month=start_month, coverage_months=coverage_months
    ).with_columns(
        coverage_end_month=pl.col("coverage_start_month").dt.offset_by(
            pl.format("{}mo", pl.col("coverage_months") - 1)
        )
    )


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
    prefix = pl.col("person_key").str.slice(0, digits)
    keyed = enrolments.join(
        groups, on=["category", "kode_kelurahan"], how="left", maintain_order="left"
    ).with_columns(
        _key=pl.when(prefix.str.contains(f"^[0-9a-f]{{{digits}}}$")).then(
            pl.col("_group").cast(pl.Int64) * 16**digits
            + prefix.str.to_integer(base=16, strict=False)
        )
    )
    key = keyed.get_column("_key")
    if key.null_count() or key.n_unique() != key.len():
        return enrolments.sort("category", "kode_kelurahan", "person_key")
    return keyed.sort("_key").drop("_group", "_key")
