"""The UI driven for real: dagster-webserver + dagster-daemon on loopback with a PostgreSQL
instance; a new scripts row is picked up by the sensor, rendered by a queued run, verified through
the GraphQL API (every asset of the partition materialized, every check passed) and the asset
graph of the partition is screenshotted with headless Chromium (test-artifacts/)."""

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import PG_ADMIN
from sqlalchemy import create_engine, text

from batchvideo_app.catalog import add_script, seed_reference_data
from batchvideo_resources import settings
from batchvideo_resources.db import engine_for, session_scope, upgrade
from batchvideo_resources.layout import STAGES

pytestmark = pytest.mark.ui

ARTIFACTS = settings.PROJECT_ROOT / "test-artifacts"
VENV_BIN = Path(os.sys.executable).parent
RUN_TIMEOUT_S = 420
CHECKS = 8

RUNS_QUERY = """
query Runs { runsOrError(filter: {pipelineName: "render_video"}) {
  ... on Runs { results { runId status tags { key value } } } } }
"""
ASSETS_QUERY = """
query Assets($partition: String!) { assetNodes {
  assetKey { path }
  assetMaterializations(partitions: [$partition]) { runId partition }
  assetChecksOrError { ... on AssetChecks { checks { name blocking
    executionForLatestMaterialization { runId status partition } } } } } }
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("chromium is not installed (Makefile APT_PACKAGES installs Debian's chromium)")


@pytest.fixture
def pg_databases():
    """Two fresh PostgreSQL databases: the Dagster instance's and the scripts table's."""
    names = [f"bv_e2e_{kind}_{uuid.uuid4().hex[:6]}" for kind in ("dagster", "scripts")]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield [f"{base}/{n}" for n in names]
    finally:
        engine_for(f"{base}/{names[1]}").dispose()
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query, "variables": variables or {}},
                          timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_sensor_run_is_visible_in_the_ui_with_checks_passed(prepared_db, pg_databases, tmp_path):
    chromium = _chromium()
    dagster_url, scripts_url = pg_databases
    upgrade(scripts_url)
    with session_scope(scripts_url) as session:
        seed_reference_data(session)

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "storage:\n  postgres:\n    postgres_url: " + dagster_url.replace("+psycopg2", "") + "\n"
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: QueuedRunCoordinator\n"
        "telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "BATCHVIDEO_DB_URL": scripts_url,
           "BATCHVIDEO_EXECUTOR": "in_process", "PYTHONUNBUFFERED": "1"}
    port = _free_port()
    workspace = str(settings.PROJECT_ROOT / "workspace.yaml")
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("webserver", "daemon")}
    procs = {
        "webserver": subprocess.Popen([str(VENV_BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port),
                                       "-w", workspace], cwd=settings.PROJECT_ROOT, env=env,
                                      stdout=logs["webserver"], stderr=subprocess.STDOUT, start_new_session=True),
        "daemon": subprocess.Popen([str(VENV_BIN / "dagster-daemon"), "run", "-w", workspace],
                                   cwd=settings.PROJECT_ROOT, env=env, stdout=logs["daemon"],
                                   stderr=subprocess.STDOUT, start_new_session=True),
    }

    def tail(name):
        logs[name].flush()
        return (tmp_path / f"{name}.log").read_text()[-3000:]

    try:
        deadline = time.monotonic() + 180
        while True:  # webserver up and the code location loaded
            for name, proc in procs.items():
                assert proc.poll() is None, f"{name} exited:\n{tail(name)}"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=5).status_code == 200:
                    _graphql(port, "{ assetNodes { id } }")
                    break
            except (httpx.HTTPError, AssertionError):
                pass
            assert time.monotonic() < deadline, f"webserver did not come up:\n{tail('webserver')}"
            time.sleep(1)

        with session_scope(scripts_url) as session:
            sid = str(add_script(session, {
                "title": "Tides", "language": "en-US", "account": "plain",
                "content": "The moon pulls on the oceans. Twice a day the water rises and falls along the shore."}).id)

        deadline = time.monotonic() + RUN_TIMEOUT_S
        run = None
        while True:
            runs = _graphql(port, RUNS_QUERY)["runsOrError"]["results"]
            ours = [r for r in runs if {"key": "dagster/partition", "value": sid} in r["tags"]]
            assert len(ours) <= 1, ours  # one run per row version
            run = ours[0] if ours else None
            if run and run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            for name, proc in procs.items():
                assert proc.poll() is None, f"{name} exited:\n{tail(name)}"
            assert time.monotonic() < deadline, f"run not finished: {run}\n{tail('daemon')}"
            time.sleep(3)
        assert run["status"] == "SUCCESS", tail("daemon")

        nodes = _graphql(port, ASSETS_QUERY, {"partition": sid})["assetNodes"]
        by_asset = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        assert set(STAGES) <= set(by_asset)
        for stage in STAGES:
            mats = by_asset[stage]["assetMaterializations"]
            assert [m["runId"] for m in mats] == [run["runId"]], (stage, mats)
        checks = [(stage, c) for stage, n in by_asset.items() for c in n["assetChecksOrError"]["checks"]]
        assert len(checks) == CHECKS
        for stage, check in checks:
            execution = check["executionForLatestMaterialization"]
            assert check["blocking"] and execution is not None, (stage, check)
            assert execution["status"] == "SUCCEEDED" and execution["runId"] == run["runId"], (stage, check)

        # write-back happened through the run-status sensor in the daemon
        with engine_for(scripts_url).connect() as conn:
            deadline = time.monotonic() + 90
            while True:
                status = conn.execute(text("SELECT status FROM script_runs WHERE run_id = :r"),
                                      {"r": run["runId"]}).scalar()
                conn.commit()
                if status == "SUCCESS" or time.monotonic() > deadline:
                    break
                time.sleep(2)
        assert status == "SUCCESS"

        _graphql(port, "mutation { setNuxSeen }")  # the first-visit newsletter dialog would cover the graph
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"asset-graph-partition-{sid}.png"
        shot.unlink(missing_ok=True)
        url = (f"http://127.0.0.1:{port}/assets/cover?view=lineage&lineageScope=upstream&lineageDepth=12"
               f"&partition={sid}")
        profile = tmp_path / "chromium-profile"
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
                        "--window-size=1600,1000", "--virtual-time-budget=20000", f"--screenshot={shot}", url],
                       check=True, timeout=180, capture_output=True)
        assert shot.exists() and shot.stat().st_size > 20_000, "screenshot missing or blank"
        from PIL import Image

        with Image.open(shot) as img:
            assert img.size == (1600, 1000)
            colours = img.convert("RGB").resize((160, 100)).getcolors(maxcolors=100_000) or []
            assert len(colours) > 20, "screenshot looks blank"
    finally:
        for proc in procs.values():
            _stop(proc)
        for log in logs.values():
            log.close()
