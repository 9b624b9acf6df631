"""Write contract-shaped enrolment extracts of any size for the benchmarks.

A data set of N rows is a set of CSV deliveries of at most ROWS_PER_FILE rows each (at
least MIN_FILES of them) plus one correction delivery, dated last, that holds 1% of the N
rows. The values imitate real deliveries: four header layouts built from the contract's
aliases, kelurahan written in several cases, with prefixes ("Kel.", "Kelurahan", "Desa"),
"Sei"/"Sui"/"Sg." for Sungai or a known alias, category labels in their variants,
day-first and ISO dates, NIKs with a leading apostrophe or spaces, quoted fields, persons
enrolled in both categories, and about 1% of rows that break exactly one rule each.

Every person and number is invented. The manifest records what the generator decided
(rows per file, bad rows per reason, enrolments after corrections), never what a pipeline
computed.

    python -m benchmarks.generate --sizes 10k,1M,10M
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from schemas.columns import (
    CATEGORY_UNKNOWN,
    DUPLICATE_IN_FILE,
    END_BEFORE_START,
    END_DATE_INVALID,
    KELURAHAN_UNKNOWN,
    NIK_INVALID,
    NIK_MISSING,
    PEKERJA_RENTAN,
    SAWIT_BPU,
    START_DATE_INVALID,
    START_DATE_MISSING,
    START_DATE_OUT_OF_RANGE,
)

GENERATOR_VERSION = 1
SEED = 20251215
BENCHMARKS_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCHMARKS_DIR / "data"
REFERENCE_DIR = BENCHMARKS_DIR.parent / "data" / "reference"

ROWS_PER_FILE = 1_000_000
MIN_FILES = 4
CORRECTION_SHARE = 0.01
BAD_SHARE = 0.01
SAWIT_SHARE = 0.10
# Share of sawit_bpu enrolments whose person is also enrolled as pekerja_rentan.
BOTH_SHARE = 0.05
OTHER_DATE_FORMAT_SHARE = 0.15
END_DATE_SHARE = 0.10
KECAMATAN_MISMATCH_SHARE = 0.002
# Of the correction delivery: new late enrolments and rows that break a rule.
CORRECTION_NEW_SHARE = 0.04
CORRECTION_BAD_SHARE = 0.01
CORRECTION_MOVED_SHARE = 0.30

FIRST_DELIVERY = date(2026, 1, 5)
CORRECTION_DELIVERY = date(2026, 3, 2)
START_FIRST = date(2025, 12, 15)
START_LAST = date(2026, 6, 30)
BIRTH_FIRST = date(1950, 1, 1)
BIRTH_LAST = date(2007, 12, 31)
BIRTH_DAYS = (BIRTH_LAST - BIRTH_FIRST).days + 1
EPOCH = date(1970, 1, 1)
# Person numbers of rows that break a rule and of late enrolments never meet enrolled ones.
BAD_PERSON_BASE = 40_000_000
NEW_PERSON_BASE = 80_000_000

CATEGORY_CODES = (PEKERJA_RENTAN, SAWIT_BPU)
BAD_REASONS: dict[str, float] = {
    NIK_MISSING: 0.08,
    NIK_INVALID: 0.20,
    CATEGORY_UNKNOWN: 0.10,
    KELURAHAN_UNKNOWN: 0.14,
    START_DATE_MISSING: 0.06,
    START_DATE_INVALID: 0.12,
    START_DATE_OUT_OF_RANGE: 0.10,
    END_DATE_INVALID: 0.05,
    END_BEFORE_START: 0.05,
    DUPLICATE_IN_FILE: 0.10,
}
BAD_VALUES: dict[str, tuple[str | None, ...]] = {
    CATEGORY_UNKNOWN: ("Nelayan Mandiri", "BPU Umum", "Penerima Upah", None),
    KELURAHAN_UNKNOWN: ("Pontianak Kota", "Sambas", "Kel. Antah Berantah", None),
    START_DATE_INVALID: ("31/02/2026", "2026-13-01", "besok", "45/01/2026"),
    START_DATE_OUT_OF_RANGE: ("2024-06-01", "15/03/2027", "01/01/2020"),
    END_DATE_INVALID: ("30/02/2026", "selamanya", "2026-00-10"),
}

CATEGORY_LABELS: dict[str, tuple[tuple[str, float], ...]] = {
    PEKERJA_RENTAN: (
        ("Pekerja Rentan", 0.45),
        ("PEKERJA RENTAN", 0.20),
        ("pekerja rentan", 0.10),
        ("Rentan", 0.10),
        ("PR", 0.10),
        ("P.R.", 0.05),
    ),
    SAWIT_BPU: (
        ("Pekerja Sawit BPU", 0.30),
        ("Sawit BPU", 0.20),
        ("SAWIT", 0.10),
        ("Pekerja Sawit Bukan Penerima Upah (BPU)", 0.15),
        ("Pekerja Kelapa Sawit BPU", 0.10),
        ("BPU Sawit", 0.10),
        ("sawit bpu", 0.05),
    ),
}

FIRST_NAMES = (
    "Ahmad",
    "Muhammad",
    "Rudi",
    "Budi",
    "Hendra",
    "Syarif",
    "Rahmat",
    "Iwan",
    "Agus",
    "Firman",
    "Yusuf",
    "Ket Fui",
    "Sun Kiong",
    "Ah Seng",
    "Yohanes",
    "Markus",
    "Petrus",
    "Antonius",
)
FIRST_NAMES_FEMALE = (
    "Siti",
    "Nur",
    "Rina",
    "Dewi",
    "Sri",
    "Fitri",
    "Yanti",
    "Ratna",
    "Aisyah",
    "Nurul",
    "Kim Fa",
    "Siu Lan",
    "Nyuk Lan",
    "Maria",
    "Veronika",
    "Theresia",
    "Melinda",
)
LAST_NAMES = (
    "Saputra",
    "Hidayat",
    "Ramadhan",
    "Kurniawan",
    "Pratama",
    "Rahman",
    "Bong",
    "Tjhai",
    "Lie",
    "Liu",
    "Chin",
    "Phang",
    "Lim",
    "Tan",
    "Ajun",
    "Nyangun",
    "Lawing",
    "Tingang",
    "Handayani",
    "Susanti",
    "Wulandari",
    "Hasanah",
    "Maharani",
    "",
)
JOBS = (
    "Pedagang Kaki Lima",
    "Buruh, Harian Lepas",
    "Nelayan Tradisional",
    "Tukang Ojek",
    "Petani",
    "Pemulung",
    "Buruh Bangunan",
    "Penjahit",
    "Petani Sawit",
    "Pemanen Sawit",
    "Pengangkut TBS",
)
REMARKS = (None, None, None, None, None, None, "Baru", "Pindahan", "Usulan kelurahan")

# Each layout: (header as written, field). Unknown headers (NO, KETERANGAN) are extra columns.
LAYOUTS: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        ("NO", "no"),
        ("NIK", "nik"),
        ("NAMA", "nama"),
        ("TGL LAHIR", "tanggal_lahir"),
        ("JK", "jenis_kelamin"),
        ("KELURAHAN", "kelurahan"),
        ("KECAMATAN", "kecamatan"),
        ("KATEGORI", "kategori"),
        ("PEKERJAAN", "pekerjaan"),
        ("NO KPJ", "no_kpj"),
        ("TMT", "tanggal_mulai"),
        ("TGL AKHIR", "tanggal_akhir"),
    ),
    (
        ("No.", "no"),
        ("Nomor Induk Kependudukan", "nik"),
        ("Nama Lengkap", "nama"),
        ("Tanggal Lahir", "tanggal_lahir"),
        ("L/P", "jenis_kelamin"),
        ("Desa/Kelurahan", "kelurahan"),
        ("Kec.", "kecamatan"),
        ("Jenis Peserta", "kategori"),
        ("Jenis Pekerjaan", "pekerjaan"),
        ("KPJ", "no_kpj"),
        ("Tanggal Kepesertaan", "tanggal_mulai"),
        ("Tanggal Berakhir", "tanggal_akhir"),
        ("Keterangan", "keterangan"),
    ),
    (
        ("nik", "nik"),
        ("nama_peserta", "nama"),
        ("jenis_kelamin", "jenis_kelamin"),
        ("kelurahan", "kelurahan"),
        ("kategori_peserta", "kategori"),
        ("tgl_mulai", "tanggal_mulai"),
        ("tgl_akhir", "tanggal_akhir"),
        ("kecamatan", "kecamatan"),
        ("pekerjaan", "pekerjaan"),
        ("no_kpj", "no_kpj"),
        ("tanggal_lahir", "tanggal_lahir"),
    ),
    (
        ("NO NIK", "nik"),
        ("NAMA TENAGA KERJA", "nama"),
        ("SEX", "jenis_kelamin"),
        ("KEL", "kelurahan"),
        ("KEC", "kecamatan"),
        ("SEGMEN", "kategori"),
        ("TGL KEPESERTAAN", "tanggal_mulai"),
        ("TANGGAL AKHIR", "tanggal_akhir"),
        ("NOMOR KPJ", "no_kpj"),
        ("TGL LAHIR", "tanggal_lahir"),
        ("PEKERJAAN", "pekerjaan"),
    ),
)
ISO = "%Y-%m-%d"
DAY_FIRST = "%d/%m/%Y"


@dataclass(frozen=True)
class Place:
    """One official kelurahan with its kecamatan and the ways people write them."""

    kode: str
    kode_kecamatan: str
    nama: str
    kecamatan: str
    aliases: tuple[str, ...]


@dataclass
class FileManifest:
    """What the generator put in one delivery."""

    source_file: str
    rows: int
    layout: int
    bad_rows: dict[str, int] = field(default_factory=dict)


@dataclass
class Manifest:
    """What the generator decided for one data set."""

    rows: int
    seed: int
    generator_version: int
    files: list[FileManifest]
    enrolments: int
    corrections: int
    bytes: int = 0
    seconds: float = 0.0

    @property
    def rejected(self) -> int:
        """Count the rows that break a rule, over every file."""
        return sum(sum(item.bad_rows.values()) for item in self.files)

    def to_json(self, path: Path) -> None:
        """Write the manifest as indented JSON."""
        document = asdict(self) | {"rejected": self.rejected}
        path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, path: Path) -> Manifest:
        """Read a manifest written by to_json."""
        document = json.loads(path.read_text(encoding="utf-8"))
        document.pop("rejected", None)
        document["files"] = [FileManifest(**item) for item in document["files"]]
        return cls(**document)


def parse_size(text: str) -> int:
    """Read a row count written as 10k, 1M, 2.5M or a plain number."""
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    return int(float(number) * factor)


def size_label(rows: int) -> str:
    """Write a row count as 10k, 1M or 10M."""
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def load_places(reference_dir: Path = REFERENCE_DIR) -> tuple[Place, ...]:
    """Read the official kelurahan and their aliases."""
    text = {name: pl.String for name in ("kode_kecamatan", "kode_kelurahan", "kode_pos")}
    kelurahan = pl.read_csv(reference_dir / "kelurahan_singkawang.csv", schema_overrides=text)
    aliases = pl.read_csv(
        reference_dir / "kelurahan_aliases.csv", schema_overrides={"kode_kelurahan": pl.String}
    )
    alias_of: dict[str, list[str]] = {}
    for kode, alias in aliases.select("kode_kelurahan", "alias").iter_rows():
        alias_of.setdefault(kode, []).append(alias)
    return tuple(
        Place(kode, kode_kecamatan, nama, kecamatan, tuple(alias_of.get(kode, ())))
        for kode, kode_kecamatan, nama, kecamatan in kelurahan.select(
            "kode_kelurahan", "kode_kecamatan", "kelurahan", "kecamatan"
        ).iter_rows()
    )


def _kelurahan_spellings(place: Place) -> list[tuple[str, float]]:
    name = place.nama
    spellings = [
        (name, 0.40),
        (name.upper(), 0.15),
        (name.lower(), 0.08),
        (f"Kel. {name}", 0.12),
        (f"KELURAHAN {name.upper()}", 0.08),
        (f"Kelurahan {name}", 0.07),
        (f"Desa {name}", 0.05),
        (f"kel {name.lower()}", 0.05),
    ]
    if name.startswith("Sungai "):
        rest = name.removeprefix("Sungai ")
        spellings += [
            (f"Sei {rest}", 0.15),
            (f"Sui {rest}", 0.05),
            (f"Sg. {rest}", 0.05),
            (f"SEI {rest.upper()}", 0.05),
        ]
    spellings += [(alias, 0.10) for alias in place.aliases]
    return spellings


def _kecamatan_spellings(name: str) -> list[tuple[str | None, float]]:
    return [(name, 0.50), (name.upper(), 0.15), (f"Kec. {name}", 0.10), (None, 0.25)]


def _weights(options: Sequence[tuple[object, float]]) -> np.ndarray:
    weights = np.array([weight for _, weight in options], dtype=float)
    return weights / weights.sum()


def _spell(
    rng: np.random.Generator,
    groups: np.ndarray,
    spellings: Sequence[Sequence[tuple[str | None, float]]],
) -> pl.Series:
    """Pick, for each row, one spelling of the row's group, as weighted."""
    flat: list[str | None] = []
    offsets = []
    for options in spellings:
        offsets.append(len(flat))
        flat.extend(text for text, _ in options)
    picked = np.zeros(len(groups), dtype=np.int64)
    for group, options in enumerate(spellings):
        rows = np.flatnonzero(groups == group)
        if rows.size:
            chosen = rng.choice(len(options), size=rows.size, p=_weights(options))
            picked[rows] = offsets[group] + chosen
    return pl.Series(flat, dtype=pl.String).gather(picked)


def _choose(rng: np.random.Generator, options: tuple[str | None, ...], size: int) -> pl.Series:
    return pl.Series(list(options), dtype=pl.String).gather(rng.integers(0, len(options), size))


def _mix(values: np.ndarray) -> np.ndarray:
    """Return a well-spread 64-bit hash of non-negative integers."""
    mixed = values.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    mixed ^= mixed >> np.uint64(29)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    return mixed ^ (mixed >> np.uint64(32))


def _home_places(persons: np.ndarray, places: tuple[Place, ...]) -> np.ndarray:
    """Give every person a home kelurahan; some kelurahan are much larger than others."""
    weights = np.array([1.0 + (index * 7919 % 13) for index in range(len(places))])
    cumulative = np.cumsum(weights / weights.sum())
    uniform = (_mix(persons) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return np.minimum(np.searchsorted(cumulative, uniform), len(places) - 1).astype(np.int16)


def _is_female(persons: np.ndarray) -> np.ndarray:
    return ((_mix(persons + 7) >> np.uint64(40)) & np.uint64(1)).astype(bool)


def _days(value: date) -> int:
    return (value - EPOCH).days


def _random_starts(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.integers(_days(START_FIRST), _days(START_LAST) + 1, size)


@dataclass
class _Rows:
    """Underlying values of a delivery's rows, before they are written as text."""

    person: np.ndarray
    category: np.ndarray
    place: np.ndarray
    start: np.ndarray
    end: np.ndarray
    reason: list[str | None]

    def __len__(self) -> int:
        return len(self.person)

    @staticmethod
    def concat(parts: list[_Rows]) -> _Rows:
        return _Rows(
            person=np.concatenate([part.person for part in parts]),
            category=np.concatenate([part.category for part in parts]),
            place=np.concatenate([part.place for part in parts]),
            start=np.concatenate([part.start for part in parts]),
            end=np.concatenate([part.end for part in parts]),
            reason=[reason for part in parts for reason in part.reason],
        )

    def take(self, order: np.ndarray) -> _Rows:
        return _Rows(
            person=self.person[order],
            category=self.category[order],
            place=self.place[order],
            start=self.start[order],
            end=self.end[order],
            reason=[self.reason[index] for index in order],
        )


def _enrolled_rows(
    rng: np.random.Generator,
    persons: np.ndarray,
    categories: np.ndarray,
    places: tuple[Place, ...],
) -> _Rows:
    """Return good rows: the person's home kelurahan, a start and sometimes an end date."""
    size = len(persons)
    start = _random_starts(rng, size)
    end = np.where(
        rng.random(size) < END_DATE_SHARE, start + rng.integers(20, 420, size), -(1 << 40)
    )
    return _Rows(
        person=persons.astype(np.int64),
        category=categories.astype(np.int8),
        place=_home_places(persons, places),
        start=start,
        end=end,
        reason=[None] * size,
    )


def _bad_rows(
    rng: np.random.Generator,
    good: _Rows,
    count: int,
    first_person: int,
    places: tuple[Place, ...],
) -> tuple[_Rows, Counter[str]]:
    """Return rows that each break one rule; duplicates repeat a good row of the same file."""
    reasons = list(BAD_REASONS)
    picked = rng.choice(len(reasons), size=count, p=_weights(list(BAD_REASONS.items())))
    chosen = [reasons[index] for index in picked]
    fresh_persons = np.arange(first_person, first_person + count, dtype=np.int64)
    rows = _enrolled_rows(rng, fresh_persons, (rng.random(count) < SAWIT_SHARE), places)
    duplicates = np.flatnonzero(picked == reasons.index(DUPLICATE_IN_FILE))
    if duplicates.size and len(good):
        source = rng.integers(0, len(good), duplicates.size)
        rows.person[duplicates] = good.person[source]
        rows.category[duplicates] = good.category[source]
        rows.place[duplicates] = good.place[source]
        rows.start[duplicates] = good.start[source]
        rows.end[duplicates] = good.end[source]
    before = np.flatnonzero(picked == reasons.index(END_BEFORE_START))
    rows.end[before] = rows.start[before] - rng.integers(1, 60, before.size)
    rows.reason = chosen
    return rows, Counter(chosen)


def _nik(persons: np.ndarray, places: tuple[Place, ...]) -> tuple[pl.Series, pl.Series]:
    """Return the NIK and birth date of persons: 6172, kecamatan, DDMMYY (+40 for women), seq."""
    birth = np.datetime64(BIRTH_FIRST.isoformat()) + (persons % BIRTH_DAYS).astype("timedelta64[D]")
    births = pl.Series("birth", birth.astype("datetime64[D]"))
    kecamatan_of_place = np.array([int(place.kode_kecamatan[-2:]) for place in places])
    kecamatan = kecamatan_of_place[_home_places(persons, places)]
    day = births.dt.day().to_numpy().astype(np.int64) + 40 * _is_female(persons)
    month = births.dt.month().to_numpy().astype(np.int64)
    year = births.dt.year().to_numpy().astype(np.int64) % 100
    sequence = persons // BIRTH_DAYS + 1
    number = (
        6172 * 10**12
        + kecamatan * 10**10
        + day * 10**8
        + month * 10**6
        + year * 10**4
        + sequence % 10_000
    )
    return pl.Series("nik", number, dtype=pl.Int64).cast(pl.String), births


def _format_dates(
    rng: np.random.Generator, days: np.ndarray, primary: str, missing: np.ndarray
) -> pl.Series:
    """Write dates in the file's usual format, some in the other one; missing ones as null."""
    values = pl.Series(days.clip(-(10**6), 10**6), dtype=pl.Int32).cast(pl.Date)
    other = DAY_FIRST if primary == ISO else ISO
    use_other = pl.Series(rng.random(len(days)) < OTHER_DATE_FORMAT_SHARE)
    return (
        pl.DataFrame({"day": values, "other": use_other, "missing": pl.Series(missing)})
        .select(
            pl.when(pl.col("missing"))
            .then(None)
            .when(pl.col("other"))
            .then(pl.col("day").dt.strftime(other))
            .otherwise(pl.col("day").dt.strftime(primary))
        )
        .to_series()
    )


def _render(
    rng: np.random.Generator, rows: _Rows, places: tuple[Place, ...], primary: str
) -> pl.DataFrame:
    """Write the underlying values as the text cells of a delivery."""
    size = len(rows)
    reason = pl.Series("reason", rows.reason, dtype=pl.String)
    nik, births = _nik(rows.person, places)
    female = _is_female(rows.person)
    kelurahan = _spell(rng, rows.place, [_kelurahan_spellings(place) for place in places])
    kecamatan_names = sorted({place.kecamatan for place in places})
    kecamatan_index = np.array([kecamatan_names.index(place.kecamatan) for place in places])
    kecamatan_of_row = kecamatan_index[rows.place]
    mismatch = rng.random(size) < KECAMATAN_MISMATCH_SHARE
    kecamatan_of_row = np.where(
        mismatch, (kecamatan_of_row + 1) % len(kecamatan_names), kecamatan_of_row
    )
    kecamatan = _spell(
        rng, kecamatan_of_row, [_kecamatan_spellings(name) for name in kecamatan_names]
    )
    kategori = _spell(rng, rows.category, [list(CATEGORY_LABELS[code]) for code in CATEGORY_CODES])
    has_end = rows.end > -(1 << 39)
    frame = pl.DataFrame(
        {
            "no": pl.Series(np.arange(1, size + 1)).cast(pl.String),
            "nik": nik,
            "nik_style": rng.integers(0, 100, size),
            "nik_bad": rng.integers(0, 5, size),
            "reason": reason,
            "first": pl.Series(list(FIRST_NAMES), dtype=pl.String).gather(
                rng.integers(0, len(FIRST_NAMES), size)
            ),
            "first_female": pl.Series(list(FIRST_NAMES_FEMALE), dtype=pl.String).gather(
                rng.integers(0, len(FIRST_NAMES_FEMALE), size)
            ),
            "last": _choose(rng, LAST_NAMES, size),
            "female": female,
            "birth": births,
            "kelurahan": kelurahan,
            "kecamatan": kecamatan,
            "kategori": kategori,
            "pekerjaan": _choose(rng, JOBS, size),
            "no_kpj": pl.Series(rng.integers(10**10, 10**11, size)).cast(pl.String),
            "tanggal_mulai": _format_dates(rng, rows.start, primary, np.zeros(size, bool)),
            "tanggal_akhir": _format_dates(rng, rows.end, primary, ~has_end),
            "keterangan": _choose(rng, REMARKS, size),
            "bad_pick": rng.integers(0, 12, size),
        }
    )
    return frame.select(
        "no",
        _nik_cell().alias("nik"),
        pl.concat_str(
            pl.when(pl.col("female")).then(pl.col("first_female")).otherwise(pl.col("first")),
            pl.lit(" "),
            pl.col("last"),
        )
        .str.strip_chars()
        .alias("nama"),
        pl.col("birth").dt.strftime("%d-%m-%Y").alias("tanggal_lahir"),
        pl.when(pl.col("female")).then(pl.lit("P")).otherwise(pl.lit("L")).alias("jenis_kelamin"),
        _bad_cell("kelurahan", KELURAHAN_UNKNOWN),
        "kecamatan",
        _bad_cell("kategori", CATEGORY_UNKNOWN),
        "pekerjaan",
        "no_kpj",
        pl.when(pl.col("reason") == START_DATE_MISSING)
        .then(None)
        .otherwise(_bad_cell("tanggal_mulai", START_DATE_INVALID, START_DATE_OUT_OF_RANGE))
        .alias("tanggal_mulai"),
        _bad_cell("tanggal_akhir", END_DATE_INVALID),
        "keterangan",
    )


def _bad_cell(column: str, *reasons: str) -> pl.Expr:
    """Replace a cell by one of its reason's bad values on the rows that break that rule."""
    expression = pl.col(column)
    for reason in reasons:
        values = BAD_VALUES[reason]
        pick = pl.Series(list(values), dtype=pl.String)
        bad = pl.lit(pick).gather(pl.col("bad_pick") % len(values))
        expression = pl.when(pl.col("reason") == reason).then(bad).otherwise(expression)
    return expression.alias(column)


def _nik_cell() -> pl.Expr:
    """Write the NIK as clerks do (plain, with a leading apostrophe, or spaced), or break it."""
    nik = pl.col("nik")
    style = pl.col("nik_style")
    written = (
        pl.when(style < 3)
        .then(pl.concat_str(pl.lit("'"), nik))
        .when(style < 4)
        .then(
            pl.concat_str(
                nik.str.slice(0, 4),
                pl.lit(" "),
                nik.str.slice(4, 6),
                pl.lit(" "),
                nik.str.slice(10, 6),
            )
        )
        .otherwise(nik)
    )
    broken = pl.col("nik_bad")
    invalid = (
        pl.when(broken == 0)
        .then(nik.str.slice(0, 15))
        .when(broken == 1)
        .then(pl.concat_str(nik.str.slice(0, 8), pl.lit("13"), nik.str.slice(10, 6)))
        .when(broken == 2)
        .then(pl.concat_str(nik.str.slice(0, 6), pl.lit("00"), nik.str.slice(8, 8)))
        .when(broken == 3)
        .then(pl.lit("6.17201E+15"))
        .otherwise(pl.concat_str(nik.str.slice(0, 5), pl.lit("O"), nik.str.slice(6, 10)))
    )
    return (
        pl.when(pl.col("reason") == NIK_MISSING)
        .then(None)
        .when(pl.col("reason") == NIK_INVALID)
        .then(invalid)
        .otherwise(written)
    )


def _write(frame: pl.DataFrame, layout: int, path: Path) -> None:
    columns = LAYOUTS[layout]
    frame.select(pl.col(name).alias(header) for header, name in columns).write_csv(path)


def _split(total: int, parts: int) -> list[int]:
    return [total * (index + 1) // parts - total * index // parts for index in range(parts)]


def generate(rows: int, out_dir: Path, seed: int = SEED) -> Manifest:
    """Write a data set of `rows` rows into out_dir/raw and its manifest into out_dir."""
    started = time.perf_counter()
    places = load_places()
    rng = np.random.default_rng([seed, rows])
    raw_dir = out_dir / "raw"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    raw_dir.mkdir(parents=True)

    correction_rows = rows // 100 if rows >= 100 else 0
    main_rows = rows - correction_rows
    bad_main = round(main_rows * BAD_SHARE)
    enrolled = main_rows - bad_main
    sawit = rng.random(enrolled) < SAWIT_SHARE
    persons = np.arange(enrolled, dtype=np.int64)
    sawit_index = np.flatnonzero(sawit)
    rentan_index = np.flatnonzero(~sawit)
    both = min(round(sawit_index.size * BOTH_SHARE), rentan_index.size)
    if both:
        persons[rng.choice(sawit_index, both, replace=False)] = rng.choice(
            rentan_index, both, replace=False
        )

    files_count = max(MIN_FILES, math.ceil(main_rows / ROWS_PER_FILE))
    manifests: list[FileManifest] = []
    first_good = 0
    first_bad_person = BAD_PERSON_BASE
    for index, (good_count, bad_count) in enumerate(
        zip(_split(enrolled, files_count), _split(bad_main, files_count), strict=True)
    ):
        block = slice(first_good, first_good + good_count)
        good = _enrolled_rows(rng, persons[block], sawit[block], places)
        bad, reasons = _bad_rows(rng, good, bad_count, first_bad_person, places)
        first_good += good_count
        first_bad_person += bad_count
        delivery = _Rows.concat([good, bad]).take(rng.permutation(good_count + bad_count))
        name = f"{(FIRST_DELIVERY + timedelta(days=index)).isoformat()}_kiriman_{index + 1:02d}.csv"
        layout = index % len(LAYOUTS)
        primary = ISO if index % 2 else DAY_FIRST
        _write(_render(rng, delivery, places, primary), layout, raw_dir / name)
        manifests.append(FileManifest(name, len(delivery), layout, dict(reasons)))

    enrolments = enrolled
    corrections = 0
    if correction_rows:
        late = round(correction_rows * CORRECTION_NEW_SHARE)
        bad_count = round(correction_rows * CORRECTION_BAD_SHARE)
        corrections = correction_rows - late - bad_count
        targets = rng.choice(enrolled, corrections + bad_count, replace=False)
        corrected = _enrolled_rows(rng, persons[targets], sawit[targets], places)
        moved = rng.random(len(corrected)) < CORRECTION_MOVED_SHARE
        corrected.place = np.where(
            moved, rng.integers(0, len(places), len(corrected)), corrected.place
        ).astype(np.int16)
        broken = [
            START_DATE_INVALID if index % 2 else KELURAHAN_UNKNOWN for index in range(bad_count)
        ]
        corrected.reason = [None] * corrections + broken
        new_persons = np.arange(NEW_PERSON_BASE, NEW_PERSON_BASE + late, dtype=np.int64)
        new = _enrolled_rows(rng, new_persons, rng.random(late) < SAWIT_SHARE, places)
        delivery = _Rows.concat([corrected, new]).take(rng.permutation(correction_rows))
        name = f"{CORRECTION_DELIVERY.isoformat()}_koreksi.csv"
        _write(_render(rng, delivery, places, DAY_FIRST), 0, raw_dir / name)
        manifests.append(FileManifest(name, correction_rows, 0, dict(Counter(broken))))
        enrolments += late

    manifest = Manifest(
        rows=rows,
        seed=seed,
        generator_version=GENERATOR_VERSION,
        files=manifests,
        enrolments=enrolments,
        corrections=corrections,
        bytes=sum(path.stat().st_size for path in raw_dir.iterdir()),
        seconds=round(time.perf_counter() - started, 2),
    )
    manifest.to_json(out_dir / "manifest.json")
    return manifest


def ensure_dataset(rows: int, data_dir: Path = DATA_DIR, seed: int = SEED) -> Path:
    """Return the folder of the data set of this size, generating it when missing or stale."""
    out_dir = data_dir / size_label(rows)
    manifest = out_dir / "manifest.json"
    if manifest.exists():
        existing = Manifest.from_json(manifest)
        if (existing.rows, existing.seed, existing.generator_version) == (
            rows,
            seed,
            GENERATOR_VERSION,
        ):
            return out_dir
    generate(rows, out_dir, seed)
    return out_dir


def main() -> None:
    """Generate the benchmark data sets named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,1M,10M", help="comma-separated row counts")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--force", action="store_true", help="regenerate existing data sets")
    arguments = parser.parse_args()
    for text in arguments.sizes.split(","):
        rows = parse_size(text)
        if arguments.force:
            out_dir = arguments.data_dir / size_label(rows)
            manifest = generate(rows, out_dir)
        else:
            out_dir = ensure_dataset(rows, arguments.data_dir)
            manifest = Manifest.from_json(out_dir / "manifest.json")
        print(
            f"{size_label(rows)}: {len(manifest.files)} files, {manifest.bytes / 1e6:.0f} MB, "
            f"{manifest.rejected} bad rows, {manifest.enrolments} enrolments "
            f"({manifest.seconds:.1f} s) in {out_dir}"
        )


if __name__ == "__main__":
    main()
