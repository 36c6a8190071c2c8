"""The Flux image server (services/flux) for real: started as a subprocess on loopback with the tiny random
FluxPipeline and LoRA of test_flux.py; the `http` image backend's contract, batching of concurrent requests,
LoRA switching, refusals, and a backfill of 4 scripts whose `images` steps load the model once between them.
Its Kubernetes manifest is checked with the kubernetes client's models."""

import io
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import httpx
import numpy as np
import pytest
from conftest import add
from helpers import model_server_manifest
from PIL import Image
from test_flux import FAST, build_tiny_flux, build_tiny_lora

from batchvideo_app.local_daemon import stop_group
from batchvideo_resources.image_gen import LOADS_HEADER, ImageGenResource

ROOT = Path(__file__).resolve().parents[1]
# Renders at the small test canvas: no test here checks the frame size.
pytestmark = pytest.mark.small_canvas
BODY = {"prompt": "a quiet lake at dawn", "width": 48, "height": 32, "seed": 5, "steps": 2, "guidance": 3.5,
        "lora": None}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("flux-server")
    model = build_tiny_flux(root)
    loras = build_tiny_lora(model, root / "loras", "inkwash")
    port = _free_port()
    log = open(root / "server.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "services" / "flux" / "app.py"), "--model", str(model),
                             "--lora-dir", str(loras), "--port", str(port), "--max-batch", "4",
                             "--batch-window-ms", "300", "--max-sequence-length", "16"],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, (root / "server.log").read_text()[-3000:]
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "flux server did not come up"
            time.sleep(0.5)
        yield {"url": url, "model": model, "loras": loras}
    finally:
        stop_group(proc, 30)
        log.close()


def _png(response: httpx.Response) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as img:
        return np.asarray(img.convert("RGB")).astype(int)


def test_concurrent_requests_are_batched_and_match_the_in_process_backend(server, tmp_path):
    bodies = [{**BODY, "seed": seed} for seed in (5, 6, 7, 8)]
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda b: httpx.post(f"{server['url']}/generate", json=b, timeout=120), bodies))
    pictures = [_png(r) for r in responses]
    assert all(p.shape == (32, 48, 3) for p in pictures)
    assert max(int(r.headers["X-Batch-Size"]) for r in responses) > 1, "concurrent requests must share a call"
    assert {r.headers[LOADS_HEADER] for r in responses} == {"1"}
    assert np.abs(pictures[0] - pictures[1]).mean() > 1, "each request keeps its own seed"
    # The same picture as the in-process backend (batching changes float rounding at most).
    local = ImageGenResource(backend="flux", model=str(server["model"]), **{**FAST, "batch_size": 1})
    job = {"index": 0, "prompt": BODY["prompt"], "seed": 5, "out": tmp_path / "local.png"}
    local.generate([job], 48, 32)
    with Image.open(job["out"]) as img:
        assert np.abs(np.asarray(img.convert("RGB")).astype(int) - pictures[0]).mean() < 2


def test_lora_is_switched_per_request_and_refusals_say_why(server):
    url = f"{server['url']}/generate"
    plain = _png(httpx.post(url, json=BODY, timeout=120))
    styled = _png(httpx.post(url, json={**BODY, "lora": {"name": "inkwash", "weight": 1.0}}, timeout=120))
    again = _png(httpx.post(url, json=BODY, timeout=120))
    assert np.abs(styled - plain).mean() > 1 and np.abs(again - plain).mean() < 0.5
    missing = httpx.post(url, json={**BODY, "lora": {"name": "nosuchstyle", "weight": 1.0}}, timeout=120)
    assert missing.status_code == 404 and "nosuchstyle" in missing.json()["error"]
    bad = httpx.post(url, json={**BODY, "width": 0}, timeout=30)
    assert bad.status_code == 400 and "width" in bad.json()["error"]
    health = httpx.get(f"{server['url']}/health", timeout=10).json()
    assert health["status"] == "ok" and health["loads"] == 1 and health["images"] >= 3


@pytest.mark.media  # starts the server in a subprocess
def test_server_refuses_a_model_that_is_not_a_local_folder():
    proc = subprocess.run([sys.executable, str(ROOT / "services" / "flux" / "app.py"), "--model",
                           "black-forest-labs/FLUX.1-dev"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode != 0 and "local FluxPipeline folder" in proc.stderr


def test_a_backfill_of_four_scripts_loads_flux_at_most_once_per_k_scripts(server, prepared_db, instance):
    """Every `images` step calls the server (a run per script, as a backfill launches them): the model is
    loaded when the server starts and never again, so loads ≤ ⌈N/k⌉ for any k ≥ 1 scripts per load."""
    from batchvideo_assets.defs.script.assets import script
    from batchvideo_assets.defs.speech.assets import audio, srt
    from batchvideo_assets.defs.storyboard.assets import splits
    from batchvideo_assets.defs.visuals.assets import build_images_asset
    from batchvideo_assets.partitions import scripts_partitions
    from batchvideo_assets.resources import build_resources

    scripts = 4
    ids = [str(add(prepared_db, title=f"Lake {n}", language="en-US", topic="history",
                   content=f"The lake is still on day {n}. A heron waits by the reeds. The sun comes up.")) for n in
           range(scripts)]
    instance.add_dynamic_partitions(scripts_partitions.name, ids)
    resources = {**build_resources(), "image_gen": ImageGenResource(backend="http", url=server["url"], steps=2)}
    loads, seconds = [], []
    for pid in ids:
        result = dg.materialize([script, audio, srt, splits, build_images_asset(gpu=False)], partition_key=pid,
                                instance=instance, resources=resources,
                                run_config={"ops": {"splits": {"config": {"min_shot_s": 3.0}}}})
        assert result.success
        meta = result.asset_materializations_for_node("images")[0].metadata
        assert meta["generated"].value >= 1
        loads.append(meta["model_loads"].value)
        seconds.append(meta["per_image_s"].value)
    health = httpx.get(f"{server['url']}/health", timeout=10).json()
    k = scripts  # scripts per model load: every script the server serves
    assert health["loads"] == 1 <= math.ceil(scripts / k) and loads == [1] * scripts
    assert all(s > 0 for s in seconds)


def test_kubernetes_manifest_places_the_server_on_an_a100_with_the_weights():
    container, mount = model_server_manifest("flux", "IMAGE")
    command = container.command
    assert command[:2] == ["python", "services/flux/app.py"] and (ROOT / command[1]).is_file()
    assert command[command.index("--model") + 1].startswith(mount.mount_path + "/")
