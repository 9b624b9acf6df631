"""Find the extract files under the raw folder and read their rows as text."""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import multiprocessing
import os
import posixpath
import re
import resource
import threading
import zipfile
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal
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

FileKind = Literal["csv", "xlsx", "other", "symlink"]
DateSource = Literal["file_name", "modified_time"]

EXTRACT_KINDS: dict[str, FileKind] = {".csv": "csv", ".xlsx": "xlsx"}
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

_NAME_DATE = re.compile(r"(?<!\d)(?:(\d{4})-(\d{2})-(\d{2})|(\d{4})(\d{2})(\d{2}))(?!\d)")
_LONG_DIGIT_RUN = re.compile(r"\d{16,}")
_FOOTER_START = r"(?i)^(jumlah|total)"
_NUMBER_LIKE = r"^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$"
_BINARY_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")

MSG_SYMLINK = (
    "Tautan simbolik (symlink) tidak dibaca dan tidak diikuti. Salin file aslinya ke folder "
    "data mentah bila isinya memang perlu dimuat."
)
MSG_OTHER = (
    "Bukan file ekstrak: hanya file .csv dan .xlsx yang dibaca, isi file ini tidak dibuka. "
    "Simpan ulang sebagai CSV atau XLSX bila berisi data peserta, atau pindahkan dari folder "
    "data mentah."
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
    """Describe one file: kind, size, delivery date and, for an extract, its SHA-256."""
    stat = path.lstat()
    delivery_date, date_source = _delivery_date(path.name, stat.st_mtime)
    kind = _kind(path)
    sha256 = None
    if problem is None:
        problem = _kind_problem(path, kind)
    if problem is None:
        sha256, problem = _sha256(path)
    return DiscoveredFile(
        path=path,
        source_file=path.relative_to(raw_dir).as_posix(),
        kind=kind,
        sha256=sha256,
        size_bytes=stat.st_size,
        delivery_date=delivery_date,
        date_source=date_source,
        problem=problem,
    )


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
        return MSG_OTHER if path.is_file() else MSG_SPECIAL
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


def read_extract(path: Path, source_file: str) -> ExtractRead:
    """Read one CSV or XLSX extract into text rows; never raise for a bad file."""
    notes: list[str] = []
    try:
        if path.stat().st_size == 0:
            raise ExtractRejected(MSG_EMPTY_FILE)
        if path.suffix.lower() == ".xlsx":
            rows = _read_xlsx(path, source_file, notes)
        else:
            rows = _read_csv(path, source_file, notes)
        if rows.height == 0:
            raise ExtractRejected(MSG_NO_DATA)
    except ExtractRejected as rejection:
        return _rejected(mask_digits(str(rejection)), notes)
    except PermissionError:
        return _rejected(MSG_DENIED, notes)
    except Exception as error:  # a bad file must never stop the other files
        message = (
            f"File tidak dapat dibaca ({type(error).__name__}). Periksa file ini, lalu kirim ulang."
        )
        return _rejected(message, notes)
    return ExtractRead(rows=rows, notes=[mask_digits(note) for note in notes])


def _rejected(message: str, notes: list[str]) -> ExtractRead:
    """Return the result of a file rejected whole."""
    return ExtractRead(rows=empty_rows(), error=message, notes=[mask_digits(n) for n in notes])


def mask_digits(text: str) -> str:
    """Hide the middle of every run of 16 or more digits, keeping the first and last four."""
    return _LONG_DIGIT_RUN.sub(lambda m: m[0][:4] + "*" * (len(m[0]) - 8) + m[0][-4:], text)


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
    shown = [_show(cell) for cell in non_empty[0] if _has_text(cell)]
    more = len(shown) - MAX_HEADERS_SHOWN
    listed = " | ".join(shown[:MAX_HEADERS_SHOWN]) + (f" | ... (+{more} lagi)" if more > 0 else "")
    return (
        f"Baris judul kolom tidak ditemukan: kolom wajib {', '.join(best)} tidak ada. "
        f"Isi baris pertama yang tidak kosong: {listed}. Pastikan satu baris judul memuat kolom "
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
    encoding = inspected.encoding
    sample = _decode_sample(path, encoding)
    layout = _find_csv_layout(sample)
    mapping = map_headers(layout.header)
    _check_mapping(mapping)
    source: Path | io.BytesIO = path
    if encoding == "cp1252":
        notes.append("File dibaca dengan encoding Windows-1252 (bukan UTF-8).")
        source = io.BytesIO(path.read_bytes().decode("cp1252", errors="replace").encode())
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
    cells = _with_csv_line_numbers(cells, layout.header_line, inspected.has_quotes)
    return _shape_rows(cells.slice(1), mapping.columns, source_file, None)


@dataclass(frozen=True)
class _CsvBytes:
    """What one pass over a CSV file's bytes tells: its encoding and whether it has quotes."""

    encoding: Literal["utf-8", "cp1252"]
    has_quotes: bool


def _inspect_bytes(path: Path) -> _CsvBytes:
    """Return utf-8 when the whole file is valid UTF-8, else cp1252; reject binary files."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding: Literal["utf-8", "cp1252"] = "utf-8"
    has_quotes = False
    with path.open("rb") as handle:
        chunk = handle.read(ENCODING_CHUNK_BYTES)
        if chunk.startswith(_BINARY_SIGNATURES) or b"\x00" in chunk[:65536]:
            raise ExtractRejected(MSG_CSV_BINARY)
        while chunk:
            has_quotes = has_quotes or b'"' in chunk
            if encoding == "utf-8":
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
    return _CsvBytes(encoding=encoding, has_quotes=has_quotes)


def _decode_sample(path: Path, encoding: str) -> str:
    """Return the first complete lines of the file as text, without a byte order mark."""
    with path.open("rb") as handle:
        raw = handle.read(HEADER_SCAN_BYTES + 1)
    if len(raw) > HEADER_SCAN_BYTES:
        raw = raw[: raw.rfind(b"\n", 0, HEADER_SCAN_BYTES) + 1]
    codec = "utf-8-sig" if encoding == "utf-8" else "cp1252"
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
    parts = sample.split("\n")
    lines = [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"')
    records: list[tuple[int, list[str]]] = []
    while len(records) < HEADER_SCAN_ROWS:
        start = reader.line_num
        try:
            records.append((start, next(reader)))
        except (StopIteration, csv.Error):
            break
    return records


def _with_csv_line_numbers(cells: pl.DataFrame, header_line: int, has_quotes: bool) -> pl.DataFrame:
    """Add the 1-based line on which each record starts, counting line breaks inside quotes."""
    # polars keeps an empty line as an all-null row, so without quotes record i is line i.
    first_line = header_line + 1
    if not has_quotes:
        return cells.with_row_index(SOURCE_ROW, offset=first_line).with_columns(
            pl.col(SOURCE_ROW).cast(pl.Int64)
        )
    breaks = pl.sum_horizontal(
        pl.col(name).str.count_matches("\n", literal=True).fill_null(0) for name in cells.columns
    ).cast(pl.Int64)
    lines_before = (breaks + 1).cum_sum() - (breaks + 1)
    return cells.with_columns((lines_before + first_line).alias(SOURCE_ROW))


# ---------------------------------------------------------------- XLSX


def _read_xlsx(path: Path, source_file: str, notes: list[str]) -> pl.DataFrame:
    """Read every visible sheet that has a header row with the required columns."""
    try:
        workbook = fastexcel.read_excel(path)
        sheet_names = workbook.sheet_names
    except Exception as error:
        raise ExtractRejected(MSG_XLSX_BROKEN) from error
    frames: list[pl.DataFrame] = []
    first_missing: str | None = None
    for name in sheet_names:
        sheet = workbook.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        if sheet.visible != "visible":
            notes.append(f"Sheet '{name}' tersembunyi dan dilewati.")
            continue
        frame, missing = _read_sheet(workbook, sheet, source_file)
        if missing is not None:
            notes.append(f"Sheet '{name}' dilewati: {missing}")
            first_missing = first_missing or f"Sheet '{name}': {missing}"
            continue
        if frame.height == 0:
            notes.append(f"Sheet '{name}' tidak berisi baris data dan dilewati.")
        frames.append(frame)
    if not frames:
        raise ExtractRejected(f"{MSG_NO_SHEET} {first_missing or ''}".strip())
    return pl.concat(frames)


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


def _first_non_empty_rows(cells: pl.DataFrame) -> list[tuple[int, list[str | None]]]:
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
