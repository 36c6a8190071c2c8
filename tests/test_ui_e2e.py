"""The UI driven for real: dagster-webserver + dagster-daemon on loopback with a PostgreSQL
instance; a new scripts row is picked up by the sensor, rendered by a queued run, verified through
the GraphQL API (every asset of the partition materialized, every check passed) and the asset
graph of the partition is screenshotted with headless Chromium (test-artifacts/)."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from live import graphql
from sqlalchemy import text

from batchvideo_app.catalog import add_script
from batchvideo_resources import settings
from batchvideo_resources.db import engine_for, session_scope
from batchvideo_resources.layout import STAGES

# On the session's live stack (conftest.shared_stack), shared with the live-stack and crash tests.
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


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("chromium is not installed (Makefile APT_PACKAGES installs Debian's chromium)")


def test_sensor_run_is_visible_in_the_ui_with_checks_passed(shared_stack, tmp_path):
    chromium = _chromium()
    stack, scripts_url = shared_stack, shared_stack.scripts_url
    port = stack.port

    with session_scope(scripts_url) as session:
        sid = str(add_script(session, {
            "title": "Tides", "language": "en-US", "account": "plain",
            "content": "The moon pulls on the oceans. Twice a day the water rises and falls along the shore."}).id)

    deadline = time.monotonic() + RUN_TIMEOUT_S
    run = None
    while True:
        runs = graphql(port, RUNS_QUERY)["runsOrError"]["results"]
        ours = [r for r in runs if {"key": "dagster/partition", "value": sid} in r["tags"]]
        assert len(ours) <= 1, ours  # one run per row version
        run = ours[0] if ours else None
        if run and run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        stack.assert_alive()
        assert time.monotonic() < deadline, f"run not finished: {run}\n{stack.tail('daemon')}"
        time.sleep(3)
    assert run["status"] == "SUCCESS", stack.tail("daemon")

    nodes = graphql(port, ASSETS_QUERY, {"partition": sid})["assetNodes"]
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

    graphql(port, "mutation { setNuxSeen }")  # the first-visit newsletter dialog would cover the graph
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
