"""Write a deterministic set of synthetic enrolment extracts and the manifest of what they hold.

The extracts imitate deliveries from kecamatan offices and the plantation desk: CSV and XLSX
files with title rows, footers, hidden and recap sheets, every header alias and value variant
of the data contract, a few bad rows for every rejection reason, a correction delivery, a
re-sent identical file, a file missing a required column and files that are not extracts.
Every person, NIK and KPJ number is invented.

The manifest is written from the generator's own decisions, never by running the pipeline:
tests compute expected statistics from it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import xlsxwriter

from schemas.columns import (
    CATEGORY_UNKNOWN,
    DUPLICATE_IN_FILE,
    END_BEFORE_START,
    END_DATE_INVALID,
    FILE_DUPLICATE,
    FILE_LOADED,
    FILE_REJECTED,
    JENIS_KELAMIN,
    KATEGORI,
    KECAMATAN,
    KELURAHAN,
    KELURAHAN_UNKNOWN,
    NAMA,
    NIK,
    NIK_INVALID,
    NIK_MISSING,
    NO_KPJ,
    PEKERJA_RENTAN,
    PEKERJAAN,
    REJECTION_REASONS,
    SAWIT_BPU,
    START_DATE_INVALID,
    START_DATE_MISSING,
    START_DATE_OUT_OF_RANGE,
    TANGGAL_AKHIR,
    TANGGAL_LAHIR,
    TANGGAL_MULAI,
    WARNING_KECAMATAN_MISMATCH,
    WARNING_KELURAHAN_TYPO,
)
from transforms.report_format import MONTH_ABBREVIATIONS, MONTH_NAMES

SEED = 20251215
LAUNCH_DATE = date(2025, 12, 15)
TARGETS: dict[str, int] = {PEKERJA_RENTAN: 7737, SAWIT_BPU: 767}
COVERAGE_MONTHS: dict[str, int] = {PEKERJA_RENTAN: 5, SAWIT_BPU: 12}
PERSONS_IN_BOTH = 12
CORRECTIONS = 24
REFERENCE_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"

ACCEPTED = "accepted"
NOT_AN_EXTRACT = "not_an_extract"

# Extra columns that real deliveries carry and the contract ignores.
NO = "no"
ALAMAT = "alamat"
KETERANGAN = "keterangan"


# --------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class Enrolment:
    """One intended (NIK, category) enrolment after every correction."""

    nik: str
    category: str
    kode_kelurahan: str
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class RowNote:
    """A row the pipeline should reject or warn about, located as a person sees it."""

    source_file: str
    source_sheet: str | None
    source_row: int
    code: str


@dataclass(frozen=True)
class SheetExpectation:
    """What should happen to one worksheet: read, or skipped as hidden or lacking columns."""

    name: str
    status: str
    header_row: int | None
    rows_read: int


@dataclass(frozen=True)
class FileExpectation:
    """What the load log should say about one file under the raw folder."""

    source_file: str
    status: str
    reason: str | None
    format: str
    delivery_date: date
    date_from: str
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    rows_read: int | None = None
    rows_accepted: int | None = None
    rows_rejected: int | None = None
    sheets: tuple[SheetExpectation, ...] = ()
    missing_columns: tuple[str, ...] = ()
    duplicate_of: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Correction:
    """An accepted row of a later delivery that replaces an earlier enrolment."""

    nik: str
    category: str
    replaced_in: str
    replaced_by: str
    change: str


@dataclass(frozen=True)
class DemoManifest:
    """Everything the demo extracts should yield, as decided by the generator."""

    seed: int
    enrolments: tuple[Enrolment, ...]
    files: tuple[FileExpectation, ...]
    ignored_files: tuple[str, ...]
    rejected_rows: tuple[RowNote, ...]
    warnings: tuple[RowNote, ...]
    corrections: tuple[Correction, ...]

    def accepted_counts(self) -> dict[str, int]:
        """Count the final enrolments per category."""
        counts = Counter(enrolment.category for enrolment in self.enrolments)
        return {code: counts[code] for code in TARGETS}

    def rejected_counts(self) -> dict[str, int]:
        """Count the rejected rows per reason, in the contract's order."""
        counts = Counter(note.code for note in self.rejected_rows)
        return {reason: counts[reason] for reason in REJECTION_REASONS}

    def warning_counts(self) -> dict[str, int]:
        """Count the rows kept with a warning, per kind."""
        counts = Counter(note.code for note in self.warnings)
        return {kind: counts[kind] for kind in (WARNING_KELURAHAN_TYPO, WARNING_KECAMATAN_MISMATCH)}

    def file(self, source_file: str) -> FileExpectation:
        """Return the expectation for one file, by its path relative to the raw folder."""
        for expectation in self.files:
            if expectation.source_file == source_file:
                return expectation
        raise KeyError(source_file)

    def to_json(self, path: Path) -> None:
        """Write the manifest as sorted, indented JSON (dates as YYYY-MM-DD)."""
        document = {
            "seed": self.seed,
            "summary": {
                "accepted": self.accepted_counts(),
                "rejected": self.rejected_counts(),
                "warnings": self.warning_counts(),
                "persons": len({enrolment.nik for enrolment in self.enrolments}),
            },
            "files": [asdict(item) for item in self.files],
            "ignored_files": list(self.ignored_files),
            "rejected_rows": [asdict(item) for item in self.rejected_rows],
            "warnings": [asdict(item) for item in self.warnings],
            "corrections": [asdict(item) for item in self.corrections],
            "enrolments": [asdict(item) for item in self.enrolments],
        }
        text = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False, default=str)
        Path(path).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, path: Path) -> DemoManifest:
        """Read a manifest written by `to_json`."""
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        files = []
        for item in document["files"]:
            item["delivery_date"] = date.fromisoformat(item["delivery_date"])
            item["sheets"] = tuple(SheetExpectation(**sheet) for sheet in item["sheets"])
            item["missing_columns"] = tuple(item["missing_columns"])
            files.append(FileExpectation(**item))
        return cls(
            seed=document["seed"],
            enrolments=tuple(
                Enrolment(
                    nik=item["nik"],
                    category=item["category"],
                    kode_kelurahan=item["kode_kelurahan"],
                    start_date=date.fromisoformat(item["start_date"]),
                    end_date=date.fromisoformat(item["end_date"]) if item["end_date"] else None,
                )
                for item in document["enrolments"]
            ),
            files=tuple(files),
            ignored_files=tuple(document["ignored_files"]),
            rejected_rows=tuple(RowNote(**item) for item in document["rejected_rows"]),
            warnings=tuple(RowNote(**item) for item in document["warnings"]),
            corrections=tuple(Correction(**item) for item in document["corrections"]),
        )


# --------------------------------------------------------------------------- reference


@dataclass(frozen=True)
class Kelurahan:
    """One official kelurahan with its kecamatan."""

    kode: str
    nama: str
    kode_kecamatan: str
    kecamatan: str

    @property
    def kecamatan_number(self) -> int:
        """Return the kecamatan's two-digit Kemendagri number (01-05)."""
        return int(self.kode_kecamatan[-2:])


def load_kelurahan(reference_dir: Path = REFERENCE_DIR) -> tuple[Kelurahan, ...]:
    """Read the 26 official kelurahan from the project's reference copy."""
    with open(reference_dir / "kelurahan_singkawang.csv", encoding="utf-8", newline="") as handle:
        return tuple(
            Kelurahan(
                row["kode_kelurahan"], row["kelurahan"], row["kode_kecamatan"], row["kecamatan"]
            )
            for row in csv.DictReader(handle)
        )


def load_aliases(reference_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    """Read the alternate kelurahan spellings, keyed by kelurahan code."""
    path = reference_dir / "kelurahan_aliases.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["kode_kelurahan"]: row["alias"] for row in csv.DictReader(handle)}


# --------------------------------------------------------------------------- cells

Cell = str | int | date | None


class QuotedText(str):
    """Text an XLSX writer stores with Excel's quote prefix (typed as '6172...)."""


@dataclass(frozen=True)
class Formula:
    """An XLSX formula with its cached result."""

    text: str
    value: int


_EXCEL_EPOCH = date(1899, 12, 30)

DateWriter = Callable[[date], Cell]


def _iso(value: date) -> Cell:
    return value.isoformat()


def _dmy_slash(value: date) -> Cell:
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def _dmy_slash_short(value: date) -> Cell:
    return f"{value.day}/{value.month}/{value.year}"


def _dmy_dash(value: date) -> Cell:
    return f"{value.day:02d}-{value.month:02d}-{value.year}"


def _dmy_dot(value: date) -> Cell:
    return f"{value.day:02d}.{value.month:02d}.{value.year}"


def _iso_midnight(value: date) -> Cell:
    return f"{value.isoformat()} 00:00:00"


def _dmy_midnight(value: date) -> Cell:
    return f"{value.day:02d}/{value.month:02d}/{value.year} 0:00"


def _iso_t_dotted(value: date) -> Cell:
    return f"{value.isoformat()}T08.30"


def _bulan_long(value: date) -> Cell:
    return f"{value.day} {MONTH_NAMES[value.month - 1]} {value.year}"


def _bulan_short_lower(value: date) -> Cell:
    short = "agt" if value.month == 8 else MONTH_ABBREVIATIONS[value.month - 1].lower()
    return f"{value.day} {short} {value.year}"


def _bulan_short_title(value: date) -> Cell:
    return f"{value.day:02d} {MONTH_ABBREVIATIONS[value.month - 1]} {value.year}"


def _date_cell(value: date) -> Cell:
    return value


def _serial_cell(value: date) -> Cell:
    return (value - _EXCEL_EPOCH).days


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _add_months(value: date, months: int) -> tuple[int, int]:
    index = value.year * 12 + value.month - 1 + months
    return index // 12, index % 12 + 1


def _weighted(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


# --------------------------------------------------------------------------- people


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


_MALAY_MALE = _words(
    "Ahmad Muhammad Rudi Budi Hendra Syarif Rahmat Iwan Agus Firman Yusuf Hasan Ilham Rizky Dedi "
    "Zulkifli Abdul Safarudin"
)
_MALAY_FEMALE = _words(
    "Siti Nur Rina Dewi Sri Fitri Yanti Ratna Aisyah Nurul Wati Lestari Halimah Juliana Rohani"
)
_MALAY_MALE_LAST = _words(
    "Saputra Hidayat Ramadhan Kurniawan Pratama Firdaus Rahman Hamid Abdullah Effendi Syahputra"
)
_MALAY_FEMALE_LAST = _words(
    "Aminah Rahmawati Handayani Purnamasari Fitriani Susanti Wulandari Hasanah Maharani"
)
_HAKKA_SURNAME = _words("Bong Tjhai Lie Liu Chin Phang Hiu Lim Tan Kho Jong Sim Ng Tjong Lay Fung")
_HAKKA_MALE = _words(
    "Ket Fui|Sun Kiong|Ah Seng|Khiun Fo|Kim Liong|Fat Khiong|Jun Fat|Tjhin Hin|Nyit Fung", sep="|"
)
_HAKKA_FEMALE = _words(
    "Kim Fa|Siu Lan|Nyuk Lan|Fui Khim|Mei Lin|Sui Moi|Lie Tjhin|Siu Fung|Nyuk Moi", sep="|"
)
_CHINESE_INDONESIAN_MALE = _words("Hendrik Susanto Hartono Kurniadi Sugianto Hendra Johan")
_CHINESE_INDONESIAN_FEMALE = _words("Melinda Suryani Lindawati Yuliani Susi Meliana")
_DAYAK_MALE = _words("Yohanes Agustinus Fransiskus Markus Petrus Yosef Antonius Paulus Stefanus")
_DAYAK_FEMALE = _words("Maria Margaretha Veronika Theresia Yuliana Magdalena Elisabeth Agnesia")
_DAYAK_LAST = _words("Ajun Nyangun Lawing Tingang Atak Ijau Jalung Anyang Inai Apui Ngalai Sanjaya")
# Spellings that need more than ASCII, so a file's encoding matters.
ACCENTED_NAMES: tuple[tuple[str, bool], ...] = (
    ("Théresia Inai", True),
    ("Raphaël Ajun", False),
    ("Anaïs Lawing", True),
    ("Noël Tingang", False),
    ("Joséf Nyangun", False),
    ("Zoë Ngalai", True),
    ("Désiré Apui", False),
    ("Rosé Lie", True),
)

_STREETS = (
    "Jl. Diponegoro",
    "Jl. Pahlawan",
    "Jl. Gunung Sari",
    "Jl. Alianyang",
    "Jl. Sejahtera",
    "Jl. Kridasana",
    "Jl. Bougenville",
    "Jl. Ratu Sepudak",
    "Jl. Tani",
    "Jl. Yos Sudarso",
    "Jl. Padang Pasir",
    "Jl. Hermansyah",
)
_RENTAN_JOBS = (
    "Pedagang Kaki Lima",
    "Buruh Harian Lepas",
    "Nelayan Tradisional",
    "Tukang Ojek",
    "Petani",
    "Pemulung",
    "Buruh Bangunan",
    "Asisten Rumah Tangga",
    "Penjahit",
    "Pengemudi Ojek Online",
    "Buruh Angkut Pasar",
    "Marbot Masjid",
)
_SAWIT_JOBS = (
    "Petani Sawit",
    "Buruh Panen Sawit",
    "Pemanen Sawit",
    "Perawat Kebun Sawit",
    "Pengangkut TBS",
)


@dataclass
class Person:
    """A synthetic person: a made-up NIK, name and birth date."""

    nik: str
    nama: str
    female: bool
    birth: date
    kpj: str
    alamat: str


class _People:
    """Make persons with unique NIKs and KPJ numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serials: Counter[str] = Counter()
        self.kpjs: set[str] = set()

    def make(self, kecamatan_number: int) -> Person:
        rng = self.rng
        female = rng.random() < 0.46
        birth = date(1962, 1, 1) + timedelta(days=rng.randrange(0, 44 * 365))
        day = birth.day + 40 if female else birth.day
        stem = f"6172{kecamatan_number:02d}{day:02d}{birth.month:02d}{birth.year % 100:02d}"
        self.serials[stem] += 1
        kpj = f"{rng.randrange(10**10, 10**11)}"
        while kpj in self.kpjs:
            kpj = f"{rng.randrange(10**10, 10**11)}"
        self.kpjs.add(kpj)
        alamat = f"{rng.choice(_STREETS)} No. {rng.randrange(1, 160)}"
        if rng.random() < 0.5:
            alamat += f" RT {rng.randrange(1, 30):03d}/RW {rng.randrange(1, 12):03d}"
        return Person(
            nik=f"{stem}{self.serials[stem]:04d}",
            nama=self._name(female),
            female=female,
            birth=birth,
            kpj=kpj,
            alamat=alamat,
        )

    def _name(self, female: bool) -> str:
        rng = self.rng
        group = _weighted(rng, (("malay", 0.45), ("hakka", 0.25), ("chindo", 0.1), ("dayak", 0.2)))
        if group == "malay":
            first = rng.choice(_MALAY_FEMALE if female else _MALAY_MALE)
            return f"{first} {rng.choice(_MALAY_FEMALE_LAST if female else _MALAY_MALE_LAST)}"
        if group == "hakka":
            given = _HAKKA_FEMALE if female else _HAKKA_MALE
            return f"{rng.choice(_HAKKA_SURNAME)} {rng.choice(given)}"
        if group == "chindo":
            given = _CHINESE_INDONESIAN_FEMALE if female else _CHINESE_INDONESIAN_MALE
            return f"{rng.choice(given)} {rng.choice(_HAKKA_SURNAME)}"
        return f"{rng.choice(_DAYAK_FEMALE if female else _DAYAK_MALE)} {rng.choice(_DAYAK_LAST)}"


# --------------------------------------------------------------------------- planning


@dataclass(eq=False)
class _Planned:
    person: Person
    final: Enrolment
    before: Enrolment | None = None
    change: str | None = None

    @property
    def first(self) -> Enrolment:
        return self.before or self.final


def _allocate(total: int, weights: Sequence[float], minimum: int) -> list[int]:
    """Split total over weights, at least minimum each, by largest remainder."""
    rest = total - minimum * len(weights)
    shares = [rest * weight / sum(weights) for weight in weights]
    counts = [int(share) for share in shares]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in order[: rest - sum(counts)]:
        counts[i] += 1
    return [minimum + count for count in counts]


_LATER_STARTS = (date(2026, 1, 2), date(2026, 1, 15), date(2026, 2, 2), date(2026, 3, 2))


def _start_and_end(rng: random.Random, category: str) -> tuple[date, date | None]:
    later = 0.13 if category == PEKERJA_RENTAN else 0.16
    start = LAUNCH_DATE if rng.random() >= later else rng.choice(_LATER_STARTS)
    months = COVERAGE_MONTHS[category]
    draw = rng.random()
    if draw < 0.03:
        year, month = _add_months(start, rng.randrange(0, months - 1))
        end = _month_end(year, month) if rng.random() < 0.5 else date(year, month, 14)
        return start, max(end, _month_end(start.year, start.month))
    if draw < 0.12:
        return start, _month_end(*_add_months(start, months - 1))
    return start, None


def _plan(kelurahan: Sequence[Kelurahan], people: _People, rng: random.Random) -> list[_Planned]:
    """Decide every final enrolment, the persons in both categories and the corrections."""
    rentan_weights = [rng.uniform(0.6, 1.4) for _ in kelurahan]
    sawit_weights = [
        (3.0 if kel.kecamatan_number in (3, 4, 5) else 0.3) * rng.uniform(0.7, 1.3)
        for kel in kelurahan
    ]
    planned: list[_Planned] = []
    by_kelurahan: dict[str, list[_Planned]] = {kel.kode: [] for kel in kelurahan}
    for category, weights, minimum in (
        (PEKERJA_RENTAN, rentan_weights, 60),
        (SAWIT_BPU, sawit_weights, 4),
    ):
        for kel, count in zip(
            kelurahan, _allocate(TARGETS[category], weights, minimum), strict=True
        ):
            for _ in range(count):
                # The NIK records where it was issued, not where the person lives now.
                issued = kel.kecamatan_number if rng.random() < 0.85 else rng.randrange(1, 6)
                person = people.make(issued)
                start, end = _start_and_end(rng, category)
                item = _Planned(person, Enrolment(person.nik, category, kel.kode, start, end))
                planned.append(item)
                if category == PEKERJA_RENTAN:
                    by_kelurahan[kel.kode].append(item)

    sawit = [item for item in planned if item.final.category == SAWIT_BPU]
    for index, item in enumerate(rng.sample(sawit, PERSONS_IN_BOTH)):
        rentan = rng.choice(by_kelurahan[item.final.kode_kelurahan])
        by_kelurahan[item.final.kode_kelurahan].remove(rentan)
        # The first two enrol in both categories in January, so one file holds both rows.
        start = date(2026, 1, 15) if index < 2 else LAUNCH_DATE
        item.person = rentan.person
        item.final = Enrolment(rentan.person.nik, SAWIT_BPU, item.final.kode_kelurahan, start, None)
        rentan.final = Enrolment(
            rentan.person.nik, PEKERJA_RENTAN, rentan.final.kode_kelurahan, start, None
        )

    both = {item.person.nik for item in sawit}
    candidates = [
        item
        for item in planned
        if item.final.start_date == LAUNCH_DATE
        and item.final.end_date is None
        and not (item.final.category == PEKERJA_RENTAN and item.person.nik in both)
    ]
    same_kecamatan = {
        kel.kode: [other.kode for other in kelurahan if other.kode_kecamatan == kel.kode_kecamatan]
        for kel in kelurahan
    }
    changes = ("kelurahan", "start_later", "start_fix", "end")
    for index, item in enumerate(rng.sample(candidates, CORRECTIONS)):
        final = item.final
        change = changes[index % len(changes)]
        item.change = change
        if change == "kelurahan":
            others = [
                kode
                for kode in same_kecamatan[final.kode_kelurahan]
                if kode != final.kode_kelurahan
            ]
            item.before = replace(final, kode_kelurahan=rng.choice(others))
        elif change == "start_later":
            item.before = final
            item.final = replace(final, start_date=date(2026, 1, 1))
        elif change == "start_fix":
            item.before = replace(final, start_date=date(2025, 12, 1))
        else:
            item.before = final
            last = date(2026, 2, 14) if final.category == PEKERJA_RENTAN else date(2026, 6, 30)
            item.final = replace(final, end_date=last)
    return planned


# --------------------------------------------------------------------------- rows and files


@dataclass(eq=False)
class _Row:
    cells: dict[str, Cell]
    outcome: str = ACCEPTED
    enrolment: Enrolment | None = None
    warning: str | None = None
    locked: bool = False
    source_row: int = 0
    female: bool = False


@dataclass
class _Filler:
    """A row the contract skips: blank, a pre-numbered template row or a footer."""

    cells: dict[str, Cell | Formula]


@dataclass
class _Sheet:
    name: str
    columns: list[tuple[str, str]]
    items: list[_Row | _Filler] = field(default_factory=list)
    title_rows: tuple[str, ...] = ()
    blank_after_title: bool = False
    status: str = "read"
    header_row: int = 0


@dataclass
class _Extract:
    path: str
    delivery: date
    sheets: list[_Sheet]
    description: str
    date_from: str = "name"
    encoding: str | None = None
    delimiter: str | None = None
    newline: str = "\r\n"
    status: str = FILE_LOADED
    missing_columns: tuple[str, ...] = ()
    author: str = ""

    @property
    def is_csv(self) -> bool:
        return self.path.lower().endswith(".csv")


@dataclass(frozen=True)
class _Flavour:
    """How one office writes its values."""

    nik: Callable[[str, random.Random], Cell]
    dates: Sequence[tuple[DateWriter, float]]
    birth: DateWriter
    rentan_labels: Sequence[tuple[str, float]]
    sawit_labels: Sequence[tuple[str, float]]
    kecamatan: Sequence[tuple[str, float]]
    gender: tuple[str, str] = ("L", "P")
    prefix_weight: float = 0.2


_RENTAN_VARIANTS = (
    "Pekerja Rentan",
    "PEKERJA RENTAN",
    "pekerja rentan",
    "Rentan",
    "RENTAN",
    "PR",
    "P.R.",
    "Pekerja-Rentan",
    "pekerja_rentan",
)
_SAWIT_VARIANTS = (
    "Pekerja Sawit BPU",
    "Sawit BPU",
    "BPU Sawit",
    "SAWIT",
    "Pekerja Sawit Bukan Penerima Upah",
    "Pekerja Sawit Bukan Penerima Upah (BPU)",
    "Pekerja Kelapa Sawit BPU",
    "Pekerja Kelapa Sawit Bukan Penerima Upah",
    "sawit_bpu",
    "Sawit - BPU",
    "pekerja sawit (bpu)",
)


def _labels(primary: str, variants: Sequence[str], share: float = 0.9) -> list[tuple[str, float]]:
    others = [label for label in variants if label != primary]
    return [(primary, share)] + [(label, (1 - share) / len(others)) for label in others]


def _nik_plain(nik: str, rng: random.Random) -> Cell:
    return nik


def _nik_number(nik: str, rng: random.Random) -> Cell:
    return int(nik)


def _nik_spreadsheet_text(nik: str, rng: random.Random) -> Cell:
    draw = rng.random()
    if draw < 0.25:
        return f"'{nik}"
    if draw < 0.35:
        return QuotedText(nik)
    return nik


def _nik_export(nik: str, rng: random.Random) -> Cell:
    draw = rng.random()
    if draw < 0.15:
        return f"'{nik}"
    if draw < 0.25:
        return f"{nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:]}"
    if draw < 0.3:
        return f" {nik} "
    return nik


class _Writer:
    """Turn planned enrolments into rows in one office's style."""

    def __init__(
        self,
        rng: random.Random,
        aliases: dict[str, str],
        kelurahan: dict[str, Kelurahan],
        flavour: _Flavour,
    ) -> None:
        self.rng = rng
        self.aliases = aliases
        self.kelurahan = kelurahan
        self.flavour = flavour

    def kelurahan_text(self, kel: Kelurahan) -> str:
        rng = self.rng
        name = kel.nama
        if kel.kode in self.aliases and rng.random() < 0.4:
            name = self.aliases[kel.kode]
        if name.startswith("Sungai "):
            word = _weighted(
                rng, (("Sungai", 0.3), ("Sei", 0.35), ("Sui", 0.1), ("Sg.", 0.15), ("SG", 0.1))
            )
            name = f"{word} {name[len('Sungai ') :]}"
        if rng.random() < self.flavour.prefix_weight:
            name = rng.choice(("Kel. ", "Kelurahan ", "Desa ", "KEL. ")) + name
        case = _weighted(rng, (("keep", 0.75), ("upper", 0.2), ("lower", 0.05)))
        return name.upper() if case == "upper" else name.lower() if case == "lower" else name

    def kecamatan_text(self, kel: Kelurahan) -> str:
        style = _weighted(self.rng, self.flavour.kecamatan)
        name = kel.kecamatan
        return {
            "plain": name,
            "upper": name.upper(),
            "kec": f"Kec. {name}",
            "kecamatan": f"KECAMATAN {name.upper()}",
        }[style]

    def date(self, value: date | None) -> Cell:
        if value is None:
            return None
        return _weighted(self.rng, self.flavour.dates)(value)

    def row(self, person: Person, enrolment: Enrolment) -> _Row:
        rng = self.rng
        flavour = self.flavour
        kel = self.kelurahan[enrolment.kode_kelurahan]
        rentan = enrolment.category == PEKERJA_RENTAN
        labels = flavour.rentan_labels if rentan else flavour.sawit_labels
        cells: dict[str, Cell] = {
            NIK: flavour.nik(person.nik, rng),
            NAMA: person.nama,
            TANGGAL_LAHIR: flavour.birth(person.birth),
            JENIS_KELAMIN: flavour.gender[1] if person.female else flavour.gender[0],
            ALAMAT: person.alamat,
            KELURAHAN: self.kelurahan_text(kel),
            KECAMATAN: self.kecamatan_text(kel),
            KATEGORI: _weighted(rng, labels),
            PEKERJAAN: rng.choice(_RENTAN_JOBS if rentan else _SAWIT_JOBS),
            NO_KPJ: person.kpj,
            TANGGAL_MULAI: self.date(enrolment.start_date),
            TANGGAL_AKHIR: self.date(enrolment.end_date),
        }
        return _Row(cells, enrolment=enrolment, female=person.female)


def _ordered(rows: list[_Row], rng: random.Random) -> list[_Row]:
    """Group rows by kelurahan as offices do, shuffled within each kelurahan."""
    rng.shuffle(rows)
    return sorted(rows, key=lambda row: row.enrolment.kode_kelurahan if row.enrolment else "")


def _rename(rows: list[_Row], names: Sequence[tuple[str, bool]], rng: random.Random) -> None:
    """Give a few persons of the right sex a name that needs more than ASCII."""
    for name, is_female in names:
        row = rng.choice([r for r in rows if r.female is is_female and not r.locked])
        row.cells[NAMA] = name
        row.locked = True


def _insert(items: list[_Row | _Filler], row: _Row, rng: random.Random, after: int = 0) -> None:
    items.insert(rng.randrange(after + 1, len(items) + 1), row)


# Hand-picked one-letter typos; each is one edit from exactly one official name.
TYPOS = {
    "Pasiran": "Pasirn",
    "Sekip Lama": "Sekip Lamma",
    "Bagak Sahwa": "Bagak Sawha",
    "Sungai Garam Hilir": "Sei Garam Hilr",
    "Sijangkung": "Sijangkug",
    "Condong": "Condomg",
    "Pangmilang": "Pangmilnag",
    "Setapuk Besar": "Setapuk Besra",
    "Pajintan": "Pajinten",
    "Sagatani": "Sagatan",
}


class _Builder:
    """Build every extract from the plan, with bad rows, warnings and fillers."""

    def __init__(
        self,
        kelurahan: Sequence[Kelurahan],
        aliases: dict[str, str],
        people: _People,
        rng: random.Random,
    ) -> None:
        self.kelurahan = {kel.kode: kel for kel in kelurahan}
        self.by_kecamatan = {
            number: [kel for kel in kelurahan if kel.kecamatan_number == number]
            for number in range(1, 6)
        }
        self.aliases = aliases
        self.people = people
        self.rng = rng

    def writer(self, flavour: _Flavour) -> _Writer:
        return _Writer(self.rng, self.aliases, self.kelurahan, flavour)

    def rows(self, writer: _Writer, entries: list[tuple[Person, Enrolment]]) -> list[_Row]:
        return _ordered([writer.row(person, enrolment) for person, enrolment in entries], self.rng)

    def bad_row(
        self,
        writer: _Writer,
        reason: str,
        category: str,
        kecamatan_number: int,
        overrides: dict[str, Cell],
        start: date = LAUNCH_DATE,
    ) -> _Row:
        """Make a row from a fresh person that fails only `reason`."""
        kel = self.rng.choice(self.by_kecamatan[kecamatan_number])
        person = self.people.make(kecamatan_number)
        row = writer.row(person, Enrolment(person.nik, category, kel.kode, start, None))
        row.cells[KELURAHAN] = kel.nama
        row.cells[KECAMATAN] = kel.kecamatan
        row.cells.update(overrides)
        row.outcome = reason
        row.enrolment = None
        row.locked = True
        return row

    def duplicate(self, items: list[_Row | _Filler], spaced_nik: bool = False) -> None:
        """Repeat an accepted row later in the same sheet (rejected as duplicate_in_file)."""
        rows = [item for item in items if isinstance(item, _Row) and self._free(item)]
        original = self.rng.choice(rows)
        original.locked = True
        cells = dict(original.cells)
        if spaced_nik and original.enrolment:
            nik = original.enrolment.nik
            cells[NIK] = f"{nik[:6]} {nik[6:12]} {nik[12:]}"
        copy = _Row(cells, outcome=DUPLICATE_IN_FILE, locked=True)
        position = next(i for i, item in enumerate(items) if item is original)
        _insert(items, copy, self.rng, after=position)

    def typo(self, items: list[_Row | _Filler], names: Sequence[str]) -> None:
        """Misspell one row's kelurahan by one letter (kept with a warning)."""
        row, kel = self.rng.choice([(r, k) for r, k in self._candidates(items) if k.nama in names])
        row.cells[KELURAHAN] = TYPOS[kel.nama]
        row.cells[KECAMATAN] = kel.kecamatan
        row.warning = WARNING_KELURAHAN_TYPO
        row.locked = True

    def mismatch(self, items: list[_Row | _Filler], kelurahan_name: str, kecamatan: str) -> None:
        """Write the wrong kecamatan beside a correctly spelled kelurahan (kept with a warning)."""
        row, _ = self.rng.choice(
            [(r, k) for r, k in self._candidates(items) if k.nama == kelurahan_name]
        )
        row.cells[KELURAHAN] = kelurahan_name
        row.cells[KECAMATAN] = kecamatan
        row.warning = WARNING_KECAMATAN_MISMATCH
        row.locked = True

    def _candidates(self, items: list[_Row | _Filler]) -> list[tuple[_Row, Kelurahan]]:
        return [
            (item, self.kelurahan[item.enrolment.kode_kelurahan])
            for item in items
            if isinstance(item, _Row) and self._free(item) and item.enrolment
        ]

    @staticmethod
    def _free(row: _Row) -> bool:
        return row.outcome == ACCEPTED and not row.locked


def _columns(*pairs: tuple[str, str]) -> list[tuple[str, str]]:
    return list(pairs)


def _build_extracts(
    plan: list[_Planned],
    kelurahan: Sequence[Kelurahan],
    aliases: dict[str, str],
    people: _People,
    rng: random.Random,
) -> tuple[list[_Extract], list[Correction]]:
    """Lay the planned enrolments out as the files the offices send."""
    builder = _Builder(kelurahan, aliases, people, rng)
    kel_by_code = {kel.kode: kel for kel in kelurahan}
    groups: dict[str, list[tuple[Person, Enrolment]]] = {}
    for item in plan:
        first = item.first
        if first.start_date <= LAUNCH_DATE:
            if first.category == SAWIT_BPU:
                key = "sawit"
            else:
                key = f"kec{kel_by_code[first.kode_kelurahan].kecamatan_number}"
        else:
            key = {1: "jan", 2: "feb", 3: "mar"}[first.start_date.month]
        groups.setdefault(key, []).append((item.person, first))

    extracts: list[_Extract] = []
    extracts.append(_timur(builder, groups["kec3"]))
    extracts.append(_barat(builder, groups["kec2"]))
    extracts.append(_tengah(builder, groups["kec1"]))
    extracts.append(_utara(builder, groups["kec4"]))
    extracts.append(_selatan(builder, groups["kec5"]))
    extracts.append(_sawit(builder, groups["sawit"]))
    koreksi, corrections = _koreksi(builder, plan, extracts)
    extracts.append(koreksi)
    extracts.append(_januari(builder, groups["jan"]))
    extracts.append(_missing_column(builder, groups["feb"]))
    extracts.append(_februari(builder, groups["feb"]))
    extracts.append(_maret(builder, groups["mar"]))
    return extracts, corrections


def _timur(builder: _Builder, entries: list[tuple[Person, Enrolment]]) -> _Extract:
    writer = builder.writer(
        _Flavour(
            nik=_nik_plain,
            dates=((_dmy_slash, 0.8), (_dmy_slash_short, 0.2)),
            birth=_dmy_slash,
            rentan_labels=_labels("Pekerja Rentan", _RENTAN_VARIANTS),
            sawit_labels=_labels("Sawit BPU", _SAWIT_VARIANTS),
            kecamatan=(("plain", 1.0),),
            gender=("Laki-laki", "Perempuan"),
            prefix_weight=0.3,
        )
    )
    items: list[_Row | _Filler] = list(builder.rows(writer, entries))
    builder.typo(items, ["Bagak Sahwa"])
    rng = builder.rng
    for row in (
        builder.bad_row(writer, NIK_MISSING, PEKERJA_RENTAN, 3, {NIK: None}),
        builder.bad_row(writer, CATEGORY_UNKNOWN, PEKERJA_RENTAN, 3, {KATEGORI: "Penerima Upah"}),
        builder.bad_row(writer, START_DATE_MISSING, PEKERJA_RENTAN, 3, {TANGGAL_MULAI: None}),
        builder.bad_row(
            writer, START_DATE_INVALID, PEKERJA_RENTAN, 3, {TANGGAL_MULAI: "31/02/2026"}
        ),
        builder.bad_row(
            writer,
            END_BEFORE_START,
            PEKERJA_RENTAN,
            3,
            {TANGGAL_MULAI: "15/12/2025", TANGGAL_AKHIR: "1/12/2025"},
        ),
    ):
        _insert(items, row, rng)
    items.insert(len(items) // 2, _Filler({}))
    sheet = _Sheet(
        "",
        _columns(
            ("No", NO),
            ("NIK", NIK),
            ("Nama Tenaga Kerja", NAMA),
            ("Jenis Kelamin", JENIS_KELAMIN),
            ("Kelurahan/Desa", KELURAHAN),
            ("Kecamatan", KECAMATAN),
            ("Kategori", KATEGORI),
            ("Pekerjaan", PEKERJAAN),
            ("KPJ", NO_KPJ),
            ("Tanggal Kepesertaan", TANGGAL_MULAI),
            ("Tanggal Akhir", TANGGAL_AKHIR),
        ),
        items,
        title_rows=(
            "DATA PESERTA BPJS KETENAGAKERJAAN PEKERJA RENTAN",
            "KECAMATAN SINGKAWANG TIMUR - APBD KOTA SINGKAWANG TAHUN ANGGARAN 2025",
        ),
        blank_after_title=True,
    )
    return _Extract(
        "kecamatan/singkawang_timur/2025-12-19_kec_singkawang_timur.csv",
        date(2025, 12, 19),
        [sheet],
        "CSV ';' UTF-8 with BOM, CRLF; two title rows and a blank line above the header, "
        "a blank separator line; D/M/YYYY dates",
        encoding="utf-8-sig",
        delimiter=";",
    )


def _barat(builder: _Builder, entries: list[tuple[Person, Enrolment]]) -> _Extract:
    rng = builder.rng
    writer = builder.writer(
        _Flavour(
            nik=_nik_number,
            dates=((_date_cell, 1.0),),
            birth=_date_cell,
            rentan_labels=_labels("PEKERJA RENTAN", _RENTAN_VARIANTS),
            sawit_labels=_labels("Sawit BPU", _SAWIT_VARIANTS),
            kecamatan=(("plain", 0.7), ("kec", 0.3)),
            prefix_weight=0.25,
        )
    )
    items: list[_Row | _Filler] = list(builder.rows(writer, entries))
    builder.typo(items, ["Pasiran"])
    builder.mismatch(items, "Tengah", "Singkawang Tengah")
    builder.mismatch(items, "Kuala", "Kec. Singkawang Utara")
    for row in (
        builder.bad_row(writer, NIK_MISSING, PEKERJA_RENTAN, 2, {NIK: None}),
        builder.bad_row(writer, KELURAHAN_UNKNOWN, PEKERJA_RENTAN, 2, {KELURAHAN: "Bukit Merapin"}),
        builder.bad_row(
            writer,
            START_DATE_OUT_OF_RANGE,
            PEKERJA_RENTAN,
            2,
            {TANGGAL_MULAI: date(2024, 12, 15)},
        ),
        builder.bad_row(writer, END_DATE_INVALID, PEKERJA_RENTAN, 2, {TANGGAL_AKHIR: "31/04/2026"}),
    ):
        _insert(items, row, rng)
    builder.duplicate(items)
    count = len(items)
    items.extend(_Filler({NO: count + n}) for n in range(1, 4))
    items.append(_Filler({NO: "JUMLAH", NAMA: Formula(f"=COUNTA(C5:C{4 + count})", count)}))
    peserta = _Sheet(
        "Peserta",
        _columns(
            ("No", NO),
            ("Nomor Induk\nKependudukan", NIK),
            ("Nama Lengkap", NAMA),
            ("Tgl. Lahir", TANGGAL_LAHIR),
            ("L/P", JENIS_KELAMIN),
            ("Alamat", ALAMAT),
            ("Desa/Kelurahan", KELURAHAN),
            ("Kecamatan", KECAMATAN),
            ("Kategori Peserta", KATEGORI),
            ("Pekerjaan", PEKERJAAN),
            ("No. KPJ", NO_KPJ),
            ("TMT", TANGGAL_MULAI),
            ("Tgl. Akhir", TANGGAL_AKHIR),
        ),
        items,
        title_rows=(
            "DAFTAR PESERTA JAMINAN SOSIAL KETENAGAKERJAAN PEKERJA RENTAN",
            "KECAMATAN SINGKAWANG BARAT - DIBIAYAI APBD KOTA SINGKAWANG TAHUN 2025",
        ),
        blank_after_title=True,
    )
    per_kelurahan = Counter(
        builder.kelurahan[item.enrolment.kode_kelurahan].nama
        for item in items
        if isinstance(item, _Row) and item.enrolment
    )
    rekap_rows: list[_Row | _Filler] = [
        _Filler({NO: n, KELURAHAN: name, "jumlah": per_kelurahan[name]})
        for n, name in enumerate(sorted(per_kelurahan), start=1)
    ]
    rekap_rows.append(_Filler({NO: "JUMLAH", "jumlah": sum(per_kelurahan.values())}))
    rekap = _Sheet(
        "Rekap",
        _columns(("No", NO), ("Kelurahan", KELURAHAN), ("Jumlah Peserta", "jumlah")),
        rekap_rows,
        title_rows=("REKAPITULASI PESERTA PER KELURAHAN",),
        status="missing_columns",
    )
    arsip_writer = builder.writer(
        _Flavour(
            nik=_nik_plain,
            dates=((_dmy_slash, 1.0),),
            birth=_dmy_slash,
            rentan_labels=(("Pekerja Rentan", 1.0),),
            sawit_labels=(("Sawit BPU", 1.0),),
            kecamatan=(("plain", 1.0),),
        )
    )
    arsip_rows: list[_Row | _Filler] = []
    for _ in range(15):
        kel = rng.choice(builder.by_kecamatan[2])
        person = builder.people.make(2)
        arsip_rows.append(
            arsip_writer.row(
                person, Enrolment(person.nik, PEKERJA_RENTAN, kel.kode, date(2025, 6, 1), None)
            )
        )
    arsip = _Sheet(
        "arsip_lama",
        _columns(
            ("NIK", NIK),
            ("Nama", NAMA),
            ("Kelurahan", KELURAHAN),
            ("Kategori", KATEGORI),
            ("TMT", TANGGAL_MULAI),
        ),
        arsip_rows,
        status="hidden",
    )
    return _Extract(
        "kecamatan/singkawang_barat/2025-12-20_kec_singkawang_barat.xlsx",
        date(2025, 12, 20),
        [peserta, rekap, arsip],
        "XLSX; title rows, wrapped header cell with a line break, NIKs as numbers, real date "
        "cells, No and Alamat columns, pre-numbered blank template rows, JUMLAH footer; a recap "
        "sheet without the required columns and a hidden sheet with data",
        author="Kantor Kecamatan Singkawang Barat",
    )


def _tengah(builder: _Builder, entries: list[tuple[Person, Enrolment]]) -> _Extract:
    rng = builder.rng
    writer = builder.writer(
        _Flavour(
            nik=_nik_spreadsheet_text,
            dates=((_serial_cell, 0.85), (_date_cell, 0.1), (_dmy_dash, 0.05)),
            birth=_dmy_dash,
            rentan_labels=[*_labels("PR", _RENTAN_VARIANTS, 0.6), ("Rentan", 0.3)],
            sawit_labels=_labels("Sawit BPU", _SAWIT_VARIANTS),
            kecamatan=(("upper", 0.6), ("kec", 0.4)),
            prefix_weight=0.15,
        )
    )
    rows = builder.rows(writer, entries)
    half = len(rows) // 2
    first: list[_Row | _Filler] = list(rows[:half])
    second: list[_Row | _Filler] = list(rows[half:])
    builder.typo(first + second, ["Sekip Lama"])
    builder.mismatch(first + second, "Roban", "Singkawang Barat")
    _insert(
        first,
        builder.bad_row(writer, NIK_INVALID, PEKERJA_RENTAN, 1, {NIK: "6172023507900003"}),
        rng,
    )
    _insert(
        first,
        builder.bad_row(writer, KELURAHAN_UNKNOWN, PEKERJA_RENTAN, 1, {KELURAHAN: "Sekip Baru"}),
        rng,
    )
    _insert(
        second,
        builder.bad_row(writer, START_DATE_INVALID, PEKERJA_RENTAN, 1, {TANGGAL_MULAI: "46006"}),
        rng,
    )
    _insert(
        second,
        builder.bad_row(writer, START_DATE_MISSING, PEKERJA_RENTAN, 1, {TANGGAL_MULAI: None}),
        rng,
    )
    builder.duplicate(second)
    first.append(_Filler({}))
    first.append(_Filler({NAMA: "Jumlah peserta gelombang I", NO_KPJ: str(len(first) - 1)}))
    title = ("DAFTAR PESERTA PEKERJA RENTAN KECAMATAN SINGKAWANG TENGAH",)
    sheet_one = _Sheet(
        "Gelombang I",
        _columns(
            ("NO", NO),
            ("NIK", NIK),
            ("NAMA PESERTA", NAMA),
            ("TANGGAL LAHIR", TANGGAL_LAHIR),
            ("JK", JENIS_KELAMIN),
            ("KELURAHAN", KELURAHAN),
            ("KEC", KECAMATAN),
            ("JENIS PESERTA", KATEGORI),
            ("JENIS PEKERJAAN", PEKERJAAN),
            ("NOMOR KPJ", NO_KPJ),
            ("TGL KEPESERTAAN", TANGGAL_MULAI),
            ("TGL BERAKHIR", TANGGAL_AKHIR),
        ),
        first,
        title_rows=title,
    )
    sheet_two = _Sheet(
        "Gelombang II",
        _columns(
            ("NO", NO),
            ("NO NIK", NIK),
            ("NAMA", NAMA),
            ("TGL LAHIR", TANGGAL_LAHIR),
            ("SEX", JENIS_KELAMIN),
            ("KEL", KELURAHAN),
            ("KECAMATAN", KECAMATAN),
            ("SEGMEN", KATEGORI),
            ("PEKERJAAN", PEKERJAAN),
            ("KPJ", NO_KPJ),
            ("TANGGAL MULAI", TANGGAL_MULAI),
            ("TANGGAL BERAKHIR", TANGGAL_AKHIR),
        ),
        second,
        title_rows=title,
    )
    return _Extract(
        "kecamatan/singkawang_tengah/2025-12-22_kec_singkawang_tengah.xlsx",
        date(2025, 12, 22),
        [sheet_one, sheet_two],
        "XLSX with two data sheets; NIKs as text (some with a leading apostrophe, some "
        "quote-prefixed), dates as numeric serial cells (46006), a 'Jumlah' footer in sheet I",
        author="Kantor Kecamatan Singkawang Tengah",
    )


def _utara(builder: _Builder, entries: list[tuple[Person, Enrolment]]) -> _Extract:
    rng = builder.rng
    writer = builder.writer(
        _Flavour(
            nik=_nik_export,
            dates=((_iso_midnight, 0.6), (_dmy_midnight, 0.4)),
            birth=_iso,
            rentan_labels=_labels("Pekerja Rentan", _RENTAN_VARIANTS),
            sawit_labels=_labels("Sawit BPU", _SAWIT_VARIANTS),
            kecamatan=(("plain", 0.8), ("upper", 0.2)),
            prefix_weight=0.2,
        )
    )
    rows = builder.rows(writer, entries)
    _rename(rows, ACCENTED_NAMES, rng)
    for row in rng.sample(rows, 6):
        row.cells[ALAMAT] = f"{row.cells[ALAMAT]}\nGg. Damai, dekat Pasar Sungai Garam"
    items: list[_Row | _Filler] = list(rows)
    builder.typo(items, ["Sungai Garam Hilir"])
    builder.mismatch(items, "Naram", "Singkawang Selatan")
    for row in (
        builder.bad_row(writer, NIK_MISSING, PEKERJA_RENTAN, 4, {NIK: ""}),
        builder.bad_row(writer, NIK_INVALID, PEKERJA_RENTAN, 4, {NIK: "617204120389001"}),
        builder.bad_row(writer, KELURAHAN_UNKNOWN, PEKERJA_RENTAN, 4, {KELURAHAN: "Siantan"}),
        builder.bad_row(
            writer, KELURAHAN_UNKNOWN, PEKERJA_RENTAN, 4, {KELURAHAN: "Sungai Garam Hulu"}
        ),
        builder.bad_row(
            writer, START_DATE_OUT_OF_RANGE, PEKERJA_RENTAN, 4, {TANGGAL_MULAI: "15/12/2024 0:00"}
        ),
        builder.bad_row(writer, END_DATE_INVALID, PEKERJA_RENTAN, 4, {TANGGAL_AKHIR: "2026-02-30"}),
    ):
        _insert(items, row, rng)
    sheet = _Sheet(
        "",
        _columns(
            ("NO", NO),
            ("NOMOR NIK", NIK),
            ("NAMA", NAMA),
            ("TGL_LAHIR", TANGGAL_LAHIR),
            ("JK", JENIS_KELAMIN),
            ("ALAMAT", ALAMAT),
            ("KELURAHAN", KELURAHAN),
            ("KECAMATAN", KECAMATAN),
            ("KATEGORI", KATEGORI),
            ("PEKERJAAN", PEKERJAAN),
            ("NO_KPJ", NO_KPJ),
            ("TGL_MULAI", TANGGAL_MULAI),
            ("TGL_AKHIR", TANGGAL_AKHIR),
        ),
        items,
    )
    return _Extract(
        "kecamatan/singkawang_utara/2025-12-23_kec_singkawang_utara.csv",
        date(2025, 12, 23),
        [sheet],
        "CSV ',' Windows-1252, CRLF; accented names (é, ë, ï), addresses with a line break "
        "inside quotes, NIKs with spaces or a leading apostrophe, dates with a time",
        encoding="cp1252",
        delimiter=",",
    )


def _selatan(builder: _Builder, entries: list[tuple[Person, Enrolment]]) -> _Extract:
    rng = builder.rng
    writer = builder.writer(
        _Flavour(
            nik=_nik_plain,
            dates=((_dmy_dot, 0.7), (_dmy_dash, 0.3)),
            birth=_dmy_dot,
            rentan_labels=_labels("rentan", _RENTAN_VARIANTS, 0.85),
            sawit_labels=_labels("Sawit BPU", _SAWIT_VARIANTS),
            kecamatan=(("kecamatan", 0.5), ("plain", 0.5)),
            prefix_weight=0.3,
        )
    )
    items: list[_Row | _Filler] = list(builder.rows(writer, entries))
    builder.typo(items, ["Sijangkung"])
    builder.mismatch(items, "Sedau", "Singkawang Timur")
    for row in (
        builder.bad_row(writer, NIK_INVALID, PEKERJA_RENTAN, 5, {NIK: "6172051513880007"}),
        builder.bad_row(writer, CATEGORY_UNKNOWN, PEKERJA_RENTAN, 5, {KATEGORI: "Nelayan"}),
        builder.bad_row(writer, KELURAHAN_UNKNOWN, PEKERJA_RENTAN, 5, {KELURAHAN: "Sigiring"}),
        builder.bad_row(
            writer, START_DATE_INVALID, PEKERJA_RENTAN, 5, {TANGGAL_MULAI: "15-13-2025"}
        ),
    ):
        _insert(items, row, rng)
    builder.duplicate(items, spaced_nik=True)
    items.append(_Filler({NIK: "TOTAL PESERTA", NAMA: f"{len(items)} orang"}))
    sheet = _Sheet(
        "",
        _columns(
            ("nik", NIK),
            ("nama_lengkap", NAMA),
            ("tanggal_lahir", TANGGAL_LAHIR),
            ("jenis_kelamin", JENIS_KELAMIN),
            ("kelurahan", KELURAHAN),
            ("kecamatan", KECAMATAN),
            ("kategori", KATEGORI),
            ("pekerjaan", PEKERJAAN),
            ("no_kpj", NO_KPJ),
            ("tmt", TANGGAL_MULAI),
            ("tanggal_berakhir", TANGGAL_AKHIR),
        ),
        items,
    )
    return _Extract(
        "kecamatan/singkawang_selatan/2025-12-24_kec_singkawang_selatan.csv",
        date(2025, 12, 24),
        [sheet],
        "CSV tab-delimited, plain UTF-8, LF; lower-case snake_case headers, DD.MM.YYYY and "
        "DD-MM-YYYY dates, a TOTAL footer",
        encoding="utf-8",
        delimiter="\t",
        newline="\n",
    )


def _sawit(builder: _Builder, entries: list[tuple[Person, Enrolment]]) -> _Extract:
    rng = builder.rng
    writer = builder.writer(
        _Flavour(
            nik=_nik_export,
            dates=((_iso, 0.6), (_iso_t_dotted, 0.2), (_bulan_short_lower, 0.2)),
            birth=_iso,
            rentan_labels=_labels("Pekerja Rentan", _RENTAN_VARIANTS),
            sawit_labels=_labels("Pekerja Sawit BPU", _SAWIT_VARIANTS, 0.6),
            kecamatan=(("plain", 1.0),),
            prefix_weight=0.3,
        )
    )
    rows = builder.rows(writer, entries)
    for row in rng.sample(rows, 5):
        row.cells[PEKERJAAN] = f"{row.cells[PEKERJAAN]}\n(harian lepas)"
    items: list[_Row | _Filler] = list(rows)
    for row in (
        builder.bad_row(writer, NIK_INVALID, SAWIT_BPU, 3, {NIK: "6.17201E+15"}),
        builder.bad_row(writer, CATEGORY_UNKNOWN, SAWIT_BPU, 3, {KATEGORI: "Pekerja Informal"}),
        builder.bad_row(writer, START_DATE_INVALID, SAWIT_BPU, 5, {TANGGAL_MULAI: "46006"}),
        builder.bad_row(
            writer,
            END_BEFORE_START,
            SAWIT_BPU,
            4,
            {TANGGAL_MULAI: "2025-12-15", TANGGAL_AKHIR: "2025-11-30"},
        ),
    ):
        _insert(items, row, rng)
    builder.duplicate(items)
    sheet = _Sheet(
        "",
        _columns(
            ("No", NO),
            ("NIK", NIK),
            ("Nama Peserta", NAMA),
            ("Tgl Lahir", TANGGAL_LAHIR),
            ("L/P", JENIS_KELAMIN),
            ("Desa/Kelurahan", KELURAHAN),
            ("Kecamatan", KECAMATAN),
            ("Segmen", KATEGORI),
            ("Jenis Pekerjaan", PEKERJAAN),
            ("Nomor KPJ", NO_KPJ),
            ("TMT", TANGGAL_MULAI),
            ("Tgl Berakhir", TANGGAL_AKHIR),
        ),
        items,
    )
    return _Extract(
        "sawit/peserta_sawit_20251218.csv",
        date(2025, 12, 18),
        [sheet],
        "CSV ',' plain UTF-8, LF; every sawit_bpu label variant, pekerjaan with a line break "
        "inside quotes, ISO dates, '2025-12-15T08.30' and '15 des 2025', '6.17201E+15'",
        encoding="utf-8",
        delimiter=",",
        newline="\n",
    )


def _koreksi(
    builder: _Builder, plan: list[_Planned], extracts: list[_Extract]
) -> tuple[_Extract, list[Correction]]:
    rng = builder.rng
    writer = builder.writer(
        _Flavour(
            nik=_nik_spreadsheet_text,
            dates=((_bulan_long, 1.0),),
            birth=_bulan_long,
            rentan_labels=_labels("Pekerja Rentan", _RENTAN_VARIANTS, 0.7),
            sawit_labels=_labels("Pekerja Sawit Bukan Penerima Upah", _SAWIT_VARIANTS, 0.7),
            kecamatan=(("plain", 1.0),),
            prefix_weight=0.0,
        )
    )
    path = "koreksi/2026-01-08_koreksi_data_peserta.xlsx"
    origin: dict[tuple[str, str], str] = {}
    for extract in extracts:
        for sheet in extract.sheets:
            for entry in sheet.items:
                if isinstance(entry, _Row) and entry.enrolment:
                    origin[(entry.enrolment.nik, entry.enrolment.category)] = extract.path
    notes = {
        "kelurahan": "salah kelurahan, seharusnya sesuai domisili",
        "start_later": "mulai aktif Januari 2026",
        "start_fix": "TMT salah ketik, seharusnya 15 Desember 2025",
        "end": "meninggal dunia / pindah domisili",
    }
    items: list[_Row | _Filler] = []
    corrections: list[Correction] = []
    for item in plan:
        if item.before is None or item.change is None:
            continue
        row = writer.row(item.person, item.final)
        row.cells[KETERANGAN] = notes[item.change]
        items.append(row)
        key = (item.final.nik, item.final.category)
        corrections.append(Correction(key[0], key[1], origin[key], path, item.change))
    rng.shuffle(items)
    # A rejected correction leaves the earlier enrolment as it was.
    kept = next(
        item
        for item in plan
        if item.before is None
        and item.final.start_date == LAUNCH_DATE
        and item.final.end_date is None
        and (item.final.nik, item.final.category) in origin
        and origin[(item.final.nik, item.final.category)].endswith(".csv")
    )
    bad = writer.row(kept.person, kept.final)
    bad.cells[TANGGAL_AKHIR] = "30 November 2025"
    bad.cells[KETERANGAN] = "berhenti"
    bad.outcome = END_BEFORE_START
    bad.enrolment = None
    _insert(items, bad, rng)
    sheet = _Sheet(
        "Koreksi",
        _columns(
            ("NIK", NIK),
            ("Nama", NAMA),
            ("Kelurahan", KELURAHAN),
            ("Kategori", KATEGORI),
            ("Tanggal Mulai", TANGGAL_MULAI),
            ("Tanggal Akhir", TANGGAL_AKHIR),
            ("Keterangan", KETERANGAN),
        ),
        items,
        title_rows=("KOREKSI DATA PESERTA (PENGGANTI DATA KIRIMAN DESEMBER 2025)",),
    )
    extract = _Extract(
        path,
        date(2026, 1, 8),
        [sheet],
        "XLSX correction delivery: re-sends (NIK, kategori) with a changed kelurahan, start "
        "or end date; one correction row is rejected (end before start) and changes nothing; "
        "dates as '15 Desember 2025'",
        author="Dinas Tenaga Kerja Kota Singkawang",
    )
    return extract, corrections


def _januari(builder: _Builder, entries: list[tuple[Person, Enrolment]]) -> _Extract:
    rng = builder.rng
    writer = builder.writer(
        _Flavour(
            nik=_nik_spreadsheet_text,
            dates=((_date_cell, 0.4), (_bulan_long, 0.3), (_bulan_short_title, 0.3)),
            birth=_date_cell,
            rentan_labels=_labels("Pekerja Rentan", _RENTAN_VARIANTS, 0.8),
            sawit_labels=_labels("Pekerja Kelapa Sawit BPU", _SAWIT_VARIANTS, 0.6),
            kecamatan=(("kec", 0.6), ("plain", 0.4)),
            gender=("Laki-laki", "Perempuan"),
            prefix_weight=0.3,
        )
    )
    items: list[_Row | _Filler] = list(builder.rows(writer, entries))
    start = date(2026, 1, 15)
    for row in (
        builder.bad_row(writer, NIK_INVALID, PEKERJA_RENTAN, 1, {NIK: "6172010100870004"}, start),
        builder.bad_row(writer, START_DATE_MISSING, SAWIT_BPU, 3, {TANGGAL_MULAI: None}, start),
        builder.bad_row(
            writer,
            START_DATE_OUT_OF_RANGE,
            PEKERJA_RENTAN,
            5,
            {TANGGAL_MULAI: "02/01/2027"},
            start,
        ),
    ):
        _insert(items, row, rng)
    builder.duplicate(items)
    count = len(items)
    items.append(_Filler({NO: "JUMLAH", NAMA: Formula(f"=COUNTA(C3:C{2 + count})", count)}))
    sheet = _Sheet(
        "Tambahan Januari",
        _columns(
            ("No", NO),
            ("NIK", NIK),
            ("Nama Tenaga Kerja", NAMA),
            ("Jenis Kelamin", JENIS_KELAMIN),
            ("Kelurahan / Desa", KELURAHAN),
            ("Kec.", KECAMATAN),
            ("Kategori Peserta", KATEGORI),
            ("Pekerjaan", PEKERJAAN),
            ("No KPJ", NO_KPJ),
            ("Tgl Mulai", TANGGAL_MULAI),
            ("Tgl Akhir", TANGGAL_AKHIR),
        ),
        items,
        title_rows=("TAMBAHAN PESERTA BULAN JANUARI 2026",),
    )
    return _Extract(
        "tambahan/2026-01-20_TAMBAHAN_PESERTA_JANUARI.XLSX",
        date(2026, 1, 20),
        [sheet],
        "XLSX with an upper-case extension; January starts of both categories (two persons "
        "in both categories in this one file), date cells beside '2 Januari 2026' and "
        "'15 Jan 2026' text, a JUMLAH footer with a formula",
        author="Dinas Tenaga Kerja Kota Singkawang",
    )


def _missing_column(builder: _Builder, entries: list[tuple[Person, Enrolment]]) -> _Extract:
    writer = builder.writer(
        _Flavour(
            nik=_nik_plain,
            dates=((_iso, 1.0),),
            birth=_iso,
            rentan_labels=(("Pekerja Rentan", 1.0),),
            sawit_labels=(("Sawit BPU", 1.0),),
            kecamatan=(("plain", 1.0),),
            prefix_weight=0.0,
        )
    )
    sedau = [(p, e) for p, e in entries if e.kode_kelurahan == "61.72.05.1001"] or entries
    sheet = _Sheet(
        "",
        _columns(
            ("NIK", NIK),
            ("NAMA", NAMA),
            ("KELURAHAN", KELURAHAN),
            ("KATEGORI", KATEGORI),
            ("PEKERJAAN", PEKERJAAN),
        ),
        list(builder.rows(writer, sedau[:12])),
    )
    return _Extract(
        "tambahan/2026-01-05_usulan_kel_sedau.csv",
        date(2026, 1, 5),
        [sheet],
        "CSV without a start-date column: rejected whole (the same persons arrive later with "
        "their start dates)",
        encoding="utf-8",
        delimiter=",",
        status=FILE_REJECTED,
        missing_columns=(TANGGAL_MULAI,),
    )


def _februari(builder: _Builder, entries: list[tuple[Person, Enrolment]]) -> _Extract:
    rng = builder.rng
    writer = builder.writer(
        _Flavour(
            nik=_nik_plain,
            dates=((_dmy_slash_short, 0.5), (_dmy_dash, 0.3), (_iso, 0.2)),
            birth=_dmy_slash_short,
            rentan_labels=_labels("Pekerja Rentan", _RENTAN_VARIANTS, 0.7),
            sawit_labels=_labels("Sawit", _SAWIT_VARIANTS, 0.6),
            kecamatan=(("plain", 1.0),),
            prefix_weight=0.25,
        )
    )
    items: list[_Row | _Filler] = list(builder.rows(writer, entries))
    # Without a kecamatan column the typo is matched against the whole city.
    builder.typo(items, list(TYPOS))
    start = date(2026, 2, 2)
    for row in (
        builder.bad_row(writer, NIK_MISSING, PEKERJA_RENTAN, 2, {NIK: None}, start),
        builder.bad_row(writer, CATEGORY_UNKNOWN, PEKERJA_RENTAN, 1, {KATEGORI: "PBI JK"}, start),
        builder.bad_row(writer, KELURAHAN_UNKNOWN, PEKERJA_RENTAN, 1, {KELURAHAN: "Jawo"}, start),
        builder.bad_row(
            writer, START_DATE_INVALID, PEKERJA_RENTAN, 4, {TANGGAL_MULAI: "Desember 2025"}, start
        ),
        builder.bad_row(
            writer, END_DATE_INVALID, SAWIT_BPU, 3, {TANGGAL_AKHIR: "akhir April 2026"}, start
        ),
        builder.bad_row(
            writer,
            END_BEFORE_START,
            PEKERJA_RENTAN,
            5,
            {TANGGAL_MULAI: "2/2/2026", TANGGAL_AKHIR: "31/1/2026"},
            start,
        ),
    ):
        _insert(items, row, rng)
    sheet = _Sheet(
        "",
        _columns(
            ("NIK", NIK),
            ("NAMA", NAMA),
            ("KELURAHAN", KELURAHAN),
            ("KATEGORI", KATEGORI),
            ("TMT", TANGGAL_MULAI),
            ("TGL AKHIR", TANGGAL_AKHIR),
        ),
        items,
    )
    return _Extract(
        "tambahan/kiriman_2026-02-10/susulan_peserta_februari.csv",
        date(2026, 2, 12),
        [sheet],
        "CSV ';' UTF-8 with BOM; no date in the file name (the folder's date does not count): "
        "delivered by its modification time; no kecamatan column",
        date_from="mtime",
        encoding="utf-8-sig",
        delimiter=";",
    )


def _maret(builder: _Builder, entries: list[tuple[Person, Enrolment]]) -> _Extract:
    rng = builder.rng
    writer = builder.writer(
        _Flavour(
            nik=_nik_export,
            dates=((_bulan_long, 0.4), (_dmy_dash, 0.3), (_iso, 0.3)),
            birth=_dmy_slash,
            rentan_labels=_labels("Pekerja Rentan", _RENTAN_VARIANTS, 0.8),
            sawit_labels=_labels("Sawit", _SAWIT_VARIANTS, 0.6),
            kecamatan=(("kec", 0.5), ("plain", 0.5)),
            prefix_weight=0.25,
        )
    )
    rows = builder.rows(writer, entries)
    _rename(rows, ACCENTED_NAMES[:3], rng)
    items: list[_Row | _Filler] = list(rows)
    start = date(2026, 3, 2)
    for row in (
        builder.bad_row(writer, START_DATE_MISSING, PEKERJA_RENTAN, 4, {TANGGAL_MULAI: ""}, start),
        builder.bad_row(
            writer, START_DATE_OUT_OF_RANGE, SAWIT_BPU, 3, {TANGGAL_MULAI: "2024-12-15"}, start
        ),
    ):
        _insert(items, row, rng)
    sheet = _Sheet(
        "",
        _columns(
            ("No", NO),
            ("No. NIK", NIK),
            ("Nama Lengkap", NAMA),
            ("L/P", JENIS_KELAMIN),
            ("Kel.", KELURAHAN),
            ("Kec", KECAMATAN),
            ("Jenis Peserta", KATEGORI),
            ("Pekerjaan", PEKERJAAN),
            ("TMT", TANGGAL_MULAI),
            ("Tanggal Akhir", TANGGAL_AKHIR),
        ),
        items,
        title_rows=("Tambahan peserta Maret 2026",),
    )
    return _Extract(
        "tambahan/2026-03-09_tambahan_peserta_maret.csv",
        date(2026, 3, 9),
        [sheet],
        "CSV ';' Windows-1252, CRLF; a title row, March starts of both categories, "
        "'2 Maret 2026' dates",
        encoding="cp1252",
        delimiter=";",
    )


# --------------------------------------------------------------------------- writing


def _cell_text(value: Cell | Formula) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        return str(value.value)
    if isinstance(value, date):
        raise TypeError("a CSV holds text only")
    return str(value)


def _write_csv(path: Path, extract: _Extract) -> None:
    """Write a one-sheet extract as CSV and number its rows as a person sees them."""
    (sheet,) = extract.sheets
    width = len(sheet.columns)
    line_buffer = io.StringIO()
    writer = csv.writer(
        line_buffer, delimiter=extract.delimiter or ",", lineterminator=extract.newline
    )
    parts: list[str] = []
    line = 1

    def emit(values: list[str]) -> int:
        nonlocal line
        line_buffer.seek(0)
        line_buffer.truncate()
        writer.writerow(values)
        text = line_buffer.getvalue()
        parts.append(text)
        start = line
        line += text.count("\n")
        return start

    for title in sheet.title_rows:
        emit([title] + [""] * (width - 1))
    if sheet.blank_after_title:
        emit([""] * width)
    sheet.header_row = emit([header for header, _ in sheet.columns])
    number = 0
    for item in sheet.items:
        cells = dict(item.cells)
        if isinstance(item, _Row):
            number += 1
            cells[NO] = number
        row_start = emit([_cell_text(cells.get(key)) for _, key in sheet.columns])
        if isinstance(item, _Row):
            item.source_row = row_start
    path.write_bytes("".join(parts).encode(extract.encoding or "utf-8"))


def _write_xlsx(path: Path, extract: _Extract) -> None:
    """Write a workbook with fixed properties so its bytes never change."""
    created = datetime.combine(extract.delivery, time(9, 0))
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties(
        {"created": created, "author": extract.author, "company": "Pemerintah Kota Singkawang"}
    )
    title_format = workbook.add_format({"bold": True, "font_size": 12})
    header_format = workbook.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "border": 1, "bg_color": "#D9E1F2"}
    )
    text_format = workbook.add_format({"border": 1})
    quoted_format = workbook.add_format({"border": 1, "quote_prefix": True})
    nik_format = workbook.add_format({"border": 1, "num_format": "0"})
    date_format = workbook.add_format({"border": 1, "num_format": "dd/mm/yyyy"})
    footer_format = workbook.add_format({"bold": True, "border": 1})
    for sheet in extract.sheets:
        worksheet = workbook.add_worksheet(sheet.name)
        width = len(sheet.columns)
        row = 0
        for title in sheet.title_rows:
            if width > 1:
                worksheet.merge_range(row, 0, row, width - 1, title, title_format)
            else:
                worksheet.write_string(row, 0, title, title_format)
            row += 1
        if sheet.blank_after_title:
            row += 1
        for column, (header, _) in enumerate(sheet.columns):
            worksheet.write_string(row, column, header, header_format)
        sheet.header_row = row + 1
        if any("\n" in header for header, _ in sheet.columns):
            worksheet.set_row(row, 30)
        worksheet.freeze_panes(row + 1, 0)
        number = 0
        for item in sheet.items:
            row += 1
            cells: dict[str, Cell | Formula] = dict(item.cells)
            is_footer = isinstance(item, _Filler) and any(
                isinstance(value, str) and value.upper().startswith(("JUMLAH", "TOTAL"))
                for value in cells.values()
            )
            if isinstance(item, _Row):
                number += 1
                cells[NO] = number
                item.source_row = row + 1
            for column, (_, key) in enumerate(sheet.columns):
                value = cells.get(key)
                cell_format = footer_format if is_footer else text_format
                if value is None:
                    worksheet.write_blank(row, column, None, cell_format)
                elif isinstance(value, Formula):
                    worksheet.write_formula(row, column, value.text, cell_format, value.value)
                elif isinstance(value, date):
                    worksheet.write_datetime(
                        row, column, datetime.combine(value, time()), date_format
                    )
                elif isinstance(value, int):
                    worksheet.write_number(
                        row, column, value, nik_format if key == NIK else cell_format
                    )
                elif isinstance(value, QuotedText):
                    worksheet.write_string(row, column, str(value), quoted_format)
                else:
                    worksheet.write_string(row, column, value, cell_format)
        widths = {NIK: 20, NAMA: 26, ALAMAT: 34, KELURAHAN: 20, KECAMATAN: 22, KATEGORI: 24}
        for column, (_, key) in enumerate(sheet.columns):
            worksheet.set_column(column, column, widths.get(key, 13))
        if sheet.status == "hidden":
            worksheet.hide()
    workbook.close()


def _set_mtime(path: Path, moment: datetime) -> None:
    stamp = moment.timestamp()
    os.utime(path, (stamp, stamp))


def _delivery_moment(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def _expectation(extract: _Extract) -> tuple[FileExpectation, list[RowNote], list[RowNote]]:
    rejected: list[RowNote] = []
    warnings: list[RowNote] = []
    sheets: list[SheetExpectation] = []
    accepted = 0
    for sheet in extract.sheets:
        rows = [item for item in sheet.items if isinstance(item, _Row)]
        read = sheet.status == "read" and extract.status == FILE_LOADED
        sheet_name = None if extract.is_csv else sheet.name
        if not extract.is_csv:
            sheets.append(
                SheetExpectation(
                    sheet.name, sheet.status, sheet.header_row, len(rows) if read else 0
                )
            )
        if not read:
            continue
        for row in rows:
            if row.outcome == ACCEPTED:
                accepted += 1
            else:
                rejected.append(RowNote(extract.path, sheet_name, row.source_row, row.outcome))
            if row.warning:
                warnings.append(RowNote(extract.path, sheet_name, row.source_row, row.warning))
    loaded = extract.status == FILE_LOADED
    expectation = FileExpectation(
        source_file=extract.path,
        status=extract.status,
        reason=None if loaded else "missing_columns",
        format="csv" if extract.is_csv else "xlsx",
        delivery_date=extract.delivery,
        date_from=extract.date_from,
        encoding=extract.encoding,
        delimiter=extract.delimiter,
        header_row=extract.sheets[0].header_row if extract.is_csv else None,
        rows_read=accepted + len(rejected) if loaded else None,
        rows_accepted=accepted if loaded else None,
        rows_rejected=len(rejected) if loaded else None,
        sheets=tuple(sheets),
        missing_columns=extract.missing_columns,
        description=extract.description,
    )
    return expectation, rejected, warnings


_README = """Kiriman data peserta BPJS Ketenagakerjaan pekerja rentan dan pekerja sawit BPU.
Berkas dari kantor kecamatan ada di folder kecamatan/, data sawit di folder sawit/.
Surat pengantar terlampir (PDF). Hubungi bagian data bila ada pertanyaan.
"""
_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def write_demo_extracts(raw_dir: Path, reference_dir: Path = REFERENCE_DIR) -> DemoManifest:
    """Write the synthetic extracts under raw_dir and return what they should yield."""
    raw_dir = Path(raw_dir)
    kelurahan = load_kelurahan(reference_dir)
    aliases = load_aliases(reference_dir)
    rng = random.Random(SEED)
    people = _People(rng)
    plan = _plan(kelurahan, people, rng)
    extracts, corrections = _build_extracts(plan, kelurahan, aliases, people, rng)

    files: list[FileExpectation] = []
    rejected: list[RowNote] = []
    warnings: list[RowNote] = []
    for extract in extracts:
        path = raw_dir / extract.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if extract.is_csv:
            _write_csv(path, extract)
        else:
            _write_xlsx(path, extract)
        hour = 8 if extract.date_from == "mtime" else 9
        _set_mtime(path, _delivery_moment(extract.delivery, hour))
        expectation, file_rejected, file_warnings = _expectation(extract)
        files.append(expectation)
        rejected.extend(file_rejected)
        warnings.extend(file_warnings)

    original = next(item for item in files if "singkawang_timur" in item.source_file)
    resent = original.source_file.replace(
        "2025-12-19_kec_singkawang_timur", "2025-12-29_kec_singkawang_timur_kirim_ulang"
    )
    (raw_dir / resent).write_bytes((raw_dir / original.source_file).read_bytes())
    _set_mtime(raw_dir / resent, _delivery_moment(date(2025, 12, 29)))
    files.append(
        replace(
            original,
            source_file=resent,
            status=FILE_DUPLICATE,
            reason="same_bytes",
            delivery_date=date(2025, 12, 29),
            rows_read=None,
            rows_accepted=None,
            rows_rejected=None,
            duplicate_of=original.source_file,
            description="the Timur file sent again under another name: same bytes, later date",
        )
    )
    for name, content, day, description in (
        ("README.txt", _README.encode("utf-8"), date(2025, 12, 19), "a cover note"),
        ("surat_pengantar_dinsos.pdf", _PDF, date(2025, 12, 19), "a cover letter"),
    ):
        (raw_dir / name).write_bytes(content)
        _set_mtime(raw_dir / name, _delivery_moment(day))
        files.append(
            FileExpectation(
                source_file=name,
                status=FILE_REJECTED,
                reason=NOT_AN_EXTRACT,
                format="other",
                delivery_date=day,
                date_from="mtime",
                description=f"{description}, not an extract",
            )
        )
    ignored = (
        "kecamatan/singkawang_barat/~$2025-12-20_kec_singkawang_barat.xlsx",
        "sawit/.~lock.peserta_sawit_20251218.csv#",
    )
    (raw_dir / ignored[0]).write_bytes(b"\x0bOperator PC\x00" + b"\x00" * 40)
    (raw_dir / ignored[1]).write_text(
        ",operator,PC-DINSOS,18.12.2025 09:12,file:///C:/Users/operator/AppData/Roaming/LibreOffice/4;",
        encoding="utf-8",
    )
    for name in ignored:
        _set_mtime(raw_dir / name, _delivery_moment(date(2025, 12, 20)))

    files.sort(key=lambda item: (item.delivery_date, item.source_file))
    return DemoManifest(
        seed=SEED,
        enrolments=tuple(
            sorted(
                (item.final for item in plan), key=lambda e: (e.category, e.kode_kelurahan, e.nik)
            )
        ),
        files=tuple(files),
        ignored_files=ignored,
        rejected_rows=tuple(rejected),
        warnings=tuple(warnings),
        corrections=tuple(corrections),
    )
