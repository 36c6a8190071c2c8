"""Lip-sync throughput: frames per second of the MuseTalk server's model code at 256×256 face crops.

Random weights at full size (MuseTalk v1.5's musetalk.json UNet, sd-vae-ft-mse, whisper-tiny; nothing is
downloaded) are written in MuseTalk's `models/` layout and loaded through services/lipsync's own `MuseTalk`
class (fp16 on CUDA), so what is timed is exactly what the server runs per request:

- `audio`: whisper-tiny encoder over the narration + the per-frame windows, as seconds per audio second;
- `frames`: UNet (one step at t=0) + VAE decode + blending the mouth back onto a 1280×720 frame, per batch
  size, as frames/s; each batch size is also given as a ratio to the first (the baseline of the same run),
  and as a real-time factor at 25 fps (frames/s ÷ 25);
- `model only`: the same UNet + VAE decode with the GPU synchronised and no blending or copy back.

    python bench/lipsync_throughput.py [--batches 8,32] [--frames 200] [--json out.json]   # a CUDA GPU
    python bench/lipsync_throughput.py --tiny                                             # CPU smoke run

`--tiny` uses the tiny configs of the tests on the CPU: it proves the script runs, its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "lipsync"))

FPS = 25
FRAME_W, FRAME_H = 1280, 720
FACE_BOX = (520, 180, 760, 420)  # a 240×240 face in a 720p presenter shot


def _sync(torch) -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", default=None, help="batch sizes, comma-separated (default 8,32; tiny 2,4)")
    parser.add_argument("--frames", type=int, default=None, help="frames per timing (default 200; tiny 12)")
    parser.add_argument("--tiny", action="store_true", help="tiny random weights on the CPU (smoke run)")
    parser.add_argument("--device", default=None, help="default cuda (cpu with --tiny)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    import musetalk
    import torch

    device = args.device or ("cpu" if args.tiny else "cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        print("lipsync_throughput: no CUDA GPU here; run with --tiny for a CPU smoke run. Nothing measured.")
        return 0
    batches = [int(b) for b in (args.batches or ("2,4" if args.tiny else "8,32")).split(",")]
    n_frames = args.frames or (12 if args.tiny else 200)
    results: dict = {"device": torch.cuda.get_device_name() if device.startswith("cuda") else "cpu",
                     "tiny": args.tiny, "dtype": "fp16" if device.startswith("cuda") else "fp32",
                     "frames": n_frames, "frame_size": f"{FRAME_W}x{FRAME_H}", "crop": musetalk.CROP}
    with tempfile.TemporaryDirectory(prefix="lipsync-bench-") as tmp:
        started = time.perf_counter()
        models = musetalk.save_random_weights(Path(tmp) / "models", tiny=args.tiny)
        results["build_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        model = musetalk.MuseTalk(models, device=device, batch_size=batches[0])
        results["load_s"] = round(time.perf_counter() - started, 2)
    results["unet_parameters_m"] = round(sum(p.numel() for p in model.unet.parameters()) / 1e6, 1)

    rng = np.random.default_rng(0)
    audio_s = n_frames / FPS
    samples = (rng.standard_normal(int(audio_s * musetalk.SAMPLE_RATE)) * 0.1).astype(np.float32)
    model.audio_prompts(samples, FPS, n_frames)  # warm-up
    _sync(torch)
    started = time.perf_counter()
    prompts = model.audio_prompts(samples, FPS, n_frames)
    _sync(torch)
    results["audio_s_per_audio_s"] = round((time.perf_counter() - started) / audio_s, 4)

    frame = rng.integers(0, 256, (FRAME_H, FRAME_W, 3), dtype=np.uint8)
    prepared = model.prepare([frame], [FACE_BOX])
    rows = []
    for batch in batches:
        model.batch_size = batch
        for _ in model.generate(prepared, prompts[:batch]):  # warm-up (cuDNN autotune, allocator)
            pass
        _sync(torch)
        started = time.perf_counter()
        for _ in model.generate(prepared, prompts):
            pass
        _sync(torch)
        end_to_end = n_frames / (time.perf_counter() - started)
        # The model alone: UNet + VAE decode, synchronised, without blending or the copy back to the host.
        latents = torch.cat([prepared[0].latents] * batch)
        audio = prompts[:batch].to(model.device, model.dtype)
        steps = max(1, n_frames // batch)
        with torch.inference_mode():
            _sync(torch)
            started = time.perf_counter()
            for _ in range(steps):
                predicted = model.unet(latents, torch.zeros((), dtype=torch.long, device=model.device),
                                       encoder_hidden_states=audio).sample
                model.vae.decode(predicted / model.scaling)
            _sync(torch)
        model_only = steps * batch / (time.perf_counter() - started)
        rows.append({"batch": batch, "frames_per_s": round(end_to_end, 2), "model_frames_per_s": round(model_only, 2),
                     "realtime_x_at_25fps": round(end_to_end / FPS, 2)})
    for row in rows:
        row["vs_first_batch"] = round(row["frames_per_s"] / rows[0]["frames_per_s"], 2)
    results["batches"] = rows
    if device.startswith("cuda"):
        results["peak_gpu_mem_gb"] = round(torch.cuda.max_memory_allocated() / 1e9, 2)

    print(f"lip-sync (MuseTalk v1.5{' TINY' if args.tiny else ''}) on {results['device']}, {results['dtype']}, "
          f"{n_frames} frames of 256×256 crops blended into {FRAME_W}×{FRAME_H}")
    print(f"  weights built {results['build_s']} s, loaded {results['load_s']} s; UNet "
          f"{results['unet_parameters_m']} M parameters; audio features {results['audio_s_per_audio_s']} s per s")
    print(f"  {'batch':>5} {'frames/s':>9} {'model f/s':>10} {'x real time':>12} {'vs first':>9}")
    for row in rows:
        print(f"  {row['batch']:>5} {row['frames_per_s']:>9} {row['model_frames_per_s']:>10} "
              f"{row['realtime_x_at_25fps']:>12} {row['vs_first_batch']:>9}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
