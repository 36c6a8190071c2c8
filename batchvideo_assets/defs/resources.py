"""Resources and the executor, chosen by configuration (never by editing code)."""

import dagster as dg

from batchvideo_assets.executors import build_executor
from batchvideo_assets.resources import build_resources


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(), executor=build_executor())
