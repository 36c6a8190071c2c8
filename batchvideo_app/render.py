"""`batchvideo render`: submit one render run per script to the configured Dagster instance and wait.

Runs go through the instance's run coordinator like the sensor's and the UI's, so they get the same
queue (priorities, one run per script), executor, pools and GPU placement. When no daemon is running
to dequeue them, this command launches its queued runs itself and writes them back with the same
write-back the run-status sensors use. `in_process=True` (the `--in-process` flag) executes in this
process instead: for debugging, and for tests that render many small scripts.
"""

from __future__ import annotations

import fcntl
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from sqlalchemy import select

from batchvideo_assets.partitions import scripts_partitions
from batchvideo_assets.resources import media_store
from batchvideo_assets.video_runs import JOB_NAME, PARTITION_TAG, REVISION_TAG, run_priority, run_tags
from batchvideo_assets.writeback import STATUS_LABELS, run_error, write_back
from batchvideo_resources import settings
from batchvideo_resources.db import Script, session_scope
from batchvideo_resources.db.script_runs import latest_run
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.redaction import redact

# The run's full event log stays in the instance (and the UI); the terminal only gets warnings.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# In this process a step failure would print its stack trace to this terminal: the JSON line and
# `script_runs` carry the one-line error, so the console logger stays silent.
SILENT_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
# Launched and not finished: a run in one of these holds its script's one slot.
LAUNCHED = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
POLL_S = 1.0
CANCEL_WAIT_S = 30.0


def _canonical(raw) -> str:
    """The script's partition key as the sensor writes it: "012" is script 12, not another partition."""
    key = str(raw).strip()
    return str(int(key)) if key.isdigit() and len(key) <= 18 else key


def _known_scripts(db_url: str, raw_ids: list[str]) -> dict[str, tuple[int, int] | str]:
    """Canonical ID → (revision, priority) for live scripts, or the reason it cannot be rendered.
    Nothing that is not a live script's ID becomes a partition."""
    found: dict[str, tuple[int, int] | str] = {}
    wanted = {}
    for raw in raw_ids:
        key = str(raw).strip()
        if not key.isdigit() or len(key) > 18:
            found[key] = f"id: {key!r} is not a script id"
        else:
            wanted[_canonical(key)] = _canonical(key)
    if wanted:
        with session_scope(db_url) as session:
            rows = session.execute(select(Script.id, Script.revision, Script.priority, Script.deleted_at)
                                   .where(Script.id.in_([int(k) for k in wanted]))).all()
        by_id = {str(r.id): r for r in rows}
        for key, given in wanted.items():
            row = by_id.get(key)
            if row is None:
                found[given] = f"id: no script with id {key}"
            elif row.deleted_at is not None:
                found[given] = f"deleted_at: script {key} was deleted"
            else:
                found[given] = (row.revision, run_priority(row.priority))
    return found


def _result(instance: dg.DagsterInstance, media: MediaStore, script_id: str, run: dg.DagsterRun | None,
            error: str | None = None) -> dict:
    if run is None:
        return {"id": script_id, "status": "FAILED", "outputs": {}, "error": redact(error), "run_id": None}
    from batchvideo_resources.outputs import collect_outputs

    status = STATUS_LABELS.get(run.status, run.status.value)
    outputs = collect_outputs(media, script_id, run_id=run.run_id) if status == "SUCCESS" else {}
    if status == "SUCCESS" and not outputs:
        # A daemon's write-back (which publishes) may not have run yet: the same write-back, now.
        write_back(instance, run, "SUCCESS", settings.db_url(), media)
        outputs = collect_outputs(media, script_id, run_id=run.run_id)
    if status == "SUCCESS" and not outputs:  # not published: the write-back says why
        row = latest_run(settings.db_url(), int(script_id))
        status = row.status if row is not None and row.run_id == run.run_id else "CANCELED"
        return {"id": script_id, "status": status, "outputs": {},
                "error": redact(row.status_detail if row is not None else "outputs not published"),
                "run_id": run.run_id}
    return {"id": script_id, "status": status, "outputs": outputs,
            "error": None if status == "SUCCESS" else redact(run_error(instance, run.run_id) if status == "FAILED"
                                                              else f"run {status.lower()}"),
            "run_id": run.run_id}


@contextmanager
def _cancel_on_signal(instance: dg.DagsterInstance, submitted: dict[str, str], db_url: str,
                      media: MediaStore) -> Iterator[None]:
    """Ctrl-C or SIGTERM: cancel the runs this command submitted (the launcher stops their workers and
    steps), record CANCELED for them in `script_runs` once the instance says so, then stop. A daemon's
    write-back would record the same row; without one nobody else would, and the row would say RUNNING
    for good."""
    def stop(signum, _frame):
        signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the write-back
        pending = []
        for run_id in list(submitted.values()):
            run = instance.get_run_by_id(run_id)
            if run is not None and run.status not in FINISHED:
                try:
                    instance.run_coordinator.cancel_run(run_id)
                except Exception:  # noqa: BLE001 - a code server already gone: the others are still canceled
                    pass
                pending.append(run_id)
        deadline = time.monotonic() + CANCEL_WAIT_S
        while pending and time.monotonic() < deadline:
            for run_id in list(pending):
                run = instance.get_run_by_id(run_id)
                if run.status in FINISHED:
                    write_back(instance, run, STATUS_LABELS[run.status], db_url, media)
                    pending.remove(run_id)
            if pending:
                time.sleep(0.2)
        for run_id in pending:  # a worker stuck in a long call: the cancel is on its way, and so is the row
            try:
                write_back(instance, instance.get_run_by_id(run_id), "CANCELED", db_url, media)
            except Exception:  # noqa: BLE001 - the next run's row is still written
                pass
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextmanager
def _launch_lock(instance: dg.DagsterInstance) -> Iterator[None]:
    """One stand-in launcher at a time per instance folder, so two `render` commands without a daemon
    cannot both see a script's slot free and both launch (the check and the launch are one step)."""
    path = Path(instance.root_directory) / ".batchvideo-launch.lock"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _slot_taken(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    """Another run of the same script is launched and not finished, whoever launched it: the queue's
    one-run-per-script limit, which no daemon applies while this command stands in for one."""
    others = instance.get_runs(dg.RunsFilter(tags={PARTITION_TAG: run.tags[PARTITION_TAG]}, statuses=LAUNCHED))
    return any(other.run_id != run.run_id for other in others)


def daemon_is_running(instance: dg.DagsterInstance) -> bool:
    from batchvideo_assets.dagster_compat import get_daemon_statuses

    statuses = get_daemon_statuses(instance, ["QUEUED_RUN_COORDINATOR"], heartbeat_interval_seconds=30)
    return statuses["QUEUED_RUN_COORDINATOR"].healthy is True


def render_scripts(script_ids: list[str], instance: dg.DagsterInstance | None = None, *,
                   in_process: bool = False, workspace_file: str | None = None,
                   stages: dict[str, list[dg.AssetKey] | None] | None = None,
                   notify: Callable[[str], None] | None = None) -> list[dict]:
    """Render each script; one result dict per ID, in order: id, status, outputs, error, run_id.
    `stages` limits a script's run to those stages (with their checks); absent means every stage.
    `notify` gets one line per script saying which run it waits for."""
    instance = instance or dg.DagsterInstance.get()
    db_url = settings.db_url()
    media = media_store()
    known = _known_scripts(db_url, script_ids)
    ready = {k: v for k, v in known.items() if isinstance(v, tuple)}
    for key in ready:
        if not instance.has_dynamic_partition(scripts_partitions.name, key):
            instance.add_dynamic_partitions(scripts_partitions.name, [key])
    if ready:  # the facets this render reads: the baseline later edits are compared with (stale view)
        from batchvideo_assets.facet_events import observe_facets
        from batchvideo_resources.database import DatabaseResource

        observe_facets(instance, DatabaseResource(url=db_url), [int(k) for k in ready])

    def tags_for(key: str) -> dict[str, str]:
        revision, priority = ready[key]
        return {PARTITION_TAG: key, **run_tags(key, revision, priority, launched_by="cli")}

    runs: dict[str, dg.DagsterRun] = {}
    if in_process:
        from batchvideo_assets.definitions import build_definitions

        full = build_definitions().resolve_job_def(JOB_NAME)
        for key in ready:
            selection = (stages or {}).get(key)
            job = full if selection is None else full.get_subset(asset_selection=set(selection))
            result = job.execute_in_process(instance=instance, partition_key=key, raise_on_error=False,
                                            run_config=SILENT_CONSOLE, tags=tags_for(key))
            runs[key] = instance.get_run_by_id(result.run_id)
            write_back(instance, runs[key], STATUS_LABELS[runs[key].status], db_url, media)
    elif ready:
        runs = _submit_and_wait(instance, ready, tags_for, db_url, media, workspace_file, stages or {},
                                notify or (lambda _line: None))
    results = []
    for raw in script_ids:
        key = _canonical(raw)
        reason = known.get(key)
        results.append(_result(instance, media, key, runs.get(key), None if isinstance(reason, tuple) else reason))
    return results


def _submit_and_wait(instance, ready, tags_for, db_url, media, workspace_file, stages,
                     notify: Callable[[str], None]) -> dict[str, dg.DagsterRun]:
    from batchvideo_app.workspace import open_workspace, submit_run

    submitted: dict[str, str] = {}  # runs this command created: the ones Ctrl-C cancels
    waiting: dict[str, str] = {}  # script → the run whose result this command reports
    with open_workspace(instance, workspace_file) as (workspace, remote_job):  # noqa: SIM117
        with _cancel_on_signal(instance, submitted, db_url, media):
            for key in ready:
                with _launch_lock(instance):  # another `render` cannot submit the same revision meanwhile
                    same = None if stages.get(key) else _in_flight_render(instance, key, tags_for(key)[REVISION_TAG])
                    if same is None:
                        submitted[key] = submit_run(instance, workspace, remote_job, tags_for(key), QUIET_CONSOLE,
                                                    stages.get(key)).run_id
                    waiting[key] = same.run_id if same is not None else submitted[key]
                revision = tags_for(key)[REVISION_TAG]
                notify(f"script {key}: waiting for run {same.run_id}, which already renders revision {revision}"
                       if same is not None else f"script {key}: submitted run {waiting[key]} (revision {revision})")
            standing_in = not daemon_is_running(instance)
            written: dict[str, str] = {}
            while True:
                runs = {k: instance.get_run_by_id(run_id) for k, run_id in waiting.items()}
                if standing_in:
                    # No daemon: dequeue the runs, one at a time per the queue's own limits, and write
                    # them back as the run-status sensors would.
                    _launch_next(instance, workspace, runs)
                    for key, run in runs.items():
                        label = STATUS_LABELS.get(run.status)
                        if label and written.get(key) != label:
                            write_back(instance, run, label, db_url, media)
                            written[key] = label
                if all(r.status in FINISHED for r in runs.values()):
                    return runs
                time.sleep(POLL_S)


def _in_flight_render(instance: dg.DagsterInstance, key: str, revision: str) -> dg.DagsterRun | None:
    """A full render of the same revision of this script that is queued or running, whoever submitted it:
    this command waits for that run instead of rendering the revision a second time."""
    runs = instance.get_runs(dg.RunsFilter(job_name=JOB_NAME, tags={PARTITION_TAG: key, REVISION_TAG: revision},
                                           statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
                                                     dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]))
    return next((r for r in runs if r.asset_selection is None), None)


def _launch_next(instance: dg.DagsterInstance, workspace, runs: dict[str, dg.DagsterRun]) -> None:
    """Launch the first queued run whose script has no run in flight, while the queue's run limit allows.
    The statuses are read again under the lock: another `render` may have launched one meanwhile."""
    if not any(r.status == dg.DagsterRunStatus.QUEUED for r in runs.values()):
        return
    with _launch_lock(instance):
        fresh = [instance.get_run_by_id(r.run_id) for r in runs.values()]
        active = [r for r in fresh if r.status not in FINISHED and r.status != dg.DagsterRunStatus.QUEUED]
        if len(active) >= _max_concurrent_runs(instance):
            return
        free = [r for r in fresh if r.status == dg.DagsterRunStatus.QUEUED and not _slot_taken(instance, r)]
        if free:
            try:
                instance.launch_run(free[0].run_id, workspace)
            except Exception:  # noqa: BLE001 - Dagster has marked that run failed; the others still run
                pass


def _max_concurrent_runs(instance: dg.DagsterInstance) -> int:
    limit = instance.get_concurrency_config().run_queue_config.max_concurrent_runs
    if limit == -1:  # Dagster's "no limit"
        return 1_000_000
    return limit if limit and limit > 0 else 1


def observe_edit(script_ids: list[int], instance: dg.DagsterInstance | None = None
                 ) -> dict[str, list[dg.AssetKey] | None]:
    """After an account/topic/voice/language edit: record the scripts' new facets, so the UI shows the
    stages the edit made stale, and return the stages each script would render again."""
    from batchvideo_assets.definitions import build_definitions
    from batchvideo_assets.facet_events import observe_facets
    from batchvideo_resources.database import DatabaseResource

    instance = instance or dg.DagsterInstance.get()
    graph = build_definitions().resolve_asset_graph()
    return observe_facets(instance, DatabaseResource(url=settings.db_url()), script_ids, graph)


def rerender_after_edit(stages: dict[str, list[dg.AssetKey] | None],
                        instance: dg.DagsterInstance | None = None, *, in_process: bool = False) -> list[dict]:
    """Render again, when the user asked (`update --rerender`), only the stages the edit affects."""
    return render_scripts(list(stages), instance, in_process=in_process, stages=stages)
