"""The scripts-table sensor and the run-status write-back sensors.

Change detection trusts no clock: every edit that changes a video moves `scripts.revision` (a
database trigger, whoever writes the row), and the sensor keeps the revision it last handled per
script in its cursor. A run carries the revision it renders (`batchvideo/revision`), which is what
decides "already rendered", so an edit during a run is rendered after it and A→B→A renders again.
"""

import json

import dagster as dg
from sqlalchemy import select

from batchvideo_assets.dagster_compat import DATA_VERSION_TAG
from batchvideo_assets.defs.automation import jobs
from batchvideo_assets.partitions import facet_key, scripts_partitions
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
from batchvideo_resources.facets import FACET_READERS, FACETS, facet_digests
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


def observed_facets(instance: dg.DagsterInstance, script_key: str) -> dict[str, str]:
    """Facet → the digest last observed for this script (none yet for a new script)."""
    seen = {}
    for facet in FACETS:
        records = instance.fetch_observations(
            dg.AssetRecordsFilter(asset_key=facet_key(facet), asset_partitions=[script_key]), limit=1).records
        if records:
            seen[facet] = records[0].asset_observation.tags.get(DATA_VERSION_TAG)
    return seen


def current_facets(session, script_id: int) -> dict[str, str] | None:
    """Digests of the stored row's facets, or None when the row cannot be read (its render then fails
    alone, naming the field)."""
    try:
        row = session.get(Script, script_id)
        return facet_digests(row) if row is not None else None
    except Exception:  # noqa: BLE001 - any unreadable value: render everything and let the run name it
        session.rollback()
        return None


def load_rows(session, script_ids: list[int]) -> dict[int, Script]:
    """The rows with their language, voice, topic and account, in one round of queries (a backlog of
    a thousand new rows is one tick's work); empty when one of them cannot be read, and each row is
    then read alone."""
    from sqlalchemy.orm import selectinload

    try:
        query = (select(Script).where(Script.id.in_(script_ids))
                 .options(*(selectinload(getattr(Script, r)) for r in ("language", "voice", "topic", "account"))))
        return {row.id: row for row in session.scalars(query)}
    except Exception:  # noqa: BLE001 - a value raw SQL made unreadable: fall back to row by row
        session.rollback()
        return {}


def stages_to_render(graph, changed: set[str]) -> list[dg.AssetKey] | None:
    """The stages an edit of `changed` facets affects (their readers and everything downstream, plus
    the `script` snapshot they all read); None means every stage."""
    if "narration" in changed or graph is None:
        return None
    readers = {dg.AssetKey(asset) for facet in changed for asset in FACET_READERS[facet]}
    selected = dg.AssetSelection.assets(*readers).downstream().resolve(graph) | {dg.AssetKey("script")}
    return sorted(selected, key=lambda k: k.to_user_string())


def facet_changes(instance: dg.DagsterInstance, key: str, digests: dict[str, str] | None,
                  new: bool = False) -> tuple[set[str], list[dg.AssetObservation]]:
    """The facets that changed since they were last observed (all of them for an unreadable row or a
    new partition) and the observations that record their new digests."""
    previous = {} if new or digests is None else observed_facets(instance, key)
    changed = set(FACETS) if digests is None else {f for f in FACETS if previous.get(f) != digests[f]}
    observations = [dg.AssetObservation(asset_key=facet_key(f), partition=key, tags={DATA_VERSION_TAG: digests[f]})
                    for f in sorted(changed) if digests is not None]
    return changed, observations


def observe_facets(instance: dg.DagsterInstance, db: DatabaseResource, script_ids: list[int],
                   graph=None) -> dict[str, list[dg.AssetKey] | None]:
    """Record the current facets of these scripts (the UI then shows the stages an account or topic edit
    made stale) and return, per script, the stages to render again (`stages_to_render`); scripts
    with no changed facet are left out."""
    selections = {}
    with db.session() as session:
        loaded = load_rows(session, script_ids)
        for script_id in script_ids:
            key = str(script_id)
            row = loaded.get(script_id)
            digests = facet_digests(row) if row is not None else current_facets(session, script_id)
            changed, observations = facet_changes(instance, key, digests)
            for observation in observations:
                instance.report_runless_asset_event(observation)
            if changed:
                selections[key] = stages_to_render(graph, changed)
    return selections


def revision_has_run(instance: dg.DagsterInstance, script_key: str, revision: int) -> bool:
    """This revision is rendered or on its way: a run tagged with it exists (this sensor's, or
    `batchvideo render`'s), or the latest `script` snapshot of the partition read it (a run launched
    from the UI or a backfill, which carries no revision tag)."""
    runs = instance.get_runs(dg.RunsFilter(tags={PARTITION_TAG: script_key, REVISION_TAG: str(revision)}), limit=5)
    if any(r.status != dg.DagsterRunStatus.CANCELED for r in runs):
        return True
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("script"), asset_partitions=[script_key]), limit=1).records
    if not records:
        return False
    snapshot = records[0].asset_materialization.metadata.get("revision")
    return snapshot is not None and snapshot.value == revision


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
    graph = context.repository_def.asset_graph if context.repository_def is not None else None
    added, removed, requests, observations = [], [], [], []
    pending = [r.id for r in rows if handled.get(str(r.id)) != r.revision and r.deleted_at is None][:PAGE_SIZE]
    with db.session() as session:
        loaded = load_rows(session, pending) if pending else {}
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
            # A new script, or an undeleted one, renders whole and has no runs or observations yet.
            new_partition = key not in existing
            if new_partition:
                added.append(key)
                existing.add(key)
            digests = facet_digests(loaded[row.id]) if row.id in loaded else current_facets(session, row.id)
            changed, observed = facet_changes(instance, key, digests, new=new_partition)
            observations += observed
            selection = stages_to_render(graph, changed)
            for run in [] if new_partition else in_flight_runs(instance, key):
                old = run.tags.get(REVISION_TAG)
                if run.status in NOT_LAUNCHED and old is not None and int(old) < row.revision:
                    cancel_run(instance, run, f"superseded by revision {row.revision}")
                    # What the superseded run would have rendered still needs rendering.
                    superseded = run.asset_selection
                    selection = None if selection is None or superseded is None else sorted(
                        set(selection) | set(superseded), key=lambda k: k.to_user_string())
            if not changed or (not new_partition and revision_has_run(instance, key, row.revision)):
                continue  # e.g. an `extra` key no stage reads
            requests.append(dg.RunRequest(
                run_key=f"script-{row.id}-r{row.revision}", partition_key=key, asset_selection=selection,
                tags={"dagster/priority": str(run_priority(row.priority)), "batchvideo/script_id": key,
                      REVISION_TAG: str(row.revision)}))
    partition_requests = []
    if added:
        partition_requests.append(scripts_partitions.build_add_request(added))
    if removed:
        partition_requests.append(scripts_partitions.build_delete_request(removed))
    cursor = dump_cursor(handled)
    if not requests and not partition_requests and not observations and cursor == (context.cursor or dump_cursor({})):
        return dg.SkipReason("no new, edited or deleted scripts")
    return dg.SensorResult(run_requests=requests, cursor=cursor, dynamic_partitions_requests=partition_requests,
                           asset_events=observations)


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
