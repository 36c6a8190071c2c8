"""What a finished render produced: the published set of a script's files.

A run writes under a location of its own (`layout.run_key`); only when the whole run succeeds is its set
published, by writing `jobs/<id>/published.json` last, in one atomic put. Readers only ever see a
complete set of one run: a failed re-render leaves the last good set published and intact."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable

from batchvideo_resources.layout import FILE_STAGES, job_prefix, manifest_key, published_key, run_manifest_key
from batchvideo_resources.media_store import MediaStore

DELIVERED = "logoed_video"


def publish(media: MediaStore, script_id: int | str, run_id: str, created_at: float) -> bool:
    """Publish the manifests of `run_id` (a stage it did not run: the latest value, which it built on).

    Only a run that made the delivered video (`logoed_video`) publishes: a run of a few stages (srt
    alone, from the UI) would otherwise mix its files with an older video. A late publish of an older
    run (`created_at`, the run's creation time) never replaces a newer one. Returns whether this run's
    set is now the published one."""
    if not media.exists(run_manifest_key(script_id, run_id, DELIVERED)):
        return False
    current = published(media, script_id)
    if current and current["run_id"] != run_id and current.get("created_at", 0) > created_at:
        return False
    stages = {}
    for stage in FILE_STAGES:
        for key in (run_manifest_key(script_id, run_id, stage), manifest_key(script_id, stage)):
            if media.exists(key):
                stages[stage] = json.loads(media.read_bytes(key))
                break
    media.put_bytes(json.dumps({"run_id": run_id, "created_at": created_at, "stages": stages},
                               ensure_ascii=False).encode(), published_key(script_id))
    return True


def prune_runs(media: MediaStore, script_id: int | str, run_finished: Callable[[str], bool]) -> list[str]:
    """Delete the run folders (`jobs/<id>/runs/<run id>/`) nothing needs any more; returns their run ids.

    Kept: the published run's folder; every folder a latest manifest points into (what a re-execution
    from failure builds on, and the stages the published set took from earlier runs); and the folder of
    any run that `run_finished` says is still queued or running. Everything else belongs to a superseded
    or failed render: without pruning, every re-render of a script would keep a full copy of its media."""
    runs_prefix = f"{job_prefix(script_id)}runs/"
    keys = media.list_keys(runs_prefix)
    run_ids = sorted({key[len(runs_prefix):].split("/", 1)[0] for key in keys})
    if not run_ids:
        return []
    needed = set()
    current = published(media, script_id)
    if current:
        needed.add(current["run_id"])
        needed |= _runs_named(json.dumps(current["stages"]), runs_prefix)
    for stage in FILE_STAGES:
        key = manifest_key(script_id, stage)
        if media.exists(key):
            needed |= _runs_named(media.read_bytes(key).decode("utf-8", "replace"), runs_prefix)
    pruned = [run_id for run_id in run_ids if run_id not in needed and run_finished(run_id)]
    for run_id in pruned:
        media.delete_prefix(f"{runs_prefix}{run_id}/")
    return pruned


def _runs_named(text: str, runs_prefix: str) -> set[str]:
    """Run ids of the run folders that keys or URIs in `text` point into."""
    return set(re.findall(re.escape(runs_prefix) + r"([^/\"]+)/", text))


def published(media: MediaStore, script_id: int | str) -> dict | None:
    key = published_key(script_id)
    return json.loads(media.read_bytes(key)) if media.exists(key) else None


def collect_outputs(media: MediaStore, script_id: int | str, presign: bool | None = None,
                    run_id: str | None = None) -> dict:
    """Stage → stable URI (a list for images and b-roll) of the published set; empty when nothing is
    published (or, with `run_id`, when that run's set is not the published one).

    With an S3 store (or `presign=True`) the result also holds `presigned`: the same shape with
    presigned HTTP(S) GET URLs, and `presigned_expires_at` (UTC, ISO 8601), so the business side can
    open the files without S3 credentials. The stable `s3://` URIs never expire."""
    current = published(media, script_id)
    if not current or (run_id is not None and current["run_id"] != run_id):
        return {}
    outputs: dict = {}
    keys: dict = {}
    for stage, value in current["stages"].items():
        if stage == "digital_human":
            clips = value.get("clips", [])
            if clips:
                outputs[stage] = [media.uri(c["key"]) for c in clips]
                keys[stage] = [c["key"] for c in clips]
            continue
        if stage in ("images", "broll_clips"):
            entries = value["images" if stage == "images" else "clips"]
            ordered = [entries[k] for k in sorted(entries, key=int)]
            outputs[stage] = [e["uri"] for e in ordered]
            keys[stage] = [e.get("key") or media.key_of(e["uri"]) for e in ordered]
        else:
            outputs[stage] = value["uri"]
            keys[stage] = value.get("key") or media.key_of(value["uri"])
    if outputs and (media.is_s3 if presign is None else presign):
        def sign(key):
            return media.public_url(key) if key else None

        outputs["presigned"] = {stage: [sign(k) for k in key] if isinstance(key, list) else sign(key)
                                for stage, key in keys.items()}
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=media.presign_seconds)
        outputs["presigned_expires_at"] = expires.replace(microsecond=0).isoformat()
    return outputs
