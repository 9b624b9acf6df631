"""The demo extracts are deterministic, readable and match the manifest written beside them."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from flows.demo import (
    LAUNCH_DATE,
    REFERENCE_DIR,
    DemoManifest,
    FileExpectation,
    load_aliases,
    load_kelurahan,
    write_demo_extracts,
)
from schemas.columns import (
    CATEGORY_LABELS,
    COLUMN_ALIASES,
    DUPLICATE_IN_FILE,
    FILE_DUPLICATE,
    FILE_LOADED,
    FILE_REJECTED,
    KATEGORI,
    KECAMATAN,
    KELURAHAN,
    NIK,
    PEKERJA_RENTAN,
    REJECTION_REASONS,
    REQUIRED_COLUMNS,
    SAWIT_BPU,
    TANGGAL_AKHIR,
    TANGGAL_MULAI,
    WARNING_KECAMATAN_MISMATCH,
    WARNING_KELURAHAN_TYPO,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoManifest]:
    raw_dir = tmp_path_factory.mktemp("demo_a")
    return raw_dir, write_demo_extracts(raw_dir)


def _fingerprints(raw_dir: Path) -> dict[str, tuple[str, int]]:
    return {
        path.relative_to(raw_dir).as_posix(): (
            hashlib.sha256(path.read_bytes()).hexdigest(),
            path.stat().st_mtime_ns,
        )
        for path in sorted(raw_dir.rglob("*"))
        if path.is_file()
    }


# --------------------------------------------------------------------------- reading


def _normalise_header(text: str) -> str:
    return re.sub(r"[\s._/\-]", "", text).upper()


HEADER_COLUMNS = {
    _normalise_header(alias): column
    for column, aliases in COLUMN_ALIASES.items()
    for alias in aliases
}


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def _normalise_kelurahan(text: str) -> str:
    words = _words(text).split()
    if words and words[0] in {"kel", "kelurahan", "desa"}:
        words = words[1:]
    return " ".join("sungai" if word in {"sei", "sui", "sg", "sungai"} else word for word in words)


def _normalise_kecamatan(text: str) -> str:
    words = _words(text).split()
    if words and words[0] in {"kec", "kecamatan"}:
        words = words[1:]
    return " ".join(words)


def _edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment)."""
    rows = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


@dataclass
class Table:
    """One CSV file or one worksheet: its header and its data rows by row number."""

    sheet: str | None
    hidden: bool
    header_row: int | None
    headers: list[str]
    rows: dict[int, dict[str, object]]


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _header_row(records: list[tuple[int, list[object]]]) -> tuple[int, list[str]] | None:
    for number, values in records:
        columns = {HEADER_COLUMNS.get(_normalise_header(str(v))) for v in values if v is not None}
        if set(REQUIRED_COLUMNS) <= columns:
            return number, ["" if value is None else str(value) for value in values]
    return None


def _data_rows(
    records: list[tuple[int, list[object]]], header_row: int, headers: list[str]
) -> dict[int, dict[str, object]]:
    """Keep the rows the contract counts: not blank, not a footer."""
    columns = [HEADER_COLUMNS.get(_normalise_header(header)) for header in headers]
    rows: dict[int, dict[str, object]] = {}
    for number, values in records:
        if number <= header_row:
            continue
        row = {
            column: value
            for column, value in zip(columns, values, strict=False)
            if column is not None
        }
        if all(_is_empty(value) for value in row.values()):
            continue
        nik_digits = re.search(r"\d", str(row.get(NIK) or ""))
        if not nik_digits and any(
            isinstance(value, str) and value.strip().upper().startswith(("JUMLAH", "TOTAL"))
            for value in values
        ):
            continue
        rows[number] = row
    return rows


def _read_csv(path: Path, expectation: FileExpectation) -> list[Table]:
    raw = path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=expectation.delimiter or ",")
    records: list[tuple[int, list[object]]] = []
    line = 1
    for values in reader:
        records.append((line, list(values)))
        line = reader.line_num + 1
    found = _header_row(records)
    if found is None:
        headers = [str(value) for value in records[0][1]]
        return [Table(None, False, None, headers, {})]
    header_row, headers = found
    frame = pl.read_csv(
        io.BytesIO(text.encode("utf-8")),
        separator=expectation.delimiter or ",",
        skip_rows=header_row - 1,
        infer_schema=False,
    )
    assert frame.columns == headers
    return [Table(None, False, header_row, headers, _data_rows(records, header_row, headers))]


def _read_xlsx(path: Path) -> list[Table]:
    workbook = openpyxl.load_workbook(path, data_only=True)
    tables = []
    for worksheet in workbook.worksheets:
        records = [
            (number, [cell.value for cell in row])
            for number, row in enumerate(worksheet.iter_rows(), start=1)
        ]
        hidden = worksheet.sheet_state != "visible"
        found = _header_row(records)
        if found is None:
            headers = [str(value) for value in records[1][1] if value is not None]
            tables.append(Table(worksheet.title, hidden, None, headers, {}))
            continue
        header_row, headers = found
        frame = pl.read_excel(
            path, sheet_name=worksheet.title, read_options={"header_row": header_row - 1}
        )
        assert [_normalise_header(c) for c in frame.columns[: len(headers)]] == [
            _normalise_header(h) for h in headers
        ]
        rows = _data_rows(records, header_row, headers)
        tables.append(Table(worksheet.title, hidden, header_row, headers, rows))
    return tables


@pytest.fixture(scope="module")
def tables(demo: tuple[Path, DemoManifest]) -> dict[str, list[Table]]:
    raw_dir, manifest = demo
    read: dict[str, list[Table]] = {}
    for expectation in manifest.files:
        path = raw_dir / expectation.source_file
        if expectation.format == "csv":
            read[expectation.source_file] = _read_csv(path, expectation)
        elif expectation.format == "xlsx":
            read[expectation.source_file] = _read_xlsx(path)
    return read


def _row(tables: dict[str, list[Table]], file: str, sheet: str | None, number: int) -> dict:
    (table,) = [table for table in tables[file] if table.sheet == sheet]
    return table.rows[number]


# --------------------------------------------------------------------------- tests


def test_generation_is_byte_deterministic(demo: tuple[Path, DemoManifest], tmp_path: Path) -> None:
    raw_dir, manifest = demo
    again = write_demo_extracts(tmp_path)
    assert _fingerprints(tmp_path) == _fingerprints(raw_dir)
    assert again == manifest


def test_generation_takes_under_three_seconds(tmp_path: Path) -> None:
    started = time.perf_counter()
    write_demo_extracts(tmp_path)
    assert time.perf_counter() - started < 3


def test_manifest_survives_a_json_round_trip(
    demo: tuple[Path, DemoManifest], tmp_path: Path
) -> None:
    _, manifest = demo
    manifest.to_json(tmp_path / "manifest.json")
    assert DemoManifest.from_json(tmp_path / "manifest.json") == manifest


def test_manifest_holds_the_program_targets_in_every_kelurahan(
    demo: tuple[Path, DemoManifest],
) -> None:
    _, manifest = demo
    assert manifest.accepted_counts() == {PEKERJA_RENTAN: 7737, SAWIT_BPU: 767}
    codes = {kelurahan.kode for kelurahan in load_kelurahan(REFERENCE_DIR)}
    assert len(codes) == 26
    for category in (PEKERJA_RENTAN, SAWIT_BPU):
        enrolments = [e for e in manifest.enrolments if e.category == category]
        assert {e.kode_kelurahan for e in enrolments} == codes
        assert len({e.nik for e in enrolments}) == len(enrolments)
    niks = Counter(enrolment.nik for enrolment in manifest.enrolments)
    assert 3 <= sum(count == 2 for count in niks.values()) <= 20


def test_manifest_varies_start_and_end_dates(demo: tuple[Path, DemoManifest]) -> None:
    _, manifest = demo
    starts = Counter(enrolment.start_date for enrolment in manifest.enrolments)
    assert starts.most_common(1)[0][0] == LAUNCH_DATE
    assert {(d.year, d.month) for d in starts} >= {(2026, 1), (2026, 2), (2026, 3)}
    assert all(date(2025, 12, 1) <= d <= date(2026, 3, 31) for d in starts)
    ends = [(e.category, e.start_date, e.end_date) for e in manifest.enrolments if e.end_date]
    assert all(end >= start for _, start, end in ends)
    assert any(end < date(2026, 4, 1) for category, _, end in ends if category == PEKERJA_RENTAN)
    assert any(end < date(2026, 11, 1) for category, _, end in ends if category == SAWIT_BPU)


def test_niks_follow_the_kota_singkawang_pattern(demo: tuple[Path, DemoManifest]) -> None:
    _, manifest = demo
    for enrolment in manifest.enrolments:
        nik = enrolment.nik
        assert re.fullmatch(r"6172(0[1-5])\d{10}", nik), nik
        day, month = int(nik[6:8]), int(nik[8:10])
        assert 1 <= month <= 12
        assert 1 <= day <= 31 or 41 <= day <= 71


def test_every_rejection_reason_appears_three_to_six_times(
    demo: tuple[Path, DemoManifest],
) -> None:
    _, manifest = demo
    counts = manifest.rejected_counts()
    assert list(counts) == list(REJECTION_REASONS)
    assert all(3 <= count <= 6 for count in counts.values()), counts
    assert manifest.warning_counts()[WARNING_KELURAHAN_TYPO] >= 3
    assert manifest.warning_counts()[WARNING_KECAMATAN_MISMATCH] >= 3


def test_file_statuses_and_row_counts_add_up(demo: tuple[Path, DemoManifest]) -> None:
    raw_dir, manifest = demo
    statuses = Counter(expectation.status for expectation in manifest.files)
    assert statuses[FILE_DUPLICATE] == 1
    assert statuses[FILE_REJECTED] == 3
    rejected_per_file = Counter(note.source_file for note in manifest.rejected_rows)
    accepted = 0
    for expectation in manifest.files:
        assert (raw_dir / expectation.source_file).is_file()
        if expectation.status != FILE_LOADED:
            assert expectation.rows_read is None
            continue
        read, kept, dropped = (
            expectation.rows_read,
            expectation.rows_accepted,
            expectation.rows_rejected,
        )
        assert kept is not None and dropped is not None
        assert read == kept + dropped
        assert dropped == rejected_per_file[expectation.source_file]
        accepted += kept
    assert accepted == len(manifest.enrolments) + len(manifest.corrections)
    (resent,) = [e for e in manifest.files if e.status == FILE_DUPLICATE]
    assert resent.duplicate_of is not None
    original = manifest.file(resent.duplicate_of)
    assert (raw_dir / resent.source_file).read_bytes() == (
        raw_dir / original.source_file
    ).read_bytes()
    assert original.delivery_date < resent.delivery_date
    for name in manifest.ignored_files:
        assert Path(name).name.startswith((".", "~$"))
        assert (raw_dir / name).is_file()


def test_corrections_arrive_after_the_rows_they_replace(demo: tuple[Path, DemoManifest]) -> None:
    _, manifest = demo
    assert len(manifest.corrections) >= 4
    assert {c.change for c in manifest.corrections} >= {"kelurahan", "start_later", "end"}
    for correction in manifest.corrections:
        earlier = manifest.file(correction.replaced_in).delivery_date
        assert earlier < manifest.file(correction.replaced_by).delivery_date


def test_only_the_undated_file_takes_its_date_from_mtime(demo: tuple[Path, DemoManifest]) -> None:
    raw_dir, manifest = demo
    (undated,) = [e for e in manifest.files if e.date_from == "mtime" and e.format != "other"]
    assert not re.search(r"\d{4}-?\d{2}-?\d{2}", Path(undated.source_file).name)
    moment = datetime.fromtimestamp((raw_dir / undated.source_file).stat().st_mtime, tz=UTC)
    assert moment.date() == undated.delivery_date


def test_every_header_alias_is_used(tables: dict[str, list[Table]]) -> None:
    used: set[str] = set()
    for file, file_tables in tables.items():
        for table in file_tables:
            mapped = [HEADER_COLUMNS.get(_normalise_header(h)) for h in table.headers]
            known = [column for column in mapped if column]
            assert len(known) == len(set(known)), f"{file} {table.sheet}: ambiguous headers"
            used |= {_normalise_header(h) for h in table.headers}
    assert set(HEADER_COLUMNS) <= used, set(HEADER_COLUMNS) - used
    assert any("\n" in h for file_tables in tables.values() for t in file_tables for h in t.headers)


def test_extracts_hold_the_rows_the_manifest_counts(
    demo: tuple[Path, DemoManifest], tables: dict[str, list[Table]]
) -> None:
    _, manifest = demo
    for expectation in manifest.files:
        if expectation.missing_columns:
            (table,) = tables[expectation.source_file]
            mapped = {HEADER_COLUMNS.get(_normalise_header(h)) for h in table.headers}
            assert table.header_row is None
            assert set(expectation.missing_columns) == set(REQUIRED_COLUMNS) - mapped
        if expectation.status != FILE_LOADED:
            continue
        file_tables = tables[expectation.source_file]
        if expectation.format == "csv":
            (table,) = file_tables
            assert table.header_row == expectation.header_row
            assert len(table.rows) == expectation.rows_read
            continue
        by_name = {table.sheet: table for table in file_tables}
        for sheet in expectation.sheets:
            table = by_name[sheet.name]
            assert table.hidden == (sheet.status == "hidden")
            if sheet.status == "read":
                assert table.header_row == sheet.header_row
                assert len(table.rows) == sheet.rows_read
            elif sheet.status == "missing_columns":
                assert table.header_row is None
        assert sum(sheet.rows_read for sheet in expectation.sheets) == expectation.rows_read


def test_rejected_rows_point_at_the_offending_cells(
    demo: tuple[Path, DemoManifest], tables: dict[str, list[Table]]
) -> None:
    _, manifest = demo
    for note in manifest.rejected_rows:
        row = _row(tables, note.source_file, note.source_sheet, note.source_row)
        if note.code == "nik_missing":
            assert _is_empty(row.get(NIK))
        elif note.code == "start_date_missing":
            assert _is_empty(row.get(TANGGAL_MULAI))
        elif note.code == DUPLICATE_IN_FILE:
            digits = re.sub(r"\D", "", str(row[NIK]))
            table_rows = [
                r
                for t in tables[note.source_file]
                if t.sheet == note.source_sheet
                for n, r in t.rows.items()
                if n < note.source_row
            ]
            assert any(re.sub(r"\D", "", str(r[NIK])) == digits for r in table_rows)
    e15 = [r for r in manifest.rejected_rows if r.code == "nik_invalid"]
    values = {str(_row(tables, r.source_file, r.source_sheet, r.source_row)[NIK]) for r in e15}
    assert "6.17201E+15" in values
    assert any(len(value) == 15 for value in values)


def test_warned_rows_are_one_typo_or_a_kecamatan_mismatch(
    demo: tuple[Path, DemoManifest], tables: dict[str, list[Table]]
) -> None:
    _, manifest = demo
    official = load_kelurahan(REFERENCE_DIR)
    names = {_normalise_kelurahan(kel.nama): kel for kel in official}
    aliases = {_normalise_kelurahan(alias) for alias in load_aliases(REFERENCE_DIR).values()}
    kecamatan = {_normalise_kecamatan(kel.kecamatan): kel.kode_kecamatan for kel in official}
    for note in manifest.warnings:
        row = _row(tables, note.source_file, note.source_sheet, note.source_row)
        written = _normalise_kelurahan(str(row[KELURAHAN]))
        row_kecamatan = kecamatan.get(_normalise_kecamatan(str(row.get(KECAMATAN) or "")))
        if note.code == WARNING_KELURAHAN_TYPO:
            assert written not in names and written not in aliases
            scope = [
                name
                for name, kel in names.items()
                if row_kecamatan is None or kel.kode_kecamatan == row_kecamatan
            ]
            close = [name for name in scope if _edit_distance(written, name) == 1]
            assert len(close) == 1, (written, close)
            assert len(written.replace(" ", "")) >= 5
        else:
            assert written in names
            assert row_kecamatan is not None
            assert names[written].kode_kecamatan != row_kecamatan


def test_every_category_label_is_used(tables: dict[str, list[Table]]) -> None:
    written = {
        re.sub(r"[^0-9a-z]", "", str(row.get(KATEGORI, "")).lower())
        for file_tables in tables.values()
        for table in file_tables
        for row in table.rows.values()
    }
    for labels in CATEGORY_LABELS.values():
        for label in labels:
            assert re.sub(r"[^0-9a-z]", "", label) in written, label


def test_every_date_format_is_used(tables: dict[str, list[Table]]) -> None:
    values = [
        row.get(column)
        for file_tables in tables.values()
        for table in file_tables
        for row in table.rows.values()
        for column in (TANGGAL_MULAI, TANGGAL_AKHIR)
    ]
    texts = {value for value in values if isinstance(value, str)}
    patterns = (
        r"\d{4}-\d{2}-\d{2}",
        r"\d/\d{1,2}/\d{4}",
        r"\d{2}/\d{2}/\d{4}",
        r"\d{2}-\d{2}-\d{4}",
        r"\d{2}\.\d{2}\.\d{4}",
        r"\d{4}-\d{2}-\d{2} 00:00:00",
        r"\d{2}/\d{2}/\d{4} 0:00",
        r"\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}",
        r"15 Desember 2025",
        r"15 des 2025",
        r"1 Januari 2026",
    )
    for pattern in patterns:
        assert any(re.fullmatch(pattern, text) for text in texts), pattern
    assert any(isinstance(value, datetime) for value in values)
    assert 46006 in values
    assert "46006" in texts
