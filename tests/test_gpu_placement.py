"""GPU placement: the Kubernetes Job that `k8s_job_executor` would create for a step, built with
dagster-k8s's own job construction from the step's tags, merged with the executor's step config exactly as
K8sStepHandler does, and validated by round-tripping through the kubernetes client's V1Job model.

A step gets an A100, a GPU limit and the `gpu` pool exactly when it loads a model into its own process:
`images` with the in-process Flux backend. HTTP clients of model servers and the embedded defaults get
none, and `cover` never generates a picture (its background comes from `images`)."""

import json
from types import SimpleNamespace

import dagster as dg
import pytest
from kubernetes.client import ApiClient, V1Job

from batchvideo_assets.common import GPU_POOL

# Renders at the small test canvas: no test here checks the frame size.
pytestmark = pytest.mark.small_canvas


class _Response:
    def __init__(self, data: dict):
        self.data = json.dumps(data)


def _step_tags(job_def, step_key: str) -> dict:
    from dagster._core.execution.api import create_execution_plan

    return dict(create_execution_plan(job_def).get_step_by_key(step_key).tags)


def render_step_job(step_key: str) -> V1Job:
    """What K8sStepHandler.launch_step would submit for `step_key` of the render job (no cluster needed)."""
    from dagster_k8s.container_context import K8sContainerContext
    from dagster_k8s.job import (
        UserDefinedDagsterK8sConfig,
        construct_dagster_k8s_job,
        get_user_defined_k8s_config,
    )

    from batchvideo_assets.definitions import build_definitions
    from batchvideo_assets.executors import k8s_executor_config

    job_def = build_definitions().resolve_job_def("render_video")
    executor_config = k8s_executor_config()
    executor_context = K8sContainerContext(
        namespace=executor_config["job_namespace"], env_config_maps=executor_config["env_config_maps"],
        env_secrets=executor_config["env_secrets"], image_pull_policy=executor_config["image_pull_policy"],
        run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(executor_config["step_k8s_config"]))
    step_config = get_user_defined_k8s_config(_step_tags(job_def, step_key))
    context = executor_context.merge(K8sContainerContext(run_k8s_config=step_config))
    # What the K8sRunLauncher of a deployment contributes (Helm chart defaults).
    launcher = SimpleNamespace(job_image=None, dagster_home="/opt/dagster/dagster_home",
                               instance_config_map="dagster-instance", postgres_password_secret="dagster-postgresql")
    job_config = context.get_k8s_job_config("registry.example/batchvideo:1.0", launcher)
    job = construct_dagster_k8s_job(
        job_config=job_config, args=["dagster", "api", "execute_step"], job_name=f"dagster-step-{step_key}",
        pod_name=f"dagster-step-{step_key}", component="step_worker", user_defined_k8s_config=context.run_k8s_config,
        labels={"dagster/job": "render_video", "dagster/op": step_key})
    # The kubernetes client's own (de)serialisation: what the API server would receive, as a typed V1Job.
    api = ApiClient()
    return api.deserialize(_Response(api.sanitize_for_serialization(job)), "V1Job")


GPU_SERVERS = {"BATCHVIDEO_TTS_BACKEND": "http", "BATCHVIDEO_TTS_URL": "http://tts:8000",
               "BATCHVIDEO_LIPSYNC_BACKEND": "http", "BATCHVIDEO_LIPSYNC_URL": "http://lipsync:8000"}


@pytest.fixture
def images_job(monkeypatch) -> V1Job:
    monkeypatch.setenv("BATCHVIDEO_EXECUTOR", "k8s")
    monkeypatch.setenv("BATCHVIDEO_IMAGE_BACKEND", "flux")
    return render_step_job("images")


def _has_gpu(job: V1Job) -> bool:
    pod = job.spec.template.spec
    (container,) = pod.containers
    return ("nvidia.com/gpu" in (container.resources.limits or {}) or bool(pod.node_selector)
            or any(t.key == "nvidia.com/gpu" for t in pod.tolerations or []))


def test_images_step_job_lands_on_an_a100_node(images_job):
    pod = images_job.spec.template.spec
    assert pod.node_selector == {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}
    assert any(t.key == "nvidia.com/gpu" and t.operator == "Exists" and t.effect == "NoSchedule"
               for t in pod.tolerations)


def test_images_step_job_requests_one_gpu_and_keeps_cpu_defaults(images_job):
    (container,) = images_job.spec.template.spec.containers
    limits, requests = container.resources.limits, container.resources.requests
    assert limits["nvidia.com/gpu"] == "1" and requests["nvidia.com/gpu"] == "1"
    assert limits["memory"] == "48Gi"  # the GPU step's tag wins over the CPU step default
    assert container.image == "registry.example/batchvideo:1.0"
    assert {e.config_map_ref.name for e in container.env_from if e.config_map_ref} == {"batchvideo-env"}
    assert images_job.spec.backoff_limit == 0 and images_job.spec.ttl_seconds_after_finished == 3600
    assert images_job.metadata.labels["dagster/op"] == "images"


def _pools(monkeypatch, env: dict[str, str]) -> dict[str, set[str]]:
    from batchvideo_assets.definitions import build_definitions

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    graph = build_definitions().resolve_asset_graph()
    return {key.to_user_string(): set(graph.get(key).pools or ()) for key in graph.get_all_asset_keys()}


def test_only_in_process_flux_holds_a_gpu(monkeypatch):
    pools = _pools(monkeypatch, {**GPU_SERVERS, "BATCHVIDEO_IMAGE_BACKEND": "flux"})
    assert {stage for stage, p in pools.items() if p} == {"images"} and pools["images"] == {GPU_POOL}


@pytest.mark.parametrize("image_backend", ["placeholder", "http"])
def test_model_server_clients_and_defaults_hold_no_gpu(monkeypatch, image_backend):
    env = {**GPU_SERVERS, "BATCHVIDEO_IMAGE_BACKEND": image_backend, "BATCHVIDEO_IMAGE_URL": "http://flux:8000",
           "BATCHVIDEO_EXECUTOR": "k8s"}
    assert not any(_pools(monkeypatch, env).values())
    for step in ("images", "audio", "digital_human", "cover", "srt"):
        assert not _has_gpu(render_step_job(step)), step


def test_cpu_steps_get_no_gpu_and_no_gpu_node(monkeypatch):
    monkeypatch.setenv("BATCHVIDEO_IMAGE_BACKEND", "flux")
    for step in ("srt", "cover", "composed_video"):
        job = render_step_job(step)
        assert not _has_gpu(job), step
        (container,) = job.spec.template.spec.containers
        assert container.resources.limits["memory"] == "8Gi", step


def test_cover_picture_is_made_by_images_and_cover_runs_no_model(prepared_db, instance):
    """A topic with a cover prompt: its picture is generated by `images` (the GPU step, when there is
    one) with the shots, and `cover` only reads it — it has no image generator at all."""
    from conftest import add

    from batchvideo_assets.definitions import build_definitions
    from batchvideo_assets.partitions import scripts_partitions
    from batchvideo_resources.db import Topic, session_scope

    with session_scope(prepared_db) as session:
        session.add(Topic(name="posters", image_prompt="", image_prompt_prefix="", broll_ratio=0.0, extra={},
                          cover_prompt="a bold poster of a lighthouse"))
    pid = str(add(prepared_db, title="Lighthouse", language="en-US", topic="posters", account="plain",
                  content="The lighthouse stands on the rock. Its light turns all night."))
    instance.add_dynamic_partitions(scripts_partitions.name, [pid])
    defs = build_definitions()
    assert "image_gen" not in defs.resolve_assets_def("cover").required_resource_keys
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={dg.AssetKey(k) for k in ("script", "audio", "srt", "splits", "images", "cover")})
    result = job.execute_in_process(instance=instance, partition_key=pid)
    assert result.success
    images = result.output_for_node("images")
    background = images.cover_background
    assert background.prompt == "a bold poster of a lighthouse" and background.key.endswith(".png")
    meta = result.asset_materializations_for_node("cover")[0].metadata
    assert meta["background"].value == "topic cover picture"
    assert result.asset_materializations_for_node("images")[0].metadata["cover_background"].value == "generated"
