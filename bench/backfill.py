"""Benchmark of orchestration: N scripts rendered through a real daemon on a fresh instance, then the
same N in-process, in one run of this script.

The daemon path is the local default stack: a fresh DAGSTER_HOME with the project's local instance
settings (queued runs, two at a time), `dagster-daemon run` as a subprocess, the scripts sensor picking
up the new rows and the configured executor (BATCHVIDEO_EXECUTOR, default multiprocess) running each
run. The in-process path renders the same scripts again with `batchvideo render --in-process`'s code.

For each path it prints:
- videos per hour (scripts ÷ time from the first run's start to the last run's end);
- per video: run wall time, the sum of its step durations (the work), their ratio and the overhead
  (wall − work) as a share of the work;
- check time: the seconds the stage checks spent, as a share of the seconds of the stages they check;
- peak RSS of the whole process tree (daemon, code server, run workers, step processes, ffmpeg);
- on the daemon path, where each run's time outside its steps goes, from its event log: run creation →
  enqueued (the run's planned events written) → dequeued (the queue daemon's pass; a run that waits
  for a free slot waits here too) → run worker started (launch) → first step started (executor start),
  and between steps; creation → first step; and the fixed cost per run: its wall time from launch to
  end less the sum of its step durations.
`--short` renders ~10-second videos instead (the fixed cost per run matters most there); `--daemon-only`
skips the in-process pass. The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCRIPTS = [
    dict(title="海水为什么是咸的", language="zh-CN", topic="science", account="demo", extra={"broll_ratio": 0.3},
         content="海水为什么是咸的？雨水冲刷陆地上的岩石，把矿物质带进河流。河流最后流进大海，水分蒸发了，盐却留了下来。"
                 "几百万年过去，海里的盐越积越多。今天，每一升海水里大约有三十五克盐。海里的盐如果全部铺在陆地上，"
                 "可以堆成一百五十米高的一层。科学家说，海水的咸度在很长时间里都比较稳定。"),
    dict(title="Why leaves turn red", language="en-US", topic="science", account="demo", extra={"broll_ratio": 0.3},
         content="Every autumn the hills change colour. Leaves make green chlorophyll all summer long. When the days "
                 "get shorter, trees stop making it. The green fades and the yellow that was always there shows "
                 "through. Some trees also make new red pigments in the last weeks. Cold nights and sunny days make "
                 "the reds brighter. Then the leaves fall, and the tree rests until spring."),
    dict(title="月亮为什么会变化", language="zh-CN", topic="history", account="plain",
         content="月亮自己不会发光，我们看到的是它反射的太阳光。月亮绕着地球转，一圈大约二十九天半。"
                 "太阳、地球和月亮的位置一直在变，我们看到的亮面也跟着变。新月的时候，亮面背对着我们。"
                 "满月的时候，整个亮面都朝向地球。古人根据月亮的变化制定了历法。"),
]
# ~10 s of narration each: the videos whose runs the fixed cost per run weighs on most.
SHORT_SCRIPTS = [
    dict(title="为什么天空是蓝的", language="zh-CN", topic="science", account="plain",
         content="阳光里有各种颜色的光。蓝光的波长短，被空气散射得最多，所以我们抬头看到的天空是蓝色的。"),
    dict(title="Why bread rises", language="en-US", topic="science", account="plain",
         content="Yeast in the dough eats sugar and breathes out gas. The gas makes tiny bubbles, and the "
                 "bread rises in the oven."),
]
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


class TreeRss:
    """Samples the summed RSS of a process and all its descendants; keeps the peak."""

    def __init__(self, pid: int, every_s: float = 0.2):
        self.root = psutil.Process(pid)
        self.peak = 0
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every_s)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_figures(instance, run_id: str) -> dict:
    """Wall, step work and check time of one run, from the instance's event log."""
    import dagster as dg

    stats = instance.get_run_stats(run_id)
    steps = instance.get_run_step_stats(run_id)
    step_s = {s.step_key: (s.end_time or 0) - (s.start_time or 0) for s in steps if s.start_time}
    check_s = 0.0
    checked_stage_s = 0.0
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        stage = evaluation.asset_key.path[-1]
        own_step = f"{stage}_{evaluation.check_name}"
        if own_step in step_s:  # a check in a step of its own
            check_s += step_s[own_step]
            checked_stage_s += step_s.get(stage, 0.0)
        else:  # a check inside its asset's step, timed there
            seconds = evaluation.metadata.get("check_s")
            check_s += seconds.value if seconds is not None else 0.0
            checked_stage_s += step_s.get(stage, 0.0) - (seconds.value if seconds is not None else 0.0)
    wall = (stats.end_time or 0) - (stats.start_time or 0)
    work = sum(step_s.values())
    return {"run_id": run_id, "status": instance.get_run_by_id(run_id).status.value, "steps": len(step_s),
            "wall_s": round(wall, 2), "step_work_s": round(work, 2), "wall_over_work": round(wall / work, 3),
            "overhead_pct": round(100 * (wall - work) / work, 1), "check_s": round(check_s, 2),
            "checked_stage_s": round(checked_stage_s, 2),
            "start": stats.start_time, "end": stats.end_time}


def run_phases(instance, run_id: str) -> dict:
    """Where a run's time outside its steps goes, in seconds, from its record and event log."""
    import dagster as dg

    record = instance.get_run_records(dg.RunsFilter(run_ids=[run_id]))[0]
    created = record.create_timestamp.timestamp()
    first: dict[str, float] = {}
    step_spans: list[tuple[float, float]] = []
    started: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        kind = event.event_type_value
        first.setdefault(kind, entry.timestamp)
        if kind == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            step_spans.append((started.pop(event.step_key), entry.timestamp))
    end = max(first.get(k, 0.0) for k in ("PIPELINE_SUCCESS", "PIPELINE_FAILURE", "PIPELINE_CANCELED"))
    enqueued, launched = first.get("PIPELINE_ENQUEUED", created), first["PIPELINE_STARTING"]
    worker, first_step = first["PIPELINE_START"], first["STEP_START"]
    # Time between steps: moments after the first step starts when no step is running.
    idle, busy_until = 0.0, first_step
    for start, stop in sorted(step_spans):
        idle += max(0.0, start - busy_until)
        busy_until = max(busy_until, stop)
    work = sum(stop - start for start, stop in step_spans)
    return {"enqueue_s": round(enqueued - created, 2), "dequeue_s": round(launched - enqueued, 2),
            "launch_s": round(worker - launched, 2), "executor_start_s": round(first_step - worker, 2),
            "between_steps_s": round(idle, 2), "after_last_step_s": round(end - busy_until, 2),
            "creation_to_first_step_s": round(first_step - created, 2),
            "fixed_s": round((end - launched) - work, 2)}


PHASES = ("enqueue_s", "dequeue_s", "launch_s", "executor_start_s", "between_steps_s", "after_last_step_s",
          "creation_to_first_step_s", "fixed_s")


def summarise_phases(phases: list[dict]) -> dict:
    """Per phase, the median and the worst of the runs."""
    import statistics

    summary = {k: {"median": round(statistics.median(p[k] for p in phases), 2),
                   "max": round(max(p[k] for p in phases), 2)} for k in PHASES}
    print("  where the time outside the steps goes (median / max over the runs, s):")
    print("    " + "  ".join(f"{k[:-2]} {v['median']:.2f}/{v['max']:.2f}" for k, v in summary.items()))
    return summary


def summarise(label: str, runs: list[dict], peak_rss: int) -> dict:
    span = max(r["end"] for r in runs) - min(r["start"] for r in runs)
    work = sum(r["step_work_s"] for r in runs)
    wall = sum(r["wall_s"] for r in runs)
    check = sum(r["check_s"] for r in runs)
    checked = sum(r["checked_stage_s"] for r in runs)
    summary = {"path": label, "videos": len(runs), "span_s": round(span, 1),
               "videos_per_hour": round(3600 * len(runs) / span, 1),
               "wall_s": [r["wall_s"] for r in runs], "step_work_s": [r["step_work_s"] for r in runs],
               "steps_per_video": runs[0]["steps"], "wall_over_work": round(wall / work, 3),
               "overhead_pct": round(100 * (wall - work) / work, 1),
               "check_pct_of_stage": round(100 * check / checked, 1) if checked else None,
               "peak_rss_mb": round(peak_rss / 2**20), "statuses": sorted({r["status"] for r in runs})}
    print(f"\n== {label}: {len(runs)} videos in {span:.1f} s → {summary['videos_per_hour']} videos/hour, "
          f"{summary['steps_per_video']} steps per video, peak RSS of the process tree {summary['peak_rss_mb']} MB")
    for r in runs:
        print(f"  run {r['run_id'][:8]} {r['status']:<8} wall {r['wall_s']:6.1f} s  step work {r['step_work_s']:6.1f} s"
              f"  wall/work {r['wall_over_work']:.2f}  overhead {r['overhead_pct']:5.1f} %"
              f"  checks {r['check_s']:.2f} s of {r['checked_stage_s']:.1f} s checked")
    print(f"  all runs: wall/work {summary['wall_over_work']:.2f} (overhead {summary['overhead_pct']} % of the work), "
          f"check time {summary['check_pct_of_stage']} % of the stages they check")
    return summary


def prepare(root: Path, dequeue_interval: int | None = None) -> None:
    os.environ.update({"BATCHVIDEO_DATA_DIR": str(root / "data"), "DAGSTER_HOME": str(root / "dagster_home")})
    home = root / "dagster_home"
    home.mkdir(parents=True)
    config = (ROOT / "dagster_home" / "dagster.yaml").read_text()  # the local default instance
    if dequeue_interval is not None:
        config, found = re.subn(r"dequeue_interval_seconds: \d+", f"dequeue_interval_seconds: {dequeue_interval}",
                                config)
        assert found == 1, "dagster_home/dagster.yaml sets no dequeue_interval_seconds"
    (home / "dagster.yaml").write_text(config)
    from batchvideo_app.catalog import default_asset_root, ensure_sample_assets, seed_reference_data
    from batchvideo_resources import settings
    from batchvideo_resources.db import session_scope, upgrade
    from batchvideo_resources.stock import create_sample_library

    upgrade(settings.db_url())
    with session_scope(settings.db_url()) as session:
        seed_reference_data(session)
    ensure_sample_assets(default_asset_root())
    create_sample_library(settings.stock_dir())


def through_daemon(instance, scripts: list[dict], count: int, log: Path,
                   timeout_s: float) -> tuple[list[str], list[dict], int]:
    """Start the daemon, add `count` scripts, let the sensor launch their runs, wait for them all."""
    import dagster as dg

    from batchvideo_app.catalog import add_script
    from batchvideo_app.local_daemon import start_daemon, stop_group
    from batchvideo_app.render import daemon_is_running
    from batchvideo_resources import settings
    from batchvideo_resources.db import session_scope

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    log.write_text("")
    daemon = start_daemon(env, log)
    try:
        with TreeRss(daemon.pid) as rss:
            deadline = time.monotonic() + 180
            while not daemon_is_running(instance):
                if daemon.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"dagster-daemon did not come up:\n{log.read_text()[-2000:]}")
                time.sleep(1)
            with session_scope(settings.db_url()) as session:
                ids = [str(add_script(session, dict(scripts[i % len(scripts)])).id) for i in range(count)]
            print(f"daemon up; added scripts {ids}; waiting for the sensor's runs", flush=True)
            deadline = time.monotonic() + timeout_s
            while True:
                runs = {sid: list(instance.get_runs(dg.RunsFilter(tags={"dagster/partition": sid})))
                        for sid in ids}
                if all(r and r[0].status.value in FINISHED for r in runs.values()):
                    break
                if daemon.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"runs did not finish:\n{log.read_text()[-3000:]}")
                time.sleep(1)
            peak = rss.peak
    finally:
        stop_group(daemon, grace_s=30)
    return ids, [{**run_figures(instance, runs[sid][0].run_id), "phases": run_phases(instance, runs[sid][0].run_id)}
                 for sid in ids], peak


def in_process(instance, ids: list[str]) -> tuple[list[dict], int]:
    from batchvideo_app.render import render_scripts

    with TreeRss(os.getpid()) as rss:
        results = render_scripts(ids, instance=instance, in_process=True)
    return [run_figures(instance, r["run_id"]) for r in results], rss.peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scripts", type=int, default=3, help="scripts to render on each path")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the daemon's runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance and data")
    parser.add_argument("--short", action="store_true", help="~10-second videos instead of 30–60-second ones")
    parser.add_argument("--daemon-only", action="store_true", help="skip the in-process pass")
    parser.add_argument("--dequeue-interval", type=int, help="the queue daemon's interval instead of the "
                        "instance's (5 is Dagster's default); BATCHVIDEO_RUN_WORKERS=spawn starts run "
                        "workers Dagster's way")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="batchvideo-backfill-"))
    try:
        prepare(root, args.dequeue_interval)
        import dagster as dg

        from batchvideo_resources.settings import load_settings

        executor = load_settings().executor
        print(f"fresh instance at {root}; executor {executor.name} "
              f"(max {executor.max_concurrent_for(executor.name) if executor.name != 'in_process' else 1} steps at once)",
              flush=True)
        with dg.DagsterInstance.get() as instance:
            ids, daemon_runs, daemon_rss = through_daemon(instance, SHORT_SCRIPTS if args.short else SCRIPTS,
                                                          args.scripts, root / "daemon.log", args.timeout)
            daemon_summary = summarise(f"daemon + {executor.name} executor", daemon_runs, daemon_rss)
            daemon_summary["phases"] = summarise_phases([r["phases"] for r in daemon_runs])
            inproc_summary = None
            if not args.daemon_only:
                inproc_runs, inproc_rss = in_process(instance, ids)
                inproc_summary = summarise("in-process", inproc_runs, inproc_rss)
        print(json.dumps({"executor": executor.name, "cores": len(os.sched_getaffinity(0)),
                          "run_workers": os.environ.get("BATCHVIDEO_RUN_WORKERS", "preloaded"),
                          "short": args.short, "daemon": daemon_summary, "in_process": inproc_summary}))
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
