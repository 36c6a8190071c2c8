"""The pooled PostgreSQL instance storage (batchvideo_assets/pg_storage.py; the production instance loads it,
tests/test_production.py): every storage and every instance of a process shares one pool, and a run's
planned events written in one batch leave exactly the rows the one-by-one path leaves."""

import threading

import dagster as dg
import pytest
from conftest import fresh_pg_databases
from sqlalchemy import create_engine, event, text

from batchvideo_assets.pg_storage import (
    PooledPostgresEventLogStorage,
    PooledPostgresRunStorage,
    PooledPostgresScheduleStorage,
)

pytestmark = pytest.mark.db


def pooled(url: str, **pool) -> dict:
    return {"storage": {"custom": {"module": "batchvideo_assets.pg_storage", "class": "PooledPostgresStorage",
                                   "config": {"postgres_url": url, **pool}}}}


def test_one_pool_per_process_shared_by_every_storage_and_instance():
    with fresh_pg_databases(("dagster", "unused")) as (url, _):
        with dg.instance_for_test(overrides=pooled(url, pool_size=3, max_overflow=2)) as instance:
            storages = (instance.run_storage, instance.event_log_storage, instance.schedule_storage)
            assert [type(s) for s in storages] == [PooledPostgresRunStorage, PooledPostgresEventLogStorage,
                                                  PooledPostgresScheduleStorage]
            engine = instance.run_storage._engine
            assert all(s._engine is engine for s in storages)
            # The code server builds an instance per sensor evaluation from the ref: same pool.
            with dg.DagsterInstance.from_ref(instance.get_ref()) as again:
                assert again.event_log_storage._engine is engine

            connects = []
            event.listen(engine, "connect", lambda *_: connects.append(1))
            barrier = threading.Barrier(5)

            def work():
                barrier.wait()
                for _ in range(20):
                    instance.get_runs_count()
                    instance.add_dynamic_partitions("p", [str(threading.get_ident())])

            threads = [threading.Thread(target=work) for _ in range(5)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(instance.get_dynamic_partitions("p")) == 5
            # 200 statements from 5 threads: at most pool_size + max_overflow connections at once, and only
            # pool_size kept afterwards; NullPool would have opened 200.
            assert len(connects) <= 5 + 20  # overflow connections are reopened after a burst, never 200
            assert engine.pool.checkedin() <= 3 and engine.pool.checkedout() == 0


def _create_render_run(instance, partition: str) -> dg.DagsterRun:
    """A `render_video` run of one script partition, created the way the daemon's create_run does
    (execution plan, job snapshot, planned events for every stage and check)."""
    from batchvideo_assets.definitions import loaded_definitions

    job = loaded_definitions().resolve_job_def("render_video")
    instance.add_dynamic_partitions("scripts", [partition])
    return instance.create_run_for_job(job, tags={"dagster/partition": partition},
                                       status=dg.DagsterRunStatus.NOT_STARTED)


def _rows(url: str, run_id: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            events = sorted(conn.execute(text(
                "SELECT dagster_event_type, asset_key, partition, step_key FROM event_logs WHERE run_id = :r"),
                {"r": run_id}).fetchall())
            checks = sorted(conn.execute(text(
                "SELECT asset_key, check_name, partition, execution_status, evaluation_event_storage_id IS NOT NULL "
                "FROM asset_check_executions WHERE run_id = :r"), {"r": run_id}).fetchall())
            assets = sorted(conn.execute(text(
                "SELECT asset_key, last_run_id = :r, last_materialization_timestamp IS NOT NULL FROM asset_keys"),
                {"r": run_id}).fetchall())
    finally:
        engine.dispose()
    return {"events": events, "checks": checks, "assets": assets}


def test_planned_events_in_one_batch_leave_the_rows_of_the_one_by_one_path(monkeypatch):
    results, inserts = {}, {}
    with fresh_pg_databases(("one_by_one", "batched")) as urls:
        for url, batch in zip(urls, ("0", "100")):
            monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", batch)
            with dg.instance_for_test(overrides=pooled(url)) as instance:
                statements = []
                event.listen(instance.event_log_storage._engine, "before_cursor_execute",
                             lambda conn, cursor, sql, *rest: statements.append(sql))
                run = _create_render_run(instance, "7")
                results[batch] = _rows(url, run.run_id)
                inserts[batch] = sum(s.startswith("INSERT INTO event_logs") for s in statements)
                # What Dagster reads back from those rows: the planned run of each stage and check.
                info = instance.get_latest_planned_materialization_info(dg.AssetKey("cover"), "7")
                assert info is not None and info.run_id == run.run_id
    one, batched = results["0"], results["100"]
    assert len(one["events"]) == 18 and len(one["checks"]) == 8  # 10 stages and 8 checks planned
    assert batched == one
    assert (inserts["0"], inserts["100"]) == (18, 1)


def test_a_second_run_of_the_job_asks_for_no_job_snapshot(monkeypatch):
    """A job snapshot is checked once per process: a second run of the same job does not ask whether it is
    stored (dagster-postgres asks twice per run). Each run's plan differs (its partition), so that one is
    still checked, and stored."""
    with fresh_pg_databases(("dagster", "unused")) as (url, _):
        with dg.instance_for_test(overrides=pooled(url)) as instance:
            statements = []
            event.listen(instance.run_storage._engine, "before_cursor_execute",
                         lambda conn, cursor, sql, *rest: statements.append(sql))
            first = _create_render_run(instance, "1")
            job_checks = [s for s in statements if s.startswith("SELECT snapshots.snapshot_id \nFROM snapshots")]
            statements.clear()
            second = _create_render_run(instance, "2")
            assert len(job_checks) == 2
            assert not [s for s in statements if s.startswith("SELECT snapshots.snapshot_id \nFROM snapshots")]
            assert second.job_snapshot_id == first.job_snapshot_id
            assert instance.get_job_snapshot(second.job_snapshot_id) is not None
            assert instance.get_execution_plan_snapshot(second.execution_plan_snapshot_id) is not None


def test_a_connection_dropped_while_idle_is_replaced_without_an_error(monkeypatch):
    """A pooled connection PostgreSQL dropped (a restart, an idle timeout) is found by the ping before its
    next use once it sat idle; one reused at once is not pinged."""
    import batchvideo_assets.pg_storage as pg_storage

    with fresh_pg_databases(("dagster", "unused")) as (url, _):
        with dg.instance_for_test(overrides=pooled(url, pool_size=1, max_overflow=0)) as instance:
            engine = instance.run_storage._engine
            instance.get_runs_count()
            with engine.connect() as conn:
                pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
            admin.dispose()
            monkeypatch.setattr(pg_storage, "IDLE_PING_S", 0.0)  # it has been idle long enough
            assert instance.get_runs_count() == 0  # the ping failed, a new connection answered
            with engine.connect() as conn:
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid


def test_a_batch_of_other_events_goes_the_stock_way(monkeypatch):
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "100")
    with fresh_pg_databases(("dagster", "unused")) as (url, _):
        with dg.instance_for_test(overrides=pooled(url)) as instance:
            for key in ("a", "b"):
                instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(key)))
            assert {k.to_user_string() for k in instance.get_asset_keys()} == {"a", "b"}


@pytest.mark.soak
def test_a_daemon_killed_mid_submission_creates_no_duplicate_run_when_restarted(tmp_path):
    """The daemon's run-key idempotency on the pooled, batched storage: `kill -9` of the daemon (and its
    code server) while it queues a backlog, then a restart: the interrupted tick is resumed from its
    reserved run ids and every script revision ends with exactly one run, each carrying its partition,
    priority and revision tags."""
    import os
    import signal
    import time

    from sqlalchemy import insert

    from batchvideo_app.catalog import seed_reference_data
    from batchvideo_app.local_daemon import start_daemon, stop_group
    from batchvideo_app.render import daemon_is_running
    from batchvideo_resources.db import Script, engine_for, session_scope, upgrade

    rows = 200
    with fresh_pg_databases() as (dagster_url, scripts_url):
        upgrade(scripts_url)
        with session_scope(scripts_url) as session:
            seed_reference_data(session)
        (tmp_path / "dagster.yaml").write_text(yaml_config(dagster_url))
        env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "BATCHVIDEO_DB_URL": scripts_url,
               "BATCHVIDEO_DATA_DIR": str(tmp_path / "data"), "DAGSTER_EVENT_BATCH_SIZE": "100"}
        overrides = {**pooled(dagster_url), "run_coordinator": {"module": "dagster._core.run_coordinator",
                                                                "class": "QueuedRunCoordinator"}}
        with dg.instance_for_test(overrides=overrides) as instance:
            daemon = start_daemon(env, tmp_path / "daemon.log")
            try:
                deadline = time.monotonic() + 300
                while not daemon_is_running(instance):
                    assert daemon.poll() is None and time.monotonic() < deadline, \
                        (tmp_path / "daemon.log").read_text()[-3000:]
                    time.sleep(1)
                with engine_for(scripts_url).begin() as conn:
                    conn.execute(insert(Script), [{"title": f"t{i}", "content": f"Row {i} says hello.",
                                                   "speech_speed": 1.0, "is_horizontal": True, "priority": i % 3}
                                                  for i in range(rows)])
                deadline = time.monotonic() + 300
                while instance.get_runs_count() < 5:  # the first tick is submitting its runs
                    assert time.monotonic() < deadline, (tmp_path / "daemon.log").read_text()[-3000:]
                    time.sleep(0.2)
                os.killpg(daemon.pid, signal.SIGKILL)  # kill -9 of the daemon and its code server
                daemon.wait()
                interrupted = instance.get_runs_count()
                daemon = start_daemon(env, tmp_path / "daemon.log")
                deadline = time.monotonic() + 600
                while instance.get_runs_count() < rows:
                    assert daemon.poll() is None and time.monotonic() < deadline, \
                        (tmp_path / "daemon.log").read_text()[-3000:]
                    time.sleep(1)
                time.sleep(20)  # another scripts-sensor interval: nothing more may be created
            finally:
                stop_group(daemon, grace_s=30)
            runs = instance.get_runs()
    assert interrupted < rows  # the kill did land mid-backlog
    assert len(runs) == rows
    assert sorted(int(r.tags["dagster/partition"]) for r in runs) == list(range(1, rows + 1))
    assert len({r.tags["dagster/run_key"] for r in runs}) == rows
    assert all(r.status == dg.DagsterRunStatus.QUEUED for r in runs)
    assert all(r.tags["dagster/priority"] == str((int(r.tags["dagster/partition"]) - 1) % 3) for r in runs)
    assert all(r.tags["batchvideo/revision"] == "1" for r in runs)


def yaml_config(dagster_url: str) -> str:
    return ("storage:\n  custom:\n    module: batchvideo_assets.pg_storage\n    class: PooledPostgresStorage\n"
            f"    config:\n      postgres_url: {dagster_url}\n"
            "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: QueuedRunCoordinator\n"
            "concurrency:\n  runs:\n    max_concurrent_runs: 0\n"
            "sensors:\n  use_threads: true\n  num_workers: 4\n  num_submit_workers: 4\ntelemetry:\n  enabled: false\n")
