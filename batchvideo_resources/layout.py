"""Where a script's files live in the media store: the one definition of the key layout.

    jobs/<script id>/runs/<run id>/<file>                    media files a run writes (audio.wav, subtitle.srt, …)
    jobs/<script id>/runs/<run id>/manifests/<asset>.json    each asset's value as that run produced it
    jobs/<script id>/manifests/<asset>.json                  each asset's latest value, whichever run made it
                                                             (what the next stage or a re-execution reads)
    jobs/<script id>/published.json                          the published set: the manifests of the last run
                                                             that succeeded as a whole, written last

A run never writes over another run's files, so a failed re-render leaves the published set exactly as
it was. Folders of runs nothing needs any more are pruned at write-back (`outputs.prune_runs`), so the
URIs of superseded SUCCESS rows stop resolving once a newer set is published.
"""

from __future__ import annotations

# Every stage of a video, in graph order; all but `script` write files to the media store.
STAGES = ("script", "audio", "srt", "splits", "images", "broll_clips", "digital_human", "composed_video",
          "logoed_video", "cover")
FILE_STAGES = STAGES[1:]


def job_prefix(script_id: str | int) -> str:
    return f"jobs/{script_id}/"


def run_key(script_id: str | int, run_id: str, name: str) -> str:
    """Key of a media file that a stage writes for one script in one run."""
    return f"{job_prefix(script_id)}runs/{run_id}/{name}"


def run_manifest_key(script_id: str | int, run_id: str, asset: str) -> str:
    """Key of an asset's manifest as one run produced it."""
    return run_key(script_id, run_id, f"manifests/{asset}.json")


def manifest_key(script_id: str | int, asset: str) -> str:
    """Key of the JSON manifest holding an asset's latest value for one script."""
    return f"{job_prefix(script_id)}manifests/{asset}.json"


def published_key(script_id: str | int) -> str:
    """Key of the pointer to the published set of a script's outputs."""
    return f"{job_prefix(script_id)}published.json"
