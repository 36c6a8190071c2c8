"""The batch front door at scale, on PostgreSQL: a backlog of N new scripts through the scripts sensor.

For each size (--rows 1000 10000 ...), on fresh databases (scripts table and Dagster instance, both
PostgreSQL at --pg): rows inserted (bulk SQL, one statement per 1,000 rows: `batchvideo scripts import`
lives in the CLI, which another change is making fast, so it is not timed here), then the real
`scripts_sensor` evaluated tick after tick the way the daemon does (a fresh context per tick seeded
with the stored cursor; its partition requests applied as the daemon applies them: one
`has_dynamic_partition` per key, then one bulk add) until the backlog is drained; then an idle tick
and a one-edit tick, and the cursor's size. Run creation and submission are NOT included there: that
path measures what the sensor decides and the partition writes.

Then the real-daemon path (--daemon-rows): `dagster-daemon run` creates and queues every run of a
backlog (kept queued), with the instance storage production uses (--storage batched) or another
(`pooled`, `postgres` = dagster-postgres as shipped) for comparison: runs/s, how far the QUEUED
write-back got, the write-back latency of finished runs, and a queue-daemon pass.

    python bench/scale.py --rows 1000 10000
    python bench/scale.py --rows --daemon-rows 10000
    python bench/scale.py --rows --daemon-rows 1000 --storage batched postgres
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DAGSTER_HOME", tempfile.mkdtemp(prefix="bench-scale-home-"))


# Databases are named `<DB_PREFIX>_<what>_<random>` (--db-prefix), so benches run side by side on one
# server without touching each other's databases.
DB_PREFIX = "bench_scale"


def _database(admin_url: str, prefix: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"{DB_PREFIX}_{prefix}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _drop(admin_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def _tick(instance, defs, url, cursor, timings):
    import dagster as dg

    from batchvideo_assets.defs.automation.sensors import scripts_sensor
    from batchvideo_resources.database import DatabaseResource

    start = time.perf_counter()
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"db": DatabaseResource(url=url)},
                                      definitions=defs)
    result = scripts_sensor(context)
    evaluated = time.perf_counter()
    if isinstance(result, dg.SkipReason):
        timings.append((evaluated - start, 0.0))
        return [], cursor
    for event in result.asset_events or []:
        instance.report_runless_asset_event(event)
    for request in result.dynamic_partitions_requests or []:  # as the daemon does (sensor.py)
        keys = [k for k in request.partition_keys if not instance.has_dynamic_partition(request.partitions_def_name, k)]
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            if keys:
                instance.add_dynamic_partitions(request.partitions_def_name, keys)
    timings.append((evaluated - start, time.perf_counter() - evaluated))
    return result.run_requests, result.cursor or cursor


def run(rows: int, admin_url: str) -> dict:
    import dagster as dg
    from sqlalchemy import insert, text

    from batchvideo_app.catalog import seed_reference_data
    from batchvideo_assets.definitions import build_definitions
    from batchvideo_resources.db import Script, engine_for, session_scope, upgrade

    scripts_url = _database(admin_url, "scripts")
    dagster_url = _database(admin_url, "dagster")
    try:
        upgrade(scripts_url)
        with session_scope(scripts_url) as session:
            seed_reference_data(session)
        start = time.perf_counter()
        with engine_for(scripts_url).begin() as conn:
            for lo in range(0, rows, 1000):
                conn.execute(insert(Script), [
                    {"title": f"bench {i}", "content": f"Bench row {i} says hello.", "speech_speed": 1.0,
                     "is_horizontal": True, "priority": 0} for i in range(lo, min(rows, lo + 1000))])
        insert_s = time.perf_counter() - start
        defs = build_definitions()
        with dg.instance_for_test(overrides={"storage": {"postgres": {"postgres_url": dagster_url}}}) as instance:
            timings, requested, cursor = [], 0, None
            start = time.perf_counter()
            while True:
                requests, cursor = _tick(instance, defs, scripts_url, cursor, timings)
                if not requests:
                    break
                requested += len(requests)
            drain_s = time.perf_counter() - start
            partitions = len(instance.get_dynamic_partitions("scripts"))
            idle = []
            for _ in range(5):
                _tick(instance, defs, scripts_url, cursor, idle)
            with engine_for(scripts_url).begin() as conn:
                conn.execute(text("UPDATE scripts SET content = 'One edit.' WHERE id = (SELECT max(id) FROM scripts)"))
            edit = []
            edited, cursor = _tick(instance, defs, scripts_url, cursor, edit)
        return {"rows": rows, "insert_rows_per_s": rows / insert_s, "requested": requested, "partitions": partitions,
                "drain_s": drain_s, "ticks": len(timings), "eval_s": sum(t for t, _ in timings),
                "partition_writes_s": sum(p for _, p in timings), "idle_tick_s": statistics.median(t for t, _ in idle),
                "edit_tick_s": edit[0][0] + edit[0][1], "edit_requests": len(edited), "cursor_bytes": len(cursor)}
    finally:
        from batchvideo_resources.db import engine_for as _engine

        _engine(scripts_url).dispose()
        _drop(admin_url, scripts_url)
        _drop(admin_url, dagster_url)


# The instance's storage on the real-daemon path (--storage): dagster-postgres as it ships (a new
# connection per statement); the pooled storage (batchvideo_assets/pg_storage.py); or the pooled storage
# with the daemon batching each run's planned events (DAGSTER_EVENT_BATCH_SIZE), as production runs it.
POOLED = ("storage:\n  custom:\n    module: batchvideo_assets.pg_storage\n    class: PooledPostgresStorage\n"
          "    config:\n      postgres_url: {url}\n")
STORAGES = {"postgres": "storage:\n  postgres:\n    postgres_url: {url}\n", "pooled": POOLED, "batched": POOLED}
BATCH_ENV = {"batched": {"DAGSTER_EVENT_BATCH_SIZE": "100"}}


def status_env(limit: int) -> dict:
    """How many runs each run-status sensor tick writes back (Dagster's default is 5 per tick: 0.5 runs/s
    at a 10-s interval); production sets 100 (docker-compose.yml, deploy/k8s/batchvideo-env.yaml)."""
    return {"DAGSTER_RUN_STATUS_SENSOR_PROCESS_LIMIT": str(limit), "DAGSTER_RUN_STATUS_SENSOR_FETCH_LIMIT": str(limit)}
DAEMON_YAML = """
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
concurrency:
  runs:
    max_concurrent_runs: 0   # runs stay queued: only the front door is measured
sensors:
  use_threads: true
  num_workers: 4
  num_submit_workers: {submit_workers}
telemetry:
  enabled: false
"""


def daemon_yaml(url: str, storage: str = "postgres", submit_workers: int = 4) -> str:
    return STORAGES[storage].format(url=url) + DAEMON_YAML.format(submit_workers=submit_workers)


PROD_RUNS = {"max_concurrent_runs": 8, "tag_concurrency_limits": [
    {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1},
    {"key": "dagster/priority", "value": {"applyLimitPerUniqueValue": True}, "limit": 6}]}


def queue_pass_s(dagster_url: str) -> tuple[float, int]:
    """One pass of the queue daemon's dequeue decision (page through every queued run, priority sort,
    tag limits) under the production limits, without launching anything."""
    import logging

    import dagster as dg

    from batchvideo_assets.dagster_compat import bench_internals

    overrides = {"storage": {"postgres": {"postgres_url": dagster_url}},
                 "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator"},
                 "concurrency": {"runs": PROD_RUNS}}
    with dg.instance_for_test(overrides=overrides) as instance:
        daemon = bench_internals().QueuedRunCoordinatorDaemon(interval_seconds=5)
        daemon._logger = logging.getLogger("bench.queue")  # noqa: SLF001 - set by the daemon controller
        start = time.perf_counter()
        batch = daemon._get_runs_to_dequeue(instance, instance.get_concurrency_config(), None)  # noqa: SLF001
        return time.perf_counter() - start, len(batch)


def top_up_queue(instance, target: int) -> int:
    """Copies of a queued run the daemon created (same origin and snapshot, new id, partition and
    priority) until `target` runs are queued: the queue daemon's pass is then timed on a queue that
    size without the daemon creating every run (2 runs/s here)."""
    import random

    import dagster as dg

    from batchvideo_assets.dagster_compat import bench_internals

    queued = instance.get_runs_count(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED]))
    if queued >= target or not queued:
        return queued
    (model,) = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED]), limit=1)
    rng = random.Random(0)
    for i in range(target - queued):
        tags = {**model.tags, "dagster/partition": f"copy-{i}", "dagster/priority": str(rng.randint(-2, 2))}
        tags.pop("dagster/run_key", None)
        instance.add_run(model.with_tags(tags)._replace(run_id=bench_internals().make_new_run_id()))
    return instance.get_runs_count(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED]))


def through_daemon(rows: int, admin_url: str, queue_runs: int, timeout_s: float = 1800, storage: str = "postgres",
                   submit_workers: int = 4, status_limit: int = 100, code_server: str = "own") -> dict:
    """`dagster-daemon run` on a fresh PostgreSQL instance whose queue launches nothing: rows inserted,
    the daemon's sensor ticks queue every run; meanwhile a queued run is canceled every 5 s (a finished
    run) and the time until `script_runs` shows it CANCELED is the write-back latency. `code_server`:
    `own` runs the code location as its own server, as docker-compose and Kubernetes do; `daemon` lets
    the daemon spawn it (the local workspace.yaml)."""
    import dagster as dg
    from sqlalchemy import func, insert, select

    from batchvideo_app.catalog import seed_reference_data
    from batchvideo_app.local_daemon import start_code_server, start_daemon, stop_group
    from batchvideo_resources.db import Script, ScriptRun, engine_for, session_scope, upgrade

    scripts_url = _database(admin_url, "scripts")
    dagster_url = _database(admin_url, "dagster")
    home = Path(tempfile.mkdtemp(prefix="bench-scale-daemon-"))
    (home / "dagster.yaml").write_text(daemon_yaml(dagster_url, storage, submit_workers))
    env = {**os.environ, "DAGSTER_HOME": str(home), "BATCHVIDEO_DB_URL": scripts_url,
           "BATCHVIDEO_DATA_DIR": str(home / "data"), **BATCH_ENV.get(storage, {}), **status_env(status_limit),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    log = home / "daemon.log"
    daemon = server = workspace = None
    try:
        upgrade(scripts_url)
        with session_scope(scripts_url) as session:
            seed_reference_data(session)
        if code_server == "own":
            server, workspace = start_code_server(env, home / "code_server.log", home)
        with dg.instance_for_test(overrides={"storage": {"postgres": {"postgres_url": dagster_url}},
                                             "run_coordinator": {"module": "dagster._core.run_coordinator",
                                                                 "class": "QueuedRunCoordinator"}}) as instance:
            daemon = start_daemon(env, log, workspace)
            from batchvideo_app.render import daemon_is_running

            deadline = time.monotonic() + 300
            while not daemon_is_running(instance):
                if daemon.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"dagster-daemon did not come up:\n{log.read_text()[-2000:]}")
                time.sleep(1)
            start = time.monotonic()
            with engine_for(scripts_url).begin() as conn:
                for lo in range(0, rows, 1000):
                    conn.execute(insert(Script), [
                        {"title": f"bench {i}", "content": f"Bench row {i} says hello.", "speech_speed": 1.0,
                         "is_horizontal": True, "priority": 0} for i in range(lo, min(rows, lo + 1000))])
            probes: dict[str, float] = {}
            latencies: list[float] = []
            next_probe = time.monotonic() + 5
            queued_s = first_s = None
            written = 0
            while True:
                now = time.monotonic()
                queued = instance.get_runs_count(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED]))
                canceled = instance.get_runs_count(dg.RunsFilter(statuses=[dg.DagsterRunStatus.CANCELED]))
                if first_s is None and queued + canceled:
                    first_s = now - start
                if queued_s is None and queued + canceled >= rows:
                    queued_s = now - start
                    with session_scope(scripts_url) as session:  # how far the QUEUED write-back got
                        written = session.execute(select(func.count(func.distinct(ScriptRun.run_id)))).scalar()
                if now >= next_probe and queued_s is None and queued:
                    (run,) = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED]), limit=1)
                    instance.report_run_canceling(run, message="bench probe")
                    instance.report_run_canceled(run)
                    probes[run.run_id] = time.monotonic()
                    next_probe = now + 5
                if probes:
                    with session_scope(scripts_url) as session:
                        done = session.execute(select(ScriptRun.run_id).where(
                            ScriptRun.run_id.in_(list(probes)), ScriptRun.status == "CANCELED")).scalars().all()
                    for run_id in done:
                        latencies.append(time.monotonic() - probes.pop(run_id))
                if queued_s is not None and not probes:
                    break
                if daemon.poll() is not None or now - start > timeout_s:
                    raise SystemExit(f"backlog not queued in time ({queued} queued):\n{log.read_text()[-3000:]}")
                time.sleep(1)
            partitions = len(instance.get_dynamic_partitions("scripts"))
            stop_group(daemon, grace_s=30)
            daemon = None
            queued_runs = top_up_queue(instance, queue_runs)
        queue_s, launchable = queue_pass_s(dagster_url)
        latencies.sort()
        p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else float("nan")
        return {"rows": rows, "queued_s": queued_s, "first_s": first_s, "written": written,
                "runs_per_s": (rows - 1) / max(queued_s - first_s, 1e-9), "partitions": partitions,
                "probes": len(latencies), "storage": storage, "submit_workers": submit_workers, "status_limit": status_limit,
                "code_server": code_server,
                "writeback_p95_s": p95, "writeback_max_s": max(latencies, default=float("nan")),
                "queue_pass_s": queue_s, "launchable": launchable, "queued_runs": queued_runs}
    finally:
        for proc in (daemon, server):
            if proc is not None:
                stop_group(proc, grace_s=30)
        engine_for(scripts_url).dispose()
        _drop(admin_url, scripts_url)
        _drop(admin_url, dagster_url)


def through_backfill(rows: int, admin_url: str, timeout_s: float = 900) -> dict:
    """The alternative to one run request per script: what the daemon does with
    `RunRequest.for_asset_graph_subset` (a backfill of every stage over the new partitions, submitted
    by the backfill daemon in chunks). Partitions are added directly and the scripts table is empty,
    so only the backfill creates runs; time until one run per partition is queued."""
    import dagster as dg

    from batchvideo_app.local_daemon import start_daemon, stop_group
    from batchvideo_app.render import daemon_is_running
    from batchvideo_assets.dagster_compat import bench_internals
    from batchvideo_assets.definitions import build_definitions
    from batchvideo_resources.db import engine_for, upgrade

    scripts_url = _database(admin_url, "scripts")
    dagster_url = _database(admin_url, "dagster")
    home = Path(tempfile.mkdtemp(prefix="bench-scale-backfill-"))
    (home / "dagster.yaml").write_text(daemon_yaml(dagster_url) +
                                       "backfills:\n  use_threads: true\n  num_workers: 4\n  num_submit_workers: 4\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "BATCHVIDEO_DB_URL": scripts_url,
           "BATCHVIDEO_DATA_DIR": str(home / "data"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    log = home / "daemon.log"
    daemon = None
    try:
        upgrade(scripts_url)
        graph = build_definitions().resolve_asset_graph()
        with dg.instance_for_test(overrides={"storage": {"postgres": {"postgres_url": dagster_url}},
                                             "run_coordinator": {"module": "dagster._core.run_coordinator",
                                                                 "class": "QueuedRunCoordinator"}}) as instance:
            daemon = start_daemon(env, log)
            deadline = time.monotonic() + 300
            while not daemon_is_running(instance):
                if daemon.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"dagster-daemon did not come up:\n{log.read_text()[-2000:]}")
                time.sleep(1)
            keys = [str(i) for i in range(1, rows + 1)]
            start = time.monotonic()
            instance.add_dynamic_partitions("scripts", keys)
            stages = [k for k in graph.materializable_asset_keys]
            private = bench_internals()
            subset = private.AssetGraphSubset.from_asset_partition_set(
                {private.AssetKeyPartitionKey(k, p) for k in stages for p in keys}, graph)
            instance.add_backfill(private.PartitionBackfill.from_asset_graph_subset(
                backfill_id=private.make_new_backfill_id(), backfill_timestamp=time.time(), tags={},
                dynamic_partitions_store=instance, asset_graph_subset=subset, title=None, description=None,
                run_config=None))
            while True:
                queued = instance.get_runs_count(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED]))
                if queued >= rows:
                    break
                if daemon.poll() is not None or time.monotonic() - start > timeout_s:
                    break
                time.sleep(1)
            elapsed = time.monotonic() - start
            (run,) = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED]), limit=1) or [None]
            stages_per_run = len(run.asset_selection or []) if run is not None else 0
        return {"rows": rows, "queued": queued, "elapsed_s": elapsed, "stages_per_run": stages_per_run}
    finally:
        if daemon is not None:
            stop_group(daemon, grace_s=30)
        engine_for(scripts_url).dispose()
        _drop(admin_url, scripts_url)
        _drop(admin_url, dagster_url)


def cli_start() -> tuple[float, float]:
    import subprocess

    def timed(args):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], check=False, capture_output=True, cwd=ROOT)
            best = min(best, time.perf_counter() - start)
        return best

    return timed(["-c", "pass"]), timed(["-m", "batchvideo_app.cli", "--help"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="*", default=[1000, 10000],
                        help="backlog sizes for the sensor-evaluation path")
    parser.add_argument("--daemon-rows", type=int, nargs="*", default=[1000],
                        help="backlog sizes for the real-daemon path (runs submitted and kept queued)")
    parser.add_argument("--queue-runs", type=int, default=10000,
                        help="queued runs the queue daemon's pass is timed on (copies top up the daemon's)")
    parser.add_argument("--backfill-rows", type=int, nargs="*", default=[],
                        help="also time run creation through a backfill (for_asset_graph_subset) of this many")
    parser.add_argument("--pg", default=os.environ.get("BATCHVIDEO_TEST_PG",
                                                       "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--storage", nargs="+", default=["batched"], choices=sorted(STORAGES),
                        help="instance storage(s) for the real-daemon path: `batched` (production's: pooled, planned "
                             "events batched), `pooled` (pooled only), `postgres` (dagster-postgres as shipped)")
    parser.add_argument("--submit-workers", type=int, nargs="+", default=[4],
                        help="the sensor daemon's submit threads (num_submit_workers) on the real-daemon path")
    parser.add_argument("--status-limit", type=int, nargs="+", default=[100],
                        help="runs each run-status sensor tick writes back (DAGSTER_RUN_STATUS_SENSOR_PROCESS_LIMIT; "
                             "production 100, Dagster's default 5)")
    parser.add_argument("--code-server", nargs="+", default=["own"], choices=["own", "daemon"],
                        help="the code location on the real-daemon path: `own` server, as docker-compose and "
                             "Kubernetes run it, or `daemon` (spawned by the daemon, as the local workspace.yaml)")
    parser.add_argument("--db-prefix", default=DB_PREFIX, help="prefix of the databases this bench creates and drops")
    args = parser.parse_args()
    globals()["DB_PREFIX"] = args.db_prefix
    print("Sensor evaluated tick after tick (the daemon's way; run submission not included):")
    print(f"{'rows':>7} {'insert r/s':>10} {'drain s':>8} {'ticks':>5} {'sensor s':>8} {'partitions s':>12} "
          f"{'idle tick s':>11} {'edit tick s':>11} {'cursor B':>8}")
    for rows in args.rows:
        r = run(rows, args.pg)
        assert r["requested"] == rows and r["partitions"] == rows and r["edit_requests"] == 1, r
        print(f"{r['rows']:>7} {r['insert_rows_per_s']:>10.0f} {r['drain_s']:>8.1f} {r['ticks']:>5} {r['eval_s']:>8.1f} "
              f"{r['partition_writes_s']:>12.1f} {r['idle_tick_s']:>11.3f} {r['edit_tick_s']:>11.3f} "
              f"{r['cursor_bytes']:>8}", flush=True)
    if args.daemon_rows:
        print("Real dagster-daemon (sensor thread pool), runs kept queued; runs/s from the first run queued to "
              "the last; script_runs: runs with a row when the last was queued:")
        print(f"{'rows':>7} {'storage':>8} {'code':>6} {'submit':>6} {'status':>6} {'first s':>7} {'all queued s':>12} "
              f"{'runs/s':>7} {'script_runs':>11} {'write-back p95 s':>16} {'max s':>6} {'probes':>6} "
              f"{'queue pass s (runs)':>20}")
    variants = [(st, code, w, n) for st in args.storage for code in args.code_server for w in args.submit_workers
                for n in args.status_limit]
    for rows in args.daemon_rows:
        for storage, code, workers, limit in variants:
            r = through_daemon(rows, args.pg, args.queue_runs, storage=storage, submit_workers=workers,
                               status_limit=limit, code_server=code)
            print(f"{r['rows']:>7} {storage:>8} {code:>6} {workers:>6} {limit:>6} {r['first_s']:>7.1f} "
                  f"{r['queued_s']:>12.1f} {r['runs_per_s']:>7.1f} {r['written']:>11} {r['writeback_p95_s']:>16.1f} "
                  f"{r['writeback_max_s']:>6.1f} {r['probes']:>6} {r['queue_pass_s']:>12.2f} ({r['queued_runs']})",
                  flush=True)
    for rows in args.backfill_rows:
        r = through_backfill(rows, args.pg)
        print(f"Backfill (for_asset_graph_subset) of {rows} partitions: {r['queued']} runs queued in "
              f"{r['elapsed_s']:.1f} s ({r['queued'] / r['elapsed_s']:.1f} runs/s), "
              f"{r['stages_per_run']} stages per run", flush=True)
    bare, cli = cli_start()
    print(f"CLI start (`batchvideo --help`): {cli:.2f} s; `python -c pass`: {bare:.2f} s")


if __name__ == "__main__":
    main()
