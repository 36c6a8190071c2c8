"""The batch front door at scale, on PostgreSQL: a backlog of N new scripts through the scripts sensor.

For each size (--rows 1000 10000 ...), on fresh databases (scripts table and Dagster instance, both
PostgreSQL at --pg): rows inserted (bulk SQL, one statement per 1,000 rows: `batchvideo scripts import`
lives in the CLI, which another change is making fast, so it is not timed here), then the real
`scripts_sensor` evaluated tick after tick the way the daemon does (a fresh context per tick seeded
with the stored cursor; its partition requests applied as the daemon applies them: one
`has_dynamic_partition` per key, then one bulk add) until the backlog is drained; then an idle tick
and a one-edit tick, and the cursor's size. Run creation and submission (the daemon's per-run
execution plan + create_run + enqueue) are NOT included: this measures what the sensor decides and
the partition writes, not the run queue.

    python bench/scale.py --rows 1000 10000
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


def _database(admin_url: str, prefix: str) -> str:
    from sqlalchemy import create_engine, text

    name = f"{prefix}_{uuid.uuid4().hex[:6]}"
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

    scripts_url = _database(admin_url, "bench_scale_scripts")
    dagster_url = _database(admin_url, "bench_scale_dagster")
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
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--pg", default=os.environ.get("BATCHVIDEO_TEST_PG",
                                                       "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    print(f"{'rows':>7} {'insert r/s':>10} {'drain s':>8} {'ticks':>5} {'sensor s':>8} {'partitions s':>12} "
          f"{'idle tick s':>11} {'edit tick s':>11} {'cursor B':>8}")
    for rows in args.rows:
        r = run(rows, args.pg)
        assert r["requested"] == rows and r["partitions"] == rows and r["edit_requests"] == 1, r
        print(f"{r['rows']:>7} {r['insert_rows_per_s']:>10.0f} {r['drain_s']:>8.1f} {r['ticks']:>5} {r['eval_s']:>8.1f} "
              f"{r['partition_writes_s']:>12.1f} {r['idle_tick_s']:>11.3f} {r['edit_tick_s']:>11.3f} "
              f"{r['cursor_bytes']:>8}", flush=True)
    bare, cli = cli_start()
    print(f"CLI start (`batchvideo --help`): {cli:.2f} s; `python -c pass`: {bare:.2f} s")


if __name__ == "__main__":
    main()
