"""Where a script's files live in the media store: the one definition of the key layout.

    jobs/<script id>/<file>                     media files of each stage (audio.wav, subtitle.srt, …)
    jobs/<script id>/manifests/<asset>.json     each asset's value (see `batchvideo_assets.io_manager`)
"""

from __future__ import annotations

# Every stage of a video, in graph order; all but `script` write files to the media store.
STAGES = ("script", "audio", "srt", "splits", "images", "broll_clips", "digital_human", "composed_video",
          "logoed_video", "cover")
FILE_STAGES = STAGES[1:]


def job_key(script_id: str | int, name: str) -> str:
    """Key of a media file that a stage writes for one script."""
    return f"jobs/{script_id}/{name}"


def manifest_key(script_id: str | int, asset: str) -> str:
    """Key of the JSON manifest holding an asset's value for one script."""
    return job_key(script_id, f"manifests/{asset}.json")
