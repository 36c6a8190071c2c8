"""Image generation: a labelled placeholder renderer (default), Flux via diffusers, or a remote image server.

The Flux pipeline is loaded lazily, once per process (whatever the number of resource instances, since GPU
memory is the limit), never at import time: importing this module does not import torch or diffusers.
In production Flux runs in one long-lived server process (services/flux, the `http` backend), so it is
loaded once per GPU worker whatever the executor starts per step."""

from __future__ import annotations

import io
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image
from pydantic import Field

from batchvideo_media.images import render_placeholder
from batchvideo_resources.configured import settings_fields
from batchvideo_resources.http_retry import request_with_retries, service_url
from batchvideo_resources.redaction import redact

# One pipeline per (model, device, offload, tiling) per process, each with its own lock: LoRA switching
# and generation on a shared pipeline must not interleave.
_PIPELINES: dict[tuple, object] = {}
_PIPELINE_LOCKS: dict[tuple, threading.RLock] = {}
_REGISTRY_LOCK = threading.Lock()
_LOADS = {"count": 0}  # pipelines loaded by this process (metadata: how often the model was loaded)
BACKENDS = ("placeholder", "flux", "http")
# The image server's answer carries how many times it has loaded the model since it started.
LOADS_HEADER = "X-Model-Loads"


def pipeline_loads() -> int:
    """How many Flux pipelines this process has loaded."""
    return _LOADS["count"]


def snap_up(value: int, multiple: int) -> int:
    """Smallest multiple of `multiple` that is ≥ value (Flux needs sizes divisible by 16)."""
    return max(multiple, math.ceil(value / multiple) * multiple)


def fit_exact(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale to cover width×height and crop the centre: never distorts the picture."""
    if image.size == (width, height):
        return image
    scale = max(width / image.width, height / image.height)
    resized = image.resize((max(width, round(image.width * scale)), max(height, round(image.height * scale))),
                           Image.Resampling.LANCZOS)
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))


class ImageGenResource(settings_fields("image_gen")):
    """`generate(jobs, width, height, lora=…)` writes one PNG per job at exactly width×height.

    Each job is a dict with `prompt`, `keywords` (what the placeholder shows: never the narration,
    which the subtitles already show), `seed`,
    `index` and `out` (Path). The same seed, prompt, model and LoRA give the same picture."""

    # backend, url, model, lora_dir: from the settings that feed "image_gen" (batchvideo_resources/settings.py).
    steps: int = 28
    guidance: float = 3.5
    batch_size: int = Field(default=2, ge=1, description="prompts per pipeline call")
    max_sequence_length: int = Field(default=256, description="T5 prompt tokens")
    cpu_offload: bool = Field(default=False, description="enable_model_cpu_offload (CUDA with little memory)")
    vae_tiling: bool = Field(default=True, description="decode latents in tiles (less memory at large sizes)")
    timeout_s: float = 300.0
    attempts: int = 4

    @property
    def model_name(self) -> str:
        if self.backend == "placeholder":
            return "placeholder"
        if self.backend == "http":
            return f"http:{redact(self._server_url)}"
        return f"flux:{self._model_path}"

    @property
    def _model_path(self) -> str:
        if not self.model:
            raise ValueError("image backend 'flux' needs a model path or id (BATCHVIDEO_FLUX_MODEL)")
        return self.model

    @property
    def _server_url(self) -> str:
        return service_url(self.url, "BATCHVIDEO_IMAGE_URL", "image")

    @property
    def runs_model_in_process(self) -> bool:
        """Whether generating loads a model into this process (and so needs its GPU)."""
        return self.backend == "flux"

    def generate(self, jobs: list[dict], width: int, height: int, *, lora: tuple[str, float] | None = None) -> dict:
        """Writes the pictures; returns `model_loads` (times the model serving them has been loaded: by
        this process for `flux`, by the server for `http`) and `per_image_s`."""
        started = time.perf_counter()
        loads: int | None = 0
        if self.backend == "placeholder":
            for job in jobs:
                render_placeholder(Path(job["out"]), width, height, ", ".join(job.get("keywords") or []),
                                   str(job["seed"]), job["index"])
        elif self.backend == "flux":
            self._flux(jobs, width, height, lora)
            loads = pipeline_loads()
        elif self.backend == "http":
            loads = self._http(jobs, width, height, lora)
        else:
            raise ValueError(f"unknown image backend {self.backend!r}; expected one of {', '.join(BACKENDS)}")
        seconds = time.perf_counter() - started
        return {"model_loads": loads, "per_image_s": round(seconds / len(jobs), 3) if jobs else 0.0}

    # ------------------------------------------------------------------ http
    def _http(self, jobs: list[dict], width: int, height: int, lora: tuple[str, float] | None) -> int | None:
        """Up to `batch_size` requests at once, so the server can batch them into one pipeline call."""
        if not jobs:
            return 0
        pool = ThreadPoolExecutor(max_workers=min(len(jobs), self.batch_size))
        try:
            loads = list(pool.map(lambda job: self._http_one(job, width, height, lora), jobs))
        except BaseException:
            # An interrupted step (a canceled run) does not wait for the requests still in flight: it
            # abandons them and stops now; those not started are dropped.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        known = [n for n in loads if n is not None]
        return max(known) if known else None

    def _http_one(self, job: dict, width: int, height: int, lora: tuple[str, float] | None) -> int | None:
        body = {"prompt": job["prompt"], "width": width, "height": height, "seed": int(job["seed"]),
                "steps": self.steps, "guidance": self.guidance,
                "lora": {"name": lora[0], "weight": lora[1]} if lora else None}
        response = request_with_retries("POST", f"{self._server_url}/generate", json=body,
                                        timeout=self.timeout_s, attempts=self.attempts)
        try:
            image = Image.open(io.BytesIO(response.content))
            image.load()
        except Exception as exc:  # noqa: BLE001 - any decoding problem means a bad answer
            raise RuntimeError(f"image server returned something that is not an image "
                               f"({response.headers.get('content-type')}, {len(response.content)} bytes)") from exc
        fit_exact(image.convert("RGB"), width, height).save(job["out"], format="PNG")
        loads = response.headers.get(LOADS_HEADER)
        return int(loads) if loads and loads.isdigit() else None

    # ------------------------------------------------------------------ flux
    def _pipeline_key(self) -> tuple:
        import torch

        return (self._model_path, "cuda" if torch.cuda.is_available() else "cpu", self.cpu_offload, self.vae_tiling)

    def load_pipeline(self):
        """The process-wide pipeline for this configuration, loaded on first use."""
        import torch
        from diffusers import FluxPipeline

        key = self._pipeline_key()
        with _REGISTRY_LOCK:
            if key not in _PIPELINES:
                cuda = key[1] == "cuda"
                pipe = FluxPipeline.from_pretrained(self._model_path, dtype=torch.bfloat16 if cuda else torch.float32)
                if cuda and self.cpu_offload:
                    pipe.enable_model_cpu_offload()
                elif cuda:
                    pipe.to("cuda")
                if self.vae_tiling:
                    pipe.vae.enable_tiling()
                _LOADS["count"] += 1
                _PIPELINES[key] = pipe
                _PIPELINE_LOCKS[key] = threading.RLock()
            return _PIPELINES[key]

    def _lora_source(self, name: str) -> str:
        if not self.lora_dir:
            raise FileNotFoundError(f"LoRA {name!r} asked for, but no LoRA folder is configured (BATCHVIDEO_LORA_DIR)")
        root = Path(self.lora_dir).resolve()
        for candidate in (root / name, root / f"{name}.safetensors"):
            # A stored name is joined as a path: an absolute one or `..` would leave the folder.
            if candidate.resolve().is_relative_to(root) and candidate.resolve() != root and candidate.exists():
                return str(candidate)
        raise FileNotFoundError(f"LoRA {name!r} not found in {root} (expected a folder or {name}.safetensors)")

    def _apply_lora(self, pipe, lora: tuple[str, float] | None) -> None:
        loaded = set(pipe.get_list_adapters().get("transformer", []))
        if not lora or not lora[0] or lora[1] == 0:
            if loaded:
                pipe.disable_lora()
            return
        name, weight = lora
        if name not in loaded:
            pipe.load_lora_weights(self._lora_source(name), adapter_name=name)
        pipe.enable_lora()
        pipe.set_adapters([name], adapter_weights=[weight])

    def _flux(self, jobs: list[dict], width: int, height: int, lora: tuple[str, float] | None) -> None:
        import torch

        pipe = self.load_pipeline()
        multiple = pipe.vae_scale_factor * 2
        gen_w, gen_h = snap_up(width, multiple), snap_up(height, multiple)
        with _PIPELINE_LOCKS[self._pipeline_key()]:
            self._apply_lora(pipe, lora)
            batch_size = self.batch_size
            start = 0
            while start < len(jobs):
                batch = jobs[start:start + batch_size]
                # CPU generators: the same seed gives the same latents on any device.
                generators = [torch.Generator("cpu").manual_seed(int(j["seed"])) for j in batch]
                try:
                    result = pipe(prompt=[j["prompt"] for j in batch], width=gen_w, height=gen_h,
                                  num_inference_steps=self.steps, guidance_scale=self.guidance,
                                  generator=generators, max_sequence_length=self.max_sequence_length)
                except torch.OutOfMemoryError:
                    if batch_size == 1:
                        raise
                    torch.cuda.empty_cache()
                    batch_size = max(1, batch_size // 2)
                    continue
                for job, image in zip(batch, result.images):
                    fit_exact(image, width, height).save(job["out"], format="PNG")
                start += len(batch)
