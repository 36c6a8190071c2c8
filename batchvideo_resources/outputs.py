"""What a finished render produced: every stage's file URIs, read from the manifests in the media store."""

from __future__ import annotations

import datetime as dt
import json

from batchvideo_resources.layout import FILE_STAGES, manifest_key
from batchvideo_resources.media_store import MediaStore


def collect_outputs(media: MediaStore, script_id: int | str, presign: bool | None = None) -> dict:
    """Stage → stable URI (a list for images and b-roll), read from the stage manifests.

    With an S3 store (or `presign=True`) the result also holds `presigned`: the same shape with
    presigned HTTP(S) GET URLs, and `presigned_expires_at` (UTC, ISO 8601), so the business side can
    open the files without S3 credentials. The stable `s3://` URIs never expire."""
    outputs: dict = {}
    keys: dict = {}
    for stage in FILE_STAGES:
        key = manifest_key(script_id, stage)
        if not media.exists(key):
            continue
        value = json.loads(media.read_bytes(key))
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
