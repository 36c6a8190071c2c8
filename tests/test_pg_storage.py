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


def test_a_batch_of_other_events_goes_the_stock_way(monkeypatch):
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "100")
    with fresh_pg_databases(("dagster", "unused")) as (url, _):
        with dg.instance_for_test(overrides=pooled(url)) as instance:
            for key in ("a", "b"):
                instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(key)))
            assert {k.to_user_string() for k in instance.get_asset_keys()} == {"a", "b"}
