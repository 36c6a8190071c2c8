"""TTS server engine throughput: real-time factor (seconds of audio made per second of wall time) at batch 1
and batch 4, and the batch-4 gain over batch 1 measured in the same run.

Builds F5-TTS at its released F5TTS_v1_Base size (its own configs/F5TTS_v1_Base.yaml: dim 1024, depth 22,
16 heads, 337 M parameters) and a full-size Vocos (13.5 M) with random weights (no download), saves them in the
released layout and loads them through the server's own engine (`services/tts/engines.F5Engine`: F5's
`load_model` / `load_vocoder`, batched `CFM.sample`), so the figure is the server's compute path without HTTP.
Random weights do the same arithmetic as trained ones; the audio is noise. Each request clones an espeak-ng
reference clip (a noise clip of the same length when espeak-ng is absent) and speaks one sentence.

Without a CUDA GPU the full-size model is not run (it says so and exits 0); `--tiny` runs the shrunk test
model on the CPU to check that the script works — its figures say nothing about a GPU (on a shared CPU run
it with OMP_NUM_THREADS=1: spinning OpenMP threads on busy cores make it tens of times slower).

    python bench/tts_throughput.py [--tiny] [--nfe-step 32] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REF_TEXT = "The weather today is calm, and the river runs quietly past the old mill."
SENTENCES = ["Every morning the narrator reads the news in a calm and steady voice.",
             "今天的天气很好，我们一起去海边散步吧。",
             "Batch rendering turns one script into a finished video without a person watching.",
             "这个视频由脚本自动生成，包括配音、字幕和画面。"]


def reference_clip(rate: int):
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ref.wav"
        try:
            subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(out), REF_TEXT], check=True, capture_output=True)
            from services.tts.app import decode_audio

            return decode_audio(out.read_bytes(), rate), "espeak-ng"
        except (OSError, subprocess.CalledProcessError):
            return (np.random.default_rng(0).standard_normal(rate * 5) * 0.05).astype("float32"), "noise"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="the shrunk test model on the CPU (a smoke run)")
    parser.add_argument("--nfe-step", type=int, default=32, help="flow steps (the server's default 32)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per batch size")
    parser.add_argument("--batches", default="1,4")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    import torch

    cuda = torch.cuda.is_available()
    if not cuda and not args.tiny:
        print("no CUDA GPU: the full-size F5-TTS figures are not measured here (use --tiny for a CPU smoke run)")
        return 0
    from services.tts.engines import F5Engine, Job
    from services.tts.random_weights import build

    device = "cuda" if cuda and not args.tiny else "cpu"
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        checkpoint, vocoder = build(Path(tmp), tiny=args.tiny)
        engine = F5Engine(checkpoint, vocoder, nfe_step=args.nfe_step, device=device)
        setup_s = time.perf_counter() - started
    parameters = sum(p.numel() for p in engine.model.parameters())
    reference, reference_kind = reference_clip(engine.sample_rate)

    def jobs(n: int) -> list[Job]:
        return [Job(text=SENTENCES[i % len(SENTENCES)], language="zh-CN" if i % 2 else "en-US", speed=1.0,
                    reference=reference, reference_text=REF_TEXT) for i in range(n)]

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    results = {"device": torch.cuda.get_device_name() if device == "cuda" else "cpu", "tiny": args.tiny,
               "parameters": parameters, "nfe_step": args.nfe_step, "reference": reference_kind,
               "reference_s": round(len(reference) / engine.sample_rate, 2), "setup_s": round(setup_s, 1),
               "dtype": str(next(engine.model.parameters()).dtype), "batches": {}}
    for batch in [int(b) for b in args.batches.split(",")]:
        engine.synthesize(jobs(batch))  # warm-up: kernels, allocator
        sync()
        audio_s = wall_s = 0.0
        for _ in range(args.repeats):
            started = time.perf_counter()
            waves = engine.synthesize(jobs(batch))
            sync()
            wall_s += time.perf_counter() - started
            audio_s += sum(len(w) for w in waves) / engine.sample_rate
        results["batches"][batch] = {"audio_s": round(audio_s, 2), "wall_s": round(wall_s, 3),
                                     "rtf_audio_s_per_s": round(audio_s / wall_s, 2)}
        print(f"batch {batch}: {audio_s:.1f} s of audio in {wall_s:.2f} s → {audio_s / wall_s:.2f} s of audio per s")
    sizes = sorted(results["batches"])
    if len(sizes) > 1:
        first, last = results["batches"][sizes[0]], results["batches"][sizes[-1]]
        results["gain_over_batch_1"] = round(last["rtf_audio_s_per_s"] / first["rtf_audio_s_per_s"], 2)
        print(f"batch {sizes[-1]} / batch {sizes[0]}: {results['gain_over_batch_1']}×")
    print(json.dumps(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
