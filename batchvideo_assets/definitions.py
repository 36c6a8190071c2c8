"""The code location: everything under `defs/` (one folder per stage group, automation, resources)."""

import functools
from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return loaded_definitions()


@functools.cache
def loaded_definitions() -> dg.Definitions:
    """The code location as this process loaded it. Built once per process: the multiprocess executor's
    forkserver builds it before forking (`batchvideo_assets.preload`), so a step process starts with it."""
    return build_definitions()


def build_definitions() -> dg.Definitions:
    """Load the `defs/` folder anew: configuration is read at load time, so tests call this after
    changing the environment."""
    return dg.load_from_defs_folder(project_root=Path(__file__).resolve().parent.parent)


# In a Dagster code server, run workers start from a preloaded forkserver (see run_workers.py).
from batchvideo_assets import run_workers  # noqa: E402

run_workers.install()
