"""Small helpers the stage modules share."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from batchvideo_resources.script_spec import BadScriptError

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


WORKDIR_PREFIX = "batchvideo-"
STALE_WORKDIR_S = 3 * 3600


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    """A scratch folder for one step, removed when the step ends. A step killed outright (kill -9, OOM)
    cannot remove its own, so each new one first sweeps the folders left by dead processes."""
    sweep_stale_workdirs()
    path = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_stale_workdirs(max_age_s: float = STALE_WORKDIR_S) -> list[Path]:
    """Remove `batchvideo-<pid>-*` folders older than `max_age_s` whose process is gone; returns them.
    Cheap: one directory listing (and a stat per candidate)."""
    removed = []
    now = time.time()
    for path in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*-*"):
        owner = path.name[len(WORKDIR_PREFIX):].split("-", 1)[0]
        if not owner.isdigit() or not path.is_dir() or _alive(int(owner)):
            continue
        try:
            if now - path.stat().st_mtime < max_age_s:
                continue
        except FileNotFoundError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@contextlib.contextmanager
def bad_input_is_final() -> Iterator[None]:
    """Turn a BadScriptError into a non-retried Failure whose description names the field."""
    try:
        yield
    except BadScriptError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False,
                         metadata={"field": exc.field}) from exc

