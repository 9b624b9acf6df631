"""What jamsos writes cannot run as a formula, cannot be read by other users, carries no
person's NIK or name, and lands only in the folders the configuration names."""

from __future__ import annotations

import csv
import html
import io
import logging
import os
import re
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
import typer
from pypdf import PdfReader

from flows import cli, database
from flows.config import PROJECT_ROOT, ConfigError, Settings, load_settings
from flows.demo import write_demo_extracts
from flows.extracts import read_extract
from flows.reports import write_reports
from flows.secrets import load_nik_key
from tests.conftest import TEST_NIK_KEY, write_test_config
from tests.test_hostile_files import HEADER, csv_bytes, good_row, nik, run_once, write_workbook

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+([.,]\d+)*%?$")
SHORTEST_NAME = 5


# ---------------------------------------------------------------- formulas


def hostile_deliveries(raw: Path) -> None:
    """Deliveries whose names, sheets, headers and cells are spreadsheet formulas."""
    rows = [
        HEADER,
        good_row(1),
        ["=1+1", "Budi", "Roban", "rentan", "15/12/2025"],
        [nik(2), "Siti", '=HYPERLINK("http://contoh.invalid","klik")', "rentan", "15/12/2025"],
        [nik(3), "Ani", "Roban", "@SUM(1+1)*cmd|' /C calc'!A0", "15/12/2025"],
        [nik(4), "Ahmad", "Roban", "rentan", "-2+3"],
        [nik(5), "Rina", "Robann", "rentan", "15/12/2025"],
    ]
    for name in ("=cmd_2025-12-20.csv", "+tambahan_2025-12-21.csv", "@SUM(1)_2025-12-22.csv"):
        with (raw / name).open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=";").writerows(rows)
        rows = [rows[0], *([nik(10 + len(name)), *row[1:]] for row in rows[1:])]
    (raw / "-judul_2025-12-23.csv").write_bytes(
        csv_bytes([["=NIK", "+Kelurahan", "@Kategori", "-TMT"], good_row(30)])
    )
    write_workbook(raw / "2025-12-24_=sheet.xlsx", {"=cmd": [HEADER, good_row(40), ["=2+2"]]})


def written_tables(path: Path) -> Iterator[tuple[str, list[object]]]:
    """Yield (where, cell values) for every row of every sheet or CSV record."""
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path)  # formulas stay formulas
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{path.name}!{cell.coordinate} is a formula"
                yield f"{path.name}!{sheet.title}", [cell.value for cell in row]
    else:
        text = path.read_text(encoding="utf-8-sig")
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        for record in csv.reader(io.StringIO(text), dialect):
            yield path.name, list(record)


def test_cells_that_could_run_as_formulas_are_neutralised_in_every_xlsx_and_csv_written(
    settings: Settings,
) -> None:
    hostile_deliveries(settings.paths.raw_dir)
    run_once(settings)
    write_reports(
        settings.paths.db, settings.paths.reports_dir, settings, date(2026, 1, 10), public=True
    )
    written = [
        path
        for path in settings.paths.db.parent.rglob("*")
        if path.suffix in (".xlsx", ".csv") and path.is_file()
    ]
    assert any(path.suffix == ".xlsx" for path in written)
    assert any(path.suffix == ".csv" for path in written)
    texts_seen = 0
    for path in written:
        for where, values in written_tables(path):
            for value in values:
                if not isinstance(value, str) or NUMBER.match(value):
                    continue
                texts_seen += 1
                assert not value.startswith(FORMULA_TRIGGERS), f"{where}: {value!r}"
    assert texts_seen > 100
    staff = next(path for path in written if path.suffix == ".xlsx" and "publik" not in path.parts)
    cells = [
        value for _, values in written_tables(staff) for value in values if isinstance(value, str)
    ]
    assert any(value.startswith("'=cmd") for value in cells), "the hostile names should appear"


# ---------------------------------------------------------------- permissions


def others_can_access(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXO))


def test_database_files_are_never_readable_by_other_users_even_while_built(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    (settings.paths.raw_dir / "2025-12-20_kiriman.csv").write_bytes(
        csv_bytes([HEADER, good_row(1), good_row(2)])
    )
    paths = database.DatabasePaths(settings.paths.db)
    modes: list[tuple[str, int]] = []

    def look_at_the_files_being_built() -> None:
        watched = (paths.building, paths.assembled)
        for path in (*watched, *(path.with_name(path.name + ".wal") for path in watched)):
            if path.exists():
                modes.append((path.name, path.stat().st_mode))

    # The files are looked at while a part of core.enrolment is validated (the assembled
    # file is open) and when the checks start (the file to publish is complete).
    for name in ("conform", "run_checks"):
        real = getattr(database, name)

        def watch(*args: object, _real: Callable[..., object] = real) -> object:
            look_at_the_files_being_built()
            return _real(*args)

        monkeypatch.setattr(database, name, watch)
    previous_umask = os.umask(0o022)  # the most common default: files readable by all
    try:
        run_once(settings)
        run_once(settings, "kedua")
    finally:
        os.umask(previous_umask)
    assert {"jamsos.duckdb.building", "jamsos.duckdb.assembled"} <= {name for name, _ in modes}
    assert all(not mode & stat.S_IRWXO for _, mode in modes), [(n, oct(m)) for n, m in modes]
    for path in (paths.published, paths.previous):
        assert not others_can_access(path), oct(path.stat().st_mode)
    for entry in settings.paths.cache_dir.iterdir():
        assert stat.S_IMODE(entry.stat().st_mode) == 0o700, entry


def test_nik_key_file_is_created_owner_only_and_refused_when_others_can_read_it(
    tmp_path: Path,
) -> None:
    previous_umask = os.umask(0o000)
    try:
        key_file = tmp_path / "rahasia" / "nik.key"
        load_nik_key(key_file, environ={})
    finally:
        os.umask(previous_umask)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    key_file.chmod(0o644)
    with pytest.raises(Exception, match="chmod 600"):
        load_nik_key(key_file, environ={})


# ---------------------------------------------------------------- personal data


def personal_data(raw: Path) -> tuple[set[str], set[str]]:
    """Return every full NIK and every name (5 letters or more) the raw files hold."""
    niks: set[str] = set()
    names: set[str] = set()
    for path in raw.rglob("*"):
        if not path.is_file():
            continue
        niks.update(
            match.decode() for match in re.findall(rb"(?<!\d)\d{16}(?!\d)", path.read_bytes())
        )
        if path.suffix.lower() not in (".csv", ".xlsx"):
            continue
        rows = read_extract(path, path.name).rows
        niks.update(re.sub(r"\D", "", value) for value in rows.get_column("nik").drop_nulls())
        names.update(rows.get_column("nama").drop_nulls().to_list())
        names.update(names_beside_niks(path))
    niks = {value for value in niks if len(value) == 16}
    names = {
        name.strip()
        for name in names
        if len(name.strip()) >= SHORTEST_NAME and not re.search(r"\d", name)
    }
    return niks, names


def names_beside_niks(path: Path) -> set[str]:
    """Return the cell after every NIK that starts a record: the name in a file without a
    header row, which the reader rejects and so never returns as rows."""
    if path.suffix.lower() == ".xlsx":
        try:
            workbook = openpyxl.load_workbook(path, read_only=True)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError):
            return set()  # not a workbook: the reader cannot show any of it either
        records = [
            ["" if value is None else str(value) for value in row]
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        ]
    else:
        text = path.read_bytes().decode("utf-8", errors="replace")
        records = list(csv.reader(io.StringIO(text), delimiter=";"))
    return {
        record[1] for record in records if len(record) > 1 and re.fullmatch(r"\d{16}", record[0])
    }


def leaking_deliveries(raw: Path) -> None:
    """Files that put personal data where a careless message would echo it."""
    (raw / "tanpa_judul_2025-12-28.csv").write_bytes(
        csv_bytes([good_row(9001, "Kartini Rahayu"), good_row(9002, "Sutomo Wijaya")])
    )
    (raw / "judul_ganda_2025-12-28.csv").write_bytes(
        csv_bytes([[*HEADER, "NIK"], [*good_row(9003, "Dewi Lestari"), nik(9003)]])
    )
    write_workbook(
        raw / "sheet_tanpa_judul_2025-12-29.xlsx",
        {"Data": [good_row(9004, "Bambang Pamungkas")]},
    )


def text_of(path: Path) -> str:
    """Return the readable text of any file a run writes."""
    suffix = path.suffix.lower()
    if suffix == ".duckdb":
        return database_text(path)
    if suffix == ".parquet":
        frame = pl.read_parquet(path)
        return frame.select(pl.all().cast(pl.String)).write_csv()
    if suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return html.unescape(
                "\n".join(
                    archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
                )
            )
    if suffix == ".pdf":
        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return path.read_bytes().decode("utf-8", errors="replace")


def database_text(path: Path) -> str:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        relations = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal"
        ).fetchall()
        parts = []
        for schema, name in relations:
            frame = pl.from_arrow(
                connection.sql(f'SELECT * FROM "{schema}"."{name}"').to_arrow_table()
            )
            assert isinstance(frame, pl.DataFrame)
            parts.append(frame.select(pl.all().cast(pl.String)).write_csv())
        return "\n".join(parts)
    finally:
        connection.close()


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def leaks(text: str, niks: set[str], names: set[str]) -> list[str]:
    """Return the NIKs and names found in text (names compared word by word, any case)."""
    found = sorted(nik for run in re.findall(r"\d{16,}", text) for nik in niks if nik in run)
    tokens = words(text)
    wanted = {" ".join(words(name)): name for name in names}
    lengths = {len(key.split()) for key in wanted}
    for length in lengths:
        for start in range(len(tokens) - length + 1):
            phrase = " ".join(tokens[start : start + length])
            if phrase in wanted:
                found.append(wanted[phrase])
    return found


@pytest.mark.slow
def test_a_demo_run_writes_no_full_nik_and_no_name_anywhere(
    settings: Settings, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = settings.paths.raw_dir
    write_demo_extracts(raw)
    leaking_deliveries(raw)
    niks, names = personal_data(raw)
    assert len(niks) > 500 and len(names) > 500
    assert {"Kartini Rahayu", "Dewi Lestari", "Bambang Pamungkas"} <= names

    caplog.set_level(logging.DEBUG)
    run_once(settings)
    write_reports(
        settings.paths.db, settings.paths.reports_dir, settings, date(2026, 1, 10), public=True
    )
    with pytest.raises(typer.Exit):
        cli.check(sorted(path for path in raw.rglob("*.csv")), config=settings.config_file)
    printed = capsys.readouterr()

    written = [
        path
        for path in settings.paths.db.parent.parent.rglob("*")
        if path.is_file() and raw not in path.parents and path.name != "nik.key"
    ]
    assert any(path.suffix == ".pdf" for path in written)
    assert any(path.suffix == ".parquet" for path in written)
    for path in written:
        assert leaks(text_of(path), niks, names) == [], path
    assert "DITOLAK" in printed.out
    assert leaks(printed.out + printed.err, niks, names) == []
    assert leaks("\n".join(record.getMessage() for record in caplog.records), niks, names) == []


@pytest.mark.server
@pytest.mark.slow
def test_jamsos_run_on_the_demo_leaks_nothing_into_logs_artifacts_or_files(tmp_path: Path) -> None:
    """The command line and the Prefect flow, with its own server; everything it writes is
    scanned: console, Prefect's database (logs, artifacts, parameters) and every file."""
    config = write_test_config(tmp_path)
    settings = load_settings(config, environ={})
    env = {
        **os.environ,
        "JAMSOS_NIK_KEY": TEST_NIK_KEY,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": "",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": "DEBUG",
    }
    jamsos = [sys.executable, "-m", "flows.cli"]
    demo = subprocess.run(
        [*jamsos, "demo", "--raw-dir", str(settings.paths.raw_dir), "--config", str(config)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    leaking_deliveries(settings.paths.raw_dir)
    niks, names = personal_data(settings.paths.raw_dir)
    completed = subprocess.run(
        [*jamsos, "run", "--config", str(config)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert leaks(completed.stdout + completed.stderr, niks, names) == []
    scanned = 0
    for path in tmp_path.rglob("*"):
        if not path.is_file() or settings.paths.raw_dir in path.parents or path.name == "nik.key":
            continue
        text = (
            path.read_bytes().decode("utf-8", "replace")
            if "prefect" in path.parts
            else text_of(path)
        )
        assert leaks(text, niks, names) == [], path
        scanned += 1
    assert any(path.suffix == ".db" for path in (tmp_path / "prefect").rglob("*"))
    assert scanned > 10


# ---------------------------------------------------------------- paths


def snapshot(folder: Path) -> dict[Path, tuple[int, int]]:
    return {
        path: (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink()
    }


def test_a_run_writes_only_inside_its_configured_folders_and_never_touches_raw_files(
    settings: Settings,
) -> None:
    raw = settings.paths.raw_dir
    hostile_deliveries(raw)
    leaking_deliveries(raw)
    root = raw.parent
    before = snapshot(root)
    raw_bytes = {path: path.read_bytes() for path in raw.rglob("*") if path.is_file()}

    run_once(settings)
    write_reports(
        settings.paths.db, settings.paths.reports_dir, settings, date(2026, 1, 10), public=True
    )

    after = snapshot(root)
    changed = {path for path, state in after.items() if before.get(path) != state}
    allowed = (
        settings.paths.db.parent,
        settings.paths.reports_dir,
        settings.paths.cache_dir,
        settings.paths.key_file.parent,
    )
    outside = sorted(
        str(path.relative_to(root))
        for path in changed
        if not any(folder in path.parents for folder in allowed)
    )
    assert outside == []
    assert {path: path.read_bytes() for path in raw_bytes} == raw_bytes
    assert not any(raw in path.parents for path in changed)
    for entry in settings.paths.cache_dir.iterdir():
        assert re.fullmatch(r"[0-9a-f]{64}", entry.name), entry.name


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("db", "raw/jamsos.duckdb"),
        ("reports_dir", "raw/laporan"),
        ("cache_dir", "raw"),
        ("key_file", "raw/.kunci/nik.key"),
        ("key_file", "processed/reports/nik.key"),
        ("raw_dir", "processed/cache/raw"),
        ("raw_dir", "processed/reports"),
    ],
)
def test_configured_paths_that_would_write_into_the_raw_folder_are_refused(
    tmp_path: Path, setting: str, value: str
) -> None:
    config = write_test_config(tmp_path)
    text = config.read_text(encoding="utf-8")
    text = re.sub(
        rf'^{setting} = ".*"$', f'{setting} = "{tmp_path / value}"', text, flags=re.MULTILINE
    )
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="lies inside"):
        load_settings(config, environ={})
    with pytest.raises(ConfigError, match="lies inside"):
        load_settings(
            write_test_config(tmp_path / "lain"),
            environ={f"JAMSOS__PATHS__{setting.upper()}": str(tmp_path / "lain" / value)},
        )


def test_relative_configured_paths_resolve_beside_the_configuration_file(tmp_path: Path) -> None:
    config = write_test_config(tmp_path)
    text = re.sub(
        r'^db = ".*"$',
        'db = "keluaran/../keluaran/jamsos.duckdb"',
        config.read_text(),
        flags=re.MULTILINE,
    )
    config.write_text(text, encoding="utf-8")
    settings = load_settings(config, environ={})
    assert settings.paths.db == tmp_path / "keluaran" / "jamsos.duckdb"
    assert ".." not in settings.paths.db.parts


def test_default_configuration_keeps_outputs_out_of_the_raw_folder() -> None:
    settings = load_settings(PROJECT_ROOT / "jamsos.toml", environ={})
    for path in (settings.paths.db, settings.paths.reports_dir, settings.paths.cache_dir):
        assert settings.paths.raw_dir not in path.parents
