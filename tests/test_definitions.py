import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from batchvideo_assets.definitions import build_definitions

ROOT = Path(__file__).resolve().parents[1]
STAGES = {"script", "audio", "srt", "splits", "images", "broll_clips", "digital_human", "composed_video",
          "logoed_video", "cover"}


def test_definitions_load():
    defs = build_definitions()
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.materializable_asset_keys}
    assert keys == STAGES
    observed = {k.to_user_string() for k in graph.get_all_asset_keys()} - keys
    assert observed == {f"scripts_table/{f}" for f in ("narration", "visual_style", "presentation", "branding")}
    for key in keys:
        node = defs.resolve_assets_def(key)
        assert node.partitions_def is not None and node.partitions_def.name == "scripts"
        assert node.descriptions_by_key[dg.AssetKey(key)]


@pytest.mark.media  # a subprocess loads the code location (~20 s)
def test_dagster_cli_validates_workspace():
    env = {**os.environ}
    proc = subprocess.run([sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _executor_definitions() -> dict:
    from dagster_docker import docker_executor
    from dagster_k8s import k8s_job_executor

    from batchvideo_assets.executors import in_process_executor

    # in_process: Dagster's executor with its config, stopped by a cancel (batchvideo_assets.executors).
    return {"in_process": in_process_executor(), "multiprocess": dg.multiprocess_executor,
            "k8s": k8s_job_executor, "docker": docker_executor}


@pytest.mark.parametrize("executor", ["in_process", "multiprocess", "k8s", "docker"])
def test_executor_chosen_by_environment(monkeypatch, executor):
    """The render job runs on Dagster's own executor of that name: same name and same executor function
    (configured copies keep both), and none of the other three."""
    monkeypatch.setenv("BATCHVIDEO_EXECUTOR", executor)
    chosen = build_definitions().resolve_job_def("render_video").executor_def
    matches = [name for name, definition in _executor_definitions().items()
               if chosen.name == definition.name and chosen.executor_creation_fn is definition.executor_creation_fn]
    assert matches == [executor], (chosen.name, matches)


@pytest.mark.parametrize("executor", ["multiprocess", "k8s", "docker"])
def test_the_chosen_executor_runs_steps_at_the_configured_concurrency(monkeypatch, executor):
    """The executor is not only the right kind: the configuration it resolves to at launch holds the
    settings (here BATCHVIDEO_MAX_CONCURRENT), not its own defaults."""
    monkeypatch.setenv("BATCHVIDEO_EXECUTOR", executor)
    monkeypatch.setenv("BATCHVIDEO_MAX_CONCURRENT", "3")
    resolved = build_definitions().resolve_job_def("render_video").executor_def.config_schema.resolve_config({})
    assert resolved.success, resolved.errors
    assert resolved.value["config"]["max_concurrent"] == 3
