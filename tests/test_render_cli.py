"""`batchvideo render` as the command, without a daemon, on the project's own local instance config:
one run per script across commands, SIGTERM recorded as CANCELED, and the revision a run reports is the
one its `script` step read. The scripts database is SQLite; the waiting, queueing and SIGTERM cases and the
revision read also run on PostgreSQL.

Each `render` here stands in for the daemon (it launches its own queued runs and writes them back). The
`images` step calls an image server that holds every request until the test releases it, so the order of
events is decided by the test, not by timing."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
from conftest import add
from sqlalchemy import select, text
from test_crash_recovery import ImageServer

from batchvideo_resources.db import ScriptRun, engine_for, session_scope
from batchvideo_resources.db.script_runs import latest_run

pytestmark = [pytest.mark.e2e, pytest.mark.small_canvas]
ROOT = Path(__file__).resolve().parents[1]


def _wait(condition, what: str, timeout: float = 240, procs=()):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        for proc, log in procs:
            assert proc.poll() is None, f"{what}: render exited early\n" + log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)
    return value


@pytest.fixture
def stack(request, prepared_db, tmp_path, monkeypatch):
    """The project's local instance config in a fresh home, the holding image server, and a `render` starter.
    The scripts database is the session's SQLite one, or (indirect param "postgresql") the session's
    PostgreSQL one, for the commands, their run workers and this process alike."""
    db = prepared_db
    if getattr(request, "param", "sqlite") == "postgresql":
        from batchvideo_app.catalog import seed_reference_data
        from batchvideo_resources.db import upgrade

        db = request.getfixturevalue("pg_url")
        upgrade(db)
        with session_scope(db) as session:
            seed_reference_data(session)
        monkeypatch.setenv("BATCHVIDEO_DB_URL", db)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    server = ImageServer()
    env = {**os.environ, "DAGSTER_HOME": str(home),
           "BATCHVIDEO_IMAGE_BACKEND": "http", "BATCHVIDEO_IMAGE_URL": server.url, "PYTHONPATH": str(ROOT)}
    procs = []

    def render(script_id: str, name: str):
        log = tmp_path / f"{name}.log"
        with open(log, "wb") as out:  # a file, not a pipe: a full pipe would stall the command
            proc = subprocess.Popen([sys.executable, "-m", "batchvideo_app.cli", "render", script_id], env=env,
                                    stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        procs.append(proc)
        return proc, log

    with dg.DagsterInstance.from_config(str(home)) as instance:
        try:
            yield {"render": render, "server": server, "instance": instance, "db": db}
        finally:
            server.close()
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=30)


def _runs(instance, script_id: str) -> list[dg.DagsterRun]:
    return list(instance.get_runs(dg.RunsFilter(tags={"dagster/partition": script_id})))


def _row(db: str, run_id: str) -> tuple[str, str]:
    with session_scope(db) as session:
        row = session.execute(select(ScriptRun).where(ScriptRun.run_id == run_id)).scalar_one()
        return row.status, row.status_detail


def _line(log: Path, start: str) -> str | None:
    return next((line for line in log.read_text(errors="replace").splitlines() if line.startswith(start)), None)


def _running_and_queued(stack, title: str, edited: str) -> SimpleNamespace:
    """One script: a first command's run holds the slot (waiting on the held image server), a second
    command for the same revision waits for that run, and an edit's command queues a run behind it."""
    instance, server, db = stack["instance"], stack["server"], stack["db"]
    sid = str(add(db, title=title, language="en-US", account="plain",
                  content="The first render holds the slot. The second one waits for its turn."))

    first, first_log = stack["render"](sid, "first")
    _wait(lambda: server.calls, "the first run to reach images", procs=[(first, first_log)])
    (run_a,) = _runs(instance, sid)
    assert run_a.status == dg.DagsterRunStatus.STARTED and run_a.tags["batchvideo/revision"] == "1"

    # The same revision again: no second run, the command waits for the one in flight.
    same, same_log = stack["render"](sid, "same")
    line = _wait(lambda: _line(same_log, f"script {sid}: "), "the second command to choose a run",
                 procs=[(same, same_log)])
    assert line == f"script {sid}: waiting for run {run_a.run_id}, which already renders revision 1"
    assert len(_runs(instance, sid)) == 1

    # A new revision: a new run, queued behind the running one, not beside it.
    with engine_for(db).begin() as conn:
        conn.execute(text("UPDATE scripts SET content = :c WHERE id = :i"), {"c": edited, "i": int(sid)})
    newer, newer_log = stack["render"](sid, "newer")
    line = _wait(lambda: _line(newer_log, f"script {sid}: submitted run "), "the edit's run",
                 procs=[(newer, newer_log)])
    run_b_id = line.split("submitted run ", 1)[1].split()[0]
    time.sleep(3 * 1.0)  # three of the command's polls: it would have launched by now if it could
    assert instance.get_run_by_id(run_b_id).status == dg.DagsterRunStatus.QUEUED
    assert instance.get_run_by_id(run_a.run_id).status == dg.DagsterRunStatus.STARTED
    return SimpleNamespace(sid=sid, first=first, first_log=first_log, same=same, same_log=same_log, newer=newer,
                           newer_log=newer_log, run_a=run_a, run_b_id=run_b_id)


def test_renders_of_one_script_share_or_queue_and_sigterm_leaves_canceled(stack):
    instance, server, db = stack["instance"], stack["server"], stack["db"]
    r = _running_and_queued(stack, "One at a time", "An edited text is a new revision. It renders after the first run.")

    # SIGTERM to the command that submitted the running run: the run is canceled and so is its row.
    # (A worker interrupted inside a blocking HTTP call stops when the call returns: the server answers.)
    r.first.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    server.released.set()
    assert r.first.wait(timeout=120) == 128 + signal.SIGTERM, r.first_log.read_text(errors="replace")[-3000:]
    assert instance.get_run_by_id(r.run_a.run_id).status == dg.DagsterRunStatus.CANCELED
    assert _row(db, r.run_a.run_id) == ("CANCELED", "revision 1; run canceled: by an operator")
    assert r.same.wait(timeout=120) == 1  # it reports the run it waited for: canceled
    assert '"status": "CANCELED"' in r.same_log.read_text()

    # The queued run now gets the slot and publishes revision 2.
    assert r.newer.wait(timeout=300) == 0, r.newer_log.read_text(errors="replace")[-3000:]
    records = {rec.dagster_run.run_id: rec
               for rec in instance.get_run_records(dg.RunsFilter(run_ids=[r.run_a.run_id, r.run_b_id]))}
    assert records[r.run_b_id].start_time >= records[r.run_a.run_id].end_time, "two runs of one script overlapped"
    row = latest_run(db, int(r.sid))
    assert (row.run_id, row.status, row.status_detail) == (r.run_b_id, "SUCCESS", "revision 2")


@pytest.fixture
def in_process(monkeypatch):
    """Requested before `stack`: its commands and their run workers use the in-process executor."""
    monkeypatch.setenv("BATCHVIDEO_EXECUTOR", "in_process")


def test_in_process_a_cancel_stops_a_step_that_waits_on_a_model_server(in_process, stack):
    """BATCHVIDEO_EXECUTOR=in_process: SIGTERM while `images` waits on the image server. Dagster turns the
    interrupt into a retry of the step (its RetryPolicy), which ran again once the server answered and
    the run went on to SUCCESS; now the run stops, canceled, without waiting for the server."""
    instance, server, db = stack["instance"], stack["server"], stack["db"]
    sid = str(add(db, title="Cancel in process", language="en-US", account="plain",
                  content="Cancel me while I wait for pictures."))
    first, log = stack["render"](sid, "first")
    _wait(lambda: server.calls, "the run to reach images", procs=[(first, log)])
    (run,) = _runs(instance, sid)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=120) == 128 + signal.SIGTERM, log.read_text(errors="replace")[-3000:]
    assert not server.released.is_set()  # the request is still held: nothing waited for it
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.CANCELED
    assert _row(db, run.run_id) == ("CANCELED", "revision 1; run canceled: by an operator")
    events = [r.dagster_event for r in instance.all_logs(run.run_id) if r.dagster_event]
    ran = {e.step_key for e in events if e.event_type == dg.DagsterEventType.STEP_START}
    assert "images" in ran and not ran & {"composed_video", "cover", "logoed_video"}, ran
    assert not [e for e in events if e.event_type == dg.DagsterEventType.STEP_RESTARTED]


@pytest.mark.parametrize("stack", ["postgresql"], indirect=True)
def test_on_postgresql_a_second_render_waits_and_sigterm_leaves_canceled(stack):
    """The scripts database's side of the test above, on PostgreSQL, without its full render: a second
    command waits for the run in flight, a newer revision queues behind it, and SIGTERM to each command
    records CANCELED in PostgreSQL's `script_runs`, for the queued run and for the running one."""
    instance, server, db = stack["instance"], stack["server"], stack["db"]
    r = _running_and_queued(stack, "One at a time on PostgreSQL",
                            "An edited text is a new revision. It waits for the first run.")

    r.newer.send_signal(signal.SIGTERM)  # its run never started: canceled in the queue, recorded so
    assert r.newer.wait(timeout=120) == 128 + signal.SIGTERM, r.newer_log.read_text(errors="replace")[-3000:]
    assert instance.get_run_by_id(r.run_b_id).status == dg.DagsterRunStatus.CANCELED
    assert _row(db, r.run_b_id)[0] == "CANCELED"
    assert instance.get_run_by_id(r.run_a.run_id).status == dg.DagsterRunStatus.STARTED

    r.first.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    server.released.set()
    assert r.first.wait(timeout=120) == 128 + signal.SIGTERM, r.first_log.read_text(errors="replace")[-3000:]
    assert instance.get_run_by_id(r.run_a.run_id).status == dg.DagsterRunStatus.CANCELED
    assert _row(db, r.run_a.run_id) == ("CANCELED", "revision 1; run canceled: by an operator")
    assert r.same.wait(timeout=120) == 1 and '"status": "CANCELED"' in r.same_log.read_text()


@pytest.mark.parametrize("stack", ["sqlite", "postgresql"], indirect=True)
def test_the_run_reports_the_revision_its_script_step_read(stack):
    """An edit between queueing and the `script` step: the run's tag and the row say what was read, so the
    edit is not rendered a second time."""
    instance, server, db = stack["instance"], stack["server"], stack["db"]
    server.released.set()
    sid = str(add(db, title="Read what you render", language="en-US", account="plain",
                  content="This text is replaced before the run reads it."))
    instance.add_dynamic_partitions("scripts", [sid])
    from batchvideo_assets.definitions import build_definitions

    job = build_definitions().resolve_job_def("render_video").get_subset(asset_selection={dg.AssetKey("script")})
    with engine_for(db).begin() as conn:  # the edit lands after the run was tagged with revision 1
        conn.execute(text("UPDATE scripts SET content = :c WHERE id = :i"),
                     {"c": "This is the text the run really reads.", "i": int(sid)})
    result = job.execute_in_process(instance=instance, partition_key=sid,
                                    tags={"dagster/partition": sid, "batchvideo/revision": "1"})
    assert result.success
    run = instance.get_run_by_id(result.run_id)
    assert run.tags["batchvideo/revision"] == "2"
    (event,) = result.asset_materializations_for_node("script")
    assert event.metadata["revision"].value == 2
