"""Header texts map to the contract's columns the way the contract says."""

from __future__ import annotations

import pytest

from schemas.columns import (
    COLUMN_ALIASES,
    KATEGORI,
    KELURAHAN,
    NIK,
    REQUIRED_COLUMNS,
    TANGGAL_MULAI,
)
from transforms.headers import find_header_row, map_headers, normalise_header

ALIAS_CASES = [(alias, column) for column, aliases in COLUMN_ALIASES.items() for alias in aliases]


@pytest.mark.parametrize(("alias", "column"), ALIAS_CASES)
def test_every_contract_alias_maps_to_its_column(alias: str, column: str) -> None:
    assert map_headers([alias]).columns == {column: 0}


@pytest.mark.parametrize(("alias", "column"), ALIAS_CASES)
def test_aliases_match_in_lower_case_with_punctuation(alias: str, column: str) -> None:
    written = alias.lower().replace(" ", "_") + "."
    assert map_headers(["No", written]).columns == {column: 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No. NIK", "nonik"),
        ("NO_NIK", "nonik"),
        ("Desa/\nKelurahan", "desakelurahan"),
        ("  Tgl-Mulai ", "tglmulai"),
        ("Tanggal\r\nKepesertaan", "tanggalkepesertaan"),
        ("NAMA\u00a0LENGKAP", "namalengkap"),
        (None, ""),
    ],
)
def test_normalise_header_drops_case_space_and_punctuation(text: str | None, expected: str) -> None:
    assert normalise_header(text) == expected


def test_wrapped_header_with_line_break_is_recognised() -> None:
    mapping = map_headers(["NIK", "Desa/\nKelurahan", "Kategori\nPeserta", "TMT"])
    assert mapping.columns == {NIK: 0, KELURAHAN: 1, KATEGORI: 2, TANGGAL_MULAI: 3}
    assert mapping.missing == ()
    assert mapping.ambiguous == []


def test_unknown_and_empty_headers_are_ignored() -> None:
    mapping = map_headers(["No", None, "Keterangan", "NIK"])
    assert mapping.columns == {NIK: 3}


def test_missing_required_columns_are_listed_in_contract_order() -> None:
    mapping = map_headers(["Nama", "NIK"])
    assert mapping.missing == tuple(c for c in REQUIRED_COLUMNS if c != NIK)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["KEL", "Kelurahan"], (KELURAHAN, "KEL", "Kelurahan")),
        (["NIK", "No. NIK"], (NIK, "NIK", "No. NIK")),
        (["TMT", "Tanggal Mulai"], (TANGGAL_MULAI, "TMT", "Tanggal Mulai")),
    ],
)
def test_two_headers_for_one_column_are_ambiguous(
    headers: list[str], expected: tuple[str, str, str]
) -> None:
    mapping = map_headers(headers)
    assert mapping.ambiguous == [expected]
    assert not mapping.is_usable


def test_find_header_row_skips_title_rows() -> None:
    rows = [
        ["DAFTAR PESERTA JAMSOS", None],
        [None, None],
        ["NIK", "Kelurahan", "Kategori"],
        ["NIK", "Kelurahan", "Kategori", "TMT"],
        ["6172010101900001", "Roban", "rentan", "15/12/2025"],
    ]
    assert find_header_row(rows) == 3


def test_find_header_row_returns_none_without_required_columns() -> None:
    assert find_header_row([["Rekap"], ["Kelurahan", "Jumlah"]]) is None
