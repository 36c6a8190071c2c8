"""Flux throughput on this machine's GPU: seconds per 1360×768 image at 28 steps, batch 1 and the best batch.

Builds the FLUX.1-dev transformer architecture at full size (19 double + 38 single blocks, 3072 hidden,
~11.9 B parameters) with random weights in bf16 — no weights are downloaded — and times the denoising loop
(28 transformer forwards with the real token counts: 4080 image tokens for 1360×768, 512 T5 tokens) plus a
full-size VAE decode. Text encoding (once per prompt) is not included. FLOPs are counted with
torch.utils.flop_counter on one forward, so the reported fraction of the GPU's dense bf16 peak is measured,
not assumed. Without a CUDA GPU it says so and exits 0.

`--compile` times the transformer under torch.compile (inductor) instead of eager; the first warm-up of
each batch size includes compiling, which is reported apart.

    python bench/flux_throughput.py [--steps 28] [--batches 1,2,4,8] [--compile] [--json out.json] [--peak-tflops N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

WIDTH, HEIGHT = 1360, 768
TEXT_TOKENS = 512
FLUX_DEV = dict(patch_size=1, in_channels=64, num_layers=19, num_single_layers=38, attention_head_dim=128,
                num_attention_heads=24, joint_attention_dim=4096, pooled_projection_dim=768, guidance_embeds=True,
                axes_dims_rope=(16, 56, 56))
FLUX_VAE = dict(in_channels=3, out_channels=3, latent_channels=16, block_out_channels=(128, 256, 512, 512),
                down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
                layers_per_block=2, use_quant_conv=False, use_post_quant_conv=False, shift_factor=0.1159,
                scaling_factor=0.3611)
# Dense bf16 tensor-core peak (no sparsity), TFLOP/s, by device-name fragment; first match wins.
BF16_PEAK_TFLOPS = [("H200", 989.0), ("H100 PCIe", 756.0), ("H100 NVL", 835.0), ("H100", 989.0),
                    ("GH200", 989.0), ("B200", 2250.0), ("A100", 312.0), ("L40S", 362.0), ("L40", 181.0),
                    ("A10G", 70.0), ("A10", 125.0), ("L4", 121.0), ("RTX 4090", 165.0), ("RTX 6000 Ada", 364.0)]


def peak_tflops(name: str, override: float | None) -> float | None:
    if override:
        return override
    return next((peak for fragment, peak in BF16_PEAK_TFLOPS if fragment in name), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=28)
    parser.add_argument("--batches", default="1,2,4,8", help="batch sizes to try, comma-separated")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--peak-tflops", type=float, help="the GPU's dense bf16 peak, if not in the table")
    parser.add_argument("--compile", action="store_true", help="torch.compile the transformer (inductor)")
    args = parser.parse_args()

    try:
        import torch
    except ImportError:
        print("flux_throughput: torch is not installed; nothing to measure.")
        return 0
    if not torch.cuda.is_available():
        print("flux_throughput: no CUDA GPU here; the Flux benchmark needs one. Nothing measured.")
        return 0

    from diffusers import AutoencoderKL, FluxTransformer2DModel
    from torch.utils.flop_counter import FlopCounterMode

    device = torch.device("cuda")
    gpu = torch.cuda.get_device_name(device)
    peak = peak_tflops(gpu, args.peak_tflops)
    torch.backends.cuda.matmul.allow_tf32 = True
    print(f"GPU: {gpu}  (bf16 dense peak {peak or 'unknown'} TFLOP/s)  torch {torch.__version__}", flush=True)

    started = time.perf_counter()
    torch.manual_seed(0)
    with torch.device(device):
        previous = torch.get_default_dtype()
        torch.set_default_dtype(torch.bfloat16)  # build straight in bf16: 24 GB instead of 48 GB of fp32
        try:
            transformer = FluxTransformer2DModel(**FLUX_DEV).eval()
            vae = AutoencoderKL(**FLUX_VAE).eval()
        finally:
            torch.set_default_dtype(previous)
    params = sum(p.numel() for p in transformer.parameters())
    print(f"built FLUX.1-dev transformer ({params / 1e9:.2f} B params, random bf16 weights) and VAE "
          f"in {time.perf_counter() - started:.1f} s", flush=True)

    lat_h, lat_w = HEIGHT // 8, WIDTH // 8           # 96 × 170 latent pixels, 16 channels
    image_tokens = (lat_h // 2) * (lat_w // 2)       # 2×2 patches → 4080 tokens of 64 channels

    def inputs(batch: int) -> dict:
        img_ids = torch.zeros(lat_h // 2, lat_w // 2, 3, device=device)
        img_ids[..., 1] = torch.arange(lat_h // 2, device=device)[:, None]
        img_ids[..., 2] = torch.arange(lat_w // 2, device=device)[None, :]
        return dict(
            hidden_states=torch.randn(batch, image_tokens, 64, device=device, dtype=torch.bfloat16),
            encoder_hidden_states=torch.randn(batch, TEXT_TOKENS, 4096, device=device, dtype=torch.bfloat16),
            pooled_projections=torch.randn(batch, 768, device=device, dtype=torch.bfloat16),
            timestep=torch.full((batch,), 0.5, device=device, dtype=torch.bfloat16),
            guidance=torch.full((batch,), 3.5, device=device, dtype=torch.bfloat16),
            img_ids=img_ids.reshape(-1, 3).to(torch.bfloat16),
            txt_ids=torch.zeros(TEXT_TOKENS, 3, device=device, dtype=torch.bfloat16),
            return_dict=False)

    with torch.inference_mode():
        counter = FlopCounterMode(display=False)
        with counter:
            transformer(**inputs(1))
        flops_per_forward = counter.get_total_flops()
    print(f"{image_tokens} image + {TEXT_TOKENS} text tokens: {flops_per_forward / 1e12:.1f} TFLOP per forward "
          f"per image", flush=True)
    model = torch.compile(transformer) if args.compile else transformer  # FLOPs were counted on the eager model

    def run(batch: int, steps: int) -> float:
        x = inputs(batch)
        latents = torch.randn(batch, 16, lat_h, lat_w, device=device, dtype=torch.bfloat16)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.inference_mode():
            for _ in range(steps):  # the denoising loop: one transformer forward per step
                noise_pred = model(**x)[0]
                x["hidden_states"] = x["hidden_states"] - 0.01 * noise_pred
            vae.decode(latents / FLUX_VAE["scaling_factor"] + FLUX_VAE["shift_factor"], return_dict=False)
        torch.cuda.synchronize()
        return time.perf_counter() - t0

    results = []
    for batch in [int(b) for b in args.batches.split(",") if b.strip()]:
        try:
            warm = run(batch, 2)  # warm-up: kernels selected (compiled, with --compile), memory allocated
            seconds = run(batch, args.steps)
        except torch.OutOfMemoryError:
            print(f"batch {batch}: out of memory", flush=True)
            torch.cuda.empty_cache()
            break
        per_image = seconds / batch
        achieved = flops_per_forward * batch * args.steps / seconds / 1e12
        row = {"batch": batch, "seconds": round(seconds, 3), "seconds_per_image": round(per_image, 3),
               "images_per_hour": round(3600 / per_image), "achieved_tflops": round(achieved, 1),
               "fraction_of_peak": round(achieved / peak, 3) if peak else None,
               "max_memory_gib": round(torch.cuda.max_memory_allocated() / 2 ** 30, 1), "warmup_s": round(warm, 1)}
        results.append(row)
        print(f"batch {batch}: {per_image:.2f} s/image ({seconds:.2f} s for {args.steps} steps + VAE decode), "
              f"{achieved:.0f} TFLOP/s" + (f" = {achieved / peak:.0%} of bf16 peak" if peak else "")
              + f", peak memory {row['max_memory_gib']} GiB, warm-up {row['warmup_s']} s", flush=True)

    if not results:
        print("no batch size fitted in memory")
        return 1
    best = min(results, key=lambda r: r["seconds_per_image"])
    print(f"\n{WIDTH}x{HEIGHT}, {args.steps} steps on {gpu}: batch 1 {results[0]['seconds_per_image']:.2f} s/image; "
          f"best batch {best['batch']} {best['seconds_per_image']:.2f} s/image "
          f"({best['images_per_hour']} images/hour)"
          + (f", {best['fraction_of_peak']:.0%} of bf16 peak" if best["fraction_of_peak"] else ""))
    summary = {"gpu": gpu, "compiled": args.compile, "width": WIDTH, "height": HEIGHT, "steps": args.steps, "params": params,
               "tflop_per_forward": round(flops_per_forward / 1e12, 2), "peak_tflops": peak,
               "results": results, "batch1": results[0], "best": best,
               "note": "transformer denoising loop + VAE decode; text encoders excluded; random weights"}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(summary, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
