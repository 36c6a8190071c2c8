"""The scripts-table sensor and the run-status write-back sensors.

Change detection trusts no clock: every edit that changes a video moves `scripts.revision` (a
database trigger, whoever writes the row), and the sensor keeps the revision it last handled per
script in its cursor. A run carries the revision it renders (`batchvideo/revision`), which is what
decides "already rendered", so an edit during a run is rendered after it and A→B→A renders again.
"""

import json

import dagster as dg
from sqlalchemy import select

from batchvideo_assets.defs.automation import jobs
from batchvideo_assets.partitions import scripts_partitions
from batchvideo_assets.writeback import (
    CANCEL_REASON_TAG,
    PARTITION_TAG,
    REVISION_TAG,
    STATUS_LABELS,
    script_id_of,
    write_back,
)
from batchvideo_resources.database import DatabaseResource
from batchvideo_resources.db import Script
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.script_spec import MAX_PRIORITY

PAGE_SIZE = 500  # run requests per tick; the rest wait for the next tick, in id order
IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED]


def parse_cursor(raw: str | None, rows=()) -> dict[str, int]:
    """Script id → the revision the sensor last handled (requested, or removed when deleted).

    A cursor of the earlier `(updated_at, id)` form counts every row up to its id as handled, so an
    upgrade does not render the whole table again."""
    if not raw:
        return {}
    data = json.loads(raw)
    if "revisions" not in data:
        return {str(r.id): r.revision for r in rows if r.id <= int(data.get("id", 0))}
    return {k: int(v) for k, v in data["revisions"].items()}


def dump_cursor(handled: dict[str, int]) -> str:
    return json.dumps({"revisions": handled}, separators=(",", ":"))


def run_priority(value) -> int:
    """`scripts.priority` as a run priority; a value raw SQL made unreadable counts as 0."""
    try:
        return max(-MAX_PRIORITY, min(MAX_PRIORITY, int(value)))
    except (TypeError, ValueError, OverflowError):
        return 0


def in_flight_runs(instance: dg.DagsterInstance, script_key: str) -> list[dg.DagsterRun]:
    return list(instance.get_runs(dg.RunsFilter(tags={PARTITION_TAG: script_key}, statuses=IN_FLIGHT)))


NOT_LAUNCHED = (dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED)


def cancel_run(instance: dg.DagsterInstance, run: dg.DagsterRun, reason: str) -> None:
    """Take a run that has not started out of the queue, or terminate a running one (its run worker
    and steps are stopped by the run launcher); the CANCELED write-back reports `reason`."""
    instance.add_run_tags(run.run_id, {CANCEL_REASON_TAG: reason})
    if run.status in NOT_LAUNCHED:
        run = instance.get_run_by_id(run.run_id)
        instance.report_run_canceling(run, message=f"Canceled from the queue: {reason}.")
        instance.report_run_canceled(run)
    else:
        instance.run_coordinator.cancel_run(run.run_id)


def revision_has_run(instance: dg.DagsterInstance, script_key: str, revision: int) -> bool:
    """A run of this revision exists already (from this sensor, the UI or `batchvideo render`)."""
    runs = instance.get_runs(dg.RunsFilter(tags={PARTITION_TAG: script_key, REVISION_TAG: str(revision)}), limit=5)
    return any(r.status != dg.DagsterRunStatus.CANCELED for r in runs)


@dg.sensor(job=jobs.render_video_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING,
           description="New, edited, deleted and undeleted rows in `scripts` → partitions added or removed, one "
                       "render per revision, older queued revisions superseded, deleted scripts' runs canceled.")
def scripts_sensor(context: dg.SensorEvaluationContext, db: DatabaseResource) -> dg.SensorResult | dg.SkipReason:
    instance = context.instance
    with db.session() as session:
        # Only narrow, typed columns: a row whose `extra` or text raw SQL made unreadable cannot stop
        # this sensor; the render of that row fails alone, naming the field.
        rows = session.execute(select(Script.id, Script.revision, Script.deleted_at, Script.priority)
                               .order_by(Script.id)).all()
    handled = parse_cursor(context.cursor, rows)
    existing = set(instance.get_dynamic_partitions(scripts_partitions.name))
    added, removed, requests = [], [], []
    for row in rows:
        key = str(row.id)
        if handled.get(key) == row.revision:
            continue
        if len(requests) >= PAGE_SIZE:
            break
        handled[key] = row.revision
        if row.deleted_at is not None:
            for run in in_flight_runs(instance, key):
                cancel_run(instance, run, "script deleted")
            if key in existing:
                removed.append(key)
                existing.discard(key)
            continue
        if key not in existing:
            added.append(key)
            existing.add(key)
        for run in in_flight_runs(instance, key):
            old = run.tags.get(REVISION_TAG)
            if run.status in NOT_LAUNCHED and old is not None and int(old) < row.revision:
                cancel_run(instance, run, f"superseded by revision {row.revision}")
        if revision_has_run(instance, key, row.revision):
            continue
        requests.append(dg.RunRequest(
            run_key=f"script-{row.id}-r{row.revision}", partition_key=key,
            tags={"dagster/priority": str(run_priority(row.priority)), "batchvideo/script_id": key,
                  REVISION_TAG: str(row.revision)}))
    partition_requests = []
    if added:
        partition_requests.append(scripts_partitions.build_add_request(added))
    if removed:
        partition_requests.append(scripts_partitions.build_delete_request(removed))
    cursor = dump_cursor(handled)
    if not requests and not partition_requests and cursor == (context.cursor or dump_cursor({})):
        return dg.SkipReason("no new, edited or deleted scripts")
    return dg.SensorResult(run_requests=requests, cursor=cursor, dynamic_partitions_requests=partition_requests)


def _make_status_sensor(status: dg.DagsterRunStatus):
    label = STATUS_LABELS[status]

    # No `monitored_jobs`: every job of the code location, so runs launched from the UI (Materialize,
    # backfills: `__ASSET_JOB`), by this sensor or by `batchvideo render` are all written back.
    @dg.run_status_sensor(run_status=status, name=f"script_runs_{label.lower()}",
                          default_status=dg.DefaultSensorStatus.RUNNING,
                          description=f"Writes {label} to script_runs for every run that renders a script partition.")
    def _sensor(context: dg.RunStatusSensorContext, db: DatabaseResource, media: MediaStore):
        if script_id_of(context.dagster_run) is None:
            return dg.SkipReason("run has no script partition")
        write_back(context.instance, context.dagster_run, label, db.url, media)

    return _sensor


run_status_sensors = [_make_status_sensor(status) for status in STATUS_LABELS]
