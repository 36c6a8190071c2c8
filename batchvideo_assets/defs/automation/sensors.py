"""The scripts-table sensor and the run-status write-back sensors.

Change detection trusts no clock and scans no table: every edit that changes a video moves
`scripts.revision` (a database trigger, whoever writes the row, migration 0002), and every insert,
revision move and delete is written to the `script_changes` feed (migration 0004). The sensor's cursor
is its position in that feed (a few bytes), so an idle tick is one indexed query whatever the table's
size, and a backlog costs what changed. A run carries the revision it renders (`batchvideo/revision`),
which is what decides "already rendered", so an edit during a run is rendered after it and A→B→A
renders again. The decisions are `tick_plan.plan_tick` (pure); this module only reads, in batches,
and emits.
"""

import dataclasses
import time

import dagster as dg
from sqlalchemy import select

from batchvideo_assets.defs.automation import jobs
from batchvideo_assets.defs.automation.tick_plan import (
    IN_FLIGHT as IN_FLIGHT_VALUES,
)
from batchvideo_assets.defs.automation.tick_plan import (
    NOT_LAUNCHED as NOT_LAUNCHED_VALUES,
)
from batchvideo_assets.defs.automation.tick_plan import (
    InstanceView,
    RunView,
    TickPlan,
    plan_tick,
)
from batchvideo_assets.facet_events import (
    digests_of,
    facet_observations,
    latest_observed,
    observe_facets,
    stages_to_render,
)
from batchvideo_assets.partitions import scripts_partitions
from batchvideo_assets.video_runs import CANCEL_REASON_TAG, PARTITION_TAG, REVISION_TAG, run_priority, run_tags
from batchvideo_assets.writeback import STATUS_LABELS, CatchUpCursor, catch_up, script_id_of, write_back
from batchvideo_resources.database import DatabaseResource
from batchvideo_resources.db import Script
from batchvideo_resources.db.feed import (
    Change,
    Position,
    convert_legacy_cursor,
    parse_position,
    read_changes,
    read_holes,
    tracks_holes,
)
from batchvideo_resources.media_store import MediaStore

# Live changes (scripts to render) per tick; deletes do not count, but at most READS_PER_TICK reads of
# PAGE_SIZE changes are made. Read at call time, so a test can page with a few rows.
PAGE_SIZE = 500
READS_PER_TICK = 20
IN_FLIGHT = [dg.DagsterRunStatus(v) for v in IN_FLIGHT_VALUES]
NOT_LAUNCHED = tuple(dg.DagsterRunStatus(v) for v in NOT_LAUNCHED_VALUES)
SCRIPT_KEY = dg.AssetKey("script")

__all__ = ["PAGE_SIZE", "run_priority", "scripts_sensor", "observe_facets", "cancel_run", "in_flight_runs"]


def in_flight_runs(instance: dg.DagsterInstance, script_key: str) -> list[dg.DagsterRun]:
    return list(instance.get_runs(dg.RunsFilter(tags={PARTITION_TAG: script_key}, statuses=IN_FLIGHT)))


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


def snapshot_revisions(instance: dg.DagsterInstance, keys: list[str]) -> dict[str, int]:
    """Per script key, the revision its latest `script` snapshot read (a UI run or a backfill carries no
    revision tag; this is how their render counts)."""
    if not keys:
        return {}
    ids = instance.get_latest_storage_id_by_partition(SCRIPT_KEY, dg.DagsterEventType.ASSET_MATERIALIZATION, set(keys))
    if not ids:
        return {}
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=SCRIPT_KEY, storage_ids=list(ids.values())), limit=len(ids)).records
    out = {}
    for record in records:
        materialization = record.asset_materialization
        value = materialization.metadata.get("revision")
        if value is not None:
            out[materialization.partition] = value.value
    return out


def runs_by_key(instance: dg.DagsterInstance, keys: list[str], statuses=None) -> dict[str, list[dg.DagsterRun]]:
    """The runs of these script partitions, in one query."""
    out: dict[str, list[dg.DagsterRun]] = {}
    if keys:
        for run in instance.get_runs(dg.RunsFilter(tags={PARTITION_TAG: keys}, statuses=statuses)):
            out.setdefault(run.tags.get(PARTITION_TAG), []).append(run)
    return out


def _run_view(run: dg.DagsterRun) -> RunView:
    tag = run.tags.get(REVISION_TAG)
    selection = None if run.asset_selection is None else tuple(
        sorted(k.to_user_string() for k in run.asset_selection))
    return RunView(run.run_id, run.status.value, int(tag) if tag and tag.isdigit() else None, selection)


def _stages_for(graph):
    cache: dict[frozenset, tuple[str, ...] | None] = {}

    def stages_for(changed: frozenset[str]) -> tuple[str, ...] | None:
        if changed not in cache:
            stages = stages_to_render(graph, set(changed))
            cache[changed] = None if stages is None else tuple(k.to_user_string() for k in stages)
        return cache[changed]

    return stages_for


def read_page(session, position: Position, page_size: int) -> list[Change]:
    """The next changes past the mark: until `page_size` live ones (deletes cost no run request) or
    the feed's end, at most READS_PER_TICK reads."""
    changes: list[Change] = []
    live, after = 0, position.seq
    for _ in range(READS_PER_TICK):
        batch = read_changes(session, after, page_size)
        for change in batch:
            changes.append(change)
            live += change.live
            if live >= page_size:
                return changes
        if len(batch) < page_size:
            break
        after = batch[-1].seq
    return changes


def existing_partitions(instance: dg.DagsterInstance, keys: list[str]) -> set[str]:
    """Which of these script partitions exist, in one indexed query (what `add_dynamic_partitions`
    itself runs). Dagster has no public call for it: `get_dynamic_partitions` returns every key
    (0.9 s at 100k partitions, on every tick) and `has_dynamic_partition` is a round trip per key.
    Storages that are not SQL fall back to the full list."""
    from batchvideo_assets.dagster_compat import DynamicPartitionsTable, SqlEventLogStorage

    storage = instance.event_log_storage
    if not isinstance(storage, SqlEventLogStorage):
        return set(instance.get_dynamic_partitions(scripts_partitions.name)) & set(keys)
    table = DynamicPartitionsTable
    with storage.index_connection() as conn:
        rows = conn.execute(select(table.c.partition).where(
            table.c.partitions_def_name == scripts_partitions.name, table.c.partition.in_(keys))).fetchall()
    return {row[0] for row in rows}


def readded_deleted(instance: dg.DagsterInstance, session, after: int) -> tuple[list[str], int]:
    """Partitions added since the partition row `after` (the UI's "Add a partition", a backfill, the
    sensor's own) whose script is deleted or gone, and the last partition row seen. The scripts table's
    feed cannot see these (nothing in it changed), so each tick reads the new partition rows: one indexed
    range query, normally only the rows the sensor itself added the tick before."""
    from batchvideo_assets.dagster_compat import DynamicPartitionsTable, SqlEventLogStorage

    storage = instance.event_log_storage
    if not isinstance(storage, SqlEventLogStorage):
        return [], after
    table = DynamicPartitionsTable
    with storage.index_connection() as conn:
        rows = conn.execute(select(table.c.id, table.c.partition).where(
            table.c.partitions_def_name == scripts_partitions.name, table.c.id > after)
            .order_by(table.c.id)).fetchall()
    if not rows:
        return [], after
    keys = {row[1] for row in rows}
    ids = [int(k) for k in keys if k.isdigit()]
    live: set[str] = set()
    for start in range(0, len(ids), 1000):  # bounded IN lists (SQLite's variable limit; the first tick
        chunk = ids[start:start + 1000]     # after an upgrade reads every partition once)
        live |= {str(r.id) for r in session.execute(select(Script.id).where(Script.id.in_(chunk),
                                                                            Script.deleted_at.is_(None)))}
    return sorted(keys - live, key=lambda k: (len(k), k)), max(row[0] for row in rows)


def last_partition_row(instance: dg.DagsterInstance, excluding: list[str]) -> int:
    """The last `scripts` partition row that stays once `excluding` are removed. SQLite reuses the row id
    of a deleted last row, so after a tick that removes partitions the mark goes back below them: a
    partition added back later with a reused id is still seen as new."""
    from sqlalchemy import func

    from batchvideo_assets.dagster_compat import DynamicPartitionsTable

    table = DynamicPartitionsTable
    with instance.event_log_storage.index_connection() as conn:
        return int(conn.execute(select(func.max(table.c.id)).where(
            table.c.partitions_def_name == scripts_partitions.name,
            table.c.partition.not_in(excluding))).scalar() or 0)


def instance_view(instance: dg.DagsterInstance, session, changes: list[Change]) -> InstanceView:
    """What the plan needs to know, in a handful of queries whatever the page's size."""
    keys = [str(c.script_id) for c in changes]
    existing = existing_partitions(instance, keys)
    deleted = [str(c.script_id) for c in changes if not c.live]
    edited = [str(c.script_id) for c in changes if c.live and str(c.script_id) in existing]
    runs = runs_by_key(instance, deleted, statuses=IN_FLIGHT) | runs_by_key(instance, edited)
    return InstanceView(
        partitions=existing,
        runs={k: [_run_view(r) for r in v] for k, v in runs.items()},
        snapshot_revision=snapshot_revisions(instance, edited),
        observed=latest_observed(instance, edited),
        digests=digests_of(session, [int(k) for k in edited]),
    )


def emit(instance: dg.DagsterInstance, plan: TickPlan) -> dg.SensorResult:
    """Apply the cancellations (they must happen now, before the newer runs queue) and the partition
    additions (one bulk call), and return the rest for the daemon: the partition removals, the
    observations and the run requests."""
    for run_view, reason in plan.cancel:
        run = instance.get_run_by_id(run_view.run_id)
        if run is not None and run.status in IN_FLIGHT:
            cancel_run(instance, run, reason)
    partition_requests = []
    if plan.add_partitions:
        # Added here in one call (two queries, idempotent), not as an AddDynamicPartitionsRequest: the
        # daemon checks such a request with one `has_dynamic_partition` round trip per key (~20 ms
        # each on PostgreSQL: 21 s per 1,000 new scripts, measured by bench/scale.py).
        instance.add_dynamic_partitions(scripts_partitions.name, plan.add_partitions)
    if plan.remove_partitions:
        partition_requests.append(scripts_partitions.build_delete_request(plan.remove_partitions))
    observations = [obs for key, facet, digest in plan.observe
                    for obs in facet_observations(key, {facet: digest}, (facet,))]
    requests = [dg.RunRequest(
        run_key=r.run_key, partition_key=r.key,
        asset_selection=None if r.selection is None else [dg.AssetKey.from_user_string(s) for s in r.selection],
        tags=run_tags(r.key, r.revision, r.priority))
        for r in plan.requests]
    return dg.SensorResult(run_requests=requests, cursor=plan.position.dump(),
                           dynamic_partitions_requests=partition_requests, asset_events=observations)


@dg.sensor(job=jobs.render_video_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING,
           description="New, edited, deleted and undeleted rows in `scripts` (read from the script_changes feed) "
                       "→ partitions added or removed, one render per revision, older queued revisions superseded, "
                       "deleted scripts' runs canceled.")
def scripts_sensor(context: dg.SensorEvaluationContext, db: DatabaseResource) -> dg.SensorResult | dg.SkipReason:
    instance = context.instance
    with db.session() as session:
        position = parse_position(context.cursor)
        if position is None:  # a cursor of the sensor before the feed: converted once
            position = convert_legacy_cursor(session, context.cursor)
        holes = tracks_holes(session)
        found = read_holes(session, position.holes)
        read = read_page(session, position, PAGE_SIZE)
        view = instance_view(instance, session, [*found, *read]) if found or read else None
        readded, partitions_seen = readded_deleted(instance, session, position.partitions)
    graph = context.repository_def.asset_graph if context.repository_def is not None else None
    plan = plan_tick(found, read, position, view or InstanceView(partitions=set()), _stages_for(graph),
                     now=time.time(), track_holes=holes)
    # Deleted stays deleted: a deleted script's partition added back (the UI's "Add a partition") is
    # removed again, and whatever was queued or started on it is stopped, as for the delete itself.
    for key in readded:
        if key not in plan.remove_partitions:
            plan.remove_partitions.append(key)
    for key, runs in runs_by_key(instance, readded, statuses=IN_FLIGHT).items():
        plan.cancel += [(_run_view(run), "script deleted") for run in runs]
    if plan.remove_partitions and partitions_seen:
        partitions_seen = min(partitions_seen, last_partition_row(instance, plan.remove_partitions))
    plan.position = dataclasses.replace(plan.position, partitions=partitions_seen)
    if plan.empty:
        cursor = plan.position.dump()
        if cursor != context.cursor:
            return dg.SensorResult(cursor=cursor)
        return dg.SkipReason("no new, edited or deleted scripts")
    return emit(instance, plan)


def _make_status_sensor(status: dg.DagsterRunStatus):
    label = STATUS_LABELS[status]

    # No `monitored_jobs`: every job of the code location, so runs launched from the UI (Materialize,
    # backfills: `__ASSET_JOB`), by this sensor or by `batchvideo render` are all written back.
    # Every 10 s (Dagster's default is 30): a finished run shows in `script_runs` well within 30 s; a
    # tick with nothing new is one event-log query.
    @dg.run_status_sensor(run_status=status, name=f"script_runs_{label.lower()}", minimum_interval_seconds=10,
                          default_status=dg.DefaultSensorStatus.RUNNING,
                          description=f"Writes {label} to script_runs for every run that renders a script partition.")
    def _sensor(context: dg.RunStatusSensorContext, db: DatabaseResource, media: MediaStore):
        if script_id_of(context.dagster_run) is None:
            return dg.SkipReason("run has no script partition")
        write_back(context.instance, context.dagster_run, label, db.url, media)

    return _sensor


run_status_sensors = [_make_status_sensor(status) for status in STATUS_LABELS]


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Catches up the write-back: a finished script run whose `script_runs` row is missing or "
                       "not final a minute later (the status sensor's write failed, or never saw the event) "
                       "is written back.")
def script_runs_catch_up(context: dg.SensorEvaluationContext, db: DatabaseResource, media: MediaStore):
    now = time.time()
    written, cursor = catch_up(context.instance, db.url, media, CatchUpCursor.load(context.cursor, now), now)
    context.update_cursor(cursor.dump())
    if written:
        context.log.info(f"wrote back {len(written)} run(s) the status sensors missed: {', '.join(written)}")
    return dg.SkipReason(f"caught up {len(written)} run(s)" if written else "every finished run is written back")
