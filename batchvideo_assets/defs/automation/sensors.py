"""The scripts-table sensor and the run-status write-back sensors."""


import datetime as dt
import hashlib
import json

import dagster as dg
from sqlalchemy import and_, func, or_, select

from batchvideo_assets.defs.automation import jobs
from batchvideo_assets.outputs import collect_outputs, run_error
from batchvideo_assets.partitions import scripts_partitions
from batchvideo_assets.writeback import record_run
from batchvideo_resources.database import DatabaseResource
from batchvideo_resources.db import Script, ScriptRun
from batchvideo_resources.media_store import MediaStore

PAGE_SIZE = 500
VERSIONED_FIELDS = ("title", "content", "description", "publish_title", "language_id", "voice_id", "topic_id",
                    "account_id", "speech_speed", "is_horizontal", "extra")


def row_version(row: Script) -> str:
    """Hash of what a render depends on; the same row content never renders twice."""
    data = {f: getattr(row, f) for f in VERSIONED_FIELDS}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()[:16]


def _parse_cursor(raw: str | None) -> tuple[dt.datetime | None, int]:
    if not raw:
        return None, 0
    data = json.loads(raw)
    return (dt.datetime.fromisoformat(data["updated_at"]) if data.get("updated_at") else None), int(data.get("id", 0))


def scan_scripts(session, cursor: str | None, page_size: int = PAGE_SIZE):
    """One page of rows changed after the cursor, in (updated_at, id) order, and the next cursor."""
    after_ts, after_id = _parse_cursor(cursor)
    query = select(Script).order_by(Script.updated_at, Script.id).limit(page_size)
    if after_ts is not None:
        query = query.where(or_(Script.updated_at > after_ts,
                                and_(Script.updated_at == after_ts, Script.id > after_id)))
    rows = list(session.scalars(query))
    next_cursor = cursor
    if rows:
        next_cursor = json.dumps({"updated_at": rows[-1].updated_at.isoformat(), "id": rows[-1].id})
    return rows, next_cursor


def rendered_since_edit(session, rows: list[Script]) -> set[int]:
    """IDs whose last successful render (e.g. by `batchvideo render`) finished after the row's last edit."""
    ids = [r.id for r in rows]
    if not ids:
        return set()
    finished = dict(session.execute(
        select(ScriptRun.script_id, func.max(ScriptRun.finished_at))
        .where(ScriptRun.status == "SUCCESS", ScriptRun.script_id.in_(ids)).group_by(ScriptRun.script_id)).all())
    return {r.id for r in rows if finished.get(r.id) is not None and finished[r.id] >= r.updated_at}


@dg.sensor(job=jobs.render_video_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING,
           description="New or edited rows in `scripts` → partition added and a render requested, once per row version.")
def scripts_sensor(context: dg.SensorEvaluationContext, db: DatabaseResource) -> dg.SensorResult | dg.SkipReason:
    with db.session() as session:
        rows, next_cursor = scan_scripts(session, context.cursor)
        existing = set(context.instance.get_dynamic_partitions(scripts_partitions.name))
        already_rendered = rendered_since_edit(session, rows)
        new_partitions, requests = [], []
        for row in rows:
            if row.deleted_at is not None or row.id in already_rendered:
                continue
            key = str(row.id)
            if key not in existing:
                new_partitions.append(key)
                existing.add(key)
            requests.append(dg.RunRequest(
                run_key=f"script-{row.id}-{row_version(row)}", partition_key=key,
                tags={"dagster/priority": str(row.priority or 0), "batchvideo/script_id": key}))
    if not rows:
        return dg.SkipReason("no new or edited scripts")
    return dg.SensorResult(
        run_requests=requests, cursor=next_cursor,
        dynamic_partitions_requests=[scripts_partitions.build_add_request(new_partitions)] if new_partitions else [])


def _script_id(run: dg.DagsterRun) -> int | None:
    key = run.tags.get("dagster/partition")
    return int(key) if key and key.isdigit() else None


def _make_status_sensor(status: dg.DagsterRunStatus, label: str):
    @dg.run_status_sensor(run_status=status, name=f"script_runs_{label.lower()}", monitored_jobs=[jobs.render_video_job],
                          default_status=dg.DefaultSensorStatus.RUNNING,
                          description=f"Writes {label} to script_runs for render_video runs.")
    def _sensor(context: dg.RunStatusSensorContext, db: DatabaseResource, media: MediaStore):
        run = context.dagster_run
        script_id = _script_id(run)
        if script_id is None:
            return dg.SkipReason("run has no script partition")
        # SUCCESS: stable URIs of every stage (+ presigned GET URLs on S3); FAILED: the failing step's message.
        outputs = collect_outputs(media, script_id) if label == "SUCCESS" else None
        error = run_error(context.instance, run.run_id) if label == "FAILED" else None
        detail = None
        if label == "QUEUED":
            detail = f"priority {run.tags.get('dagster/priority', '0')}"
        elif label == "CANCELED":
            detail = "run canceled"
        record_run(db.url, script_id=script_id, run_id=run.run_id, status=label, error=error,
                   outputs=outputs, detail=detail)

    return _sensor


run_status_sensors = [
    _make_status_sensor(dg.DagsterRunStatus.QUEUED, "QUEUED"),
    _make_status_sensor(dg.DagsterRunStatus.STARTED, "RUNNING"),
    _make_status_sensor(dg.DagsterRunStatus.SUCCESS, "SUCCESS"),
    _make_status_sensor(dg.DagsterRunStatus.FAILURE, "FAILED"),
    _make_status_sensor(dg.DagsterRunStatus.CANCELED, "CANCELED"),
]
