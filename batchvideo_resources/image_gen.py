"""Image generation: a labelled placeholder renderer (default) or Flux via diffusers."""

from __future__ import annotations

import threading
from pathlib import Path

import dagster as dg
from pydantic import Field

from batchvideo_media.images import render_placeholder
from batchvideo_resources import settings

# One pipeline per process, whatever the number of resource instances (GPU memory is the limit).
_PIPELINES: dict[tuple, object] = {}
_PIPELINE_LOCK = threading.Lock()


class ImageGenResource(dg.ConfigurableResource):
    backend: str = Field(default="placeholder", description="placeholder | flux")
    model: str | None = Field(default=None, description="Flux model path or id (BATCHVIDEO_FLUX_MODEL)")
    lora_dir: str | None = Field(default=None, description="folder of LoRA weights named by topic.lora_name")
    steps: int = 28
    guidance: float = 3.5
    batch_size: int = 2
    cpu_offload: bool = False
    vae_tiling: bool = True

    @property
    def model_name(self) -> str:
        if self.backend == "placeholder":
            return "placeholder"
        return f"flux:{self._model_path}"

    @property
    def _model_path(self) -> str:
        return self.model or settings.get("BATCHVIDEO_FLUX_MODEL", "black-forest-labs/FLUX.1-dev")

    def generate(self, jobs: list[dict], width: int, height: int, *, lora: tuple[str, float] | None = None) -> None:
        """`jobs`: dicts with `prompt`, `text`, `seed`, `index`, `out` (Path). Writes one PNG each."""
        if self.backend == "placeholder":
            for job in jobs:
                render_placeholder(Path(job["out"]), width, height, job["text"], str(job["seed"]), job["index"])
            return
        if self.backend == "flux":
            self._flux(jobs, width, height, lora)
            return
        raise ValueError(f"unknown image backend {self.backend!r}")

    # ------------------------------------------------------------------ flux
    def load_pipeline(self):
        import torch
        from diffusers import FluxPipeline

        cuda = torch.cuda.is_available()
        key = (self._model_path, cuda, self.cpu_offload)
        with _PIPELINE_LOCK:
            if key not in _PIPELINES:
                dtype = torch.bfloat16 if cuda else torch.float32
                pipe = FluxPipeline.from_pretrained(self._model_path, torch_dtype=dtype)
                if cuda and self.cpu_offload:
                    pipe.enable_model_cpu_offload()
                elif cuda:
                    pipe.to("cuda")
                if self.vae_tiling:
                    pipe.vae.enable_tiling()
                _PIPELINES[key] = pipe
            return _PIPELINES[key]

    def _apply_lora(self, pipe, lora: tuple[str, float] | None) -> None:
        loaded = set(pipe.get_list_adapters().get("transformer", [])) if hasattr(pipe, "get_list_adapters") else set()
        if not lora or not lora[0]:
            if loaded:
                pipe.disable_lora()
            return
        name, weight = lora
        if name not in loaded:
            root = Path(self.lora_dir or settings.get("BATCHVIDEO_LORA_DIR", "loras"))
            pipe.load_lora_weights(str(root / name), adapter_name=name)
        pipe.enable_lora()
        pipe.set_adapters([name], adapter_weights=[weight])

    def _flux(self, jobs: list[dict], width: int, height: int, lora: tuple[str, float] | None) -> None:
        import torch

        pipe = self.load_pipeline()
        self._apply_lora(pipe, lora)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        # Flux works on 16-pixel multiples; render at the nearest size and resize exactly.
        gen_w, gen_h = (width // 16) * 16, (height // 16) * 16
        for start in range(0, len(jobs), max(1, self.batch_size)):
            batch = jobs[start:start + self.batch_size]
            generators = [torch.Generator(device=device).manual_seed(int(j["seed"])) for j in batch]
            result = pipe(prompt=[j["prompt"] for j in batch], width=gen_w, height=gen_h,
                          num_inference_steps=self.steps, guidance_scale=self.guidance,
                          generator=generators, max_sequence_length=256)
            for job, image in zip(batch, result.images):
                if image.size != (width, height):
                    image = image.resize((width, height))
                image.save(job["out"], format="PNG")
