"""Match written kelurahan names to the official kelurahan of Kota Singkawang."""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl
from rapidfuzz.distance import DamerauLevenshtein

from schemas.columns import KECAMATAN, KELURAHAN

KODE_KECAMATAN = "kode_kecamatan"
KODE_KELURAHAN = "kode_kelurahan"
ALIAS = "alias"
KELURAHAN_TYPO = "kelurahan_typo"
KECAMATAN_MISMATCH = "kecamatan_mismatch"

REFERENCE_COLUMNS = (KODE_KECAMATAN, KECAMATAN, KODE_KELURAHAN, KELURAHAN, "kode_pos")
ALIAS_COLUMNS = (KODE_KELURAHAN, ALIAS, "source")
MATCH_SCHEMA = {
    KELURAHAN: pl.String,
    KECAMATAN: pl.String,
    KODE_KELURAHAN: pl.String,
    KELURAHAN_TYPO: pl.Boolean,
    KECAMATAN_MISMATCH: pl.Boolean,
}
MATCH_COLUMNS = (KODE_KELURAHAN, KELURAHAN_TYPO, KECAMATAN_MISMATCH)

MIN_TYPO_LETTERS = 5
MAX_TYPO_DISTANCE = 1
_KELURAHAN_PREFIXES = frozenset({"kel", "kelurahan", "desa"})
_KECAMATAN_PREFIXES = frozenset({"kec", "kecamatan"})
_SUNGAI_WORDS = frozenset({"sei", "sui", "sg", "sungai"})
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class KelurahanReference:
    """The official kelurahan and their aliases, as in the two reference CSV files."""

    kelurahan: pl.DataFrame
    aliases: pl.DataFrame

    def __post_init__(self) -> None:
        for frame, columns in ((self.kelurahan, REFERENCE_COLUMNS), (self.aliases, ALIAS_COLUMNS)):
            missing = set(columns) - set(frame.columns)
            if missing:
                raise ValueError(f"reference frame lacks columns {sorted(missing)}")


@dataclass(frozen=True)
class _Official:
    name: str
    kode_kelurahan: str
    kode_kecamatan: str


@dataclass(frozen=True)
class _Index:
    exact: dict[str, str]
    kecamatan_of_kelurahan: dict[str, str]
    kecamatan_codes: dict[str, str]
    typo_targets: tuple[_Official, ...]


@dataclass(frozen=True)
class _Match:
    kode_kelurahan: str | None
    typo: bool
    kecamatan_mismatch: bool


def _words(text: str) -> list[str]:
    words = _NOT_ALPHANUMERIC.sub(" ", text.lower()).split()
    return ["sungai" if word in _SUNGAI_WORDS else word for word in words]


def _drop_leading(words: list[str], prefixes: frozenset[str]) -> str:
    while words and words[0] in prefixes:
        words = words[1:]
    return " ".join(words)


def normalise_place_name(text: str) -> str:
    """Normalise a kelurahan name: lower case, punctuation to spaces, single spaces.

    A leading "kel", "kelurahan" or "desa" is dropped and "sei", "sui", "sg" read as
    "sungai".
    """
    return _drop_leading(_words(text), _KELURAHAN_PREFIXES)


def normalise_kecamatan_name(text: str) -> str:
    """Normalise a kecamatan name as a place name, dropping a leading "kec" or "kecamatan"."""
    return _drop_leading(_words(text), _KECAMATAN_PREFIXES)


def letter_count(text: str) -> int:
    """Count the letters of a text, leaving out spaces, digits and punctuation."""
    return sum(char.isalpha() for char in text)


def _build_index(reference: KelurahanReference) -> _Index:
    officials = tuple(
        _Official(normalise_place_name(name), kode, kode_kecamatan)
        for name, kode, kode_kecamatan in reference.kelurahan.select(
            KELURAHAN, KODE_KELURAHAN, KODE_KECAMATAN
        ).iter_rows()
    )
    exact = {official.name: official.kode_kelurahan for official in officials}
    for alias, kode in reference.aliases.select(ALIAS, KODE_KELURAHAN).iter_rows():
        exact.setdefault(normalise_place_name(alias), kode)
    kecamatan_codes = {
        normalise_kecamatan_name(name): kode
        for name, kode in reference.kelurahan.select(KECAMATAN, KODE_KECAMATAN).unique().iter_rows()
    }
    return _Index(
        exact=exact,
        kecamatan_of_kelurahan={o.kode_kelurahan: o.kode_kecamatan for o in officials},
        kecamatan_codes=kecamatan_codes,
        typo_targets=tuple(o for o in officials if letter_count(o.name) >= MIN_TYPO_LETTERS),
    )


def _typo_match(name: str, kode_kecamatan: str | None, index: _Index) -> str | None:
    if letter_count(name) < MIN_TYPO_LETTERS:
        return None
    candidates = {
        official.kode_kelurahan
        for official in index.typo_targets
        if kode_kecamatan in (None, official.kode_kecamatan)
        and DamerauLevenshtein.distance(name, official.name, score_cutoff=MAX_TYPO_DISTANCE)
        <= MAX_TYPO_DISTANCE
    }
    return candidates.pop() if len(candidates) == 1 else None


def _match_one(kelurahan: str | None, kecamatan: str | None, index: _Index) -> _Match:
    if kelurahan is None:
        return _Match(None, typo=False, kecamatan_mismatch=False)
    name = normalise_place_name(kelurahan)
    kode_kecamatan = (
        index.kecamatan_codes.get(normalise_kecamatan_name(kecamatan)) if kecamatan else None
    )
    kode = index.exact.get(name)
    typo = False
    if kode is None:
        kode = _typo_match(name, kode_kecamatan, index)
        typo = kode is not None
    mismatch = (
        kode is not None
        and kode_kecamatan is not None
        and index.kecamatan_of_kelurahan[kode] != kode_kecamatan
    )
    return _Match(kode, typo=typo, kecamatan_mismatch=mismatch)


def match_kelurahan_pairs(pairs: pl.DataFrame, reference: KelurahanReference) -> pl.DataFrame:
    """Match each distinct (kelurahan, kecamatan) pair to an official kelurahan code.

    Returns one row per distinct pair, in the order pairs first show them: kelurahan,
    kecamatan, kode_kelurahan (null when unmatched), kelurahan_typo and kecamatan_mismatch.
    """
    index = _build_index(reference)
    distinct = pairs.select(KELURAHAN, KECAMATAN).unique(maintain_order=True)
    matches = [_match_one(kel, kec, index) for kel, kec in distinct.iter_rows()]
    return pl.DataFrame(
        {
            KELURAHAN: distinct[KELURAHAN],
            KECAMATAN: distinct[KECAMATAN],
            KODE_KELURAHAN: [m.kode_kelurahan for m in matches],
            KELURAHAN_TYPO: [m.typo for m in matches],
            KECAMATAN_MISMATCH: [m.kecamatan_mismatch for m in matches],
        },
        schema=MATCH_SCHEMA,
    )


def kelurahan_matches(rows: pl.DataFrame, reference: KelurahanReference) -> pl.DataFrame:
    """Return kode_kelurahan, kelurahan_typo and kecamatan_mismatch of every row, in row order.

    Matching runs once per distinct (kelurahan, kecamatan) pair, as in match_kelurahan_pairs.
    A pair is numbered from where its two names stand among their column's distinct values,
    so that pairs are told apart and mapped back to rows as numbers rather than texts.
    """
    schema = {name: MATCH_SCHEMA[name] for name in MATCH_COLUMNS}
    if rows.height == 0:
        return pl.DataFrame(schema=schema)
    kelurahan = rows.get_column(KELURAHAN).unique()
    kecamatan = rows.get_column(KECAMATAN).unique()
    width = pl.lit(kecamatan.len(), pl.UInt64)
    numbers = rows.select(
        _position(KELURAHAN, kelurahan) * width + _position(KECAMATAN, kecamatan)
    ).to_series()
    distinct = numbers.unique()
    pairs = pl.DataFrame(
        {
            KELURAHAN: kelurahan.gather(distinct // kecamatan.len()),
            KECAMATAN: kecamatan.gather(distinct % kecamatan.len()),
        }
    )
    row_match = numbers.replace_strict(distinct, _positions(distinct.len()), return_dtype=pl.UInt64)
    return (
        match_kelurahan_pairs(pairs, reference)
        .select(list(schema))
        .select(pl.all().gather(row_match))
    )


def _positions(count: int) -> pl.Series:
    return pl.int_range(count, dtype=pl.UInt64, eager=True)


def _position(column: str, values: pl.Series) -> pl.Expr:
    """Return where each row's value of column stands among values, which hold them all."""
    return pl.col(column).replace_strict(values, _positions(values.len()), return_dtype=pl.UInt64)


def match_kelurahan(rows: pl.DataFrame, reference: KelurahanReference) -> pl.DataFrame:
    """Add kode_kelurahan, kelurahan_typo and kecamatan_mismatch to every row.

    Matching runs once per distinct (kelurahan, kecamatan) pair, row order kept. Exact
    names and aliases match anywhere in the city; a typo (one edit, on names of 5 letters
    or more) must point to exactly one official name, searched within the row's kecamatan
    when that is recognised. When a recognised kecamatan disagrees with the matched
    kelurahan, the kelurahan wins and kecamatan_mismatch is set.
    """
    return pl.concat([rows, kelurahan_matches(rows, reference)], how="horizontal")
