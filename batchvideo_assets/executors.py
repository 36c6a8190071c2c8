"""The executor comes from BATCHVIDEO_EXECUTOR: in_process | multiprocess (default) | k8s | docker."""

from __future__ import annotations

import dagster as dg

from batchvideo_resources import settings

EXECUTORS = ("in_process", "multiprocess", "k8s", "docker")


def build_executor(name: str | None = None) -> dg.ExecutorDefinition:
    name = name or settings.get("BATCHVIDEO_EXECUTOR", "multiprocess")
    if name == "in_process":
        return dg.in_process_executor
    if name == "multiprocess":
        return dg.multiprocess_executor.configured({"max_concurrent": int(settings.get("BATCHVIDEO_MAX_CONCURRENT", "2"))})
    if name == "k8s":
        from dagster_k8s import k8s_job_executor

        # Each step is its own pod; GPU steps get A100 placement from their `dagster-k8s/config` tags.
        return k8s_job_executor.configured({
            "max_concurrent": int(settings.get("BATCHVIDEO_MAX_CONCURRENT", "8")),
            "job_namespace": settings.get("BATCHVIDEO_K8S_NAMESPACE", "batchvideo"),
            "env_config_maps": ["batchvideo-env"], "env_secrets": ["batchvideo-secrets"],
        })
    if name == "docker":
        from dagster_docker import docker_executor

        return docker_executor.configured({
            "image": settings.get("BATCHVIDEO_IMAGE", "batchvideo:latest"),
            "env_vars": ["BATCHVIDEO_DB_URL", "BATCHVIDEO_MEDIA_URL", "BATCHVIDEO_S3_ENDPOINT_URL",
                         "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DAGSTER_HOME"],
            "networks": [settings.get("BATCHVIDEO_DOCKER_NETWORK", "batchvideo")],
            # GPU steps: the Docker engine's `nvidia` runtime exposes the host GPU to step containers.
            "container_kwargs": {"runtime": settings.get("BATCHVIDEO_DOCKER_RUNTIME", "runc")},
        })
    raise ValueError(f"BATCHVIDEO_EXECUTOR must be one of {EXECUTORS}, not {name!r}")
