"""Hide small counts in published area tables so that no hidden count can be worked out.

The public tables are hierarchical: for every table (one category and one coverage month,
say) each kelurahan has a count, each kecamatan total is the sum of its kelurahan, and the
city total is the sum of the kecamatan. Those sums are the only published relations between
cells; there is no published total over months or over categories.

Method (cell suppression, as statistics offices use it):

1. Primary suppression: every cell, at any level, with 0 < count < threshold is hidden.
   Zeros are published: they disclose nothing about a person.
2. Secondary suppression: each sum is an equation "total = part + part + ...". An equation
   with exactly one hidden cell gives that cell away by subtraction (or addition, when the
   hidden cell is the total). While some equation has exactly one hidden cell, hide one more
   cell of it: the smallest non-zero part (least information lost; a part rather than the
   total, so that hiding does not spread upwards), else the total, else a zero part.
   Hiding a kecamatan total for the city equation makes it a hidden cell of its own
   kecamatan equation too, so the loop runs until no equation changes.

When every equation ends with none or at least two hidden cells, no hidden cell can be
recovered from the published cells, even by combining equations: in a two-level hierarchy
each cell appears in at most two equations (as a part and as a total), so the equations form
a graph whose edges are the hidden cells, and a hidden cell is determined only if its edge
is a bridge of that graph, which a graph with every equation touching 0 or at least 2 hidden
cells and every part reaching the bottom level cannot have. The property tests check this
with linear algebra on random tables.

Tables of different categories or months are protected independently; this holds because
nothing that adds them up is published alongside. A publication adding such a total needs
a three-dimensional method instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

LEVEL_KOTA = "kota"
LEVEL_KECAMATAN = "kecamatan"
LEVEL_KELURAHAN = "kelurahan"
LEVELS = (LEVEL_KOTA, LEVEL_KECAMATAN, LEVEL_KELURAHAN)
PRIMARY = "primer"
SECONDARY = "sekunder"


def complete_grid(
    counts: pl.DataFrame, places: pl.DataFrame, tables: pl.DataFrame, value: str
) -> pl.DataFrame:
    """Give every kelurahan of `places` a row in every table of `tables`, zero when absent.

    `tables` holds one row per table key (category, coverage month, ...); `counts` holds the
    non-zero cells with those keys, `kode_kelurahan` and `value`.
    """
    keys = tables.columns
    grid = tables.join(places.select("kode_kecamatan", "kode_kelurahan"), how="cross")
    found = counts.select(*keys, "kode_kelurahan", value)
    return (
        grid.join(found, on=[*keys, "kode_kelurahan"], how="left")
        .with_columns(pl.col(value).fill_null(0).cast(pl.Int64))
        .sort(*keys, "kode_kelurahan")
    )


def add_area_totals(cells: pl.DataFrame, keys: Sequence[str], value: str) -> pl.DataFrame:
    """Return kelurahan cells with kecamatan and city totals, one row per table and area.

    Columns: the keys, `level` (kota, kecamatan, kelurahan), `kode_wilayah`, `kode_kecamatan`
    (the kecamatan of a kelurahan or kecamatan row, null for the city) and `value`; rows
    sorted by keys and region code, so each total comes just before its parts.
    """
    keys = list(keys)
    city_code = pl.col("kode_kecamatan").str.replace(r"\.[^.]+$", "")
    kelurahan = cells.select(
        *keys,
        level=pl.lit(LEVEL_KELURAHAN),
        kode_wilayah=pl.col("kode_kelurahan"),
        kode_kecamatan=pl.col("kode_kecamatan"),
        **{value: pl.col(value).cast(pl.Int64)},
    )
    kecamatan = (
        kelurahan.group_by(*keys, "kode_kecamatan")
        .agg(pl.col(value).sum())
        .select(
            *keys,
            level=pl.lit(LEVEL_KECAMATAN),
            kode_wilayah=pl.col("kode_kecamatan"),
            kode_kecamatan=pl.col("kode_kecamatan"),
            **{value: pl.col(value)},
        )
    )
    city = (
        kelurahan.with_columns(kode_kota=city_code)
        .group_by(*keys, "kode_kota")
        .agg(pl.col(value).sum())
        .select(
            *keys,
            level=pl.lit(LEVEL_KOTA),
            kode_wilayah=pl.col("kode_kota"),
            kode_kecamatan=pl.lit(None, dtype=pl.String),
            **{value: pl.col(value)},
        )
    )
    return pl.concat([city, kecamatan, kelurahan]).sort(*keys, "kode_wilayah")


def _equations(table: list[dict]) -> list[list[int]]:
    """Return each sum of one table as [total, part, part, ...] row positions."""
    city = [i for i, row in enumerate(table) if row["level"] == LEVEL_KOTA]
    kecamatan = {
        row["kode_wilayah"]: i for i, row in enumerate(table) if row["level"] == LEVEL_KECAMATAN
    }
    equations = [[city[0], *kecamatan.values()]] if city else []
    for code, position in kecamatan.items():
        parts = [
            i
            for i, row in enumerate(table)
            if row["level"] == LEVEL_KELURAHAN and row["kode_kecamatan"] == code
        ]
        equations.append([position, *parts])
    return equations


def _suppress_table(table: list[dict], value: str, threshold: int) -> list[str | None]:
    status: list[str | None] = [PRIMARY if 0 < row[value] < threshold else None for row in table]
    equations = _equations(table)
    changed = True
    while changed:
        changed = False
        for equation in equations:
            hidden = [i for i in equation if status[i] is not None]
            if len(hidden) != 1:
                continue
            candidates = [
                (
                    table[i][value] == 0,
                    i == equation[0],
                    table[i][value],
                    table[i]["kode_wilayah"],
                    i,
                )
                for i in equation
                if status[i] is None
            ]
            if candidates:
                status[min(candidates)[-1]] = SECONDARY
                changed = True
    return status


def suppress_small_counts(
    cells: pl.DataFrame, keys: Sequence[str], value: str, threshold: int
) -> pl.DataFrame:
    """Add area totals to kelurahan cells and hide counts below `threshold` safely.

    `cells` must hold every kelurahan of every table (see `complete_grid`). Returns the
    frame of `add_area_totals` with `suppression`: null (published), "primer" or "sekunder".
    Values stay in the frame; a writer replaces hidden ones before publishing.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    keys = list(keys)
    with_totals = add_area_totals(cells, keys, value)
    if with_totals.is_empty():
        return with_totals.with_columns(suppression=pl.lit(None, dtype=pl.String))
    parts = with_totals.partition_by(keys, maintain_order=True) if keys else [with_totals]
    protected = []
    for part in parts:
        rows = part.to_dicts()
        status = _suppress_table(rows, value, threshold)
        protected.append(part.with_columns(suppression=pl.Series(status, dtype=pl.String)))
    return pl.concat(protected)
