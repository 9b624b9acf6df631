"""Matching written kelurahan names to the official kelurahan of Kota Singkawang."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from rapidfuzz.distance import OSA, DamerauLevenshtein

from transforms.kelurahan import (
    MATCH_SCHEMA,
    KelurahanReference,
    kelurahan_matches,
    match_kelurahan,
    match_kelurahan_pairs,
    normalise_kecamatan_name,
    normalise_place_name,
)

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"


@pytest.fixture(scope="module")
def reference() -> KelurahanReference:
    return KelurahanReference(
        kelurahan=pl.read_csv(REFERENCE_DIR / "kelurahan_singkawang.csv", infer_schema=False),
        aliases=pl.read_csv(REFERENCE_DIR / "kelurahan_aliases.csv", infer_schema=False),
    )


def _match(reference, kelurahan: str | None, kecamatan: str | None = None) -> dict:
    rows = pl.DataFrame(
        {"kelurahan": [kelurahan], "kecamatan": [kecamatan]},
        schema={"kelurahan": pl.String, "kecamatan": pl.String},
    )
    return match_kelurahan(rows, reference).row(0, named=True)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("Pasiran", "pasiran"),
        ("  KEL.  Pasiran ", "pasiran"),
        ("Kelurahan Sungai-Wie", "sungai wie"),
        ("Desa Sei Wie", "sungai wie"),
        ("SUI GARAM HILIR", "sungai garam hilir"),
        ("Sg. Bulan", "sungai bulan"),
        ("Bagak_Sahwa", "bagak sahwa"),
        ("Kel/Desa Roban", "roban"),
        ("Seiwie", "seiwie"),
    ],
)
def test_place_names_are_normalised(written, normalised):
    assert normalise_place_name(written) == normalised


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("Kec. Singkawang Barat", "singkawang barat"),
        ("KECAMATAN SINGKAWANG-TENGAH", "singkawang tengah"),
        ("Singkawang Utara", "singkawang utara"),
    ],
)
def test_kecamatan_names_drop_a_leading_kec(written, normalised):
    assert normalise_kecamatan_name(written) == normalised


@pytest.mark.parametrize(
    ("written", "kode"),
    [
        ("Pasiran", "61.72.02.1001"),
        ("kel. roban", "61.72.01.1001"),
        ("Sei Wie", "61.72.01.1006"),
        ("Sui Garam Hilir", "61.72.04.1001"),
        ("SG RASAU", "61.72.04.1004"),
        ("Nyarungkop", "61.72.03.1002"),  # alias
        ("Mayasopa", "61.72.03.1003"),  # alias
        ("Sanggau Kolor", "61.72.03.1005"),  # alias
        ("Jawa", "61.72.01.1004"),  # short names match exactly
        ("Tengah", "61.72.02.1003"),
    ],
)
def test_official_names_and_aliases_match_exactly(reference, written, kode):
    match = _match(reference, written)
    assert (match["kode_kelurahan"], match["kelurahan_typo"]) == (kode, False)


@pytest.mark.parametrize(
    ("written", "kode"),
    [
        ("Pasirn", "61.72.02.1001"),  # deletion
        ("Pasiraan", "61.72.02.1001"),  # insertion
        ("Pasiram", "61.72.02.1001"),  # substitution
        ("Psairan", "61.72.02.1001"),  # transposition
        ("Sei Wei", "61.72.01.1006"),  # transposition after sei -> sungai
        ("Sungai Garam Hilr", "61.72.04.1001"),
        ("SungaiBulan", "61.72.04.1003"),  # a missing space is one typo
        ("Nyarumkopp", "61.72.03.1002"),
        ("Kualaa", "61.72.02.1004"),  # Kuala has exactly 5 letters
    ],
)
def test_one_typo_matches_the_single_official_name_and_is_flagged(reference, written, kode):
    match = _match(reference, written)
    assert (match["kode_kelurahan"], match["kelurahan_typo"]) == (kode, True)


def test_transposition_counts_as_one_typo_in_both_distance_definitions():
    assert DamerauLevenshtein.distance("psairan", "pasiran") == 1
    assert OSA.distance("psairan", "pasiran") == 1


@pytest.mark.parametrize(
    "written",
    [
        "Jaw",  # fewer than 5 letters: no typo matching
        "Jawaa",  # the official name "Jawa" has fewer than 5 letters
        "Mayasopaa",  # aliases are not typo targets
        "Nyarungkopp",  # alias Nyarungkop + 1; Nyarumkop + 2
        "Pasrn",  # two edits
    ],
)
def test_no_typo_match_outside_the_rule(reference, written):
    assert _match(reference, written)["kode_kelurahan"] is None


@pytest.mark.parametrize(
    "written", ["Sekip Baru", "Sungai Garam Hulu", "Sigiring", "Siantan", "Bukit Merapin"]
)
def test_names_from_outside_singkawang_are_not_matched(reference, written):
    assert _match(reference, written)["kode_kelurahan"] is None


def test_sungai_garam_hulu_is_three_edits_from_sungai_garam_hilir():
    # The contract's one-typo rule leaves it unmatched: hulu -> hilir needs u->i, u->i, +r.
    assert DamerauLevenshtein.distance("sungai garam hulu", "sungai garam hilir") == 3


def test_kelurahan_tengah_with_kecamatan_singkawang_tengah_is_a_mismatch(reference):
    match = _match(reference, "Tengah", "Singkawang Tengah")
    assert match["kode_kelurahan"] == "61.72.02.1003"
    assert match["kecamatan_mismatch"] is True


def test_kecamatan_name_written_as_kelurahan_is_not_matched(reference):
    assert _match(reference, "Singkawang Tengah")["kode_kelurahan"] is None


def test_exact_match_ignores_the_kecamatan(reference):
    match = _match(reference, "Roban", "Kec. Singkawang Selatan")
    assert match["kode_kelurahan"] == "61.72.01.1001"
    assert match["kecamatan_mismatch"] is True


def test_unrecognised_kecamatan_neither_restricts_nor_flags(reference):
    match = _match(reference, "Pasirn", "Singkawang")
    assert match["kode_kelurahan"] == "61.72.02.1001"
    assert match["kecamatan_mismatch"] is False


def test_typo_search_is_restricted_to_a_recognised_kecamatan(reference):
    assert _match(reference, "Pasirn", "Singkawang Barat")["kode_kelurahan"] == "61.72.02.1001"
    assert _match(reference, "Pasirn", "Kecamatan Singkawang Timur")["kode_kelurahan"] is None


def test_typo_close_to_two_official_names_is_not_matched():
    kelurahan = pl.DataFrame(
        {
            "kode_kecamatan": ["61.72.09", "61.72.09"],
            "kecamatan": ["Contoh", "Contoh"],
            "kode_kelurahan": ["61.72.09.1001", "61.72.09.1002"],
            "kelurahan": ["Sedayu", "Sedaya"],
            "kode_pos": ["0", "0"],
        }
    )
    aliases = pl.DataFrame(schema=dict.fromkeys(["kode_kelurahan", "alias", "source"], pl.String))
    reference = KelurahanReference(kelurahan=kelurahan, aliases=aliases)
    assert _match(reference, "Sedayi")["kode_kelurahan"] is None


def test_empty_kelurahan_is_not_matched(reference):
    match = _match(reference, None, "Singkawang Barat")
    assert (match["kode_kelurahan"], match["kelurahan_typo"], match["kecamatan_mismatch"]) == (
        None,
        False,
        False,
    )


def test_matching_runs_once_per_distinct_pair_and_keeps_row_order(reference):
    rows = pl.DataFrame(
        {
            "kelurahan": ["Roban", "Pasirn", "Roban", None, "Pasirn"] * 1000,
            "kecamatan": [None, "Singkawang Barat", None, None, "Singkawang Barat"] * 1000,
            "source_row": list(range(5000)),
        }
    )
    pairs = match_kelurahan_pairs(rows, reference)
    matched = match_kelurahan(rows, reference)
    assert pairs.height == 3
    assert matched["source_row"].to_list() == list(range(5000))
    assert matched["kode_kelurahan"].head(5).to_list() == [
        "61.72.01.1001",
        "61.72.02.1001",
        "61.72.01.1001",
        None,
        "61.72.02.1001",
    ]


def test_reference_frames_must_carry_the_csv_columns(reference):
    with pytest.raises(ValueError, match="alias"):
        KelurahanReference(kelurahan=reference.kelurahan, aliases=pl.DataFrame({"x": [1]}))


def test_row_matches_are_the_distinct_pair_matches_in_row_order(reference):
    rows = pl.DataFrame(
        {
            "kelurahan": ["Roban", None, "Pasirn", "Roban", "Nowhere", None, "roban"] * 3,
            "kecamatan": [None, None, "Singkawang Barat", "Singkawang Utara", None, "x", None] * 3,
        }
    )
    pairs = match_kelurahan_pairs(rows, reference)
    joined = rows.join(
        pairs, on=["kelurahan", "kecamatan"], how="left", nulls_equal=True, maintain_order="left"
    )
    assert match_kelurahan(rows, reference).equals(joined)


def test_row_matches_of_no_rows_have_the_match_columns(reference):
    rows = pl.DataFrame(schema={"kelurahan": pl.String, "kecamatan": pl.String})
    matches = kelurahan_matches(rows, reference)
    assert matches.height == 0
    assert dict(matches.schema) == {
        name: MATCH_SCHEMA[name]
        for name in ("kode_kelurahan", "kelurahan_typo", "kecamatan_mismatch")
    }
