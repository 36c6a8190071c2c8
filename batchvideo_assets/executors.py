"""The executor comes from BATCHVIDEO_EXECUTOR: in_process | multiprocess (default) | k8s | docker.

- `in_process`: every step in the run's process (debugging, tests).
- `multiprocess`: a subprocess per step on the same host (`BATCHVIDEO_MAX_CONCURRENT`, default 2).
- `k8s`: `k8s_job_executor`, every step its own Kubernetes Job/pod. CPU steps get the modest default
  resources below; GPU steps (`images`, `audio` with a neural TTS, lip-sync) carry a
  `dagster-k8s/config` op tag (see `assets/common.py`) requesting `nvidia.com/gpu: 1` with a node
  selector `nvidia.com/gpu.product` (A100) and a toleration for the `nvidia.com/gpu` taint, so only
  they land on the A100 node pool. The `gpu` concurrency pool keeps one GPU from being oversubscribed.
- `docker`: `docker_executor`, every step its own container on one Docker host. The Docker executor
  has no per-step container settings, so GPUs are given to step containers with
  `BATCHVIDEO_DOCKER_GPUS` (`all` or device IDs such as `0,1`) → a Docker `device_requests` entry for
  the NVIDIA container toolkit (the `docker run --gpus` equivalent). CPU steps then see the GPU but do
  not use it; the `gpu` pool (limit 1 by default) still runs one GPU step at a time.
"""

from __future__ import annotations

import dagster as dg

from batchvideo_resources import settings

EXECUTORS = ("in_process", "multiprocess", "k8s", "docker")

# Environment the step containers need; passed by name (the value comes from the launching process).
STEP_ENV = ("BATCHVIDEO_DB_URL", "BATCHVIDEO_MEDIA_URL", "BATCHVIDEO_S3_ENDPOINT_URL",
            "BATCHVIDEO_S3_PUBLIC_ENDPOINT_URL", "BATCHVIDEO_S3_BUCKET", "BATCHVIDEO_PRESIGN_SECONDS",
            "BATCHVIDEO_DATA_DIR", "BATCHVIDEO_STOCK_DIR", "BATCHVIDEO_STOCK_BACKEND", "PEXELS_API_KEY",
            "BATCHVIDEO_ASSET_ROOTS", "BATCHVIDEO_TTS_BACKEND", "BATCHVIDEO_TTS_URL", "BATCHVIDEO_LIPSYNC_BACKEND",
            "BATCHVIDEO_LIPSYNC_URL", "BATCHVIDEO_ASR_URL", "BATCHVIDEO_IMAGE_BACKEND", "BATCHVIDEO_IMAGE_URL",
            "BATCHVIDEO_FLUX_MODEL", "BATCHVIDEO_LORA_DIR", "BATCHVIDEO_LLM_BASE_URL", "BATCHVIDEO_LLM_MODEL",
            "BATCHVIDEO_LLM_API_KEY", "BATCHVIDEO_EXECUTOR", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_REGION", "DAGSTER_HOME", "DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER",
            "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB")

# Resources of a CPU step pod (ffmpeg, espeak, placeholders); GPU steps override via their op tags.
CPU_STEP_K8S_CONFIG = {
    "container_config": {"resources": {"requests": {"cpu": "1", "memory": "2Gi"},
                                       "limits": {"cpu": "4", "memory": "8Gi"}}},
    "job_spec_config": {"ttl_seconds_after_finished": 3600, "backoff_limit": 0},
}


def _max_concurrent(default: str) -> int:
    return int(settings.get("BATCHVIDEO_MAX_CONCURRENT", default))


def k8s_executor_config() -> dict:
    """Config of `k8s_job_executor` from the environment (namespace, ConfigMap/Secret with the env)."""
    config: dict = {
        "max_concurrent": _max_concurrent("8"),
        "job_namespace": settings.get("BATCHVIDEO_K8S_NAMESPACE", "batchvideo"),
        "env_config_maps": [settings.get("BATCHVIDEO_K8S_ENV_CONFIGMAP", "batchvideo-env")],
        "env_secrets": [settings.get("BATCHVIDEO_K8S_ENV_SECRET", "batchvideo-secrets")],
        "image_pull_policy": settings.get("BATCHVIDEO_K8S_IMAGE_PULL_POLICY", "IfNotPresent"),
        "step_k8s_config": CPU_STEP_K8S_CONFIG,
        "retries": {"enabled": {}},
    }
    image = settings.get("BATCHVIDEO_IMAGE")
    if image:  # otherwise the image of the code location (Helm user deployment) is used
        config["job_image"] = image
    account = settings.get("BATCHVIDEO_K8S_SERVICE_ACCOUNT")
    if account:
        config["service_account_name"] = account
    models_pvc = settings.get("BATCHVIDEO_K8S_MODELS_PVC")
    if models_pvc:  # Flux weights for the in-process image step, read-only at /models
        config["per_step_k8s_config"] = {"images": {
            "pod_spec_config": {"volumes": [{"name": "models", "persistent_volume_claim": {
                "claim_name": models_pvc, "read_only": True}}]},
            "container_config": {"volume_mounts": [{"name": "models", "mount_path": "/models",
                                                    "read_only": True}]},
        }}
    return config


def docker_gpu_requests(gpus: str | None) -> list[dict]:
    """`BATCHVIDEO_DOCKER_GPUS` → docker-py `device_requests` (the `docker run --gpus` equivalent)."""
    if not gpus or gpus.strip().lower() in ("", "none", "0"):
        return []
    gpus = gpus.strip().lower()
    if gpus == "all":
        return [{"driver": "nvidia", "count": -1, "capabilities": [["gpu"]]}]
    return [{"driver": "nvidia", "device_ids": [g.strip() for g in gpus.split(",") if g.strip()],
             "capabilities": [["gpu"]]}]


def docker_executor_config() -> dict:
    container_kwargs: dict = {"stop_timeout": 60}
    devices = docker_gpu_requests(settings.get("BATCHVIDEO_DOCKER_GPUS"))
    if devices:
        container_kwargs["device_requests"] = devices
    media_volume = settings.get("BATCHVIDEO_DOCKER_VOLUMES")  # e.g. "batchvideo_media:/data" (comma-separated)
    if media_volume:
        container_kwargs["volumes"] = [v.strip() for v in media_volume.split(",") if v.strip()]
    return {
        "image": settings.get("BATCHVIDEO_IMAGE", "batchvideo:latest"),
        # Only names set here: the Docker executor refuses to start a step for an unset name.
        "env_vars": [n for n in STEP_ENV if settings.get(n) is not None],
        "networks": [settings.get("BATCHVIDEO_DOCKER_NETWORK", "batchvideo")],
        "container_kwargs": container_kwargs,
        "max_concurrent": _max_concurrent("4"),
        "retries": {"enabled": {}},
    }


def build_executor(name: str | None = None) -> dg.ExecutorDefinition:
    name = name or settings.get("BATCHVIDEO_EXECUTOR", "multiprocess")
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        return dg.multiprocess_executor.configured({"max_concurrent": _max_concurrent("2")})
    if name == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor.configured(k8s_executor_config())
    if name == "docker":
        from dagster_docker import docker_executor

        return docker_executor.configured(docker_executor_config())
    raise ValueError(f"BATCHVIDEO_EXECUTOR must be one of {EXECUTORS}, not {name!r}")
