"""Configuration with environment overrides, the NIK key file, and the command line."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.config import PROJECT_ROOT, ConfigError, load_settings
from flows.secrets import NikKeyError, load_nik_key

runner = CliRunner()


def test_environment_overrides_the_configuration_file() -> None:
    settings = load_settings(
        PROJECT_ROOT / "jamsos.toml",
        environ={
            "JAMSOS__CATEGORIES__SAWIT_BPU__TARGET": "800",
            "JAMSOS__PROGRAM__MONTHLY_PREMIUM_IDR": "17000",
            "JAMSOS__EMAIL__RECIPIENTS": "a@example.org, b@example.org",
            "JAMSOS__PATHS__DB": "/srv/jamsos/jamsos.duckdb",
        },
    )
    assert settings.rules.category("sawit_bpu").target == 800
    assert settings.rules.monthly_premium_idr == 17_000
    assert settings.email.recipients == ("a@example.org", "b@example.org")
    assert settings.paths.db == Path("/srv/jamsos/jamsos.duckdb")


def test_defaults_are_the_programs_facts() -> None:
    rules = load_settings(PROJECT_ROOT / "jamsos.toml", environ={}).rules
    assert (rules.category("pekerja_rentan").target, rules.category("pekerja_rentan").months) == (
        7737,
        5,
    )
    assert (rules.category("sawit_bpu").target, rules.category("sawit_bpu").months) == (767, 12)
    assert rules.monthly_premium_idr == 16_800
    assert str(rules.launch_date) == "2025-12-15"


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("JAMSOS__PROGRAM__MONTHLY_PREMIUM_IDR", "lots", "whole number"),
        ("JAMSOS__PROGRAM__NO_SUCH_SETTING", "1", "no setting"),
        ("JAMSOS__NOWHERE__X", "1", "no section"),
        ("JAMSOS__PROGRAM__START_DATE_MIN", "2027-01-01", "after"),
        ("JAMSOS__PROCESSING__FILES_AT_ONCE", "0", "files_at_once must be at least 1"),
    ],
)
def test_unusable_override_is_refused_with_its_name(
    variable: str, value: str, complaint: str
) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_settings(PROJECT_ROOT / "jamsos.toml", environ={variable: value})


def test_key_file_is_created_once_owner_only_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "secret" / "nik.key"
    first = load_nik_key(key_file, environ={})
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_nik_key(key_file, environ={}) == first
    assert len(first) >= 32


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "nik.key"
    load_nik_key(key_file, environ={})
    key_file.chmod(0o644)
    with pytest.raises(NikKeyError, match="chmod 600"):
        load_nik_key(key_file, environ={})


def test_key_from_environment_wins(tmp_path: Path) -> None:
    key = load_nik_key(tmp_path / "unused.key", environ={"JAMSOS_NIK_KEY": "x" * 20})
    assert key == b"x" * 20
    assert not (tmp_path / "unused.key").exists()


def test_config_command_prints_effective_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAMSOS__CATEGORIES__PEKERJA_RENTAN__TARGET", "8000")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "target = 8000" in result.output
    assert 'timezone = "Asia/Pontianak"' in result.output
    assert "[processing]\nfiles_at_once = 2" in result.output


def test_files_at_once_can_be_set_from_the_environment() -> None:
    settings = load_settings(
        PROJECT_ROOT / "jamsos.toml", environ={"JAMSOS__PROCESSING__FILES_AT_ONCE": "1"}
    )
    assert settings.processing.files_at_once == 1


CSV_WITH_PROBLEMS = (
    "NIK;Kelurahan;Kategori;TMT\n"
    "6172015508900001;Roban;Pekerja Rentan;15/12/2025\n"
    "6172015508900002;Sekip Baru;Pekerja Rentan;15/12/2025\n"
    "6172015508900003;Roban;Pekerja Rentan;31/02/2026\n"
)


def test_check_lists_rows_that_would_be_rejected_without_publishing(tmp_path: Path) -> None:
    extract = tmp_path / "kiriman.csv"
    extract.write_text(CSV_WITH_PROBLEMS, encoding="utf-8")
    result = runner.invoke(app, ["check", str(extract)])
    assert result.exit_code == 1
    assert "3 baris dibaca, 1 diterima, 2 akan ditolak" in result.output
    assert "baris 3: [kelurahan_unknown]" in result.output
    assert "baris 4: [start_date_invalid]" in result.output
    assert "6172015508900002" not in result.output


def test_check_of_a_clean_file_exits_zero(tmp_path: Path) -> None:
    extract = tmp_path / "kiriman.csv"
    extract.write_text(
        CSV_WITH_PROBLEMS.splitlines(keepends=True)[0]
        + CSV_WITH_PROBLEMS.splitlines(keepends=True)[1]
    )
    result = runner.invoke(app, ["check", str(extract)])
    assert result.exit_code == 0, result.output


def test_check_names_missing_columns_of_a_file_rejected_whole(tmp_path: Path) -> None:
    extract = tmp_path / "kiriman.csv"
    extract.write_text("NIK;Nama;Kategori\n6172015508900001;Ani;PR\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(extract)])
    assert result.exit_code == 1
    assert "DITOLAK SELURUHNYA" in result.output
    assert "kelurahan" in result.output.lower()


def test_rollback_without_a_previous_file_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["rollback", "--db", str(tmp_path / "jamsos.duckdb")])
    assert result.exit_code == 1
    assert "rollback tidak bisa" in result.output


def test_run_with_a_missing_raw_folder_fails_and_publishes_nothing(
    tmp_path: Path, prefect_harness: None
) -> None:
    db = tmp_path / "jamsos.duckdb"
    result = runner.invoke(
        app, ["run", "--raw-dir", str(tmp_path / "nothing-here"), "--db", str(db)]
    )
    assert result.exit_code == 1
    assert "tidak ada" in result.output
    assert not db.exists()
