"""Primary and secondary suppression of small counts in kelurahan/kecamatan/city tables."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.suppression import (
    LEVEL_KECAMATAN,
    LEVEL_KELURAHAN,
    LEVEL_KOTA,
    PRIMARY,
    SECONDARY,
    add_area_totals,
    complete_grid,
    suppress_small_counts,
)


def cells_from(kecamatan_counts: list[list[int]], table: str = "t") -> pl.DataFrame:
    """Return kelurahan cells: one list of kelurahan counts per kecamatan."""
    rows = [
        {
            "table": table,
            "kode_kecamatan": f"61.72.{k + 1:02d}",
            "kode_kelurahan": f"61.72.{k + 1:02d}.{1001 + j}",
            "participants": count,
        }
        for k, counts in enumerate(kecamatan_counts)
        for j, count in enumerate(counts)
    ]
    return pl.DataFrame(rows, schema_overrides={"participants": pl.Int64})


def status_of(result: pl.DataFrame) -> dict[str, str | None]:
    return dict(zip(result["kode_wilayah"], result["suppression"], strict=True))


def equations_of(table: pl.DataFrame) -> list[tuple[str, list[str]]]:
    """Return every published sum of one table as (total, parts) region codes."""
    kecamatan = table.filter(pl.col("level") == LEVEL_KECAMATAN)["kode_wilayah"].to_list()
    city = table.filter(pl.col("level") == LEVEL_KOTA)["kode_wilayah"].to_list()
    equations = [(city[0], kecamatan)]
    for code in kecamatan:
        parts = table.filter(
            (pl.col("level") == LEVEL_KELURAHAN) & (pl.col("kode_kecamatan") == code)
        )["kode_wilayah"].to_list()
        equations.append((code, parts))
    return equations


def recoverable_cells(table: pl.DataFrame) -> list[str]:
    """Return hidden cells whose value follows from the published cells and the sums.

    A hidden cell is recoverable exactly when its unit vector lies in the row space of
    the sums restricted to the hidden cells (published cells move to the right-hand side).
    """
    hidden = table.filter(pl.col("suppression").is_not_null())["kode_wilayah"].to_list()
    if not hidden:
        return []
    column = {code: i for i, code in enumerate(hidden)}
    rows = []
    for total, parts in equations_of(table):
        row = np.zeros(len(hidden))
        if total in column:
            row[column[total]] = 1
        for part in parts:
            if part in column:
                row[column[part]] = -1
        if row.any():
            rows.append(row)
    matrix = np.array(rows) if rows else np.zeros((0, len(hidden)))
    rank = np.linalg.matrix_rank(matrix) if rows else 0
    found = []
    for code, i in column.items():
        unit = np.zeros(len(hidden))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.append(code)
    return found


def test_table_without_small_counts_is_published_whole_with_correct_totals() -> None:
    result = suppress_small_counts(cells_from([[10, 20], [5, 0, 7]]), ["table"], "participants", 5)
    assert result["suppression"].null_count() == result.height
    totals = dict(zip(result["kode_wilayah"], result["participants"], strict=True))
    assert totals == {
        "61.72": 42,
        "61.72.01": 30,
        "61.72.01.1001": 10,
        "61.72.01.1002": 20,
        "61.72.02": 12,
        "61.72.02.1001": 5,
        "61.72.02.1002": 0,
        "61.72.02.1003": 7,
    }
    assert result["kode_wilayah"].to_list()[:3] == ["61.72", "61.72.01", "61.72.01.1001"]


def test_small_kelurahan_is_hidden_with_its_smallest_nonzero_neighbour() -> None:
    result = suppress_small_counts(
        cells_from([[3, 0, 40, 12], [30, 30]]), ["table"], "participants", 5
    )
    status = status_of(result)
    assert status["61.72.01.1001"] == PRIMARY
    assert status["61.72.01.1004"] == SECONDARY
    assert status["61.72.01.1002"] is None
    assert status["61.72.01.1003"] is None
    assert status["61.72.01"] is None
    assert status["61.72"] is None


def test_small_kecamatan_total_spreads_protection_to_another_kecamatan() -> None:
    result = suppress_small_counts(
        cells_from([[2, 1, 0], [30, 9], [50, 60]]), ["table"], "participants", 5
    )
    status = status_of(result)
    assert status["61.72.01"] == PRIMARY
    assert status["61.72.01.1001"] == PRIMARY
    assert status["61.72.01.1002"] == PRIMARY
    assert status["61.72.02"] == SECONDARY
    assert status["61.72.02.1002"] == SECONDARY
    assert status["61.72"] is None
    assert recoverable_cells(result) == []


def test_tables_are_protected_separately() -> None:
    cells = pl.concat([cells_from([[3, 8], [9]], "a"), cells_from([[8, 8], [9]], "b")])
    result = suppress_small_counts(cells, ["table"], "participants", 5)
    assert result.filter(pl.col("table") == "b")["suppression"].null_count() == 6
    assert result.filter(pl.col("table") == "a")["suppression"].null_count() == 4


def test_complete_grid_gives_every_kelurahan_a_zero_row() -> None:
    places = pl.DataFrame(
        {
            "kode_kecamatan": ["61.72.01", "61.72.01"],
            "kode_kelurahan": ["61.72.01.1001", "61.72.01.1002"],
        }
    )
    tables = pl.DataFrame({"category": ["pekerja_rentan", "sawit_bpu"]})
    counts = pl.DataFrame(
        {"category": ["sawit_bpu"], "kode_kelurahan": ["61.72.01.1002"], "participants": [4]}
    )
    grid = complete_grid(counts, places, tables, "participants")
    assert grid.height == 4
    assert grid["participants"].to_list() == [0, 0, 0, 4]


def test_threshold_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        suppress_small_counts(cells_from([[1]]), ["table"], "participants", 0)


def test_area_totals_of_an_empty_table_are_empty() -> None:
    empty = cells_from([[1]]).clear()
    assert add_area_totals(empty, ["table"], "participants").is_empty()
    assert suppress_small_counts(empty, ["table"], "participants", 5).is_empty()


def test_recoverability_check_finds_a_cell_hidden_alone() -> None:
    totals = add_area_totals(cells_from([[3, 8, 9], [9]]), ["table"], "participants")
    lonely = totals.with_columns(
        suppression=pl.when(pl.col("kode_wilayah") == "61.72.01.1001").then(pl.lit(PRIMARY))
    )
    assert recoverable_cells(lonely) == ["61.72.01.1001"]
    with_total = lonely.with_columns(
        suppression=pl.when(pl.col("kode_wilayah") == "61.72.01")
        .then(pl.lit(SECONDARY))
        .otherwise(pl.col("suppression"))
    )
    # The city sum gives the kecamatan total away, and with it the kelurahan.
    assert sorted(recoverable_cells(with_total)) == ["61.72.01", "61.72.01.1001"]


small_or_large = st.one_of(st.integers(0, 6), st.integers(0, 300))
tables_strategy = st.lists(st.lists(small_or_large, min_size=1, max_size=7), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kecamatan_counts=tables_strategy, threshold=st.integers(1, 10))
def test_no_suppressed_cell_is_recoverable_from_the_published_totals(
    kecamatan_counts: list[list[int]], threshold: int
) -> None:
    result = suppress_small_counts(
        cells_from(kecamatan_counts), ["table"], "participants", threshold
    )
    totals = add_area_totals(cells_from(kecamatan_counts), ["table"], "participants")
    assert result["participants"].to_list() == totals["participants"].to_list()
    small = result.filter((pl.col("participants") > 0) & (pl.col("participants") < threshold))
    assert (small["suppression"] == PRIMARY).all()
    hidden = set(result.filter(pl.col("suppression").is_not_null())["kode_wilayah"])
    for total, parts in equations_of(result):
        assert len(hidden & {total, *parts}) != 1, (total, parts)
    assert recoverable_cells(result) == []
    if not small.height:
        assert not hidden
