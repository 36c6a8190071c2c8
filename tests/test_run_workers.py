"""Run workers forked from the code server's preloaded forkserver (batchvideo_assets/run_workers.py),
through a real code server (`dagster api grpc`, started by the workspace as the daemon starts it) and the
project's run launcher: a run still succeeds, its steps come from the same forkserver, it can be
canceled, the launcher's worker health check finds its worker alive, and a worker that dies is seen
dead by the code server the health check asks."""

import json
import os
import threading
import time

import dagster as dg
import psutil
import pytest
from conftest import add
from helpers import HeldServer

from batchvideo_assets import run_workers
from batchvideo_assets.dagster_compat import (
    GRPC_INFO_TAG,
    CanCancelExecutionRequest,
    CanCancelExecutionResult,
    DagsterGrpcClient,
    WorkerStatus,
    deserialize_value,
)

pytestmark = [pytest.mark.e2e]

FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


@pytest.mark.unit
@pytest.mark.parametrize(("argv", "expected"), [
    (["/venv/bin/dagster", "api", "grpc", "--socket", "/tmp/s"], True),
    (["/venv/lib/python3.11/site-packages/dagster/__main__.py", "api", "grpc", "-p", "4000"], True),
    (["/venv/bin/dagster", "api", "execute_run", "{}"], False),
    (["/venv/bin/dagster-daemon", "run"], False),
    (["-c"], False),
])
def test_only_a_grpc_code_server_installs_them(argv, expected):
    assert run_workers.in_code_server(argv) is expected


def HeldTTS() -> HeldServer:  # noqa: N802 - reads as the server it makes
    """The `http` TTS backend's address; every request is held until `released`, then refused (503), so a
    run waits inside its `audio` step for as long as a test needs."""
    return HeldServer(lambda body: (503, "text/plain", b""))


@pytest.fixture(scope="module")
def stack(prepared_db, tmp_path_factory):
    """A fresh instance with the project's launcher and immediate launches, and the project's workspace
    (its code server a child of this process) with the held TTS server in its environment."""
    from batchvideo_app.workspace import open_workspace

    home = tmp_path_factory.mktemp("run_workers_home")
    (home / "dagster.yaml").write_text(
        "run_launcher:\n  module: batchvideo_assets.run_launcher\n  class: MonitoredRunLauncher\n"
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n"
        "telemetry:\n  enabled: false\n")
    tts = HeldTTS()
    env = {"BATCHVIDEO_TTS_BACKEND": "http", "BATCHVIDEO_TTS_URL": tts.url,
           "BATCHVIDEO_EXECUTOR": "multiprocess"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    _EARLIER.update(p.pid for p in psutil.Process().children(recursive=True))
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance, \
                open_workspace(instance) as (workspace, remote_job):
            yield instance, workspace, remote_job, tts, prepared_db
            tts.released.set()
            forkserver = shared_forkserver()
        _, alive = psutil.wait_procs([forkserver], timeout=60)
        assert not alive, "the forkserver outlived its code server"
    finally:
        tts.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _cmdline(process: psutil.Process) -> str:
    """A process's command line, or "" for one that exited or is a zombie (other tests in this worker leave
    children that are being reaped)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


# Children this worker process had before the stack started (other test modules' servers).
_EARLIER: set[int] = set()


def code_servers() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True)
            if p.pid not in _EARLIER and "grpc" in _cmdline(p)]


def shared_forkserver() -> psutil.Process:
    (server,) = code_servers()
    (forkserver,) = [p for p in server.children() if "multiprocessing.forkserver" in _cmdline(p)]
    return forkserver


def submit(stack, stages: list[str], title: str) -> dg.DagsterRun:
    from batchvideo_app.workspace import submit_run

    instance, workspace, remote_job, _tts, url = stack
    sid = str(add(url, title=title, content="The tide comes in twice a day.", language="en-US", account="plain"))
    instance.add_dynamic_partitions("scripts", [sid])
    return submit_run(instance, workspace, remote_job, {"dagster/partition": sid}, {},
                      [dg.AssetKey(stage) for stage in stages])


def wait_for(what, condition, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def worker_pids(instance, run_id: str) -> tuple[int | None, dict[str, int]]:
    """The pid of the process that logged the run's start (its run worker) and of each step's start."""
    worker, steps = None, {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is not None and event.event_type_value == "PIPELINE_START":
            worker = event.pid
        elif event is not None and event.event_type_value == "STEP_START":
            steps[event.step_key] = event.pid
    return worker, steps


def test_a_run_succeeds_from_the_shared_forkserver(stack):
    instance = stack[0]
    run = submit(stack, ["script"], "Forked")
    done = wait_for("the run to finish", lambda: (r := instance.get_run_by_id(run.run_id)).status in FINISHED and r)
    assert done.status == dg.DagsterRunStatus.SUCCESS
    assert instance.get_latest_materialization_event(dg.AssetKey("script")).run_id == run.run_id
    worker, steps = worker_pids(instance, run.run_id)
    assert worker and steps.get("script")
    assert shared_forkserver().is_running()


def test_steps_come_from_it_and_a_run_is_canceled(stack):
    instance, tts = stack[0], stack[3]
    before = len(tts.calls)
    run = submit(stack, ["script", "audio"], "Canceled")
    wait_for("the audio step to call the TTS server", lambda: len(tts.calls) > before)
    worker, steps = wait_for("the audio step's process", lambda: (w := worker_pids(instance, run.run_id))[1].get(
        "audio") and w)
    forkserver = shared_forkserver()
    # The run worker and its step processes are the same forkserver's children: nothing was re-imported.
    worker_process = psutil.Process(worker)
    assert worker_process.ppid() == forkserver.pid
    assert psutil.Process(steps["audio"]).ppid() == forkserver.pid

    launcher = instance.run_launcher
    health = launcher.check_run_worker_health(instance.get_run_by_id(run.run_id))
    assert health.status == WorkerStatus.RUNNING and not health.transient, health

    assert launcher.terminate(run.run_id)
    # The run worker got the cancel and interrupted its step; the step's in-flight TTS requests (a
    # thread pool's) are then let go, as a real server would answer or time out.
    wait_for("the run worker to interrupt its steps", lambda: any(
        "forwarding to active child processes" in (r.user_message or "") for r in instance.all_logs(run.run_id)))
    tts.released.set()
    canceled = wait_for("the run to be canceled",
                        lambda: (r := instance.get_run_by_id(run.run_id)).status in FINISHED and r, 120)
    assert canceled.status == dg.DagsterRunStatus.CANCELED
    gone, alive = psutil.wait_procs([worker_process], timeout=60)
    assert not alive, "the canceled run's worker is still running"
    assert forkserver.is_running()  # shared: it outlives the run
    tts.released = threading.Event()  # hold the next test's requests again


def test_a_dead_run_worker_is_seen_by_its_code_server(stack):
    instance, tts = stack[0], stack[3]
    before = len(tts.calls)
    run = submit(stack, ["script", "audio"], "Killed")
    wait_for("the audio step to call the TTS server", lambda: len(tts.calls) > before)
    worker, steps = wait_for("the audio step's process", lambda: (w := worker_pids(instance, run.run_id))[1].get(
        "audio") and w)
    psutil.Process(worker).kill()  # as the OOM killer would
    for pid in worker_pids(instance, run.run_id)[1].values():  # and the step processes it had started
        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass  # a step that had finished (or failed for a retry) already
    # The code server sees its forked run worker die (the forkserver reports the exit) and fails the
    # run itself; from then on its answer to the launcher's question is "not executing".
    failed = wait_for("the code server to fail the run", lambda: (
        r := instance.get_run_by_id(run.run_id)).status == dg.DagsterRunStatus.FAILURE and r, 60)
    messages = [r.dagster_event.message or "" for r in instance.all_logs(run.run_id,
                                                                         of_type=dg.DagsterEventType.ENGINE_EVENT)]
    assert any(f"Run execution process for {run.run_id}" in m for m in messages), messages
    where = json.loads(failed.tags[GRPC_INFO_TAG])
    client = DagsterGrpcClient(port=where.get("port"), socket=where.get("socket"), host=where.get("host"))
    answer = deserialize_value(client.can_cancel_execution(CanCancelExecutionRequest(run_id=run.run_id)),
                               CanCancelExecutionResult)
    assert answer.can_cancel is False
    # A run that is over is never reported as a lost worker (it would be failed twice).
    health = instance.run_launcher.check_run_worker_health(failed)
    assert health.status == WorkerStatus.RUNNING and not health.transient, health
