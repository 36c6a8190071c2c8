"""What a finished run produced (from the manifests in the media store) and why a run failed."""

from __future__ import annotations

import json

import dagster as dg

from batchvideo_resources.media_store import MediaStore

STAGES = ["script", "audio", "srt", "splits", "images", "broll_clips", "composed_video", "logoed_video", "cover"]
FILE_STAGES = STAGES[1:]


def collect_outputs(media: MediaStore, script_id: int | str) -> dict:
    outputs: dict = {}
    for stage in FILE_STAGES:
        key = f"jobs/{script_id}/manifests/{stage}.json"
        if not media.exists(key):
            continue
        value = json.loads(media.read_bytes(key))
        if stage == "images":
            outputs[stage] = [value["images"][k]["uri"] for k in sorted(value["images"], key=int)]
        elif stage == "broll_clips":
            outputs[stage] = [value["clips"][k]["uri"] for k in sorted(value["clips"], key=int)]
        else:
            outputs[stage] = value["uri"]
    return outputs


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
