"""Small helpers the stage modules share."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from batchvideo_resources.script_spec import BadScriptError, ScriptSpec

# Steps that load a GPU model into their own process: on `k8s_job_executor` each becomes a pod on an
# A100 node; the `gpu` pool keeps one GPU from being oversubscribed whatever the executor. A step that
# only calls a model server (TTS, lip-sync, Flux behind `http`) holds no GPU.
GPU_POOL = "gpu"
GPU_OP_TAGS = {
    "dagster-k8s/config": {
        "container_config": {"resources": {"limits": {"nvidia.com/gpu": "1", "memory": "48Gi"},
                                           "requests": {"nvidia.com/gpu": "1", "cpu": "4", "memory": "32Gi"}}},
        "pod_spec_config": {
            "node_selector": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        },
    },
    "batchvideo/accelerator": "a100",
}


def gpu_placement(runs_model: bool) -> dict:
    """`@dg.asset` arguments placing a step on a GPU exactly when it runs a model in its own process."""
    return {"op_tags": GPU_OP_TAGS, "pool": GPU_POOL} if runs_model else {}


# Every asset declares a `code_version`: bump it with any change to its code that changes its output,
# and the UI shows that stage and everything downstream of it as stale for every script.

# Model/service calls: exponential backoff with jitter. Bad input raises dg.Failure(allow_retries=False).
SERVICE_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="batchvideo-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def spec_of(script: dict) -> ScriptSpec:
    return ScriptSpec.model_validate(script["spec"])


@contextlib.contextmanager
def bad_input_is_final() -> Iterator[None]:
    """Turn a BadScriptError into a non-retried Failure whose description names the field."""
    try:
        yield
    except BadScriptError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False,
                         metadata={"field": exc.field}) from exc


def size_meta(path: Path) -> dict:
    return {"size_bytes": path.stat().st_size}
