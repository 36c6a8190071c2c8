"""The code location: assets by stage, the render job, sensors, resources and executor."""

import dagster as dg

from batchvideo_assets.assets.presenter import build_digital_human_asset
from batchvideo_assets.assets.script import script
from batchvideo_assets.assets.speech import build_audio_asset, splits, srt
from batchvideo_assets.assets.video import composed_video, cover, logoed_video
from batchvideo_assets.assets.visuals import broll_clips, images
from batchvideo_assets.checks import asset_checks
from batchvideo_assets.executors import build_executor
from batchvideo_assets.jobs import render_video_job
from batchvideo_assets.resources import build_resources, lipsync_backend, tts_backend
from batchvideo_assets.sensors import run_status_sensors, scripts_sensor


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[script, build_audio_asset(neural_tts=tts_backend() != "espeak"), srt, splits, images, broll_clips,
                build_digital_human_asset(gpu=lipsync_backend() != "placeholder"), composed_video, logoed_video, cover],
        asset_checks=asset_checks,
        jobs=[render_video_job],
        sensors=[scripts_sensor, *run_status_sensors],
        resources=build_resources(),
        executor=build_executor(),
    )


defs = build_definitions()
