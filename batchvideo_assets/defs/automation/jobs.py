import dagster as dg

from batchvideo_assets.partitions import scripts_partitions
from batchvideo_assets.video_runs import JOB_NAME

# Every stage of one script; the sensor and `batchvideo render` launch this per partition.
render_video_job = dg.define_asset_job(
    JOB_NAME, selection=dg.AssetSelection.all(), partitions_def=scripts_partitions,
    description="Materialize every stage of the video for one script (partition = script id).",
)
