"""Imported once by the multiprocess executor's forkserver (`preload_modules`): the code location is
built and the render job resolved there, so every step process forked from it starts with both instead
of importing and building them again (~2 s a step on 2 cores)."""

import contextlib

from batchvideo_assets.definitions import loaded_definitions
from batchvideo_assets.defs.automation.jobs import render_video_job

# A configuration error is left for the step to report with its own traceback.
with contextlib.suppress(Exception):
    loaded_definitions().resolve_job_def(render_video_job.name)
