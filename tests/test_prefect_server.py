"""The nightly deployment against a real `prefect server start`: serve, trigger, schedule."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
import yaml
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    DeploymentFilter,
    DeploymentFilterId,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import DeploymentResponse
from prefect.client.schemas.sorting import FlowRunSort
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.workers.process import ProcessWorker

from flows.artifacts import REJECTIONS_KEY, SUMMARY_KEY
from flows.config import PROJECT_ROOT, load_settings
from flows.demo import write_demo_extracts
from flows.nightly import FLOW_NAME
from tests.conftest import TEST_NIK_KEY

pytestmark = [pytest.mark.server, pytest.mark.slow]

BIN = PROJECT_ROOT / ".venv" / "bin"
PREFECT = str(BIN / "prefect") if (BIN / "prefect").exists() else "prefect"
JAMSOS = str(BIN / "jamsos") if (BIN / "jamsos").exists() else "jamsos"
SETTINGS = load_settings(PROJECT_ROOT / "jamsos.toml", environ={})
DEPLOYMENT = f"{FLOW_NAME}/{SETTINGS.schedule.deployment_name}"
SERVER_START_SECONDS = 90
RUN_SECONDS = 150
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def quiet_environment(home: Path, **extra: str) -> dict[str, str]:
    """Return this process's environment without Prefect settings, offline and quiet."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PREFECT_", "JAMSOS"))
    }
    environment.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        **extra,
    )
    return environment


def stop(process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    """Stop a process started here (and its children) with SIGTERM, then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def wait_for(what: str, probe: Callable[[], T | None], seconds: float, log: Path) -> T:
    """Call probe until it returns something, or fail showing the end of the log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = probe()
        if result is not None:
            return result
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    pytest.fail(f"timed out after {seconds} s waiting for {what}\n{tail}")


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `prefect server start` on 127.0.0.1 with its own PREFECT_HOME; yield its API URL."""
    home = tmp_path_factory.mktemp("prefect-server-home")
    port = free_port()
    log = home / "server.log"
    environment = quiet_environment(
        home,
        PREFECT_SERVER_UI_ENABLED="false",
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="1",
    )
    started = time.perf_counter()
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/api"

    def healthy() -> bool | None:
        if server.poll() is not None:
            pytest.fail(f"prefect server exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                return True if response.status == 200 else None
        except OSError:
            return None

    try:
        wait_for("the Prefect server", healthy, SERVER_START_SECONDS, log)
        print(f"\nprefect server healthy after {time.perf_counter() - started:.1f} s")
        yield url
    finally:
        stop(server)


@pytest.fixture(scope="module")
def client_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prefect-client-home")


@pytest.fixture(scope="module")
def client(prefect_server: str) -> Iterator[SyncPrefectClient]:
    """A client of the test server, whatever other API the session points at."""
    with (
        temporary_settings({PREFECT_API_URL: prefect_server}),
        get_client(sync_client=True) as prefect_client,
    ):
        yield prefect_client


@pytest.fixture(scope="module")
def served(
    prefect_server: str, client_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path]]:
    """Run `jamsos serve` against the test server; yield its database and log paths."""
    work = tmp_path_factory.mktemp("served")
    raw = work / "raw"
    write_demo_extracts(raw)
    db = work / "processed" / "jamsos.duckdb"
    log = work / "serve.log"
    environment = quiet_environment(
        client_home,
        PREFECT_API_URL=prefect_server,
        PREFECT_RUNNER_POLL_FREQUENCY="1",
        JAMSOS_NIK_KEY=TEST_NIK_KEY,
        JAMSOS__PATHS__RAW_DIR=str(raw),
        JAMSOS__PATHS__DB=str(db),
        JAMSOS__PATHS__CACHE_DIR=str(work / "processed" / "cache"),
        JAMSOS__PATHS__REPORTS_DIR=str(work / "processed" / "reports"),
        JAMSOS__PATHS__KEY_FILE=str(work / "secret" / "nik.key"),
    )
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [JAMSOS, "serve"],
            cwd=work,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield db, log
    finally:
        stop(process)


def prefect_cli(server: str, home: Path, *arguments: str, cwd: Path = PROJECT_ROOT) -> str:
    completed = subprocess.run(
        [PREFECT, *arguments],
        cwd=cwd,
        env=quiet_environment(home, PREFECT_API_URL=server),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def wait_for_deployment(client: SyncPrefectClient, name: str, log: Path) -> DeploymentResponse:
    def registered() -> DeploymentResponse | None:
        try:
            return client.read_deployment_by_name(name)
        except Exception:
            return None

    return wait_for(f"deployment {name}", registered, 60, log)


def test_served_deployment_runs_when_triggered_and_publishes(
    prefect_server: str,
    client_home: Path,
    client: SyncPrefectClient,
    served: tuple[Path, Path],
) -> None:
    db, log = served
    started = time.perf_counter()
    wait_for_deployment(client, DEPLOYMENT, log)

    output = prefect_cli(prefect_server, client_home, "deployment", "run", DEPLOYMENT)
    flow_run_id = UUID(UUID_PATTERN.findall(output)[-1])

    def finished() -> FlowRun | None:
        flow_run = client.read_flow_run(flow_run_id)
        return flow_run if flow_run.state and flow_run.state.is_final() else None

    flow_run = wait_for("the triggered flow run", finished, RUN_SECONDS, log)
    assert flow_run.state is not None
    assert flow_run.state.type == StateType.COMPLETED, flow_run.state.message
    assert db.exists()
    artifacts = client.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
    )
    keys = {artifact.key: artifact for artifact in artifacts if artifact.key}
    assert set(keys) == {SUMMARY_KEY, REJECTIONS_KEY}
    assert keys[SUMMARY_KEY].type == "markdown"
    assert "Peserta per kategori" in str(keys[SUMMARY_KEY].data)
    assert keys[REJECTIONS_KEY].type == "table"
    print(
        f"\nserved run: deployment registered, triggered and finished in "
        f"{time.perf_counter() - started:.1f} s"
    )


def test_schedule_next_run_is_at_two_in_the_morning_pontianak_time(
    client: SyncPrefectClient, served: tuple[Path, Path]
) -> None:
    _, log = served
    deployment = wait_for_deployment(client, DEPLOYMENT, log)
    assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [
        ("0 2 * * *", "Asia/Pontianak")
    ]

    def next_scheduled() -> FlowRun | None:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=20,
        )
        upcoming = [run for run in runs if run.auto_scheduled]
        return upcoming[0] if upcoming else None

    upcoming = wait_for("the scheduler to plan the next run", next_scheduled, 30, log)
    assert upcoming.expected_start_time is not None
    local = upcoming.expected_start_time.astimezone(ZoneInfo("Asia/Pontianak"))
    now = datetime.now(ZoneInfo("Asia/Pontianak"))
    assert (local.hour, local.minute) == (2, 0)
    assert now < local <= now + timedelta(days=1)
    assert local.utcoffset() == timedelta(hours=7)


def test_prefect_yaml_deploys_the_same_schedule_to_a_process_work_pool(
    prefect_server: str, client_home: Path, client: SyncPrefectClient, tmp_path: Path
) -> None:
    config = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    [spec] = config["deployments"]
    assert spec["entrypoint"] == "flows/nightly.py:nightly"
    assert spec["name"] == SETTINGS.schedule.deployment_name
    assert [(s["cron"], s["timezone"]) for s in spec["schedules"]] == [
        (SETTINGS.schedule.cron, SETTINGS.schedule.timezone)
    ]
    # A copy under another name, so that it does not replace the served deployment.
    spec["name"] = "jamsos-nightly-pool"
    copy = tmp_path / "prefect.yaml"
    copy.write_text(yaml.safe_dump(config), encoding="utf-8")
    pool = spec["work_pool"]["name"]

    client.create_work_pool(
        WorkPoolCreate(
            name=pool,
            type=ProcessWorker.type,
            base_job_template=ProcessWorker.get_default_base_job_template(),
        )
    )
    prefect_cli(
        prefect_server, client_home, "--no-prompt", "deploy", "--all", "--prefect-file", str(copy)
    )

    deployment = client.read_deployment_by_name(f"{FLOW_NAME}/jamsos-nightly-pool")
    assert deployment.work_pool_name == pool
    assert deployment.entrypoint == "flows/nightly.py:nightly"
    assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [
        ("0 2 * * *", "Asia/Pontianak")
    ]
    assert deployment.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(PROJECT_ROOT)}}
    ]
