"""The jamsos command line: run, serve, check, demo, config, rollback."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from flows.config import Settings

app = typer.Typer(
    help="jamsos: statistik kepesertaan BPJS Ketenagakerjaan pekerja rentan Kota Singkawang.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RawDirOption = Annotated[
    Path | None,
    typer.Option("--raw-dir", help="Folder of the extracts (default from jamsos.toml)."),
]
DbOption = Annotated[
    Path | None, typer.Option("--db", help="Published DuckDB file (default from jamsos.toml).")
]
ReportsDirOption = Annotated[
    Path | None, typer.Option("--reports-dir", help="Folder for the reports.")
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Configuration file (default jamsos.toml).")
]


def _quiet_prefect_defaults() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"GAGAL: {message}", err=True)
    raise typer.Exit(code)


def _settings_or_exit(config: Path | None, **paths: Path | None) -> Settings:
    """Load the settings, or exit 2 with a message saying what is wrong with them."""
    from flows.config import ConfigError, load_settings

    try:
        return load_settings(config, environ=None, **paths)
    except ConfigError as error:
        typer.echo(f"GAGAL: konfigurasi tidak bisa dipakai: {error}", err=True)
        raise typer.Exit(2) from None


@app.command()
def run(
    raw_dir: RawDirOption = None,
    db: DbOption = None,
    reports_dir: ReportsDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Run the nightly job once, now; exit 0 when it published."""
    _settings_or_exit(config, raw_dir=raw_dir, db=db, reports_dir=reports_dir)
    _quiet_prefect_defaults()
    from flows.nightly import nightly

    try:
        summary = nightly(
            raw_dir=str(raw_dir) if raw_dir else None,
            db=str(db) if db else None,
            reports_dir=str(reports_dir) if reports_dir else None,
            config_file=str(config) if config else None,
        )
    except Exception as error:
        _fail(
            f"{error}\nDatabase yang sudah terbit tidak berubah. Perbaiki masalah di atas, "
            "lalu jalankan 'jamsos run' lagi."
        )
        return
    print_summary(summary)


def print_summary(summary: object) -> None:
    """Print what a run did, in the words of the people who read it."""
    from flows.pipeline import RunSummary

    assert isinstance(summary, RunSummary)
    files = summary.files_by_status
    if summary.unchanged:
        print(
            f"Tidak ada yang baru sejak terbitan terakhir: {summary.db} tetap dipakai "
            f"({summary.seconds:.1f} detik)."
        )
    else:
        print(f"Terbit: {summary.db}  ({summary.seconds:.1f} detik)")
    if summary.data_as_of:
        print(f"Data per tanggal kirim terakhir: {summary.data_as_of.isoformat()}")
    print(
        f"Berkas: {files.get('loaded', 0)} dimuat, {files.get('rejected', 0)} ditolak, "
        f"{files.get('duplicate', 0)} duplikat"
        + (
            f" ({summary.files_from_cache} dari hasil tersimpan)"
            if summary.files_from_cache
            else ""
        )
    )
    print(
        f"Baris: {_number(summary.rows_read)} dibaca, {_number(summary.rows_accepted)} diterima, "
        f"{_number(summary.rows_rejected)} ditolak, {_number(summary.warnings)} dengan peringatan"
    )
    for reason, rows in summary.rejected_by_reason.items():
        print(f"  ditolak {reason:<24} {_number(rows):>8}")
    print("Peserta per kategori (target):")
    for category, enrolled in summary.enrolments_by_category.items():
        target = summary.targets.get(category, 0)
        percent = enrolled * 100 / target if target else 0.0
        print(f"  {category:<16} {_number(enrolled):>8} / {_number(target):>8}  ({percent:.1f}%)")
    print(f"  orang (semua kategori, dihitung sekali): {_number(summary.persons)}")
    for path in summary.report_files:
        print(f"Laporan: {path}")
    for warning in summary.freshness_warnings:
        print(f"PERHATIAN: {warning}")


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(help="Extract files to check.", exists=False)],
    config: ConfigOption = None,
) -> None:
    """Validate extracts without publishing; list every row that would be rejected."""
    from flows.extracts import read_extract
    from flows.ingest import load_reference
    from transforms.rows import validate_rows

    settings = _settings_or_exit(config)
    reference = load_reference(settings.paths.reference_dir)
    problems = 0
    for path in files:
        if not path.is_file() or path.is_symlink():
            print(f"{path}: bukan berkas biasa, tidak diperiksa.")
            problems += 1
            continue
        extract = read_extract(path, path.name)
        if extract.error is not None:
            print(f"{path}: DITOLAK SELURUHNYA. {extract.error}")
            problems += 1
            continue
        validated = validate_rows(extract.rows, reference, settings.rules)
        rejected = validated.rejected.sort("source_sheet", "source_row")
        print(
            f"{path}: {extract.rows.height} baris dibaca, {validated.accepted.height} diterima, "
            f"{rejected.height} akan ditolak, {validated.warnings.height} peringatan."
        )
        for note in extract.notes:
            print(f"  catatan: {note}")
        for row in rejected.iter_rows(named=True):
            place = f"lembar {row['source_sheet']}, " if row["source_sheet"] else ""
            print(f"  {place}baris {row['source_row']}: [{row['reason']}] {row['message']}")
        for row in validated.warnings.sort("source_sheet", "source_row").iter_rows(named=True):
            place = f"lembar {row['source_sheet']}, " if row["source_sheet"] else ""
            print(f"  {place}baris {row['source_row']}: peringatan: {row['message']}")
        problems += rejected.height
    if problems:
        raise typer.Exit(1)


@app.command()
def demo(
    raw_dir: RawDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the synthetic demo extracts (no real personal data) into the raw folder."""
    from flows.config import PROJECT_ROOT
    from flows.demo import write_demo_extracts

    settings = _settings_or_exit(config, raw_dir=raw_dir)
    manifest = write_demo_extracts(settings.paths.raw_dir)
    manifest_path = PROJECT_ROOT / "data" / "demo_manifest.json"
    manifest.to_json(manifest_path)
    written = sorted(p for p in settings.paths.raw_dir.rglob("*") if p.is_file())
    print(f"{len(written)} berkas demo ditulis ke {settings.paths.raw_dir}")
    print(f"Catatan isi demo: {manifest_path}")


@app.command("config")
def show_config(config: ConfigOption = None) -> None:
    """Print the effective configuration (file plus environment overrides)."""
    settings = _settings_or_exit(config)
    rules = settings.rules
    print(f"# configuration file: {settings.config_file}")
    print("[program]")
    print(f'name = "{settings.program_name}"')
    print(f'launch_date = "{rules.launch_date}"')
    print(f'start_date_min = "{rules.start_date_min}"')
    print(f'start_date_max = "{rules.start_date_max}"')
    print(f"monthly_premium_idr = {rules.monthly_premium_idr}")
    for category in rules.categories:
        print(f"\n[categories.{category.code}]")
        print(f'label = "{category.label}"')
        print(f"target = {category.target}")
        print(f"months = {category.months}")
    print("\n[paths]")
    for name, value in vars(settings.paths).items():
        print(f'{name} = "{value}"')
    print("\n[schedule]")
    for name, value in vars(settings.schedule).items():
        print(f"{name} = {value!r}".replace("'", '"'))
    print("\n[processing]")
    print(f"files_at_once = {settings.processing.files_at_once}")
    print("\n[reports]")
    for name, value in vars(settings.reports).items():
        print(f"{name} = {str(value).lower() if isinstance(value, bool) else value}")
    print("\n[email]")
    email = settings.email
    for name, value in vars(email).items():
        if name in {"recipients", "alert_recipients"}:
            print(f"{name} = {list(value)}".replace("'", '"'))
        elif isinstance(value, bool):
            print(f"{name} = {str(value).lower()}")
        elif isinstance(value, int):
            print(f"{name} = {value}")
        else:
            print(f'{name} = "{value}"')
    password_set = bool(os.environ.get(email.password_env))
    print(f"# password from ${email.password_env}: {'set' if password_set else 'not set'}")


@app.command()
def rollback(db: DbOption = None, config: ConfigOption = None) -> None:
    """Put the previously published database back (the current one becomes the previous)."""
    from flows import database

    settings = _settings_or_exit(config, db=db)
    paths = database.DatabasePaths(settings.paths.db)
    try:
        with database.publish_lock(paths):
            database.rollback(paths)
    except database.PublishError as error:
        _fail(str(error))
    print(f"Versi sebelumnya dipulihkan: {paths.published}")


@app.command()
def serve(
    raw_dir: RawDirOption = None,
    db: DbOption = None,
    reports_dir: ReportsDirOption = None,
    config: ConfigOption = None,
) -> None:
    """Serve the nightly deployment on its schedule (02:00 Asia/Pontianak) until stopped."""
    from flows.config import ConfigError

    settings = _settings_or_exit(config, raw_dir=raw_dir, db=db, reports_dir=reports_dir)
    _quiet_prefect_defaults()
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        _fail(
            "PREFECT_API_URL belum diatur, jadi jadwal tidak akan pernah dijalankan. Jalankan "
            "server Prefect ('prefect server start'), lalu 'prefect config set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api', dan ulangi 'jamsos serve'.",
            2,
        )
    from flows.deployment import (
        deployment_full_name,
        deployment_parameters,
        nightly_schedule,
        serve_nightly,
    )

    try:
        nightly_schedule(settings.schedule)
        schedule = settings.schedule
        print(
            f"Melayani deployment {deployment_full_name(settings)}: cron '{schedule.cron}' "
            f"zona waktu {schedule.timezone}. Hentikan dengan Ctrl+C."
        )
        serve_nightly(settings, deployment_parameters(raw_dir, db, reports_dir, config))
    except ConfigError as error:
        _fail(f"konfigurasi tidak bisa dipakai: {error}", 2)


@app.command()
def report(
    db: DbOption = None,
    reports_dir: ReportsDirOption = None,
    report_date: Annotated[
        str | None,
        typer.Option("--date", help="Report date YYYY-MM-DD (default: today in the city)."),
    ] = None,
    public: Annotated[
        bool | None,
        typer.Option(
            "--public/--no-public",
            help="Also write the public version (default: reports.public in jamsos.toml).",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Write the reports from the published database, without running the pipeline."""
    from datetime import date

    settings = _settings_or_exit(config, db=db, reports_dir=reports_dir)
    from flows.reports import ReportError, report_day, write_reports

    try:
        day = date.fromisoformat(report_date) if report_date else report_day(settings)
    except ValueError:
        _fail(f"--date harus berbentuk YYYY-MM-DD, bukan {report_date!r}.", 2)
    wanted = settings.reports.public if public is None else public
    try:
        files = write_reports(settings.paths.db, settings.paths.reports_dir, settings, day, wanted)
    except ReportError as error:
        _fail(str(error))
    print(f"Laporan {day.isoformat()} ditulis:")
    for path in files.paths:
        print(f"  {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
