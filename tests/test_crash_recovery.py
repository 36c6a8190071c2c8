"""A crash of the whole local stack mid-run: `kill -9` of the daemon, its code server, the run worker and
its step processes while a run is inside `images`; then the daemon is started again.

Run monitoring on the session's live stack (the project's own `dagster_home/dagster.yaml` rules on a
PostgreSQL instance, with a short poll for the tests) must find the dead worker, mark the run failed and
free its slots; the write-back must record FAILED; and run retries must re-execute the run from the
failed step to a published video."""

import io
import subprocess
import time
from pathlib import Path

import dagster as dg
import psutil
import pytest
from conftest import add
from dagster._core.scheduler.instigation import InstigatorType
from helpers import HeldServer
from PIL import Image
from sqlalchemy import select

from batchvideo_assets.defs.automation.sensors import run_status_sensors
from batchvideo_resources.db import ScriptRun, session_scope

# On the session's live stack (conftest.shared_stack), shared with the UI and live-stack tests: its daemon
# is restarted with this test's image server, killed, restarted, and finally restarted as it was.
# Soak-sized (two minutes of waiting on monitoring and retries): `make test-soak`.
pytestmark = [pytest.mark.ui, pytest.mark.soak]


def _png(body: dict) -> tuple[int, str, bytes]:
    buffer = io.BytesIO()
    Image.new("RGB", (body["width"], body["height"]), (40, 90, 140)).save(buffer, format="PNG")
    return 200, "image/png", buffer.getvalue()


def ImageServer() -> HeldServer:  # noqa: N802 - reads as the server it makes
    """The `http` image backend's contract (POST /generate → PNG); holds every request until released."""
    return HeldServer(_png)


STATUS_SENSORS = {sensor.name for sensor in run_status_sensors}


def kill_tree(proc: subprocess.Popen) -> list[int]:
    """SIGKILL a process and every descendant at once, as a power cut would; returns their pids once
    all are dead."""
    tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    for member in tree:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait(timeout=10)
    _, alive = psutil.wait_procs(tree, timeout=10)
    assert all(p.status() == psutil.STATUS_ZOMBIE for p in alive if p.is_running()), alive
    return [member.pid for member in tree]


def wait_for(what: str, condition, timeout: float, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}; daemon log:\n{log.read_text()[-4000:]}")


def test_kill_9_of_daemon_and_run_worker_is_detected_recorded_and_retried(shared_stack):
    home, scripts_url = shared_stack.home, shared_stack.scripts_url
    # The shared stack runs the shipped local instance's monitoring, polled every 2 s (conftest).
    assert "poll_interval_seconds: 2\n" in (home / "dagster.yaml").read_text()
    images = ImageServer()
    env = {"BATCHVIDEO_IMAGE_BACKEND": "http", "BATCHVIDEO_IMAGE_URL": images.url}
    log = shared_stack.folder / "daemon.log"
    shared_stack.restart_daemon(**env)
    daemon = shared_stack.procs["daemon"]
    try:
        # A run-status sensor starts from "now" at its first tick: until the write-back sensors have
        # ticked once (cursor stored in the instance), a FAILURE recorded before would never be seen.
        with dg.DagsterInstance.from_config(str(home)) as instance:
            wait_for("the write-back sensors' first ticks", lambda: STATUS_SENSORS <= {
                state.origin.instigator_name for state in instance.all_instigator_state(
                    instigator_type=InstigatorType.SENSOR) if state.instigator_data and state.instigator_data.cursor},
                     120, log)
        sid = add(scripts_url, title="Crash", content="The tide comes in twice a day. Nobody can stop it.",
                  language="en-US", account="demo")
        wait_for("the run to reach `images`", lambda: images.calls, 240, log)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            (crashed,) = instance.get_runs(dg.RunsFilter(tags={"dagster/partition": str(sid)}))
            assert crashed.status == dg.DagsterRunStatus.STARTED
            killed = kill_tree(daemon)
            assert len(killed) >= 3, killed  # daemon, code server, run worker (and its steps)
            assert instance.get_run_by_id(crashed.run_id).status == dg.DagsterRunStatus.STARTED  # nobody told it
            with session_scope(scripts_url) as session:
                # QUEUED or RUNNING, or not yet written (the status sensors tick every 10 s): nothing final
                assert session.scalar(select(ScriptRun.status).where(ScriptRun.run_id == crashed.run_id)) \
                    in (None, "QUEUED", "RUNNING")

            images.released.set()  # the image server answers from now on
            shared_stack.start_daemon(**env)
            restarted = time.monotonic()
            wait_for("the crashed run to be marked failed",
                     lambda: instance.get_run_by_id(crashed.run_id).status == dg.DagsterRunStatus.FAILURE, 120, log)
            print(f"crashed run marked failed {time.monotonic() - restarted:.0f} s after the daemon restarted "
                  f"(monitoring poll 2 s)")
            retry = wait_for("a retry that succeeds", lambda: next(
                (run for run in instance.get_runs(dg.RunsFilter(tags={"dagster/partition": str(sid)}))
                 if run.parent_run_id == crashed.run_id and run.status == dg.DagsterRunStatus.SUCCESS), None),
                300, log)

            failure = instance.all_logs(crashed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
            assert "run worker" in failure[-1].dagster_event.message, failure[-1].dagster_event.message
            # From the failed step: the narration made before the crash is not made again.
            audio = instance.fetch_materializations(dg.AssetRecordsFilter(
                asset_key=dg.AssetKey("audio"), asset_partitions=[str(sid)]), limit=5).records
            assert [r.run_id for r in audio] == [crashed.run_id]
            assert not instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED,
                                                                 dg.DagsterRunStatus.QUEUED]))

            def rows():
                with session_scope(scripts_url) as session:
                    return {r.run_id: (r.status, r.outputs) for r in session.scalars(
                        select(ScriptRun).where(ScriptRun.script_id == sid))}

            recorded = wait_for("the write-back of both runs", lambda: (
                r := rows(), r if r.get(retry.run_id, ("",))[0] == "SUCCESS" else None)[1], 60, log)
            assert recorded[crashed.run_id][0] == "FAILED"
            assert recorded[retry.run_id][1]["logoed_video"].endswith(".mp4")
    finally:
        shared_stack.restart_daemon()  # the stack's own environment again, for whoever comes next
        images.close()
