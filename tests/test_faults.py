"""Faults (docs/reliability.md): a run killed mid-`images`, flaky and dead model servers, a database that goes
away between sensor ticks, and a burst of 1,000 new rows."""

import http.server
import os
import signal
import subprocess
import sys
import textwrap
import time

import dagster as dg
import pytest
from conftest import add
from helpers import LoopbackServer, cursor_at_end, tick_sensor
from sqlalchemy import create_engine, delete, insert, text

from batchvideo_assets.defs.automation import sensors
from batchvideo_assets.defs.automation.sensors import scripts_sensor
from batchvideo_assets.resources import media_store
from batchvideo_resources.database import DatabaseResource
from batchvideo_resources.db import Script, engine_for, session_scope
from batchvideo_resources.db.models import utcnow
from batchvideo_resources.http_retry import ServiceUnavailable, request_with_retries
from batchvideo_resources.layout import run_key

# Renders at the small test canvas: no test here checks the frame size.
pytestmark = pytest.mark.small_canvas

# ---------------------------------------------------------------------------------- SIGKILL
CHILD = textwrap.dedent('''
    """Runs render_video for one partition in this process (in-process executor).

    argv: partition, mode ("block": `images` hangs after writing a marker file; "resume": re-execute
    the given failed run from failure), marker path or parent run id."""
    import sys
    import time
    from pathlib import Path

    import dagster as dg


    def render_job():
        from batchvideo_assets.definitions import build_definitions

        return build_definitions().resolve_job_def("render_video")


    if __name__ == "__main__":
        partition, mode, arg = sys.argv[1:4]
        if mode == "block":
            from batchvideo_resources.image_gen import ImageGenResource

            def hang(self, jobs, width, height, **kwargs):
                Path(arg).write_text("images started")
                time.sleep(3600)

            ImageGenResource.generate = hang
        with dg.DagsterInstance.get() as instance:
            if mode == "block":
                result = dg.execute_job(dg.reconstructable(render_job), instance,
                                        tags={"dagster/partition": partition})
            else:
                result = dg.execute_job(dg.reconstructable(render_job), instance,
                                        tags={"dagster/partition": partition},
                                        reexecution_options=dg.ReexecutionOptions.from_failure(arg, instance))
            print("RUN", result.run_id, result.success, flush=True)
            sys.exit(0 if result.success else 1)
''')


def _materializations(instance, asset: str, partition: str) -> list:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition]), limit=50).records
    return [r.run_id for r in records]


def test_run_killed_in_images_resumes_from_failure(prepared_db, instance, tmp_path):
    from batchvideo_assets.partitions import scripts_partitions

    sid = str(add(prepared_db, title="Killed", language="en-US", account="plain",
                  content="The first sentence is spoken here. Then a second sentence follows after it."))
    instance.add_dynamic_partitions(scripts_partitions.name, [sid])
    child = tmp_path / "render_child.py"
    child.write_text(CHILD)
    marker = tmp_path / "images.started"
    env = {**os.environ, "BATCHVIDEO_EXECUTOR": "in_process"}
    log = tmp_path / "child.log"
    with open(log, "wb") as out:  # a file, not a pipe: a full pipe would stall the child
        proc = subprocess.Popen([sys.executable, str(child), sid, "block", str(marker)], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "images never started"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL

    media = media_store()
    for stage in ("audio", "srt", "splits"):
        assert media.exists(f"jobs/{sid}/manifests/{stage}.json")
    assert not media.exists(f"jobs/{sid}/manifests/images.json")
    job_dir = media.local_root / "jobs" / sid
    assert not list(job_dir.rglob("*.part")) and not list(job_dir.rglob("images/*"))

    (killed,) = instance.get_runs(dg.RunsFilter(tags={"dagster/partition": sid}))
    assert killed.status == dg.DagsterRunStatus.STARTED  # the worker died without a word
    before = {a: _materializations(instance, a, sid) for a in ("script", "audio", "srt", "splits")}
    assert all(runs == [killed.run_id] for runs in before.values()), before
    # What run monitoring does for a dead run worker: mark the run failed.
    instance.report_run_failed(killed)

    resumed = subprocess.run([sys.executable, str(child), sid, "resume", killed.run_id], env=env,
                             capture_output=True, text=True, timeout=400)  # run() drains both pipes
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    new_run_id = resumed.stdout.split("RUN ", 1)[1].split()[0]
    new_run = instance.get_run_by_id(new_run_id)
    assert new_run.parent_run_id == killed.run_id and new_run.status == dg.DagsterRunStatus.SUCCESS

    for asset in ("script", "audio", "srt", "splits"):  # reused, not re-materialized
        assert _materializations(instance, asset, sid) == [killed.run_id], asset
    for asset in ("images", "composed_video", "logoed_video", "cover"):
        assert _materializations(instance, asset, sid) == [new_run_id], asset
    started = {r.dagster_event.step_key for r in instance.all_logs(new_run_id, of_type=dg.DagsterEventType.STEP_START)}
    assert "images" in started and not started & {"script", "audio", "srt", "splits"}
    checks = [r.dagster_event.event_specific_data
              for r in instance.all_logs(new_run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
    assert checks and all(c.passed for c in checks)
    assert media.exists(run_key(sid, new_run_id, "video_logoed.mp4")) and not list(job_dir.rglob("*.part"))


# ------------------------------------------------------------------------------ model server
class _Server:
    def __init__(self, behaviour):
        calls = self.calls = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length") or 0))
                calls.append(time.monotonic())
                status, body = behaviour(len(calls))
                if status is None:  # never answer
                    time.sleep(30)
                    return
                self.send_response(status)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = LoopbackServer(Handler)
        self.url = self.server.url

    def close(self):
        self.server.close()


def test_server_failing_twice_then_ok_succeeds_through_retries():
    server = _Server(lambda n: (500, b"overloaded") if n <= 2 else (200, b"RIFF-ok"))
    try:
        waits = []
        response = request_with_retries("POST", f"{server.url}/v1/tts", json={"text": "hi"}, attempts=4,
                                        timeout=5, backoff_s=0.05, sleep=lambda s: (waits.append(s), time.sleep(s)))
        assert response.status_code == 200 and response.content == b"RIFF-ok"
        assert len(server.calls) == 3
        assert len(waits) == 2 and waits[1] > waits[0] * 0.6  # exponential backoff (with jitter)
    finally:
        server.close()


def test_server_that_never_answers_fails_with_a_clear_timeout():
    server = _Server(lambda n: (None, b""))
    try:
        start = time.monotonic()
        with pytest.raises(ServiceUnavailable) as info:
            request_with_retries("POST", f"{server.url}/v1/tts", json={"text": "hi"}, attempts=2, timeout=0.5,
                                 backoff_s=0.05)
        elapsed = time.monotonic() - start
        assert "did not answer within 0.5 s" in str(info.value) and "2 attempt" in str(info.value)
        assert len(server.calls) == 2 and elapsed < 5
    finally:
        server.close()


def test_hung_tts_server_fails_the_narration_without_hanging(tmp_path):
    """Through the TTS resource the `audio` asset uses: bounded attempts, a clear message."""
    from batchvideo_resources.tts import TTSResource

    server = _Server(lambda n: (None, b""))
    try:
        tts = TTSResource(backend="http", url=server.url, timeout_s=0.5, attempts=2, backoff_s=0.05, concurrency=2)
        start = time.monotonic()
        with pytest.raises(Exception) as info:
            tts.synthesize_many(["First sentence.", "Second sentence."], tmp_path / "s", language="en-US",
                                voice="default", speed=1.0)
        assert "did not answer within 0.5 s" in str(info.value), info.value
        assert time.monotonic() - start < 10
        assert not list((tmp_path / "s").glob("*.wav"))  # nothing half-written left behind
    finally:
        server.close()


# ---------------------------------------------------------------------------------- sensor
def _delete(url, ids):
    """Remove this test's rows for good, so the shared PostgreSQL database stays small for others."""
    with session_scope(url) as session:
        session.execute(delete(Script).where(Script.id.in_(ids)))


def _restart_database(url):
    """SQLite: every pooled connection is dropped. PostgreSQL: every backend of the database is
    terminated, as a server restart would (the pool must reconnect on its own)."""
    if url.startswith("sqlite"):
        engine_for(url).dispose()
        return
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    finally:
        admin.dispose()
    assert killed >= 0


def _insert(url, n, start=0):
    with session_scope(url) as session:
        rows = [Script(title=f"f{start + i}", content=f"Fault test row {start + i} says hello.", speech_speed=1.0)
                for i in range(n)]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def test_sensor_with_database_restarts_misses_none_and_duplicates_none(db_url):
    with dg.instance_for_test() as instance:
        cursor = cursor_at_end(instance, db_url)
        expected, seen = [], []
        for round_ in range(4):
            expected += _insert(db_url, 7, start=round_ * 7)
            _restart_database(db_url)
            if round_ == 2:
                # The database is down during this tick: the evaluation fails, the cursor stays put.
                down = DatabaseResource(url="postgresql+psycopg2://postgres@127.0.0.1:1/none")
                context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"db": down})
                with pytest.raises(Exception):
                    scripts_sensor(context)
                _restart_database(db_url)
            requests, cursor = tick_sensor(instance, db_url, cursor)
            seen += [int(r.partition_key) for r in requests]
            _restart_database(db_url)
        requests, cursor = tick_sensor(instance, db_url, cursor)
        assert requests == []
        assert seen == expected
        assert len(set(seen)) == len(seen)
        _delete(db_url, expected)


def test_thousand_rows_at_once(db_url, monkeypatch):
    monkeypatch.setattr(sensors, "PAGE_SIZE", 250)
    with dg.instance_for_test() as instance:
        cursor = cursor_at_end(instance, db_url)
        stamp = utcnow()  # all in one statement, all with the same updated_at
        with session_scope(db_url) as session:
            session.execute(insert(Script), [
                {"title": f"bulk {i}", "content": f"Bulk row {i}.", "speech_speed": 1.0, "is_horizontal": True,
                 "priority": 0, "created_at": stamp, "updated_at": stamp} for i in range(1000)])
            ids = [r for (r,) in session.execute(text("SELECT id FROM scripts WHERE title LIKE 'bulk %' "
                                                      "AND deleted_at IS NULL ORDER BY id"))]
        try:
            assert len(ids) == 1000
            requests, ticks = [], 0
            while True:
                batch, cursor = tick_sensor(instance, db_url, cursor)
                ticks += 1
                assert ticks <= 1000 // sensors.PAGE_SIZE + 2, "unbounded number of ticks"
                if not batch:
                    break
                requests += batch
            assert ticks == -(-1000 // sensors.PAGE_SIZE) + 1
            assert sorted(int(r.partition_key) for r in requests) == ids
            assert len({r.run_key for r in requests}) == 1000
            assert set(map(str, ids)) <= set(instance.get_dynamic_partitions("scripts"))
        finally:
            _delete(db_url, ids)

