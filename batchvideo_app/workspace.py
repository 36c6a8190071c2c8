"""Submitting runs to the instance the way `dagster job launch` does, from the project's workspace.

The workspace (workspace.yaml) is loaded once per command, through a code-location server process,
and every run is created from the code location's own snapshot of the job, so the run launcher,
run coordinator, executor and tags behave exactly as for runs launched from the UI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from batchvideo_resources import settings

JOB_NAME = "render_video"


@contextmanager
def open_workspace(instance: dg.DagsterInstance, workspace_file: str | None = None) -> Iterator[tuple]:
    """(workspace context, remote `render_video` job) for the project's code location."""
    from dagster import __version__
    from dagster._cli.workspace.cli_target import (
        WorkspaceOpts,
        get_code_location_from_workspace,
        get_remote_job_from_remote_repo,
        get_remote_repository_from_code_location,
        get_workspace_from_cli_opts,
    )

    path = workspace_file or str(Path(settings.PROJECT_ROOT) / "workspace.yaml")
    with get_workspace_from_cli_opts(instance, version=__version__,
                                     workspace_opts=WorkspaceOpts(workspace=(path,))) as workspace:
        location = get_code_location_from_workspace(workspace, None)
        repo = get_remote_repository_from_code_location(location, None)
        yield workspace, (location, repo, get_remote_job_from_remote_repo(repo, JOB_NAME))


def submit_run(instance: dg.DagsterInstance, workspace, remote: tuple, tags: dict[str, str],
               run_config: dict) -> dg.DagsterRun:
    """Create the run from the code location's snapshot and hand it to the run coordinator (queued)."""
    from dagster._cli.job import _create_run

    location, repo, remote_job = remote
    run = _create_run(instance=instance, code_location=location, remote_repo=repo, remote_job=remote_job,
                      run_config=run_config, tags=tags, op_selection=None, run_id=None)
    return instance.submit_run(run.run_id, workspace)
