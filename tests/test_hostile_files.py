"""Whatever a raw folder holds, the run completes, each file gets a clear outcome and every
good row is counted.

Every hostile input is generated here (no binary fixtures): the corpus below lists each
kind with the outcome it must get, file-level (rejected, with a message saying why and
what to do) or row-level (loaded, with the bad rows quarantined under the right row
numbers). The heavier cases (a 200 MB file, permission denied as an unprivileged user, a
file still being written) have their own tests further down.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
import openpyxl
import polars as pl
import pytest
import xlsxwriter

import flows.extracts as extracts
from flows import database
from flows.config import PROJECT_ROOT, Settings
from flows.extracts import DiscoveredFile, discover_extracts, read_extract
from flows.history import utc_now
from flows.ingest import (
    FileResult,
    load_reference,
    process_extract,
    process_with_cache,
    settings_fingerprint,
)
from flows.pipeline import Assembly, assemble_tables, publish_assembled, record_success
from flows.secrets import key_fingerprint, load_nik_key
from schemas.columns import FILE_DUPLICATE, FILE_LOADED, FILE_REJECTED
from tests.conftest import TEST_NIK_KEY, write_workbook

HEADER = ["NIK", "Nama", "Kelurahan", "Kategori", "TMT"]
KEY = TEST_NIK_KEY.encode()


def nik(serial: int) -> str:
    """Return a valid, invented NIK of Kota Singkawang (born 1 January 1990)."""
    return f"617201010190{serial:04d}"


def good_row(serial: int, name: str | None = None) -> list[str]:
    return [nik(serial), name or f"Peserta Uji {serial}", "Roban", "rentan", "15/12/2025"]


def csv_bytes(rows: list[list[str]], delimiter: str = ";", end: str = "\n") -> bytes:
    return (end.join(delimiter.join(row) for row in rows) + end).encode("utf-8")


# ---------------------------------------------------------------- running the pipeline


def run_once(
    settings: Settings, run_id: str = "uji"
) -> tuple[list[DiscoveredFile], list[FileResult], Assembly]:
    """Run discover, ingest, assemble and publish once, as the nightly flow does, without
    Prefect; return the files, their results and what was published."""
    paths = database.DatabasePaths(settings.paths.db)
    with database.publish_lock(paths):
        files = discover_extracts(settings.paths.raw_dir)
        reference = load_reference(settings.paths.reference_dir)
        key = load_nik_key(settings.paths.key_file)
        fingerprint = settings_fingerprint(settings.rules, reference, key_fingerprint(key))
        results = [
            process_with_cache(
                file, reference, settings.rules, key, settings.paths.cache_dir, fingerprint
            )
            for file in files
        ]
        try:
            assembly = assemble_tables(
                settings, files, results, reference.kelurahan, run_id, utc_now()
            )
            publish_assembled(settings, assembly.database, lambda _: None)
        finally:
            # As the nightly flow does: nothing assembled outlives the run.
            database.clear_assembled(paths)
        record_success(settings, assembly.record)
    return files, results, assembly


def process_one(settings: Settings, file: DiscoveredFile) -> FileResult:
    reference = load_reference(settings.paths.reference_dir)
    return process_extract(file, reference, settings.rules, KEY)


def source_rows(result: FileResult) -> list[int]:
    return sorted(
        result.enrolment_rows.collect().get_column("source_row").to_list()
        + result.rejected.get_column("source_row").to_list()
    )


# ---------------------------------------------------------------- XLSX written by hand

XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def sheet_xml(rows: list[list[str | None]], first_row: int = 1, doctype: str = "") -> str:
    """Return a worksheet whose cells are inline strings, with their r references."""
    body = []
    for offset, row in enumerate(rows):
        number = first_row + offset
        cells = "".join(
            f'<c r="{column_letters(c)}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
            if value.startswith("&")
            else f'<c r="{column_letters(c)}{number}" t="inlineStr"><is><t>{escape(value)}'
            "</t></is></c>"
            for c, value in enumerate(row)
            if value is not None
        )
        body.append(f'<row r="{number}">{cells}</row>')
    prolog = XML_HEAD + doctype
    return (
        f'{prolog}<worksheet xmlns="{MAIN_NS}"><sheetData>{"".join(body)}</sheetData></worksheet>'
    )


def package_parts(sheets: list[tuple[str, str | None]]) -> dict[str, str]:
    """Return the parts every workbook needs besides its sheet XML: (name, state) per sheet."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
        for i in range(1, len(sheets) + 1)
    )
    entries = "".join(
        f'<sheet name="{escape(name)}" sheetId="{i}"'
        + (f' state="{state}"' if state else "")
        + f' r:id="rId{i}"/>'
        for i, (name, state) in enumerate(sheets, start=1)
    )
    links = "".join(
        f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    return {
        "[Content_Types].xml": (
            f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            f'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            f'ContentType="{WORKBOOK_TYPE}"/>{overrides}</Types>'
        ),
        "_rels/.rels": (
            f'{XML_HEAD}<Relationships xmlns="{PACKAGE_NS}"><Relationship Id="rId1" '
            f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'{XML_HEAD}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>{entries}'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{XML_HEAD}<Relationships xmlns="{PACKAGE_NS}">{links}</Relationships>'
        ),
    }


def write_raw_workbook(path: Path, sheets: list[tuple[str, str, str | None]]) -> Path:
    """Write an XLSX from sheet XML written by hand: (name, xml, state) per sheet."""
    parts = package_parts([(name, state) for name, _, state in sheets])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        for i, (_, xml, _) in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", xml)
    return path


@dataclass(frozen=True)
class ZipMember:
    """One member of a zip archive written by hand: its deflated bytes and what it declares."""

    name: str
    deflated: bytes
    crc: int
    size: int
    declared_size: int


def deflated_member(name: str, text: str | bytes) -> ZipMember:
    data = text.encode() if isinstance(text, str) else text
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(data) + compressor.flush()
    return ZipMember(name, deflated, zlib.crc32(data), len(data), len(data))


def repeated_member(
    name: str, prefix: bytes, filler: bytes, repeats: int, suffix: bytes, declared: int | None
) -> ZipMember:
    """Deflate prefix + filler * repeats + suffix cheaply: a fully flushed deflate segment
    does not depend on what came before, so one compressed filler is repeated as is."""

    def segment(data: bytes, last: bool = False) -> bytes:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        return compressor.compress(data) + compressor.flush(
            zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH
        )

    crc = zlib.crc32(prefix)
    for _ in range(repeats):
        crc = zlib.crc32(filler, crc)
    crc = zlib.crc32(suffix, crc)
    deflated = segment(prefix) + segment(filler) * repeats + segment(suffix, last=True)
    size = len(prefix) + len(filler) * repeats + len(suffix)
    return ZipMember(name, deflated, crc, size, size if declared is None else declared)


def write_zip(path: Path, members: list[ZipMember]) -> Path:
    """Write a zip archive member by member, with exactly the sizes each member declares."""
    body = bytearray()
    directory = bytearray()
    for member in members:
        name = member.name.encode()
        offset = len(body)
        body += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, member.crc,
            len(member.deflated), member.declared_size, len(name), 0,
        )  # fmt: skip
        body += name + member.deflated
        directory += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, member.crc,
            len(member.deflated), member.declared_size, len(name), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        directory += name
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), len(body), 0
    )
    path.write_bytes(bytes(body + directory + end))
    return path


def bomb_members(sheet: ZipMember) -> list[ZipMember]:
    parts = package_parts([("Data", None)])
    return [*(deflated_member(name, text) for name, text in parts.items()), sheet]


def header_and_row_xml(serial: int) -> tuple[bytes, bytes]:
    """Return the XML of a sheet with a header and one good row, split where filler goes."""
    xml = sheet_xml([HEADER, good_row(serial)]).encode()
    head, tail = xml.split(b"</sheetData>")
    return head, b"</sheetData>" + tail


@cache
def zip_bomb_bytes() -> bytes:
    """A 3 MB XLSX whose sheet expands to 3 GB of XML (every size and checksum true)."""
    head, tail = header_and_row_xml(1)
    sheet = repeated_member(
        "xl/worksheets/sheet1.xml", head, b" " * (1 << 20), 3 * 1024, tail, declared=None
    )
    with tempfile.TemporaryDirectory() as folder:
        return write_zip(Path(folder) / "bom.xlsx", bomb_members(sheet)).read_bytes()


def write_compound_file(path: Path, streams: dict[str, bytes]) -> Path:
    """Write a minimal OLE2 compound file: the container of .xls and of encrypted .xlsx."""
    sector = 512
    end_of_chain, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    bodies = [
        data.ljust(max(4096, -(-len(data) // sector) * sector), b"\0") for data in streams.values()
    ]
    fat = [fat_sector, end_of_chain]
    starts = []
    for body in bodies:
        count = len(body) // sector
        first = len(fat)
        starts.append(first)
        fat += [first + i + 1 for i in range(count - 1)] + [end_of_chain]
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int, right: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(encoded), kind, 1, free, right, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, end_of_chain, 0, child=1, right=free)
    for index, (name, data) in enumerate(streams.items(), start=1):
        right = index + 1 if index < len(streams) else free
        directory += entry(name, 2, starts[index - 1], len(data), child=free, right=right)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<9I", 0, 1, 1, 0, 4096, end_of_chain, 0, end_of_chain, 0)
        + struct.pack("<109I", 0, *([free] * 108))
    )
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    path.write_bytes(header + fat_bytes + directory.ljust(sector, b"\0") + b"".join(bodies))
    return path


# ---------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Hostile:
    """One kind of hostile input and the outcome it must get."""

    name: str
    write: Callable[[Path, int], object]
    status: str
    says: tuple[str, ...] = ()
    never_says: tuple[str, ...] = ()
    accepted: int = 0
    rejected: int = 0
    rows: tuple[int, ...] | None = None
    reasons: tuple[tuple[int, str], ...] = ()
    read: bool = True
    dated_by_modified_time: bool = False


def _write(content: bytes) -> Callable[[Path, int], object]:
    return lambda path, _: path.write_bytes(content)


def _random_bytes(seed: int, count: int = 4096) -> bytes:
    data = bytearray(random.Random(seed).randbytes(count))
    data[:2] = b"\x8a\x03"  # start like no known format
    return bytes(data)


def _good_workbook(path: Path, serial: int) -> bytes:
    write_workbook(path, {"Data": [HEADER, good_row(serial), good_row(serial + 1)]})
    return path.read_bytes()


def _workbook_bytes(serial: int) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return _good_workbook(Path(folder) / "a.xlsx", serial)


def _truncated(path: Path, serial: int) -> None:
    data = _workbook_bytes(serial)
    path.write_bytes(data[: len(data) // 2])


def _corrupt_sheet_data(path: Path, serial: int) -> None:
    """Keep the archive's directory intact but scramble the compressed sheet XML."""
    path.write_bytes(_workbook_bytes(serial))
    sheet = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(path.read_bytes())
    start = sheet.header_offset + 30 + len(sheet.filename.encode()) + len(sheet.extra)
    for offset in range(start + 5, start + sheet.compress_size - 5, 7):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def _ratio_bomb(path: Path, serial: int) -> None:
    head, tail = header_and_row_xml(serial)
    sheet = repeated_member("xl/worksheets/sheet1.xml", head, b" " * (1 << 20), 200, tail, None)
    write_zip(path, bomb_members(sheet))


def _lying_sizes(path: Path, serial: int) -> None:
    head, tail = header_and_row_xml(serial)
    sheet = repeated_member("xl/worksheets/sheet1.xml", head, b" " * (1 << 20), 300, tail, 4000)
    write_zip(path, bomb_members(sheet))


def _dense_range_bomb(path: Path, serial: int) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Data")
    for r, row in enumerate([HEADER, good_row(serial)]):
        sheet.write_row(r, 0, row)
    sheet.write_string(1_048_575, 16_383, "sel terakhir")  # XFD1048576
    workbook.close()


def _utf16(path: Path, serial: int) -> None:
    text = "\r\n".join("\t".join(row) for row in [HEADER, good_row(serial), good_row(serial + 1)])
    path.write_bytes(b"\xff\xfe" + (text + "\r\n").encode("utf-16-le"))


def _mixed_line_endings(path: Path, serial: int) -> None:
    rows = [";".join(row).encode() for row in [HEADER, *(good_row(serial + i) for i in range(4))]]
    path.write_bytes(
        rows[0] + b"\r\n" + rows[1] + b"\n" + rows[2] + b"\r" + rows[3] + b"\r\n" + rows[4]
    )


def _quoted_newlines(path: Path, serial: int) -> None:
    path.write_text(
        "DAFTAR PESERTA\n"
        "NIK;Nama;Kelurahan;Kategori;TMT\n"
        f'{nik(serial)};"Budi\nSantoso";Roban;rentan;15/12/2025\n'
        f"{nik(serial + 1)};Siti;Roban;rentan;15/12/2025\n"
        f'{nik(serial + 2)};"Ani\r\nputri\nJr";"Roban";rentan;15/12/2025\n'
        f"{nik(serial + 3)};Ahmad;Roban;rentan;15/12/2025\n",
        encoding="utf-8",
        newline="",
    )


def _merged_header(path: Path, serial: int) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Data")
    sheet.merge_range(0, 0, 0, 4, "DAFTAR PESERTA KOTA SINGKAWANG")
    for c, text in enumerate(HEADER):
        sheet.merge_range(1, c, 2, c, text)
    sheet.write_row(3, 0, good_row(serial))
    sheet.write_row(4, 0, good_row(serial + 1))
    workbook.close()


def _two_level_header(path: Path, serial: int) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Data")
    for c, text in enumerate(["NIK", "Nama", "Kelurahan", "Kategori"]):
        sheet.merge_range(0, c, 1, c, text)
    sheet.merge_range(0, 4, 0, 5, "TANGGAL")
    sheet.write_row(1, 4, ["Mulai", "Akhir"])
    sheet.write_row(2, 0, [*good_row(serial)[:4], "15/12/2025", ""])
    workbook.close()


def _hidden_sheets(path: Path, serial: int) -> None:
    write_workbook(
        path,
        {
            "Data": [HEADER, good_row(serial), good_row(serial + 1)],
            "Lama": [HEADER, good_row(serial + 5)],
            "Rahasia": [HEADER, good_row(serial + 6)],
        },
        hidden=("Lama",),
        very_hidden=("Rahasia",),
    )


def _only_hidden_sheet(path: Path, serial: int) -> None:
    write_raw_workbook(path, [("Data", sheet_xml([HEADER, good_row(serial)]), "hidden")])


def _formulas_with_cached_values(path: Path, serial: int) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Data")
    dates = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, HEADER)
    value = nik(serial)
    sheet.write_formula(1, 0, f'="{value[:8]}"&"{value[8:]}"', None, value)
    sheet.write_string(1, 1, "Budi")
    sheet.write_formula(1, 2, '=PROPER("roban")', None, "Roban")
    sheet.write_string(1, 3, "rentan")
    sheet.write_formula(1, 4, "=DATE(2025,12,15)", dates, 46006)
    workbook.close()


def _formulas_without_values(path: Path, serial: int) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Data"
    value = nik(serial)
    sheet.append(HEADER)
    sheet.append([f'="{value[:8]}"&"{value[8:]}"', "Budi", "Roban", "rentan", "=DATE(2025,12,15)"])
    sheet.append(good_row(serial + 1))
    workbook.save(path)


def _nul_bytes(path: Path, serial: int) -> None:
    rows = [HEADER, good_row(serial), good_row(serial + 1), good_row(serial + 2, "Bu\0di")]
    rows[2][0] = rows[2][0][:8] + "\0" + rows[2][0][8:]
    path.write_bytes(csv_bytes(rows))


def _megabyte_cells_csv(path: Path, serial: int) -> None:
    rows = [HEADER, good_row(serial, "N" * 1_000_000), good_row(serial + 1)]
    rows[2][0] = "7" * 1_000_000
    path.write_bytes(csv_bytes(rows))


def _megabyte_cell_xlsx(path: Path, serial: int) -> None:
    xml = sheet_xml([HEADER, good_row(serial, "N" * 1_000_000), good_row(serial + 1)])
    write_raw_workbook(path, [("Data", xml, None)])


def _wide(serial: int) -> list[list[str]]:
    extra = [f"Kolom Tambahan {i}" for i in range(495)]
    return [[*HEADER, *extra], [*good_row(serial), *(f"isi {i}" for i in range(495))]]


def _symlink_outside(path: Path, serial: int) -> None:
    outside = path.parent.parent / "di_luar_folder_mentah"
    outside.mkdir(exist_ok=True)
    target = outside / "asli.csv"
    target.write_bytes(csv_bytes([HEADER, good_row(9999)]))
    path.symlink_to(target)


def _symlink_folder_outside(path: Path, serial: int) -> None:
    outside = path.parent.parent / "folder_luar"
    outside.mkdir(exist_ok=True)
    (outside / "kiriman_2025-12-20.csv").write_bytes(csv_bytes([HEADER, good_row(9998)]))
    path.symlink_to(outside, target_is_directory=True)


def _billion_laughs(path: Path, serial: int) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    xml = sheet_xml(
        [HEADER, [nik(serial), "&lol9;", "Roban", "rentan", "15/12/2025"]],
        doctype=f"<!DOCTYPE worksheet [{entities}]>",
    )
    write_raw_workbook(path, [("Data", xml, None)])


def _external_entity(path: Path, serial: int) -> None:
    xml = sheet_xml(
        [HEADER, [nik(serial), "&xxe;", "Roban", "rentan", "15/12/2025"]],
        doctype='<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    )
    write_raw_workbook(path, [("Data", xml, None)])


def _formula_injection(path: Path, serial: int) -> None:
    rows = [
        HEADER,
        ["=1+1", "Budi", "Roban", "rentan", "15/12/2025"],
        [
            nik(serial),
            "Siti",
            '=HYPERLINK("http://contoh.invalid","Roban")',
            "rentan",
            "15/12/2025",
        ],
        [nik(serial + 1), "=cmd|' /C calc'!A0", "Roban", "rentan", "15/12/2025"],
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _named_pipe(path: Path, serial: int) -> None:
    os.mkfifo(path)


CORPUS: tuple[Hostile, ...] = (
    Hostile("kosong.csv", _write(b""), FILE_REJECTED, ("kosong (0 byte)",)),
    Hostile("kosong.xlsx", _write(b""), FILE_REJECTED, ("kosong (0 byte)",)),
    Hostile(
        "hanya_judul.csv", _write(csv_bytes([HEADER])), FILE_REJECTED, ("Tidak ada baris data",)
    ),
    Hostile(
        "hanya_judul.xlsx",
        lambda path, _: write_workbook(path, {"Data": [HEADER]}),
        FILE_REJECTED,
        ("Tidak ada baris data",),
    ),
    Hostile(
        "baris_kosong_saja.csv",
        _write(b"\n\n   \n\r\n\t\n;;;\n"),
        FILE_REJECTED,
        ("Tidak ada baris data",),
    ),
    Hostile("bom_saja.csv", _write(b"\xef\xbb\xbf"), FILE_REJECTED, ("Tidak ada baris data",)),
    Hostile("sampah_biner.csv", _write(_random_bytes(1)), FILE_REJECTED, ("bukan teks",)),
    Hostile("sampah_biner.xlsx", _write(_random_bytes(2)), FILE_REJECTED, ("bukan buku kerja",)),
    Hostile(
        "xlsx_diberi_nama.csv",
        lambda path, serial: path.write_bytes(_workbook_bytes(serial)),
        FILE_REJECTED,
        ("bukan teks",),
    ),
    Hostile(
        "csv_diberi_nama.xlsx",
        lambda path, serial: path.write_bytes(csv_bytes([HEADER, good_row(serial)])),
        FILE_REJECTED,
        ("isinya teks", ".csv"),
    ),
    Hostile("terpotong.xlsx", _truncated, FILE_REJECTED, ("terpotong",)),
    Hostile("isi_sheet_rusak.xlsx", _corrupt_sheet_data, FILE_REJECTED, ("rusak",)),
    Hostile(
        "bom_zip.xlsx",
        lambda path, _: path.write_bytes(zip_bomb_bytes()),
        FILE_REJECTED,
        ("ditolak tanpa dibuka", "3,0 GB", "batas 2,0 GB"),
    ),
    Hostile("rasio_bom.xlsx", _ratio_bomb, FILE_REJECTED, ("ditolak tanpa dibuka", "kali")),
    Hostile(
        "ukuran_bohong.xlsx",
        _lying_sizes,
        FILE_REJECTED,
        ("melebihi ukuran yang tertulis", "dihentikan"),
    ),
    Hostile("sel_di_xfd1048576.xlsx", _dense_range_bomb, FILE_REJECTED, ("memori", "Ctrl+End")),
    Hostile(
        "berkata_sandi.xlsx",
        lambda path, _: write_compound_file(
            path, {"EncryptionInfo": b"\x04\x00\x04\x00" * 64, "EncryptedPackage": b"\x9c" * 5000}
        ),
        FILE_REJECTED,
        ("kata sandi", "kirim ulang"),
    ),
    Hostile(
        "format_lama.xls",
        lambda path, _: write_compound_file(path, {"Workbook": b"\x09\x08" * 3000}),
        FILE_REJECTED,
        ("(.xls)", "Simpan Sebagai", ".xlsx"),
        read=False,
    ),
    Hostile(
        "xls_diberi_nama.xlsx",
        lambda path, _: write_compound_file(path, {"Workbook": b"\x09\x08" * 3000}),
        FILE_REJECTED,
        ("97-2003", "Simpan Sebagai"),
    ),
    Hostile("utf16.csv", _utf16, FILE_LOADED, ("UTF-16",), accepted=2, rows=(2, 3)),
    Hostile(
        "utf16_tanpa_bom.csv",
        lambda path, serial: path.write_bytes(
            "\r\n".join("\t".join(row) for row in [HEADER, good_row(serial)]).encode("utf-16-le")
        ),
        FILE_REJECTED,
        ("UTF-16", "CSV UTF-8"),
    ),
    Hostile(
        "akhir_baris_campur.csv",
        _mixed_line_endings,
        FILE_LOADED,
        ("CR",),
        accepted=4,
        rows=(2, 3, 4, 5),
    ),
    Hostile(
        "ganti_baris_dalam_kutip.csv", _quoted_newlines, FILE_LOADED, accepted=4, rows=(3, 5, 6, 9)
    ),
    Hostile(
        "judul_nik_dua_kali.csv",
        lambda path, serial: path.write_bytes(
            csv_bytes([[*HEADER, "NIK"], [*good_row(serial), nik(serial)]])
        ),
        FILE_REJECTED,
        ("'NIK' dan 'NIK'",),
    ),
    Hostile(
        "judul_lain_dua_kali.csv",
        lambda path, serial: path.write_bytes(
            csv_bytes([[*HEADER, "Keterangan", "Keterangan"], [*good_row(serial), "a", "b"]])
        ),
        FILE_LOADED,
        accepted=1,
        rows=(2,),
    ),
    Hostile("judul_sel_gabung.xlsx", _merged_header, FILE_LOADED, accepted=2, rows=(4, 5)),
    Hostile(
        "judul_dua_tingkat.xlsx",
        _two_level_header,
        FILE_REJECTED,
        ("tanggal_mulai", "NIK | Nama | Kelurahan | Kategori | TANGGAL"),
    ),
    Hostile(
        "sheet_tersembunyi.xlsx",
        _hidden_sheets,
        FILE_LOADED,
        ("'Lama' tersembunyi", "'Rahasia' tersembunyi"),
        accepted=2,
        rows=(2, 3),
    ),
    Hostile(
        "hanya_sheet_tersembunyi.xlsx",
        _only_hidden_sheet,
        FILE_REJECTED,
        ("tersembunyi",),
    ),
    Hostile(
        "rumus_dengan_nilai.xlsx", _formulas_with_cached_values, FILE_LOADED, accepted=1, rows=(2,)
    ),
    Hostile(
        "rumus_tanpa_nilai.xlsx",
        _formulas_without_values,
        FILE_LOADED,
        ("2 sel berisi rumus tanpa hasil tersimpan", "A2, E2"),
        accepted=1,
        rejected=1,
        reasons=((2, "nik_missing"),),
    ),
    Hostile(
        "byte_nul.csv",
        _nul_bytes,
        FILE_LOADED,
        ("NUL", "baris 3, 4"),
        accepted=2,
        rejected=1,
        reasons=((3, "nik_invalid"),),
    ),
    Hostile(
        "sel_satu_mb.csv",
        _megabyte_cells_csv,
        FILE_LOADED,
        accepted=1,
        rejected=1,
        reasons=((3, "nik_invalid"),),
    ),
    Hostile("sel_satu_mb.xlsx", _megabyte_cell_xlsx, FILE_LOADED, accepted=2, rows=(2, 3)),
    Hostile(
        "lima_ratus_kolom.csv",
        lambda path, serial: path.write_bytes(csv_bytes(_wide(serial))),
        FILE_LOADED,
        accepted=1,
        rows=(2,),
    ),
    Hostile(
        "lima_ratus_kolom.xlsx",
        lambda path, serial: write_workbook(path, {"Data": _wide(serial)}),  # type: ignore[dict-item]
        FILE_LOADED,
        accepted=1,
        rows=(2,),
    ),
    Hostile(
        "tautan_ke_luar.csv",
        _symlink_outside,
        FILE_REJECTED,
        ("symlink", "tidak diikuti"),
        read=False,
    ),
    Hostile(
        "tautan_folder_ke_luar",
        _symlink_folder_outside,
        FILE_REJECTED,
        ("symlink", "tidak diikuti"),
        read=False,
    ),
    Hostile("pipa_bernama.csv", _named_pipe, FILE_REJECTED, ("Bukan file biasa",), read=False),
    Hostile(
        "kiriman peserta Ñoño 新 tanpa tanggal.csv",
        lambda path, serial: path.write_bytes(csv_bytes([HEADER, good_row(serial)])),
        FILE_LOADED,
        accepted=1,
        rows=(2,),
        dated_by_modified_time=True,
    ),
    Hostile(
        "tanpa_judul_kolom.csv",
        lambda path, serial: path.write_bytes(
            csv_bytes([good_row(serial, "Budi Santoso"), good_row(serial + 1)])
        ),
        FILE_REJECTED,
        ("6172********", "isinya tidak ditampilkan"),
        never_says=("Budi Santoso", "Roban"),
    ),
    Hostile("entitas_berlipat.xlsx", _billion_laughs, FILE_REJECTED, ("rusak",)),
    Hostile(
        "entitas_luar.xlsx", _external_entity, FILE_REJECTED, ("rusak",), never_says=("root:",)
    ),
    Hostile(
        "sel_berumus.csv",
        _formula_injection,
        FILE_LOADED,
        accepted=1,
        rejected=2,
        reasons=((2, "nik_invalid"), (3, "kelurahan_unknown")),
    ),
    Hostile(
        "baris_judul_panjang.csv",
        lambda path, serial: path.write_bytes(
            b"x" * 5_000_000 + b"\n" + csv_bytes([HEADER, good_row(serial)])
        ),
        FILE_REJECTED,
        ("Baris judul kolom tidak ditemukan",),
    ),
    Hostile(
        "kutip_tidak_ditutup.csv",
        _write(b'NIK;Nama;Kelurahan;Kategori;TMT\n6172010101909999;"Budi;Roban;pr;x\n'),
        FILE_REJECTED,
        ("kutip",),
    ),
)
CASES = {case.name: (index, case) for index, case in enumerate(CORPUS)}


def write_case(raw: Path, case: Hostile) -> None:
    index, _ = CASES[case.name]
    case.write(raw / case.name, 100 * (index + 1))


def test_corpus_holds_at_least_thirty_kinds_with_distinct_names() -> None:
    assert len(CORPUS) >= 30
    assert len(CASES) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_hostile_file_gets_a_clear_outcome(settings: Settings, case: Hostile) -> None:
    raw = settings.paths.raw_dir
    write_case(raw, case)
    (file,) = discover_extracts(raw)
    result = process_one(settings, file)
    message = result.message or ""
    assert result.status == case.status, message
    for text in case.says:
        assert text in message, f"{text!r} not in {message!r}"
    for text in case.never_says:
        assert text not in message
    assert not re.search(r"\d{16}", message), "a full NIK in the load log message"
    assert len(message) < 2_000
    assert result.rows_accepted == case.accepted
    assert result.rows_rejected == case.rejected
    assert result.rows_read == case.accepted + case.rejected
    if case.rows is not None:
        assert source_rows(result) == list(case.rows)
    if case.reasons:
        got = dict(result.rejected.select("source_row", "reason").iter_rows())
        assert got == dict(case.reasons)
    for rejected_message in result.rejected.get_column("message").to_list():
        assert len(rejected_message) < 1_000
        assert not re.search(r"\d{16}", rejected_message)
    if case.dated_by_modified_time:
        assert file.date_source == "modified_time" and file.date_note is not None
    assert file.source_file == case.name
    if not case.read:
        assert file.sha256 is None
        assert file.problem == message
    if case.status == FILE_REJECTED:
        assert result.rows_accepted == 0


@pytest.mark.slow
def test_every_hostile_file_in_one_folder_still_publishes_every_good_row(
    settings: Settings,
) -> None:
    raw = settings.paths.raw_dir
    for case in CORPUS:
        write_case(raw, case)
    (raw / "2025-12-16_kiriman_baik.csv").write_bytes(
        csv_bytes([HEADER, *(good_row(9000 + i) for i in range(5))])
    )
    write_workbook(
        raw / "2025-12-17_kiriman_baik.xlsx", {"Data": [HEADER, good_row(9100), good_row(9101)]}
    )

    files, results, assembly = run_once(settings)

    by_name = dict(zip((file.source_file for file in files), results, strict=True))
    for case in CORPUS:
        result = by_name[case.name]
        file = next(file for file in files if file.source_file == case.name)
        expected = FILE_DUPLICATE if file.duplicate_of else case.status
        assert result.status == expected, (case.name, result.message)
        if expected == FILE_LOADED:
            assert result.rows_accepted == case.accepted, case.name
            assert result.rows_rejected == case.rejected, case.name
    assert by_name["2025-12-16_kiriman_baik.csv"].rows_accepted == 5
    assert by_name["2025-12-17_kiriman_baik.xlsx"].rows_accepted == 2
    good_rows = 7 + sum(
        case.accepted for case in CORPUS if by_name[case.name].status == FILE_LOADED
    )
    loads = assembly.tables["audit.file_loads"]
    assert loads.height == len(CORPUS) + 2
    assert loads.filter(
        pl.col("rows_read") != pl.col("rows_accepted") + pl.col("rows_rejected")
    ).is_empty()
    assert int(loads.get_column("rows_accepted").sum()) == good_rows
    assert assembly.record.enrolments == good_rows
    connection = duckdb.connect(str(settings.paths.db), read_only=True)
    try:
        published = connection.execute("SELECT count(*) FROM core.enrolment").fetchone()
        outside = connection.execute(
            "SELECT count(*) FROM audit.file_loads WHERE source_file LIKE '%luar%' "
            "AND status <> 'rejected'"
        ).fetchone()
    finally:
        connection.close()
    assert published == (good_rows,)
    assert outside == (0,)
    assert database.run_checks(settings.paths.db) == []


# ---------------------------------------------------------------- memory and time bombs


def test_zip_bomb_xlsx_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bom.xlsx"
    path.write_bytes(zip_bomb_bytes())
    declared = sum(member.file_size for member in zipfile.ZipFile(path).infolist())
    assert declared > 3 * 10**9 and path.stat().st_size < 4 * 10**6

    def never(*_: object) -> None:
        raise AssertionError("the spreadsheet reader was asked to open a zip bomb")

    monkeypatch.setattr(extracts._XLSX_READER, "read", never)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = read_extract(path, "bom.xlsx")
    assert time.perf_counter() - started < 1.0
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kib < 100 * 1024
    assert result.error is not None and "ditolak tanpa dibuka" in result.error


def test_sheet_that_needs_terabytes_costs_that_file_only(tmp_path: Path) -> None:
    bomb = tmp_path / "sel_terakhir.xlsx"
    _dense_range_bomb(bomb, 1)
    good = write_workbook(tmp_path / "baik.xlsx", {"Data": [HEADER, good_row(2)]})
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    refused = read_extract(bomb, bomb.name)
    assert refused.error is not None and "memori" in refused.error
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 200 * 1024
    read = read_extract(good, good.name)
    assert read.error is None
    assert read.rows.get_column("nik").to_list() == [nik(2)]


def test_archive_member_larger_than_it_declares_is_stopped_at_the_declared_size(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bohong.xlsx"
    head, tail = header_and_row_xml(1)
    sheet = repeated_member(
        "xl/worksheets/sheet1.xml", head, b" " * (1 << 20), 1024, tail, declared=4000
    )
    write_zip(path, bomb_members(sheet))
    started = time.perf_counter()
    result = read_extract(path, path.name)
    assert time.perf_counter() - started < 5.0  # 1 GB expanded would take far longer
    assert result.error is not None and "melebihi ukuran yang tertulis" in result.error


def test_xlsx_read_past_its_time_limit_is_rejected_and_the_next_file_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_workbook(tmp_path / "a.xlsx", {"Data": [HEADER, good_row(1)]})
    monkeypatch.setattr(extracts, "XLSX_READ_TIMEOUT_SECONDS", 0.0)
    extracts._XLSX_READER.stop()
    slow = read_extract(path, path.name)
    assert slow.error is not None and "detik" in slow.error
    monkeypatch.setattr(extracts, "XLSX_READ_TIMEOUT_SECONDS", 60.0)
    assert read_extract(path, path.name).error is None


# ---------------------------------------------------------------- files in motion


def test_file_growing_while_it_is_hashed_is_rejected_for_this_run(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = settings.paths.raw_dir
    growing = raw / "2025-12-20_sedang_disalin.csv"
    growing.write_bytes(csv_bytes([HEADER, good_row(1)]))
    real_digest = hashlib.file_digest

    def digest_while_writing(handle, algorithm):  # type: ignore[no-untyped-def]
        result = real_digest(handle, algorithm)
        with growing.open("ab") as writer:
            writer.write(csv_bytes([good_row(2)]))
        return result

    monkeypatch.setattr(extracts.hashlib, "file_digest", digest_while_writing)
    (file,) = discover_extracts(raw)
    assert file.sha256 is None
    assert file.problem == extracts.MSG_CHANGED
    assert "jalankan ulang" in file.problem


def test_file_changed_after_discovery_is_rejected_then_loaded_whole_next_run(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = settings.paths.raw_dir
    (raw / "2025-12-19_lengkap.csv").write_bytes(csv_bytes([HEADER, good_row(1)]))
    growing = raw / "2025-12-20_sedang_disalin.csv"
    growing.write_bytes(csv_bytes([HEADER, good_row(2)]))
    real_discover = discover_extracts

    def discover_then_copy_more(raw_dir: Path) -> list[DiscoveredFile]:
        found = real_discover(raw_dir)
        with growing.open("ab") as writer:
            writer.write(csv_bytes([good_row(3), good_row(4)]))
        return found

    monkeypatch.setattr(sys.modules[__name__], "discover_extracts", discover_then_copy_more)
    _, results, assembly = run_once(settings)
    by_file = {result.source_file: result for result in results}
    assert by_file["2025-12-20_sedang_disalin.csv"].status == FILE_REJECTED
    assert by_file["2025-12-20_sedang_disalin.csv"].message.startswith("File berubah")
    assert by_file["2025-12-19_lengkap.csv"].rows_accepted == 1
    assert assembly.record.enrolments == 1

    monkeypatch.setattr(sys.modules[__name__], "discover_extracts", real_discover)
    _, results, assembly = run_once(settings, "uji-2")
    assert {result.source_file: result.rows_accepted for result in results} == {
        "2025-12-19_lengkap.csv": 1,
        "2025-12-20_sedang_disalin.csv": 3,
    }
    assert assembly.record.enrolments == 4


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_file_growing_while_it_is_read_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    path = tmp_path / f"tumbuh.{kind}"
    if kind == "csv":
        path.write_bytes(csv_bytes([HEADER, good_row(1)]))
    else:
        write_workbook(path, {"Data": [HEADER, good_row(1)]})
    name = "_read_csv" if kind == "csv" else "_read_xlsx"
    real_read = getattr(extracts, name)

    def read_while_writing(*args: object) -> pl.DataFrame:
        rows = real_read(*args)
        with path.open("ab") as writer:
            writer.write(b"\n")
        return rows

    monkeypatch.setattr(extracts, name, read_while_writing)
    result = read_extract(path, path.name)
    assert result.error == extracts.MSG_CHANGED
    assert result.rows.height == 0


def test_writer_appending_in_the_background_never_yields_half_a_file(settings: Settings) -> None:
    raw = settings.paths.raw_dir
    path = raw / "2025-12-21_disalin_pelan.csv"
    path.write_bytes(csv_bytes([HEADER]))
    done = threading.Event()

    def copy_slowly() -> None:
        for serial in range(1, 201):
            with path.open("ab") as writer:
                writer.write(csv_bytes([good_row(serial)]))
            time.sleep(0.001)
        done.set()

    writer = threading.Thread(target=copy_slowly)
    writer.start()
    reference = load_reference(settings.paths.reference_dir)
    outcomes = []
    while not done.is_set():
        for file in discover_extracts(raw):
            result = process_extract(file, reference, settings.rules, KEY)
            outcomes.append((file.size_bytes, result.status, result.rows_read))
    writer.join()
    for size, status, rows_read in outcomes:
        if status == FILE_LOADED:
            # A loaded file is the file exactly as hashed: its size and its rows agree.
            assert path.read_bytes()[:size].count(b"\n") - 1 == rows_read
    (file,) = discover_extracts(raw)
    assert process_extract(file, reference, settings.rules, KEY).rows_accepted == 200


# ---------------------------------------------------------------- the file system


def test_symlinks_out_of_the_raw_folder_are_listed_and_never_followed(settings: Settings) -> None:
    raw = settings.paths.raw_dir
    outside = raw.parent / "luar"
    outside.mkdir()
    (outside / "asli_2025-12-20.csv").write_bytes(csv_bytes([HEADER, good_row(7777)]))
    os.mkfifo(outside / "pipa.csv")  # opening it would block the run for ever
    (raw / "ke_berkas_luar.csv").symlink_to(outside / "asli_2025-12-20.csv")
    (raw / "ke_pipa_luar.csv").symlink_to(outside / "pipa.csv")
    (raw / "ke_folder_luar").symlink_to(outside, target_is_directory=True)
    (raw / "2025-12-20_baik.csv").write_bytes(csv_bytes([HEADER, good_row(1)]))

    finished: list[tuple[list[DiscoveredFile], list[FileResult], dict[str, pl.DataFrame]]] = []
    runner = threading.Thread(target=lambda: finished.append(run_once(settings)), daemon=True)
    runner.start()
    runner.join(timeout=60)
    assert finished, "the run blocked on a link it should not have followed"
    files, results, assembly = finished[0]
    statuses = {result.source_file: result.status for result in results}
    assert statuses == {
        "2025-12-20_baik.csv": FILE_LOADED,
        "ke_berkas_luar.csv": FILE_REJECTED,
        "ke_pipa_luar.csv": FILE_REJECTED,
        "ke_folder_luar": FILE_REJECTED,
    }
    assert all(file.sha256 is None for file in files if file.kind == "symlink")
    assert assembly.record.enrolments == 1
    assert all(name.startswith(("2025", "ke_")) for name in statuses)


def without_file_permission_override() -> list[str]:
    """Return the command prefix that makes this process's children obey file modes.

    Root reads any file whatever its mode. setpriv removes the two capabilities that allow
    it (for the child and everything it starts), so a mode-000 file is really unreadable.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file modes cannot be enforced")
    dropped = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={dropped}", f"--inh-caps={dropped}"]


def test_unreadable_file_and_folder_are_rejected_and_the_rest_loads(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "terkunci").mkdir(parents=True)
    (raw / "2025-12-20_baik.csv").write_bytes(csv_bytes([HEADER, good_row(1), good_row(2)]))
    write_workbook(raw / "2025-12-21_baik.xlsx", {"Data": [HEADER, good_row(3)]})
    locked_csv = raw / "2025-12-22_terkunci.csv"
    locked_csv.write_bytes(csv_bytes([HEADER, good_row(4)]))
    locked_xlsx = write_workbook(raw / "2025-12-22_terkunci.xlsx", {"Data": [HEADER, good_row(5)]})
    (raw / "terkunci" / "2025-12-23_dalam.csv").write_bytes(csv_bytes([HEADER, good_row(6)]))
    for path in (locked_csv, locked_xlsx, raw / "terkunci"):
        os.chmod(path, 0o000)
    script = textwrap.dedent(
        f"""
        import json
        from pathlib import Path
        from flows.config import PROJECT_ROOT, load_settings
        from flows.extracts import discover_extracts, read_extract
        from flows.ingest import load_reference, process_extract
        settings = load_settings(PROJECT_ROOT / "jamsos.toml")
        reference = load_reference(settings.paths.reference_dir)
        report = {{}}
        for file in discover_extracts(Path({str(raw)!r})):
            result = process_extract(file, reference, settings.rules, b"{TEST_NIK_KEY}")
            report[file.source_file] = [result.status, result.rows_accepted, result.message]
        # Unreadable after discovery too: read_extract itself says so.
        report["read"] = read_extract(Path({str(locked_xlsx)!r}), "x.xlsx").error
        print(json.dumps(report))
        """
    )
    try:
        completed = subprocess.run(
            [*without_file_permission_override(), sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        )
    finally:
        for path in (locked_csv, locked_xlsx, raw / "terkunci"):
            os.chmod(path, 0o755)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["2025-12-20_baik.csv"][:2] == [FILE_LOADED, 2]
    assert report["2025-12-21_baik.xlsx"][:2] == [FILE_LOADED, 1]
    for name in ("2025-12-22_terkunci.csv", "2025-12-22_terkunci.xlsx"):
        assert report[name][0] == FILE_REJECTED
        assert "izin akses ditolak" in report[name][2]
    assert report["terkunci"][0] == FILE_REJECTED
    assert "Folder tidak dapat dibuka" in report["terkunci"][2]
    assert "izin akses ditolak" in report["read"]


@pytest.mark.slow
def test_two_hundred_megabyte_file_loads_every_row_in_bounded_time_and_memory(
    tmp_path: Path,
) -> None:
    path = tmp_path / "2025-12-20_besar.csv"
    rows = 100_000
    note = "k" * 2_000
    with path.open("w", encoding="utf-8") as handle:
        handle.write("NIK;Nama;Kelurahan;Kategori;TMT;Keterangan\n")
        for start in range(0, rows, 10_000):
            handle.write(
                "".join(
                    f"617201{1 + serial // 10_000 % 28:02d}0190{serial % 10_000:04d};"
                    f"Peserta {serial};Roban;rentan;15/12/2025;{note}\n"
                    for serial in range(start, start + 10_000)
                )
            )
    assert path.stat().st_size > 200 * 10**6
    script = textwrap.dedent(
        f"""
        import json, resource, time
        from pathlib import Path
        from flows.config import PROJECT_ROOT, load_settings
        from flows.extracts import discover_extracts
        from flows.ingest import load_reference, process_extract
        settings = load_settings(PROJECT_ROOT / "jamsos.toml")
        reference = load_reference(settings.paths.reference_dir)
        started = time.perf_counter()
        (file,) = discover_extracts(Path({str(tmp_path)!r}))
        result = process_extract(file, reference, settings.rules, b"{TEST_NIK_KEY}")
        print(json.dumps({{
            "seconds": time.perf_counter() - started,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "status": result.status, "read": result.rows_read,
            "accepted": result.rows_accepted, "rejected": result.rows_rejected,
        }}))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    outcome = json.loads(completed.stdout)
    assert outcome["status"] == FILE_LOADED
    assert outcome["read"] == rows
    assert outcome["accepted"] + outcome["rejected"] == rows
    assert outcome["accepted"] == rows
    assert outcome["seconds"] < 60
    assert outcome["peak_mib"] < 2_000
