"""Serve the nightly flow as a Prefect deployment on its configured schedule."""

from __future__ import annotations

from pathlib import Path

from prefect.client.schemas.schedules import CronSchedule
from prefect.schedules import Cron, Schedule
from prefect.types.entrypoint import EntrypointType

from flows.config import ConfigError, Settings
from flows.config import Schedule as ScheduleSettings
from flows.nightly import FLOW_NAME, nightly

DEPLOYMENT_TAGS = ["jamsos", "nightly"]


def nightly_schedule(schedule: ScheduleSettings) -> Schedule:
    """Return the deployment's cron schedule in the configured time zone."""
    try:
        CronSchedule(cron=schedule.cron, timezone=schedule.timezone)
    except ValueError as error:
        raise ConfigError(
            f"schedule.cron {schedule.cron!r} atau schedule.timezone {schedule.timezone!r} "
            'tidak sah: pakai ekspresi cron lima kolom (contoh "0 2 * * *") dan zona waktu '
            'IANA (contoh "Asia/Pontianak").'
        ) from error
    return Cron(schedule.cron, timezone=schedule.timezone)


def deployment_parameters(
    raw_dir: Path | None = None,
    db: Path | None = None,
    reports_dir: Path | None = None,
    config_file: Path | None = None,
) -> dict[str, str]:
    """Return the flow parameters fixed by the command line, as absolute paths.

    Paths left out are read from the configuration (and its JAMSOS__ environment
    overrides) by each run, so editing jamsos.toml takes effect the next night.
    """
    given = {"raw_dir": raw_dir, "db": db, "reports_dir": reports_dir, "config_file": config_file}
    return {name: str(path.expanduser().resolve()) for name, path in given.items() if path}


def deployment_full_name(settings: Settings) -> str:
    """Return the name `prefect deployment run` takes: flow name / deployment name."""
    return f"{FLOW_NAME}/{settings.schedule.deployment_name}"


def serve_nightly(settings: Settings, parameters: dict[str, str]) -> None:
    """Register the nightly deployment with the Prefect server and run it until stopped."""
    nightly.serve(
        name=settings.schedule.deployment_name,
        schedules=[nightly_schedule(settings.schedule)],
        parameters=parameters,
        tags=DEPLOYMENT_TAGS,
        limit=1,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
