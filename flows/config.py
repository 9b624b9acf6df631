"""Load the one configuration file, apply environment overrides, resolve paths."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from transforms.program import Category, ProgramRules

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "jamsos.toml"
ENV_PREFIX = "JAMSOS__"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which value and why."""


@dataclass(frozen=True)
class Paths:
    raw_dir: Path
    db: Path
    reports_dir: Path
    cache_dir: Path
    reference_dir: Path
    key_file: Path


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str
    deployment_name: str
    stale_after_days: int


@dataclass(frozen=True)
class ProcessingSettings:
    files_at_once: int


@dataclass(frozen=True)
class ReportSettings:
    public: bool
    suppression_threshold: int


@dataclass(frozen=True)
class EmailSettings:
    enabled: bool
    host: str
    port: int
    security: str
    username: str
    password_env: str
    password_secret_block: str
    sender: str
    recipients: tuple[str, ...]
    alert_recipients: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    program_name: str
    rules: ProgramRules
    paths: Paths
    schedule: Schedule
    processing: ProcessingSettings
    reports: ReportSettings
    email: EmailSettings
    config_file: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _parse_env_value(text: str, current: Any) -> Any:
    if isinstance(current, bool):
        lowered = text.strip().lower()
        if lowered in {"1", "true", "yes", "ya", "on"}:
            return True
        if lowered in {"0", "false", "no", "tidak", "off", ""}:
            return False
        raise ConfigError(f"expected true/false, got {text!r}")
    if isinstance(current, int):
        try:
            return int(text)
        except ValueError as error:
            raise ConfigError(f"expected a whole number, got {text!r}") from error
    if isinstance(current, list):
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


def apply_environment_overrides(
    values: dict[str, Any], environ: dict[str, str] | os._Environ[str]
) -> dict[str, Any]:
    """Return a copy of the configuration with JAMSOS__SECTION__KEY variables applied."""
    merged: dict[str, Any] = _deep_copy(values)
    for name, text in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [part.lower() for part in name[len(ENV_PREFIX) :].split("__") if part]
        if len(keys) < 2:
            raise ConfigError(f"{name}: expected {ENV_PREFIX}<SECTION>__<KEY>")
        node = merged
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                raise ConfigError(f"{name}: there is no section {key!r} in the configuration")
            node = child
        leaf = keys[-1]
        if leaf not in node:
            raise ConfigError(f"{name}: there is no setting {leaf!r} in that section")
        try:
            node[leaf] = _parse_env_value(text, node[leaf])
        except ConfigError as error:
            raise ConfigError(f"{name}: {error}") from error
    return merged


def _deep_copy(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _deep_copy(value) if isinstance(value, dict) else value
        for key, value in values.items()
    }


def _as_date(value: Any, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise ConfigError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from error


def _resolve(base: Path, value: str) -> Path:
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else (base / path).resolve()


def settings_from_mapping(
    values: dict[str, Any], base_dir: Path, config_file: Path | None = None
) -> Settings:
    """Build validated settings from a configuration mapping."""
    try:
        program = values["program"]
        categories = tuple(
            Category(
                code=code,
                label=str(spec["label"]),
                target=int(spec["target"]),
                months=int(spec["months"]),
            )
            for code, spec in values["categories"].items()
        )
        rules = ProgramRules(
            launch_date=_as_date(program["launch_date"], "program.launch_date"),
            start_date_min=_as_date(program["start_date_min"], "program.start_date_min"),
            start_date_max=_as_date(program["start_date_max"], "program.start_date_max"),
            monthly_premium_idr=int(program["monthly_premium_idr"]),
            categories=categories,
        )
        paths_spec = values["paths"]
        paths = Paths(
            **{name: _resolve(base_dir, str(paths_spec[name])) for name in Paths.__annotations__}
        )
        schedule_spec = values["schedule"]
        schedule = Schedule(
            cron=str(schedule_spec["cron"]),
            timezone=str(schedule_spec["timezone"]),
            deployment_name=str(schedule_spec["deployment_name"]),
            stale_after_days=int(schedule_spec["stale_after_days"]),
        )
        processing = ProcessingSettings(
            files_at_once=int(values["processing"]["files_at_once"]),
        )
        reports = ReportSettings(
            public=bool(values["reports"]["public"]),
            suppression_threshold=int(values["reports"]["suppression_threshold"]),
        )
        email_spec = values["email"]
        email = EmailSettings(
            enabled=bool(email_spec["enabled"]),
            host=str(email_spec["host"]),
            port=int(email_spec["port"]),
            security=str(email_spec["security"]).lower(),
            username=str(email_spec["username"]),
            password_env=str(email_spec["password_env"]),
            password_secret_block=str(email_spec["password_secret_block"]),
            sender=str(email_spec["sender"]),
            recipients=tuple(email_spec["recipients"]),
            alert_recipients=tuple(email_spec["alert_recipients"]),
        )
    except KeyError as error:
        raise ConfigError(f"missing setting {error.args[0]!r}") from error
    if {category.code for category in categories} != {"pekerja_rentan", "sawit_bpu"}:
        raise ConfigError("categories must be exactly pekerja_rentan and sawit_bpu")
    if any(category.months < 1 or category.target < 0 for category in categories):
        raise ConfigError("category months must be at least 1 and targets not negative")
    if rules.start_date_min > rules.start_date_max:
        raise ConfigError("program.start_date_min is after program.start_date_max")
    if email.security not in {"starttls", "ssl", "none"}:
        raise ConfigError("email.security must be starttls, ssl or none")
    if processing.files_at_once < 1:
        raise ConfigError("processing.files_at_once must be at least 1")
    if reports.suppression_threshold < 1:
        raise ConfigError("reports.suppression_threshold must be at least 1")
    check_path_overlaps(paths)
    return Settings(
        program_name=str(program.get("name", "jamsos")),
        rules=rules,
        paths=paths,
        schedule=schedule,
        processing=processing,
        reports=reports,
        email=email,
        config_file=config_file,
        raw=values,
    )


def load_settings(
    config_file: Path | None = None,
    environ: dict[str, str] | os._Environ[str] | None = None,
    **path_overrides: Path | None,
) -> Settings:
    """Read the configuration file (JAMSOS_CONFIG or jamsos.toml) with overrides applied.

    Keyword arguments named after a path setting (raw_dir, db, reports_dir, ...) win over
    both the file and the environment: they come from the command line.
    """
    environ = os.environ if environ is None else environ
    if config_file is None:
        config_file = Path(environ.get("JAMSOS_CONFIG", DEFAULT_CONFIG_FILE))
    try:
        with open(config_file, "rb") as handle:
            values = tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError(f"configuration file not found: {config_file}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{config_file} is not valid TOML: {error}") from error
    values = apply_environment_overrides(values, environ)
    settings = settings_from_mapping(values, config_file.resolve().parent, config_file)
    overrides = {name: value for name, value in path_overrides.items() if value is not None}
    if overrides:
        unknown = set(overrides) - set(Paths.__annotations__)
        if unknown:
            raise ConfigError(f"unknown path settings: {sorted(unknown)}")
        from dataclasses import replace

        resolved = {name: Path(value).expanduser().resolve() for name, value in overrides.items()}
        settings = replace(settings, paths=replace(settings.paths, **resolved))
        check_path_overlaps(settings.paths)
    return settings


def _inside(path: Path, folder: Path) -> bool:
    resolved, container = path.resolve(), folder.resolve()
    return resolved == container or container in resolved.parents


def check_path_overlaps(paths: Paths) -> None:
    """Refuse paths that would make the pipeline write where it must not.

    Nothing is written inside the raw folder (raw files are never touched, and a file
    written there would be read back as a delivery); the raw folder lies inside no folder
    the pipeline fills with its own files; the NIK key lies in no folder whose files are
    shared or rebuilt.
    """
    raw = paths.raw_dir
    written = {
        "db": paths.db,
        "reports_dir": paths.reports_dir,
        "cache_dir": paths.cache_dir,
        "key_file": paths.key_file,
    }
    for name, path in written.items():
        if _inside(path, raw):
            raise ConfigError(f"paths.{name} ({path}) lies inside paths.raw_dir ({raw})")
    for name, folder in {"reports_dir": paths.reports_dir, "cache_dir": paths.cache_dir}.items():
        if _inside(raw, folder):
            raise ConfigError(f"paths.raw_dir ({raw}) lies inside paths.{name} ({folder})")
        if _inside(paths.key_file, folder):
            raise ConfigError(f"paths.key_file ({paths.key_file}) lies inside paths.{name}")
