"""The executor comes from BATCHVIDEO_EXECUTOR: in_process | multiprocess (default) | k8s | docker.

- `in_process`: every step in the run's process (debugging, tests).
- `multiprocess`: a subprocess per step on the same host (`BATCHVIDEO_MAX_CONCURRENT`, default 2),
  forked from a forkserver that has already imported Dagster and the code location and built its
  definitions (`preload_modules`), so a step starts without importing and building them anew (~2 s each).
- `k8s`: `k8s_job_executor`, every step its own Kubernetes Job/pod (10 per video). CPU steps get the
  modest default resources below; a step that loads a GPU model into its own process (`images` with
  `BATCHVIDEO_IMAGE_BACKEND=flux`, nothing else today) carries a `dagster-k8s/config` op tag (see
  `common.py`) requesting `nvidia.com/gpu: 1` with a node selector `nvidia.com/gpu.product` (A100)
  and a toleration for the `nvidia.com/gpu` taint, so only it lands on the A100 node pool. The `gpu`
  concurrency pool keeps one GPU from being oversubscribed. The production default is instead the
  run in its own pod (K8sRunLauncher + `multiprocess`, one pod per video) with Flux, TTS and lip-sync
  in long-lived model servers on the A100 nodes (deploy/k8s/flux-server.yaml).
- `docker`: `docker_executor`, every step its own container on one Docker host. The Docker executor
  has no per-step container settings, so GPUs are given to step containers with
  `BATCHVIDEO_DOCKER_GPUS` (`all` or device IDs such as `0,1`) → a Docker `device_requests` entry for
  the NVIDIA container toolkit (the `docker run --gpus` equivalent). CPU steps then see the GPU but do
  not use it; the `gpu` pool (limit 1 by default) still runs one GPU step at a time.
"""

from __future__ import annotations

import pkgutil

import dagster as dg

from batchvideo_assets import defs as defs_package
from batchvideo_resources.settings import ExecutorSettings, configured_env_names, load_settings

# Resources of a CPU step pod (ffmpeg, espeak, placeholders); GPU steps override via their op tags.
CPU_STEP_K8S_CONFIG = {
    "container_config": {"resources": {"requests": {"cpu": "1", "memory": "2Gi"},
                                       "limits": {"cpu": "4", "memory": "8Gi"}}},
    "job_spec_config": {"ttl_seconds_after_finished": 3600, "backoff_limit": 0},
}


def k8s_executor_config(executor: ExecutorSettings | None = None) -> dict:
    """Config of `k8s_job_executor` (namespace, ConfigMap/Secret with the step pods' environment)."""
    executor = executor or load_settings().executor
    config: dict = {
        "max_concurrent": executor.max_concurrent_for("k8s"),
        "job_namespace": executor.k8s_namespace,
        "env_config_maps": [executor.k8s_env_configmap],
        "env_secrets": [executor.k8s_env_secret],
        "image_pull_policy": executor.k8s_image_pull_policy,
        "step_k8s_config": CPU_STEP_K8S_CONFIG,
        "retries": {"enabled": {}},
    }
    if executor.image:  # otherwise the image of the code location (Helm user deployment) is used
        config["job_image"] = executor.image
    if executor.k8s_service_account:
        config["service_account_name"] = executor.k8s_service_account
    if executor.k8s_models_pvc:  # Flux weights for the in-process image step, read-only at /models
        config["per_step_k8s_config"] = {"images": {
            "pod_spec_config": {"volumes": [{"name": "models", "persistent_volume_claim": {
                "claim_name": executor.k8s_models_pvc, "read_only": True}}]},
            "container_config": {"volume_mounts": [{"name": "models", "mount_path": "/models",
                                                    "read_only": True}]},
        }}
    return config


def preload_modules() -> list[str]:
    """What the forkserver imports once for every step process: Dagster, every module under `defs/`
    (with the libraries they import: SQLAlchemy, Pillow, pydantic, …) and `batchvideo_assets.preload`,
    which builds the code location and resolves the render job."""
    stages = [m.name for m in pkgutil.walk_packages(defs_package.__path__, f"{defs_package.__name__}.")]
    return ["dagster", "batchvideo_assets.definitions", *stages, "batchvideo_assets.preload"]


def multiprocess_executor_config(executor: ExecutorSettings | None = None) -> dict:
    executor = executor or load_settings().executor
    return {"max_concurrent": executor.max_concurrent_for("multiprocess"),
            "start_method": {"forkserver": {"preload_modules": preload_modules()}}}


def docker_gpu_requests(gpus: str | None) -> list[dict]:
    """`BATCHVIDEO_DOCKER_GPUS` → docker-py `device_requests` (the `docker run --gpus` equivalent)."""
    if not gpus or gpus.strip().lower() in ("", "none", "0"):
        return []
    gpus = gpus.strip().lower()
    if gpus == "all":
        return [{"driver": "nvidia", "count": -1, "capabilities": [["gpu"]]}]
    return [{"driver": "nvidia", "device_ids": [g.strip() for g in gpus.split(",") if g.strip()],
             "capabilities": [["gpu"]]}]


def docker_executor_config(executor: ExecutorSettings | None = None) -> dict:
    executor = executor or load_settings().executor
    container_kwargs: dict = {"stop_timeout": 60}
    devices = docker_gpu_requests(executor.docker_gpus)
    if devices:
        container_kwargs["device_requests"] = devices
    if executor.docker_volumes:  # e.g. "batchvideo_media:/data"
        container_kwargs["volumes"] = executor.docker_volumes
    return {
        "image": executor.docker_image,
        # Every variable of the settings model that is set here, passed by name (the value comes from
        # this process); unset ones are left out, since the Docker executor refuses a step for them.
        "env_vars": configured_env_names(),
        "networks": [executor.docker_network],
        "container_kwargs": container_kwargs,
        "max_concurrent": executor.max_concurrent_for("docker"),
        "retries": {"enabled": {}},
    }


def _interrupted_retry(event: dg.DagsterEvent) -> bool:
    """A step retry that Dagster requested because the step was interrupted (its RetryPolicy)."""
    if event.event_type != dg.DagsterEventType.STEP_UP_FOR_RETRY:
        return False
    error = getattr(event.event_specific_data, "error", None)
    while error is not None:
        if error.cls_name in ("DagsterExecutionInterruptedError", "KeyboardInterrupt"):
            return True
        error = error.cause
    return False


def _cancelable_in_process(init_context):
    from batchvideo_assets.dagster_compat import (
        DagsterExecutionInterruptedError,
        InProcessExecutor,
        _core_in_process_executor_creation,
        check_captured_interrupt,
    )

    class CancelableInProcessExecutor(InProcessExecutor):
        """Dagster's in-process executor, which stops when its run is canceled. A cancel reaches the run
        worker as one SIGINT. Inside a step with a RetryPolicy (every service step here) Dagster turns
        that interrupt into a retry of the step, and between steps it only records it: either way the
        run went on to SUCCESS. Dagster's multiprocess executor checks for both; this does as it does,
        ending the run as canceled."""

        def execute(self, plan_context, execution_plan):
            events = super().execute(plan_context, execution_plan)
            try:
                for event in events:
                    yield event
                    if _interrupted_retry(event) or check_captured_interrupt():
                        raise DagsterExecutionInterruptedError()
            finally:
                events.close()

    base = _core_in_process_executor_creation(init_context.executor_config)
    return CancelableInProcessExecutor(retries=base.retries, step_dependency_config=base.step_dependency_config)


def in_process_executor() -> dg.ExecutorDefinition:
    """`in_process`, with Dagster's config schema, that a cancel stops (CancelableInProcessExecutor)."""
    from batchvideo_assets.dagster_compat import IN_PROC_CONFIG

    return dg.ExecutorDefinition(name="in_process", config_schema=IN_PROC_CONFIG,
                                 executor_creation_fn=_cancelable_in_process,
                                 description="Execute all steps in a single process; a cancel stops the run.")


def build_executor() -> dg.ExecutorDefinition:
    executor = load_settings().executor
    if executor.name == "in_process":
        return in_process_executor()
    if executor.name == "multiprocess":
        return dg.multiprocess_executor.configured(multiprocess_executor_config(executor))
    if executor.name == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor.configured(k8s_executor_config(executor))
    from dagster_docker import docker_executor  # "docker", the last of the choices

    return docker_executor.configured(docker_executor_config(executor))
