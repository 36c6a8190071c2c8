"""Submitting runs to the instance the way `dagster job launch` does, from the project's workspace.

The workspace (workspace.yaml) is loaded once per command, through a code-location server process,
and every run is created from the code location's own snapshot of the job, so the run launcher,
run coordinator, executor and tags behave exactly as for runs launched from the UI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from batchvideo_assets.video_runs import JOB_NAME
from batchvideo_resources import settings


@contextmanager
def open_workspace(instance: dg.DagsterInstance, workspace_file: str | None = None) -> Iterator[tuple]:
    """(workspace context, remote `render_video` job) for the project's code location."""
    from dagster import __version__

    from batchvideo_assets.dagster_compat import (
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


def submit_run(instance: dg.DagsterInstance, workspace, remote: tuple, tags: dict[str, str], run_config: dict,
               asset_selection: list[dg.AssetKey] | None = None) -> dg.DagsterRun:
    """Create the run from the code location's snapshot of the job (or of the subset of its stages in
    `asset_selection`, with their checks) and hand it to the run coordinator, as `dagster job launch` does."""
    from batchvideo_assets.dagster_compat import JobSubsetSelector

    location, repo, remote_job = remote
    selector = JobSubsetSelector(location_name=location.name, repository_name=repo.name, job_name=remote_job.name,
                                 op_selection=None, asset_selection=asset_selection)
    job = location.get_job(selector)
    plan = location.get_execution_plan(job, run_config, step_keys_to_execute=None, known_state=None,
                                       instance=instance).execution_plan_snapshot
    check_keys = None
    if asset_selection is not None:
        wanted = set(asset_selection)
        check_keys = frozenset(k for k in repo.asset_graph.asset_check_keys if k.asset_key in wanted)
    run = instance.create_run(
        job_name=job.name, run_id=None, run_config=run_config, resolved_op_selection=None,
        step_keys_to_execute=plan.step_keys_to_execute, op_selection=None, status=None, root_run_id=None,
        parent_run_id=None, tags={**job.tags, **tags}, job_snapshot=job.job_snapshot,
        execution_plan_snapshot=plan, parent_job_snapshot=job.parent_job_snapshot,
        remote_job_origin=job.get_remote_origin(), job_code_origin=job.get_python_origin(),
        asset_selection=frozenset(asset_selection) if asset_selection is not None else None,
        asset_check_selection=check_keys, asset_graph=repo.asset_graph)
    return instance.submit_run(run.run_id, workspace)
