"""Write-back: a run's status, outputs or error into `script_runs`, for the business side.

The run-status sensors call `write_back` for every run that renders a script partition; `batchvideo
render` calls it too, only when it stands in for a daemon that is not running (so the row is still
written, by the same code)."""

import dagster as dg

from batchvideo_resources.db.script_runs import record_run
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.outputs import collect_outputs

PARTITION_TAG = "dagster/partition"
REVISION_TAG = "batchvideo/revision"
CANCEL_REASON_TAG = "batchvideo/canceled_because"
STATUS_LABELS = {dg.DagsterRunStatus.QUEUED: "QUEUED", dg.DagsterRunStatus.STARTED: "RUNNING",
                 dg.DagsterRunStatus.SUCCESS: "SUCCESS", dg.DagsterRunStatus.FAILURE: "FAILED",
                 dg.DagsterRunStatus.CANCELED: "CANCELED"}


def script_id_of(run: dg.DagsterRun) -> int | None:
    """The script a run renders (its partition), or None for runs of anything else."""
    key = run.tags.get(PARTITION_TAG)
    return int(key) if key and key.isdigit() else None


def write_back(instance: dg.DagsterInstance, run: dg.DagsterRun, label: str, db_url: str, media: MediaStore) -> None:
    """Record `label` (QUEUED/RUNNING/SUCCESS/FAILED/CANCELED) for `run`; never moves a row backwards.

    SUCCESS carries the stable URIs of every stage (+ presigned GET URLs on S3); FAILED the failing
    step's message; CANCELED why (superseded, script deleted, or an operator)."""
    script_id = script_id_of(run)
    if script_id is None:
        return
    outputs = collect_outputs(media, script_id) if label == "SUCCESS" else None
    error = run_error(instance, run.run_id) if label == "FAILED" else None
    detail = None
    if label == "QUEUED":
        detail = f"priority {run.tags.get('dagster/priority', '0')}"
    elif label == "CANCELED":
        detail = f"run canceled: {run.tags.get(CANCEL_REASON_TAG, 'by an operator')}"
    if run.tags.get(REVISION_TAG):
        detail = f"revision {run.tags[REVISION_TAG]}" + (f"; {detail}" if detail else "")
    record_run(db_url, script_id=script_id, run_id=run.run_id, status=label, error=error, outputs=outputs,
               detail=detail)


def run_error(instance: dg.DagsterInstance, run_id: str) -> str:
    """The first step failure's message (a bad-input Failure names the field), else the run's."""
    messages = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = record.dagster_event
        data = event.step_failure_data
        text = None
        if data.user_failure_data is not None and data.user_failure_data.description:
            text = data.user_failure_data.description
        elif data.error is not None:
            cause = data.error.cause
            text = (cause.message if cause is not None else data.error.message).strip()
        messages.append(f"{event.step_key}: {text}")
    if messages:
        return "; ".join(messages)
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE):
        return record.dagster_event.message or "run failed"
    return "run failed"
