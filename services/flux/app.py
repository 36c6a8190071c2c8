"""Flux image server: the `http` image backend's contract, served by one long-lived process per GPU.

Every `images` step of every script calls this server instead of loading FLUX.1-dev (~30 GB) itself, so
the model is loaded once per GPU worker, when the server starts, whatever the Dagster executor starts per
step. Requests that arrive together with the same size, steps, guidance and LoRA are generated as one
batch (one pipeline call, one generator per request, so each picture still depends only on its own seed).
The LoRA of a batch is switched on the loaded pipeline (loaded from --lora-dir the first time).

    python services/flux/app.py --model /models/FLUX.1-dev --lora-dir /models/loras --port 8000

Contract (what `ImageGenResource(backend="http")` sends):
    POST /generate  {"prompt": str, "width": int, "height": int, "seed": int, "steps": int,
                     "guidance": float, "lora": {"name": str, "weight": float} | null}
      200 image/png, exactly width×height; headers X-Model-Loads (loads since start), X-Batch-Size,
          X-Seconds-Per-Image
      400 {"error": …} a malformed request;  404 {"error": …} an unknown LoRA;  500 {"error": …}
    GET /health → {"status": "ok", "model", "loads", "images", "batches", "seconds_per_image"}

The weights are read from a local folder only (no download: HF_HUB_OFFLINE is set). The pipeline code is
the code location's own (`batchvideo_resources.image_gen`), so both backends render the same pictures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, when run from a checkout

from batchvideo_resources.image_gen import LOADS_HEADER, ImageGenResource, pipeline_loads  # noqa: E402

log = logging.getLogger("batchvideo-flux")
MAX_BODY = 64 * 1024
MAX_SIDE = 2048


@dataclass
class Request:
    prompt: str
    width: int
    height: int
    seed: int
    steps: int
    guidance: float
    lora: tuple[str, float] | None
    done: threading.Event = field(default_factory=threading.Event)
    png: bytes | None = None
    error: Exception | None = None
    batch_size: int = 0
    seconds_per_image: float = 0.0

    @property
    def batch_key(self) -> tuple:
        return (self.width, self.height, self.steps, self.guidance, self.lora)


def parse_request(body: dict) -> Request:
    """A validated request, or ValueError naming the field."""
    def number(name: str, kind, low, high):
        value = body.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ValueError(f"{name}: expected a number in [{low}, {high}], got {value!r}")
        return kind(value)

    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("prompt: expected a non-empty string")
    lora = body.get("lora")
    if lora is not None and (not isinstance(lora, dict) or not isinstance(lora.get("name"), str)
                             or not isinstance(lora.get("weight"), (int, float))):
        raise ValueError("lora: expected null or {\"name\": str, \"weight\": number}")
    return Request(prompt=prompt, width=number("width", int, 16, MAX_SIDE), height=number("height", int, 16, MAX_SIDE),
                   seed=number("seed", int, 0, 2**63 - 1), steps=number("steps", int, 1, 100),
                   guidance=number("guidance", float, 0, 30),
                   lora=(lora["name"], float(lora["weight"])) if lora else None)


class Batcher:
    """One worker thread owns the pipeline: it takes the oldest waiting request and every other waiting
    request that can share its pipeline call (same batch key), up to `max_batch`, after waiting at most
    `window_s` for companions."""

    def __init__(self, settings: dict, max_batch: int, window_s: float):
        self.settings = settings  # ImageGenResource fields shared by every batch
        self.max_batch = max_batch
        self.window_s = window_s
        self.pending: list[Request] = []
        self.cond = threading.Condition()
        self.images = 0
        self.batches = 0
        self.busy_s = 0.0
        threading.Thread(target=self._work, name="flux-batcher", daemon=True).start()

    def submit(self, request: Request) -> Request:
        with self.cond:
            self.pending.append(request)
            self.cond.notify_all()
        request.done.wait()
        return request

    def _take(self) -> list[Request]:
        with self.cond:
            while not self.pending:
                self.cond.wait()
            key = self.pending[0].batch_key
            deadline = time.monotonic() + self.window_s
            while (sum(r.batch_key == key for r in self.pending) < self.max_batch
                   and (left := deadline - time.monotonic()) > 0):
                self.cond.wait(left)
            batch = [r for r in self.pending if r.batch_key == key][: self.max_batch]
            self.pending = [r for r in self.pending if r not in batch]
            return batch

    def _work(self) -> None:
        while True:
            batch = self._take()
            first = batch[0]
            started = time.perf_counter()
            try:
                with tempfile.TemporaryDirectory(prefix="flux-") as tmp:
                    jobs = [{"index": i, "prompt": r.prompt, "seed": r.seed, "out": Path(tmp) / f"{i}.png"}
                            for i, r in enumerate(batch)]
                    # The pipeline is loaded once per process; a resource per batch only carries its settings.
                    generator = ImageGenResource(**self.settings, steps=first.steps, guidance=first.guidance,
                                                 batch_size=len(batch))
                    generator.generate(jobs, first.width, first.height, lora=first.lora)
                    for request, job in zip(batch, jobs):
                        request.png = job["out"].read_bytes()
            except Exception as exc:  # noqa: BLE001 - reported to every request of the batch
                log.exception("batch of %d failed", len(batch))
                for request in batch:
                    request.error = exc
            seconds = time.perf_counter() - started
            self.images += len(batch)
            self.batches += 1
            self.busy_s += seconds
            for request in batch:
                request.batch_size = len(batch)
                request.seconds_per_image = seconds / len(batch)
                request.done.set()


def make_handler(batcher: Batcher, model: str):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            log.info("%s " + fmt, self.address_string(), *args)

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.rstrip("/") != "/health":
                self._json(404, {"error": "not found"})
                return
            self._json(200, {"status": "ok", "model": model, "loads": pipeline_loads(), "images": batcher.images,
                             "batches": batcher.batches,
                             "seconds_per_image": round(batcher.busy_s / batcher.images, 3) if batcher.images else None})

        def do_POST(self):
            if self.path.rstrip("/") != "/generate":
                self._json(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                self._json(400, {"error": f"body must be JSON of 1..{MAX_BODY} bytes"})
                return
            try:
                request = parse_request(json.loads(self.rfile.read(length)))
            except (ValueError, json.JSONDecodeError) as exc:
                self._json(400, {"error": str(exc)})
                return
            batcher.submit(request)
            if request.error is not None:
                status = 404 if isinstance(request.error, FileNotFoundError) else 500
                self._json(status, {"error": f"{type(request.error).__name__}: {request.error}"})
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(request.png)))
            self.send_header(LOADS_HEADER, str(pipeline_loads()))
            self.send_header("X-Batch-Size", str(request.batch_size))
            self.send_header("X-Seconds-Per-Image", f"{request.seconds_per_image:.3f}")
            self.end_headers()
            self.wfile.write(request.png)

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Flux image server (the `http` image backend's contract)")
    parser.add_argument("--model", default=os.environ.get("FLUX_MODEL_DIR"), help="local FluxPipeline folder")
    parser.add_argument("--lora-dir", default=os.environ.get("FLUX_LORA_DIR"), help="LoRA weights by name")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--max-batch", type=int, default=int(os.environ.get("FLUX_MAX_BATCH", "4")),
                        help="requests per pipeline call")
    parser.add_argument("--batch-window-ms", type=float, default=50.0,
                        help="how long the first request of a batch waits for companions")
    parser.add_argument("--max-sequence-length", type=int, default=256, help="T5 prompt tokens")
    parser.add_argument("--cpu-offload", action="store_true", help="enable_model_cpu_offload (small GPUs)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if not args.model or not Path(args.model).is_dir():
        parser.error(f"--model must be a local FluxPipeline folder (got {args.model!r}); weights are never downloaded")
    os.environ["HF_HUB_OFFLINE"] = "1"
    settings = {"backend": "flux", "model": args.model, "lora_dir": args.lora_dir,
                "max_sequence_length": args.max_sequence_length, "cpu_offload": args.cpu_offload}
    started = time.perf_counter()
    ImageGenResource(**settings).load_pipeline()  # before serving: /health answers once the model is loaded
    log.info("loaded %s in %.1f s", args.model, time.perf_counter() - started)
    batcher = Batcher(settings, args.max_batch, args.batch_window_ms / 1000)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(batcher, args.model))
    log.info("serving on %s:%d (batches of up to %d)", args.host, server.server_address[1], args.max_batch)
    server.serve_forever()


if __name__ == "__main__":
    main()
