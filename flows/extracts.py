"""Find the extract files under the raw folder and read their rows as text."""

from __future__ import annotations

import atexit
import codecs
import contextlib
import csv
import hashlib
import io
import os
import posixpath
import re
import resource
import socket
import struct
import subprocess
import sys
import threading
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import BinaryIO, Literal
from xml.etree import ElementTree

import fastexcel
import polars as pl

from schemas.columns import (
    CONTRACT_COLUMNS,
    NIK,
    SOURCE_FILE,
    SOURCE_ROW,
    SOURCE_SHEET,
    TANGGAL_AKHIR,
    TANGGAL_LAHIR,
    TANGGAL_MULAI,
)
from transforms.headers import HeaderMapping, find_header_row, map_headers
from transforms.nik import mask_digit_runs

FileKind = Literal["csv", "xlsx", "other", "symlink"]
DateSource = Literal["file_name", "modified_time"]

EXTRACT_KINDS: dict[str, FileKind] = {".csv": "csv", ".xlsx": "xlsx"}
# Spreadsheet formats a person can save again as .xlsx; named in their rejection message.
RESAVE_AS_XLSX_SUFFIXES = (".xls", ".xlsm", ".xlsb", ".ods", ".numbers")
DATE_COLUMNS = (TANGGAL_MULAI, TANGGAL_AKHIR, TANGGAL_LAHIR)
ROWS_SCHEMA: dict[str, pl.DataType] = {
    SOURCE_FILE: pl.String(),
    SOURCE_SHEET: pl.String(),
    SOURCE_ROW: pl.Int64(),
    **{column: pl.String() for column in CONTRACT_COLUMNS},
}

HASH_CHUNK_BYTES = 1 << 20
ENCODING_CHUNK_BYTES = 16 << 20
HEADER_SCAN_BYTES = 4 << 20
HEADER_SCAN_ROWS = 100
CSV_DELIMITERS = (",", ";", "\t")
MAX_HEADERS_SHOWN = 30
MAX_HEADER_CHARS = 60
# A text file has next to no control bytes; more than this share of the first bytes marks
# a binary file (random bytes hold about 11 %).
BINARY_SNIFF_BYTES = 64 << 10
MAX_CONTROL_BYTE_SHARE = 0.05
MAX_LINES_NAMED = 5

# An XLSX file is a zip archive. Its directory declares how large every member becomes once
# expanded; a file whose members expand beyond these limits is refused before any of it is
# decompressed. Real extracts stay far below them (a sheet of 1,048,576 rows x 12 columns
# is about 650 MB of XML, compressed 10 to 25 times).
MAX_XLSX_MEMBERS = 10_000
MAX_XLSX_EXPANDED_BYTES = 2 << 30
MAX_XLSX_RATIO = 100
XLSX_RATIO_CHECKED_FROM_BYTES = 16 << 20
# XLSX files are parsed in a separate process with at most this much memory (or half the
# machine's, when less) and this much time: a file that needs more costs that file only.
XLSX_READER_MEMORY_BYTES = 4 << 30
XLSX_READ_TIMEOUT_SECONDS = 600.0
XML_CHUNK_BYTES = 8 << 20
MAX_XML_CARRY_BYTES = 8 << 20
MAX_CELLS_NAMED = 5

# The header sniffer reads whole lines of the first HEADER_SCAN_BYTES with the csv module,
# whose default field limit (128 KB) would stop it at one long title cell.
csv.field_size_limit(max(csv.field_size_limit(), 2 * HEADER_SCAN_BYTES))

_LONG_DIGIT_RUN = re.compile(r"\d{16,}")
_NAME_DATE = re.compile(r"(?<!\d)(?:(\d{4})-(\d{2})-(\d{2})|(\d{4})(\d{2})(\d{2}))(?!\d)")
_FOOTER_START = r"(?i)^(jumlah|total)"
_NUMBER_LIKE = r"^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$"
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_SIGNATURES = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\xd0\xcf\x11\xe0",
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\x1f\x8b",
    b"\x7fELF",
    b"Rar!",
    b"7z\xbc\xaf",
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Bytes that never appear in a CSV text: NUL and the control characters other than tab,
# line feed, carriage return, form feed and the old end-of-file mark (0x1a).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1A), *range(0x1B, 0x20)])
_NOT_CONTROL_BYTES = bytes(byte for byte in range(256) if byte not in _CONTROL_BYTES)
_LONE_CR = re.compile(r"\r(?!\n)")
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# A cell whose formula has no stored result: <c r="A3"><f>...</f></c> or an empty <v/>.
_FORMULA_CELL = re.compile(
    rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>\s*<(?:\w+:)?f\b(?:[^>]*?/>|.*?</(?:\w+:)?f>)"
    rb"\s*(<(?:\w+:)?v>[^<]+<)?",
    re.S,
)
_CELL_REFERENCE = re.compile(rb'\br="([A-Z]{1,3}[0-9]{1,7})"')

MSG_SYMLINK = (
    "Tautan simbolik (symlink) tidak dibaca dan tidak diikuti. Salin file aslinya ke folder "
    "data mentah bila isinya memang perlu dimuat."
)
MSG_OTHER = (
    "Bukan file ekstrak: hanya file .csv dan .xlsx yang dibaca, isi file ini tidak dibuka. "
    "Simpan ulang sebagai CSV atau XLSX bila berisi data peserta, atau pindahkan dari folder "
    "data mentah."
)
MSG_RESAVE_AS_XLSX = (
    "Format spreadsheet ini ({suffix}) tidak dibaca: hanya .xlsx dan .csv yang dibaca, isi file "
    "ini tidak dibuka. Buka di Excel atau LibreOffice, pilih Simpan Sebagai (Save As) > "
    "Buku Kerja Excel (.xlsx), lalu kirim ulang file .xlsx itu."
)
MSG_CHANGED = (
    "File berubah selama dibaca (ukuran atau waktu ubahnya tidak sama sebelum dan sesudah "
    "dibaca): kemungkinan masih sedang disalin atau disimpan. File ini tidak dimuat pada run "
    "ini. Tunggu sampai penyalinan selesai, lalu jalankan ulang; isinya akan dibaca utuh pada "
    "run berikutnya."
)
MSG_SPECIAL = (
    "Bukan file biasa (misalnya pipe atau perangkat), jadi tidak dibaca. Pindahkan dari folder "
    "data mentah."
)
MSG_DENIED = (
    "File tidak dapat dibuka: izin akses ditolak. Periksa hak akses file ini, lalu jalankan ulang."
)
MSG_DIR_DENIED = (
    "Folder tidak dapat dibuka: izin akses ditolak, isinya tidak diperiksa. Periksa hak akses "
    "folder ini, lalu jalankan ulang."
)
MSG_EMPTY_FILE = "File kosong (0 byte). Kirim ulang ekstrak yang berisi data peserta."
MSG_NO_DATA = (
    "Tidak ada baris data di bawah baris judul kolom (file hanya berisi judul, baris kosong "
    "atau baris jumlah). Kirim ulang ekstrak yang berisi data peserta."
)
MSG_CSV_BINARY = (
    "File tidak dapat dibaca sebagai CSV: isinya bukan teks (mungkin file spreadsheet yang "
    "diberi nama .csv). Simpan ulang dari Excel sebagai CSV atau XLSX."
)
MSG_CSV_BROKEN = (
    'File CSV tidak dapat diurai: ada tanda kutip (") yang tidak ditutup atau baris yang rusak. '
    "Buka file di Excel atau LibreOffice, periksa isinya, lalu simpan ulang sebagai CSV atau XLSX."
)
MSG_XLSX_BROKEN = (
    "File tidak dapat dibaca sebagai XLSX (rusak, bukan spreadsheet, atau dilindungi kata "
    "sandi). Buka di Excel, hapus kata sandi bila ada, lalu simpan ulang sebagai .xlsx."
)
MSG_CSV_UTF16_NO_BOM = (
    "File tampaknya teks UTF-16 tanpa penanda BOM, sehingga tidak dapat dibaca dengan pasti. "
    "Simpan ulang dari Excel sebagai 'CSV UTF-8 (Comma delimited)' atau XLSX, lalu kirim ulang."
)
MSG_XLSX_PASSWORD = (
    "File XLSX dilindungi kata sandi (terenkripsi), jadi isinya tidak dapat dibaca. Buka di "
    "Excel, hapus kata sandinya (File > Info > Protect Workbook > Encrypt with Password, "
    "kosongkan), simpan sebagai .xlsx, lalu kirim ulang."
)
MSG_XLSX_IS_XLS = (
    "File bernama .xlsx tetapi isinya format Excel 97-2003 (.xls) yang tidak dibaca. Buka di "
    "Excel, pilih Simpan Sebagai > Buku Kerja Excel (.xlsx), lalu kirim ulang."
)
MSG_XLSX_TEXT = (
    "File bernama .xlsx tetapi isinya teks (mungkin CSV atau halaman HTML yang diberi nama "
    ".xlsx). Ganti akhiran namanya menjadi .csv bila isinya CSV, atau buka di Excel dan simpan "
    "ulang sebagai .xlsx."
)
MSG_XLSX_NOT_ZIP = (
    "File bernama .xlsx tetapi isinya bukan buku kerja Excel (bukan arsip XLSX). Buka di Excel, "
    "simpan ulang sebagai .xlsx, lalu kirim ulang."
)
MSG_XLSX_TRUNCATED = (
    "File XLSX rusak atau terpotong (arsipnya tidak utuh, mungkin pengiriman atau penyalinan "
    "terputus). Kirim ulang file aslinya; bila tetap gagal, buka di Excel dan simpan ulang "
    "sebagai .xlsx."
)
MSG_XLSX_BOMB = (
    "File XLSX ditolak tanpa dibuka: isinya mengembang menjadi {expanded} saat dibuka "
    "({detail}), jauh melebihi ekstrak peserta yang wajar. File ini rusak atau dibuat untuk "
    "menghabiskan memori. Buka di Excel dan simpan ulang sebagai .xlsx, atau kirim sebagai CSV."
)
MSG_XLSX_SIZE_LIE = (
    "File XLSX ditolak: salah satu bagiannya mengembang melebihi ukuran yang tertulis di dalam "
    "arsip ({declared}), dan pembacaan dihentikan saat itu juga. File ini rusak atau dibuat "
    "untuk menghabiskan memori. Buka di Excel dan simpan ulang sebagai .xlsx, atau kirim "
    "sebagai CSV."
)
MSG_XLSX_READER_DIED = (
    "Pembacaan XLSX dihentikan: file ini membutuhkan memori lebih dari {limit} atau membuat "
    "pembaca spreadsheet berhenti mendadak. Penyebab yang biasa: ada sel berisi data jauh di "
    "luar tabel (tekan Ctrl+End di Excel untuk melihat sel terakhir yang terpakai) atau file "
    "sangat besar. Hapus baris dan kolom di luar tabel atau bagi file menjadi beberapa file, "
    "simpan ulang sebagai .xlsx, lalu kirim ulang."
)
MSG_XLSX_TIMEOUT = (
    "Pembacaan XLSX dihentikan setelah {seconds:.0f} detik tanpa selesai. Periksa apakah file "
    "sangat besar atau rusak; bagi file menjadi beberapa file atau kirim sebagai CSV, lalu "
    "jalankan ulang."
)
MSG_XLSX_SHEET_BROKEN = (
    "Sheet '{sheet}' rusak dan tidak dapat dibaca, jadi seluruh file ditolak agar tidak ada "
    "baris yang terlewat tanpa diketahui. Buka di Excel, simpan ulang sebagai .xlsx, lalu "
    "kirim ulang."
)
MSG_XLSX_DUPLICATE_SHEETS = (
    "Buku kerja memuat dua sheet bernama '{sheet}', hal yang tidak pernah dibuat Excel: file "
    "ini rusak, dan barisnya bisa terhitung dua kali. Buka di Excel, simpan ulang sebagai "
    ".xlsx, lalu kirim ulang."
)
MSG_XLSX_FORMULA_WITHOUT_VALUE = (
    "Sheet '{sheet}': {count} sel berisi rumus tanpa hasil tersimpan (contoh: {cells}); sel itu "
    "dibaca kosong. Buka file di Excel lalu simpan ulang agar hasil rumus ikut tersimpan, atau "
    "salin lalu tempel sebagai nilai (Paste Values)."
)
NOTE_UTF16 = "File dibaca dengan encoding UTF-16 (bukan UTF-8)."
NOTE_NUL_BYTES = (
    "File memuat {count} karakter NUL (byte 0) pada baris {lines}; karakter itu dibaca sebagai "
    "'\ufffd' dan baris tetap diperiksa. Periksa program yang membuat file ini."
)
NOTE_LONE_CR = "Sebagian baris diakhiri CR saja (format Mac lama); CR dibaca sebagai ganti baris."
MSG_NO_SHEET = (
    "Tidak ada sheet terlihat yang memiliki baris judul dengan kolom wajib. "
    "Sheet tersembunyi tidak dibaca."
)


@dataclass(frozen=True)
class DiscoveredFile:
    """One file under the raw folder, with what is known before its content is parsed."""

    path: Path
    source_file: str
    kind: FileKind
    sha256: str | None
    size_bytes: int
    delivery_date: date
    date_source: DateSource
    duplicate_of: str | None = None
    problem: str | None = None
    modified_ns: int | None = None

    @property
    def identity(self) -> tuple[int, int] | None:
        """Return (size, modification time in ns) as seen when the file was hashed."""
        if self.modified_ns is None:
            return None
        return self.size_bytes, self.modified_ns

    @property
    def is_extract(self) -> bool:
        """Tell whether the file is a CSV or XLSX extract that can be read."""
        return self.kind in ("csv", "xlsx") and self.problem is None

    @property
    def date_note(self) -> str | None:
        """Say, in Bahasa Indonesia, when the delivery date did not come from the file name."""
        if self.date_source == "file_name":
            return None
        return (
            f"Nama file tidak memuat tanggal; tanggal kirim {self.delivery_date.isoformat()} "
            "diambil dari waktu ubah file (UTC)."
        )


@dataclass(frozen=True)
class ExtractRead:
    """The rows of one extract as text, or why the whole file was rejected."""

    rows: pl.DataFrame
    error: str | None = None
    notes: list[str] = field(default_factory=list)


class ExtractRejected(Exception):
    """The whole file cannot be used; the message says why, for the person who sent it."""


# ---------------------------------------------------------------- discovery


def discover_extracts(raw_dir: Path) -> list[DiscoveredFile]:
    """List every file under raw_dir in delivery order, marking duplicates and rejections."""
    found = sorted(
        (_describe(path, raw_dir, problem) for path, problem in _walk(raw_dir)),
        key=lambda item: (item.delivery_date, item.source_file),
    )
    return _mark_duplicates(found)


def _walk(directory: Path) -> Iterator[tuple[Path, str | None]]:
    """Yield the files under directory, skipping hidden entries and lock files."""
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except PermissionError:
        yield directory, MSG_DIR_DENIED
        return
    for entry in entries:
        if entry.name.startswith((".", "~$")):
            continue
        path = Path(entry.path)
        if not entry.is_symlink() and entry.is_dir(follow_symlinks=False):
            yield from _walk(path)
        else:
            yield path, None


def _describe(path: Path, raw_dir: Path, problem: str | None) -> DiscoveredFile:
    """Describe one file: kind, size, delivery date and, for an extract, its SHA-256.

    A file whose size or modification time changes while it is hashed is still being
    written: it gets no SHA-256 and is rejected for this run.
    """
    stat = path.lstat()
    delivery_date, date_source = _delivery_date(path.name, stat.st_mtime)
    kind = _kind(path)
    sha256 = None
    if problem is None:
        problem = _kind_problem(path, kind)
    if problem is None:
        sha256, problem = _sha256(path)
        if problem is None and _identity(path) != (stat.st_size, stat.st_mtime_ns):
            sha256, problem = None, MSG_CHANGED
    return DiscoveredFile(
        path=path,
        source_file=path.relative_to(raw_dir).as_posix(),
        kind=kind,
        sha256=sha256,
        size_bytes=stat.st_size,
        delivery_date=delivery_date,
        date_source=date_source,
        problem=problem,
        modified_ns=stat.st_mtime_ns,
    )


def _identity(path: Path) -> tuple[int, int]:
    """Return the size and modification time (ns) of a file, following no link."""
    stat = path.lstat()
    return stat.st_size, stat.st_mtime_ns


def _kind(path: Path) -> FileKind:
    """Tell the kind of a file from its link status and name."""
    if path.is_symlink():
        return "symlink"
    return EXTRACT_KINDS.get(path.suffix.lower(), "other")


def _kind_problem(path: Path, kind: FileKind) -> str | None:
    """Return why a file is rejected without reading it, or None for a regular extract."""
    if kind == "symlink":
        return MSG_SYMLINK
    if kind == "other":
        if not path.is_file():
            return MSG_SPECIAL
        suffix = path.suffix.lower()
        if suffix in RESAVE_AS_XLSX_SUFFIXES:
            return MSG_RESAVE_AS_XLSX.format(suffix=suffix)
        return MSG_OTHER
    if not path.is_file():
        return MSG_SPECIAL
    return None


def _delivery_date(name: str, mtime: float) -> tuple[date, DateSource]:
    """Return the first real date written in the file name, else the UTC modification date."""
    for match in _NAME_DATE.finditer(name):
        parts = [group for group in match.groups() if group is not None]
        try:
            return date(int(parts[0]), int(parts[1]), int(parts[2])), "file_name"
        except ValueError:
            continue
    return datetime.fromtimestamp(mtime, tz=UTC).date(), "modified_time"


def _sha256(path: Path) -> tuple[str | None, str | None]:
    """Hash a file in chunks; return the digest, or the reason it could not be read."""
    try:
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256")
    except PermissionError:
        return None, MSG_DENIED
    except OSError as error:
        return (
            None,
            f"File tidak dapat dibuka ({error.strerror}). Periksa file ini, lalu kirim ulang.",
        )
    return digest.hexdigest(), None


def _mark_duplicates(files: list[DiscoveredFile]) -> list[DiscoveredFile]:
    """Point every later copy of the same bytes at the first one in delivery order."""
    first_by_sha: dict[str, str] = {}
    marked = []
    for item in files:
        if item.sha256 is None:
            marked.append(item)
            continue
        first = first_by_sha.setdefault(item.sha256, item.source_file)
        duplicate_of = first if first != item.source_file else None
        marked.append(replace(item, duplicate_of=duplicate_of))
    return marked


# ---------------------------------------------------------------- reading


def empty_rows() -> pl.DataFrame:
    """Return an empty frame with the schema of extract rows."""
    return pl.DataFrame(schema=ROWS_SCHEMA)


def read_extract(
    path: Path, source_file: str, expected: tuple[int, int] | None = None
) -> ExtractRead:
    """Read one CSV or XLSX extract into text rows; never raise for a bad file.

    `expected` is the (size, modification time in ns) the file had when it was discovered
    and hashed (`DiscoveredFile.identity`): a file that differs from it, or that changes
    while it is read, is still being written and is rejected for this run.
    """
    notes: list[str] = []
    try:
        before = _identity(path)
        if expected is not None and before != expected:
            raise ExtractRejected(MSG_CHANGED)
        if before[0] == 0:
            raise ExtractRejected(MSG_EMPTY_FILE)
        if path.suffix.lower() == ".xlsx":
            rows = _read_xlsx(path, source_file, notes)
        else:
            rows = _read_csv(path, source_file, notes)
        if _identity(path) != before:
            raise ExtractRejected(MSG_CHANGED)
        if rows.height == 0:
            raise ExtractRejected(MSG_NO_DATA)
    except ExtractRejected as rejection:
        return _rejected(mask_digit_runs(str(rejection)), notes)
    except PermissionError:
        return _rejected(MSG_DENIED, notes)
    except Exception as error:  # a bad file must never stop the other files
        return _rejected(_unreadable_message(error), notes)
    except BaseException as error:
        # A panic inside a compiled library arrives as pyo3's PanicException, which is not an
        # Exception; it is a bad file like any other. Interrupts and exits go on.
        if type(error).__name__ != "PanicException":
            raise
        return _rejected(_unreadable_message(error), notes)
    return ExtractRead(rows=rows, notes=[mask_digit_runs(note) for note in notes])


def _unreadable_message(error: BaseException) -> str:
    return f"File tidak dapat dibaca ({type(error).__name__}). Periksa file ini, lalu kirim ulang."


def _rejected(message: str, notes: list[str]) -> ExtractRead:
    """Return the result of a file rejected whole."""
    return ExtractRead(rows=empty_rows(), error=message, notes=[mask_digit_runs(n) for n in notes])


# ---------------------------------------------------------------- shared row shaping


def _cell_name(position: int) -> str:
    return f"c{position}"


def _clean(expr: pl.Expr) -> pl.Expr:
    """Strip surrounding white space and turn an empty text into null."""
    return expr.str.strip_chars().replace("", None)


def _shape_rows(
    cells: pl.DataFrame, columns: dict[str, int], source_file: str, source_sheet: str | None
) -> pl.DataFrame:
    """Turn raw cells (c0, c1, ..., source_row) into contract rows, dropping blank and footers."""
    contract = [
        _clean(pl.col(_cell_name(columns[name]))).alias(name)
        if name in columns
        else pl.lit(None, pl.String).alias(name)
        for name in CONTRACT_COLUMNS
    ]
    rows = cells.select(
        pl.lit(source_file, pl.String).alias(SOURCE_FILE),
        pl.lit(source_sheet, pl.String).alias(SOURCE_SHEET),
        pl.col(SOURCE_ROW).cast(pl.Int64),
        *contract,
    )
    blank = pl.all_horizontal(pl.col(name).is_null() for name in CONTRACT_COLUMNS)
    footer_rows = _footer_rows(cells, columns[NIK])
    return rows.filter(~blank & ~pl.col(SOURCE_ROW).is_in(footer_rows.implode()))


def _footer_rows(cells: pl.DataFrame, nik_position: int) -> pl.Series:
    """Return the source rows whose NIK holds no digit and one cell starts with JUMLAH/TOTAL."""
    nik = pl.col(_cell_name(nik_position))
    candidates = cells.filter(~nik.str.contains(r"\d").fill_null(False))
    cell_columns = [name for name in cells.columns if name != SOURCE_ROW]
    starts_footer = pl.any_horizontal(
        pl.col(name).str.strip_chars_start().str.contains(_FOOTER_START).fill_null(False)
        for name in cell_columns
    )
    return candidates.filter(starts_footer).get_column(SOURCE_ROW).cast(pl.Int64)


def _check_mapping(mapping: HeaderMapping) -> None:
    """Reject a header row in which two headers name the same contract column."""
    if mapping.ambiguous:
        clashes = "; ".join(
            f"kolom {column}: '{_show(first)}' dan '{_show(second)}'"
            for column, first, second in mapping.ambiguous
        )
        raise ExtractRejected(
            "Judul kolom ganda, dua judul menunjuk ke kolom yang sama "
            f"({clashes}). Hapus atau ganti nama salah satunya, lalu kirim ulang."
        )


def _missing_message(rows: Sequence[Sequence[str | None]]) -> str:
    """Say which required columns are missing and which headers the first non-empty row has."""
    non_empty = [row for row in rows if any(_has_text(cell) for cell in row)]
    if not non_empty:
        return MSG_NO_DATA
    best = min((map_headers(row).missing for row in non_empty), key=len)
    first = [cell for cell in non_empty[0] if _has_text(cell)]
    niks = [run for cell in first for run in _LONG_DIGIT_RUN.findall(cell or "")]
    if niks:
        # The first row is a person's data, not headers: show none of it but the masked NIK.
        masked = mask_digit_runs(niks[0])
        found = (
            f"Baris pertama yang tidak kosong berisi data peserta (NIK {masked}), "
            "bukan judul kolom; isinya tidak ditampilkan"
        )
    else:
        shown = [_show(cell) for cell in first]
        more = len(shown) - MAX_HEADERS_SHOWN
        listed = " | ".join(shown[:MAX_HEADERS_SHOWN]) + (
            f" | ... (+{more} lagi)" if more > 0 else ""
        )
        found = f"Isi baris pertama yang tidak kosong: {listed}"
    return (
        f"Baris judul kolom tidak ditemukan: kolom wajib {', '.join(best)} tidak ada. "
        f"{found}. Pastikan satu baris judul memuat kolom "
        "NIK, KELURAHAN, KATEGORI dan TMT (atau TANGGAL MULAI), lalu kirim ulang."
    )


def _has_text(cell: str | None) -> bool:
    return cell is not None and cell.strip() != ""


def _show(text: str | None) -> str:
    """Render a header text on one short line for a message."""
    flat = " ".join((text or "").split())
    if len(flat) > MAX_HEADER_CHARS:
        flat = flat[: MAX_HEADER_CHARS - 3] + "..."
    return flat


# ---------------------------------------------------------------- CSV


@dataclass(frozen=True)
class _CsvLayout:
    """Where the header of a CSV file starts and how its fields are separated."""

    delimiter: str
    header_line: int
    header: list[str]


def _read_csv(path: Path, source_file: str, notes: list[str]) -> pl.DataFrame:
    """Read a CSV extract with polars, keeping the line on which every row starts."""
    inspected = _inspect_bytes(path)
    source, sample = _csv_source(path, inspected, notes)
    layout = _find_csv_layout(sample)
    mapping = map_headers(layout.header)
    _check_mapping(mapping)
    try:
        cells = pl.read_csv(
            source,
            has_header=False,
            separator=layout.delimiter,
            quote_char='"',
            skip_lines=layout.header_line,
            schema={_cell_name(i): pl.String for i in range(len(layout.header))},
            truncate_ragged_lines=True,
            raise_if_empty=False,
            encoding="utf8",
        )
    except pl.exceptions.ComputeError as error:
        raise ExtractRejected(MSG_CSV_BROKEN) from error
    may_hold_breaks = isinstance(source, io.BytesIO) or (
        inspected.has_quotes and not _fields_hold_no_break(cells, layout.header_line, inspected)
    )
    cells = _with_csv_line_numbers(cells, layout.header_line, may_hold_breaks)
    return _shape_rows(cells.slice(1), mapping.columns, source_file, None)


@dataclass(frozen=True)
class _CsvBytes:
    """What one pass over a CSV file's bytes tells about how to decode it."""

    encoding: Literal["utf-8", "cp1252", "utf-16"]
    has_quotes: bool
    nul_bytes: int = 0
    lone_cr: bool = False
    # Line feeds in the whole file, counted when a quote shows in its first chunk; else None.
    line_feeds: int | None = None
    ends_with_line_feed: bool = False

    @property
    def needs_transcoding(self) -> bool:
        """Tell whether polars cannot read the bytes as they are."""
        return self.encoding != "utf-8" or self.nul_bytes > 0 or self.lone_cr


def _inspect_bytes(path: Path) -> _CsvBytes:
    """Return utf-8 when the whole file is valid UTF-8, else cp1252; reject binary files.

    A file that starts with a UTF-16 byte order mark is UTF-16. The same pass counts NUL
    bytes, carriage returns that end a line on their own (old Mac line endings) and, in a
    file with a quote in its first chunk, line feeds.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding: Literal["utf-8", "cp1252", "utf-16"] = "utf-8"
    has_quotes = False
    nul_bytes = carriage_returns = crlf = 0
    line_feeds = 0
    ends_with_cr = ends_with_lf = False
    with path.open("rb") as handle:
        chunk = handle.read(ENCODING_CHUNK_BYTES)
        if chunk.startswith(_UTF16_BOMS):
            return _CsvBytes(encoding="utf-16", has_quotes=True)
        _reject_binary(chunk[:BINARY_SNIFF_BYTES])
        # Line feeds matter only when quotes may hold line breaks.
        count_line_feeds = b'"' in chunk
        while chunk:
            has_quotes = has_quotes or b'"' in chunk
            if count_line_feeds:
                line_feeds += chunk.count(b"\n")
            # A search is much faster than a count, and these bytes are seldom there.
            if b"\x00" in chunk:
                nul_bytes += chunk.count(b"\x00")
            if b"\r" in chunk:
                carriage_returns += chunk.count(b"\r")
                crlf += chunk.count(b"\r\n")
            crlf += ends_with_cr and chunk.startswith(b"\n")
            ends_with_cr = chunk.endswith(b"\r")
            ends_with_lf = chunk.endswith(b"\n")
            if encoding == "utf-8" and not _is_complete_ascii(chunk, decoder):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    encoding = "cp1252"
            chunk = handle.read(ENCODING_CHUNK_BYTES)
    if encoding == "utf-8":
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = "cp1252"
    return _CsvBytes(
        encoding=encoding,
        has_quotes=has_quotes,
        nul_bytes=nul_bytes,
        lone_cr=carriage_returns != crlf,
        line_feeds=line_feeds if count_line_feeds else None,
        ends_with_line_feed=ends_with_lf,
    )


def _is_complete_ascii(chunk: bytes, decoder: codecs.IncrementalDecoder) -> bool:
    """Tell whether a chunk is ASCII and no multi-byte character waits for its end.

    Such a chunk is valid UTF-8 and leaves the decoder as it was, so it need not be decoded.
    """
    pending, _ = decoder.getstate()
    return not pending and chunk.isascii()


def _reject_binary(head: bytes) -> None:
    """Reject bytes that are not a text file: a known binary format or many control bytes."""
    if head.startswith(_BINARY_SIGNATURES):
        raise ExtractRejected(MSG_CSV_BINARY)
    if not head:
        return
    controls = len(head.translate(None, _NOT_CONTROL_BYTES))
    if controls <= MAX_CONTROL_BYTE_SHARE * len(head):
        return
    half = len(head) // 2
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if half and max(even, odd) > 0.8 * half and min(even, odd) < 0.05 * half:
        raise ExtractRejected(MSG_CSV_UTF16_NO_BOM)
    raise ExtractRejected(MSG_CSV_BINARY)


def _csv_source(
    path: Path, inspected: _CsvBytes, notes: list[str]
) -> tuple[Path | io.BytesIO, str]:
    """Return what polars reads (the file, or clean UTF-8 bytes) and the sample to sniff.

    Windows-1252 and UTF-16 are transcoded to UTF-8, a NUL byte becomes U+FFFD and a lone
    carriage return a line feed, so line numbers match what an editor shows.
    """
    if not inspected.needs_transcoding:
        with path.open("rb") as handle:
            return path, _sample_text(handle.read(HEADER_SCAN_BYTES + 1), "utf-8-sig")
    codec = {"utf-8": "utf-8-sig", "cp1252": "cp1252", "utf-16": "utf-16"}[inspected.encoding]
    text = path.read_bytes().decode(codec, errors="replace")
    if inspected.encoding == "cp1252":
        notes.append("File dibaca dengan encoding Windows-1252 (bukan UTF-8).")
    elif inspected.encoding == "utf-16":
        notes.append(NOTE_UTF16)
    if _LONE_CR.search(text):
        text = _LONE_CR.sub("\n", text)
        notes.append(NOTE_LONE_CR)
    if "\x00" in text:
        notes.append(_nul_note(text))
        text = text.replace("\x00", "\ufffd")
    data = text.encode("utf-8")
    return io.BytesIO(data), _sample_text(data[: HEADER_SCAN_BYTES + 1], "utf-8")


def _nul_note(text: str) -> str:
    """Say how many NUL characters the text holds and on which lines the first ones are."""
    lines: list[int] = []
    position = text.find("\x00")
    while position >= 0 and len(lines) < MAX_LINES_NAMED:
        line = text.count("\n", 0, position) + 1
        if line not in lines:
            lines.append(line)
        position = text.find("\x00", position + 1)
    listed = ", ".join(str(line) for line in lines)
    return NOTE_NUL_BYTES.format(count=text.count("\x00"), lines=listed)


def _sample_text(raw: bytes, codec: str) -> str:
    """Decode the first complete lines of the file; a longer first line is kept cut."""
    if len(raw) > HEADER_SCAN_BYTES:
        end = raw.rfind(b"\n", 0, HEADER_SCAN_BYTES)
        raw = raw[: end + 1] if end >= 0 else raw[:HEADER_SCAN_BYTES]
    return raw.decode(codec, errors="replace")


def _find_csv_layout(sample: str) -> _CsvLayout:
    """Pick the delimiter with which a header row carrying the required columns appears first."""
    found: list[tuple[int, int, _CsvLayout]] = []
    parsed: dict[str, list[tuple[int, list[str]]]] = {}
    for delimiter in CSV_DELIMITERS:
        records = _sample_records(sample, delimiter)
        parsed[delimiter] = records
        index = find_header_row([record for _, record in records])
        if index is not None:
            line, header = records[index]
            found.append((line, -len(header), _CsvLayout(delimiter, line, header)))
    if found:
        return min(found, key=lambda item: item[:2])[2]
    widest = max(parsed.values(), key=lambda records: max((len(r) for _, r in records), default=0))
    raise ExtractRejected(_missing_message([record for _, record in widest]))


def _sample_records(sample: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Parse the sample's first records, each with the 0-based line it starts on."""
    reader = csv.reader(_lines(sample), delimiter=delimiter, quotechar='"')
    records: list[tuple[int, list[str]]] = []
    while len(records) < HEADER_SCAN_ROWS:
        start = reader.line_num
        try:
            records.append((start, next(reader)))
        except (StopIteration, csv.Error):
            break
    return records


def _lines(text: str) -> Iterator[str]:
    """Yield the lines of a text with their line feed, as far as a reader asks for them."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start : end + 1]
        start = end + 1
    if start < len(text):
        yield text[start:]


def _fields_hold_no_break(cells: pl.DataFrame, header_line: int, inspected: _CsvBytes) -> bool:
    """Tell, from the line feeds of a file read as it is, that no field holds a line break.

    polars skips header_line lines, then every record but the last ends on a line feed of
    its own. When the file ends with a line feed and the last record holds none, that
    feed is no field's either, so fields hold at most line_feeds - header_line - records.
    """
    if inspected.line_feeds is None or not inspected.ends_with_line_feed or cells.height == 0:
        return False
    last_has_break = cells.tail(1).select(
        pl.any_horizontal(pl.all().str.contains("\n", literal=True).fill_null(False))
    )
    return not last_has_break.item() and inspected.line_feeds - header_line <= cells.height


def _with_csv_line_numbers(
    cells: pl.DataFrame, header_line: int, may_hold_breaks: bool
) -> pl.DataFrame:
    """Add the 1-based line on which each record starts, counting line breaks inside quotes."""
    # polars keeps an empty line as an all-null row, so without a line break inside quotes
    # record i is line i. Quotes seldom hold one: count breaks only in columns that have one.
    first_line = header_line + 1
    with_breaks = [
        name
        for name in (cells.columns if may_hold_breaks else ())
        if cells.get_column(name).str.contains("\n", literal=True).any()
    ]
    if not with_breaks:
        return cells.with_row_index(SOURCE_ROW, offset=first_line).with_columns(
            pl.col(SOURCE_ROW).cast(pl.Int64)
        )
    breaks = pl.sum_horizontal(
        pl.col(name).str.count_matches("\n", literal=True).fill_null(0) for name in with_breaks
    ).cast(pl.Int64)
    lines_before = (breaks + 1).cum_sum() - (breaks + 1)
    return cells.with_columns((lines_before + first_line).alias(SOURCE_ROW))


# ---------------------------------------------------------------- XLSX


def _read_xlsx(path: Path, source_file: str, notes: list[str]) -> pl.DataFrame:
    """Check the XLSX container, then read its sheets in the separate reader process."""
    _check_xlsx_container(path)
    return _XLSX_READER.read(path, source_file, notes)


def _check_xlsx_container(path: Path) -> None:
    """Reject, without decompressing anything, a file that is not a sane XLSX archive."""
    with path.open("rb") as handle:
        head = handle.read(BINARY_SNIFF_BYTES)
    if head.startswith(_OLE2_SIGNATURE):
        encrypted = _contains(path, _ENCRYPTED_PACKAGE)
        raise ExtractRejected(MSG_XLSX_PASSWORD if encrypted else MSG_XLSX_IS_XLS)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        is_text = len(head.translate(None, _NOT_CONTROL_BYTES)) == 0
        raise ExtractRejected(MSG_XLSX_TEXT if is_text else MSG_XLSX_NOT_ZIP)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except Exception as error:  # zipfile raises many kinds for a damaged directory
        raise ExtractRejected(MSG_XLSX_TRUNCATED) from error
    _check_expanded_sizes(members)


def _contains(path: Path, needle: bytes) -> bool:
    """Tell whether the file's bytes contain needle, reading it in chunks."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle) :]
    return False


def _check_expanded_sizes(members: Sequence[zipfile.ZipInfo]) -> None:
    """Refuse an archive whose declared expanded sizes or compression ratios are absurd."""
    expanded = sum(member.file_size for member in members)
    if len(members) > MAX_XLSX_MEMBERS:
        detail = f"{len(members):,} bagian di dalam arsip"
    elif expanded > MAX_XLSX_EXPANDED_BYTES:
        detail = f"batas {_size(MAX_XLSX_EXPANDED_BYTES)}"
    else:
        suspicious = [
            member
            for member in members
            if member.file_size > XLSX_RATIO_CHECKED_FROM_BYTES
            and member.file_size > MAX_XLSX_RATIO * max(member.compress_size, 1)
        ]
        if not suspicious:
            return
        worst = max(suspicious, key=lambda member: member.file_size / max(member.compress_size, 1))
        ratio = worst.file_size / max(worst.compress_size, 1)
        detail = f"{ratio:,.0f} kali ukuran terkompresinya, batas {MAX_XLSX_RATIO} kali"
    raise ExtractRejected(MSG_XLSX_BOMB.format(expanded=_size(expanded), detail=detail))


def _size(count: int) -> str:
    """Write a byte count the way a person reads it: 2,0 GB, 512 MB."""
    if count >= 1 << 30:
        return f"{count / (1 << 30):.1f} GB".replace(".", ",")
    if count >= 1 << 20:
        return f"{count / (1 << 20):.0f} MB"
    return f"{max(count, 1) / (1 << 10):.0f} KB" if count >= 1 << 10 else f"{count} byte"


def _read_xlsx_cells(path: Path, source_file: str, notes: list[str]) -> pl.DataFrame:
    """Read every visible sheet that has a header row with the required columns.

    Runs in the reader process. Every member of the archive is first expanded once, in
    chunks, to prove it is no larger than declared and undamaged; hidden sheets are named
    in the notes and never loaded.
    """
    parts = _sheet_parts(path)
    visible_members = {
        part.member: name for name, part in parts.items() if part.member and not part.hidden
    }
    formulas = _verify_archive(path, visible_members)
    try:
        workbook = fastexcel.read_excel(path)
        sheet_names = workbook.sheet_names
    except Exception as error:
        raise ExtractRejected(MSG_XLSX_BROKEN) from error
    seen: set[str] = set()
    for name in sheet_names:
        if name.casefold() in seen:  # Excel keeps sheet names unique, whatever their case
            raise ExtractRejected(MSG_XLSX_DUPLICATE_SHEETS.format(sheet=name))
        seen.add(name.casefold())
    frames: list[pl.DataFrame] = []
    first_missing: str | None = None
    for name in sheet_names:
        part = parts.get(name)
        if part is not None and part.hidden:
            notes.append(f"Sheet '{name}' tersembunyi dan dilewati.")
            continue
        try:
            sheet = workbook.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
            visible = sheet.visible == "visible"
            frame, missing = _read_sheet(workbook, sheet, source_file) if visible else (None, None)
        except ExtractRejected:
            raise
        except Exception as error:
            raise ExtractRejected(MSG_XLSX_SHEET_BROKEN.format(sheet=name)) from error
        if frame is None:
            notes.append(f"Sheet '{name}' tersembunyi dan dilewati.")
            continue
        if missing is not None:
            notes.append(f"Sheet '{name}' dilewati: {missing}")
            first_missing = first_missing or f"Sheet '{name}': {missing}"
            continue
        if name in formulas:
            notes.append(formulas[name])
        if frame.height == 0:
            notes.append(f"Sheet '{name}' tidak berisi baris data dan dilewati.")
        frames.append(frame)
    if not frames:
        raise ExtractRejected(f"{MSG_NO_SHEET} {first_missing or ''}".strip())
    return pl.concat(frames)


def _verify_archive(path: Path, sheets: dict[str, str]) -> dict[str, str]:
    """Expand every member once, stopping as soon as one grows past its declared size.

    The spreadsheet library trusts neither the declared sizes nor the checksums, so a
    member that lies about its size would otherwise be expanded without end. On the way,
    the XML of each sheet in `sheets` (member -> sheet name) is searched for formula cells
    without a stored result; the answer maps sheet names to the note that names them.
    """
    notes: dict[str, str] = {}
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            for member in archive.infolist():
                if member.is_dir():
                    continue
                scan = _FormulaScan() if member.filename in sheets else None
                for chunk in _expanded_chunks(raw, member):
                    if scan is not None:
                        scan.feed(chunk)
                if scan is not None and scan.count:
                    name = sheets[member.filename]
                    notes[name] = scan.note(name)
    except ExtractRejected:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, struct.error) as error:
        raise ExtractRejected(MSG_XLSX_TRUNCATED) from error
    return notes


def _expanded_chunks(raw: BinaryIO, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield the expanded bytes of one member; reject a lie about its size or checksum."""
    if member.flag_bits & 0x1:
        raise ExtractRejected(MSG_XLSX_PASSWORD)
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ExtractRejected(MSG_XLSX_BROKEN)
    raw.seek(member.header_offset)
    header = raw.read(30)
    if len(header) < 30 or not header.startswith(b"PK\x03\x04"):
        raise zipfile.BadZipFile(member.filename)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw.seek(member.header_offset + 30 + name_length + extra_length)
    left_in, left_out, checksum = member.compress_size, member.file_size, 0
    expander = zlib.decompressobj(-15) if member.compress_type == zipfile.ZIP_DEFLATED else None
    pending = b""
    while True:
        if not pending:
            if left_in == 0 or (expander is not None and expander.eof):
                break
            pending = raw.read(min(XML_CHUNK_BYTES, left_in))
            if not pending:
                raise zipfile.BadZipFile(member.filename)
            left_in -= len(pending)
        if expander is None:
            chunk, pending = pending, b""
        else:
            chunk = expander.decompress(pending, min(left_out + 1, XML_CHUNK_BYTES))
            pending = expander.unconsumed_tail
        left_out -= len(chunk)
        if left_out < 0:
            raise ExtractRejected(MSG_XLSX_SIZE_LIE.format(declared=_size(member.file_size)))
        checksum = zlib.crc32(chunk, checksum)
        yield chunk
    if left_out != 0 or checksum != member.CRC or (expander is not None and not expander.eof):
        raise zipfile.BadZipFile(member.filename)


class _FormulaScan:
    """Count, in a sheet's XML fed in chunks, the formula cells that have no stored result.

    Chunks without a formula tag are only searched once for it, so a sheet without
    formulas costs one pass of a fast substring search.
    """

    def __init__(self) -> None:
        self.count = 0
        self.cells: list[str] = []
        self._carry = b""
        self._markers: tuple[bytes, ...] | None = None

    def feed(self, chunk: bytes) -> None:
        if self._markers is None:
            # Most writers use the default namespace (<c>, <f>); a few prefix it (<x:c>).
            prefixed = b":sheetData" in chunk and b"<sheetData" not in chunk
            self._markers = (b"<f", b":f") if prefixed else (b"<f",)
        if not any(marker in self._carry or marker in chunk for marker in self._markers):
            self._carry = self._after_last_cell(self._carry + chunk[-MAX_XML_CARRY_BYTES:])
            return
        data = self._carry + chunk
        end = self._last_cell_end(data)
        if end < 0:
            self._carry = data if len(data) <= MAX_XML_CARRY_BYTES else b""
            return
        complete, self._carry = data[:end], data[end:]
        for match in _FORMULA_CELL.finditer(complete):
            if match.group(2) is not None:
                continue
            self.count += 1
            reference = _CELL_REFERENCE.search(match.group(1))
            if reference and len(self.cells) < MAX_CELLS_NAMED:
                self.cells.append(reference.group(1).decode())

    @staticmethod
    def _last_cell_end(data: bytes) -> int:
        """Return the offset just after the last closing cell tag, or -1."""
        end = data.rfind(b"</c>")
        if end >= 0:
            return end + 4
        end = data.rfind(b":c>")
        return end + 3 if end >= 0 else -1

    def _after_last_cell(self, data: bytes) -> bytes:
        end = self._last_cell_end(data)
        if end >= 0:
            return data[end:]
        return data if len(data) <= MAX_XML_CARRY_BYTES else b""

    def note(self, sheet_name: str) -> str:
        cells = ", ".join(self.cells) if self.cells else "-"
        return MSG_XLSX_FORMULA_WITHOUT_VALUE.format(
            sheet=sheet_name, count=self.count, cells=cells
        )


@dataclass(frozen=True)
class _SheetPart:
    """Where a sheet's XML lives in the archive and whether the sheet is hidden."""

    member: str | None
    hidden: bool


def _sheet_parts(path: Path) -> dict[str, _SheetPart]:
    """Map sheet names to their XML member and visibility, from workbook.xml and its links.

    An empty answer means the workbook could not be described this way; the caller then
    loads every sheet and asks the spreadsheet library for its visibility.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            try:
                links = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            except KeyError:
                links = ElementTree.Element("Relationships")
    except Exception:  # described by the library instead
        return {}
    targets = {
        element.get("Id"): element.get("Target", "")
        for element in links.iter()
        if _local_name(element.tag) == "Relationship"
    }
    parts: dict[str, _SheetPart] = {}
    for element in workbook.iter():
        if _local_name(element.tag) != "sheet" or element.get("name") is None:
            continue
        link = next((value for key, value in element.items() if _local_name(key) == "id"), None)
        target = targets.get(link)
        member = None
        if target:
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            member = posixpath.normpath(member)
        hidden = element.get("state", "visible") in ("hidden", "veryHidden")
        parts[element.get("name", "")] = _SheetPart(member=member, hidden=hidden)
    return parts


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _XlsxReader:
    """Parse XLSX files in one separate process, started on first use and reused.

    The spreadsheet library aborts the whole process when a sheet needs more memory than
    it can get (a single cell written at XFD1048576 makes it allocate 512 GB). In its own
    process, with a memory limit and a time limit, such a file costs that file only. The
    process is a fresh interpreter that imports this module, never the caller's script.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None

    def read(self, path: Path, source_file: str, notes: list[str]) -> pl.DataFrame:
        """Return the rows of one workbook; raise ExtractRejected for a bad one."""
        with self._lock:
            connection = self._started()
            try:
                connection.send((str(path), source_file))
                if not connection.poll(XLSX_READ_TIMEOUT_SECONDS):
                    self.stop()
                    raise ExtractRejected(
                        MSG_XLSX_TIMEOUT.format(seconds=XLSX_READ_TIMEOUT_SECONDS)
                    )
                kind, payload, worker_notes = connection.recv()
            except (EOFError, OSError) as error:
                self.stop()
                limit = _size(_reader_memory_limit())
                raise ExtractRejected(MSG_XLSX_READER_DIED.format(limit=limit)) from error
        notes.extend(worker_notes)
        if kind == "rows":
            return payload
        raise ExtractRejected(payload)

    def _started(self) -> Connection:
        if self._process is not None and self._process.poll() is None and self._connection:
            return self._connection
        self.stop()
        parent_socket, child_socket = socket.socketpair()
        project_root = str(Path(__file__).resolve().parents[1])
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            part for part in (project_root, environment.get("PYTHONPATH")) if part
        )
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import sys; from flows.extracts import serve_xlsx_reads; "
                    "serve_xlsx_reads(int(sys.argv[1]), int(sys.argv[2]))",
                    str(child_socket.fileno()),
                    str(_reader_memory_limit()),
                ],
                pass_fds=(child_socket.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=environment,
                cwd=project_root,
            )
        finally:
            child_socket.close()
        self._connection = Connection(parent_socket.detach())
        return self._connection

    def stop(self) -> None:
        """End the reader process, if any; the next read starts a new one."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _reader_memory_limit() -> int:
    """Return the reader's memory limit: XLSX_READER_MEMORY_BYTES or half the machine's."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return XLSX_READER_MEMORY_BYTES
    return min(XLSX_READER_MEMORY_BYTES, physical // 2)


def serve_xlsx_reads(descriptor: int, memory_limit: int) -> None:
    """Read workbooks for the parent process until it closes the connection.

    This is the body of the XLSX reader process (see _XlsxReader); it is not for callers.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_limit if hard == resource.RLIM_INFINITY else min(memory_limit, hard)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    connection = Connection(descriptor)
    while True:
        try:
            path, source_file = connection.recv()
        except (EOFError, OSError):
            return
        notes: list[str] = []
        try:
            reply: tuple[str, object, list[str]] = (
                "rows",
                _read_xlsx_cells(Path(path), source_file, notes),
                notes,
            )
        except ExtractRejected as rejection:
            reply = ("rejected", str(rejection), notes)
        except PermissionError:
            reply = ("rejected", MSG_DENIED, notes)
        except MemoryError:
            reply = ("rejected", MSG_XLSX_READER_DIED.format(limit=_size(limit)), notes)
        except Exception as error:
            reply = ("rejected", _unreadable_message(error), notes)
        except BaseException as error:
            if type(error).__name__ != "PanicException":
                raise
            reply = ("rejected", _unreadable_message(error), notes)
        try:
            connection.send(reply)
        except (EOFError, OSError):
            return


_XLSX_READER = _XlsxReader()
atexit.register(_XLSX_READER.stop)


def _read_sheet(
    workbook: fastexcel.ExcelReader, sheet: fastexcel.ExcelSheet, source_file: str
) -> tuple[pl.DataFrame, str | None]:
    """Read one sheet's rows, or say why the sheet has no usable header row."""
    cells = sheet.to_polars()
    raw_names = cells.columns
    cells = cells.rename({old: _cell_name(i) for i, old in enumerate(raw_names)})
    # With skip_rows=0 fastexcel keeps leading empty rows, so row i is spreadsheet row i + 1.
    cells = cells.with_row_index(SOURCE_ROW, offset=1).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64)
    )
    scan = _first_non_empty_rows(cells)
    index = find_header_row([row for _, row in scan])
    if index is None:
        return empty_rows(), _missing_message([row for _, row in scan])
    header_row, header = scan[index]
    mapping = map_headers(header)
    _check_mapping(mapping)
    data = cells.filter(pl.col(SOURCE_ROW) > header_row)
    dates = [mapping.columns[name] for name in DATE_COLUMNS if name in mapping.columns]
    if _has_number_like_text(data, dates):
        data = _with_typed_dates(workbook, sheet.name, data, raw_names, dates)
    return _shape_rows(data, mapping.columns, source_file, sheet.name), None


def _first_non_empty_rows(cells: pl.DataFrame) -> list[tuple[int, tuple[str | None, ...]]]:
    """Return the first non-empty rows of a sheet with their spreadsheet row numbers."""
    cell_columns = [name for name in cells.columns if name != SOURCE_ROW]
    if not cell_columns:
        return []
    non_empty = pl.any_horizontal(
        pl.col(name).str.strip_chars().ne("").fill_null(False) for name in cell_columns
    )
    head = cells.filter(non_empty).head(HEADER_SCAN_ROWS)
    numbers = head.get_column(SOURCE_ROW).to_list()
    return list(zip(numbers, head.select(cell_columns).rows(), strict=True))


def _has_number_like_text(cells: pl.DataFrame, positions: Sequence[int]) -> bool:
    """Tell whether a date column shows a plain number, which may be a serial or a text."""
    if not positions:
        return False
    looks_numeric = pl.any_horizontal(
        pl.col(_cell_name(i)).str.contains(_NUMBER_LIKE).any() for i in positions
    )
    return bool(cells.select(looks_numeric).item())


def _with_typed_dates(
    workbook: fastexcel.ExcelReader,
    sheet_name: str,
    cells: pl.DataFrame,
    raw_names: list[str],
    positions: Sequence[int],
) -> pl.DataFrame:
    """Write date and numeric cells of date columns as YYYY-MM-DD; text cells stay text."""
    typed_names = {raw_names[i]: f"typed_{i}" for i in positions}
    # A datetime load yields a value only for date and numeric cells; text cells come back null.
    typed = (
        workbook.load_sheet(
            sheet_name,
            header_row=None,
            skip_rows=0,
            dtypes="datetime",
            use_columns=list(typed_names),
        )
        .to_polars()
        .rename(typed_names)
        .with_row_index(SOURCE_ROW, offset=1)
        .with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
    )
    replacements = []
    for position in positions:
        moment = pl.col(f"typed_{position}").cast(pl.Datetime("ms"))
        as_text = (
            pl.when(moment.dt.year().is_between(1000, 9999))
            .then(moment.dt.strftime("%Y-%m-%d"))
            .otherwise(None)
        )
        cell = _cell_name(position)
        replacements.append(pl.coalesce(as_text, pl.col(cell)).alias(cell))
    joined = cells.join(typed, on=SOURCE_ROW, how="left", maintain_order="left")
    return joined.with_columns(replacements).select(cells.columns)
