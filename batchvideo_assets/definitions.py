"""The code location: everything under `defs/` (one folder per stage group, automation, resources)."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()


def build_definitions() -> dg.Definitions:
    """Load the `defs/` folder anew: configuration is read at load time, so tests call this after
    changing the environment."""
    return dg.load_from_defs_folder(project_root=Path(__file__).resolve().parent.parent)
