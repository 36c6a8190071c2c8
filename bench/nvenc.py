"""NVENC vs libx264 on this machine: encode throughput of the composition's own encoder settings.

Encodes the same pre-rendered 1080×1920 (vertical) and 1920×1080 frames — a slowly panned, textured still,
what the composition mostly encodes — with libx264 at the composition's settings (veryfast, crf 23,
b-adapt=0:mbtree=0, all cores) and with h264_nvenc at its settings (p4, hq, vbr cq 23), and prints frames/s,
the ratio and the output sizes. Frame generation is excluded. The composition measures 1.29× its encoder
floor, so the encoder ratio is close to the composition's.

It uses PyAV (its wheels carry an ffmpeg built with both encoders) so it runs where no ffmpeg CLI is
installed, as on a bare GPU machine. Where NVENC is absent (no NVIDIA GPU, or a GPU without an encoder
unit) it prints why the session did not open and reports libx264 alone.

    python bench/nvenc.py [--seconds 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

FPS = 25
X264 = {"preset": "veryfast", "crf": "23", "x264-params": "b-adapt=0:mbtree=0"}
NVENC = {"preset": "p4", "tune": "hq", "rc": "vbr", "cq": "23", "b": "0"}


def frames(width: int, height: int, count: int):
    """A textured still panned 2 px per frame (what a Ken Burns shot is), as yuv420p PyAV frames."""
    import av
    import numpy as np

    rng = np.random.default_rng(0)
    base_h, base_w = height + 16, width + 2 * count + 16
    yy, xx = np.mgrid[0:base_h, 0:base_w]
    still = np.stack([(xx * 255 // base_w), (yy * 255 // base_h), ((xx + yy) % 256)], axis=-1).astype(np.int16)
    still += rng.integers(-24, 24, size=still.shape, dtype=np.int16)   # film-like texture
    still = still.clip(0, 255).astype(np.uint8)
    out = []
    for i in range(count):
        rgb = np.ascontiguousarray(still[8:8 + height, 2 * i:2 * i + width])
        out.append(av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p"))
    return out


def encode(codec: str, options: dict, clip: list, width: int, height: int, threads: int | None) -> dict:
    import av

    path = f"/tmp/bench_nvenc_{codec}_{width}x{height}.mp4"
    started = time.perf_counter()
    with av.open(path, "w") as container:
        stream = container.add_stream(codec, rate=FPS, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if threads:
            stream.codec_context.thread_count = threads
        for frame in clip:
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    seconds = time.perf_counter() - started
    size = os.path.getsize(path)
    os.unlink(path)
    return {"codec": codec, "seconds": round(seconds, 3), "fps": round(len(clip) / seconds, 1),
            "realtime": round(len(clip) / FPS / seconds, 1), "kbit_s": round(size * 8 / (len(clip) / FPS) / 1000)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the encoded clip")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    try:
        import av  # noqa: F401
    except ImportError:
        print("nvenc: PyAV is not installed (pip install av); nothing measured.")
        return 0
    cores = os.cpu_count() or 1
    count = round(args.seconds * FPS)
    results = []
    for width, height in ((1080, 1920), (1920, 1080)):
        clip = frames(width, height, count)
        x264 = encode("libx264", X264, clip, width, height, cores)
        row = {"size": f"{width}x{height}", "frames": count, "cores": cores, "libx264": x264}
        line = f"{width}x{height}, {count} frames: libx264 {x264['fps']} fps ({x264['kbit_s']} kbit/s, {cores} cores)"
        try:
            nvenc = encode("h264_nvenc", NVENC, clip, width, height, None)
        except Exception as exc:  # noqa: BLE001 - the reason NVENC is unavailable is the result
            row["h264_nvenc"] = {"error": str(exc)}
            line += f"; h264_nvenc unavailable: {exc}"
        else:
            row["h264_nvenc"] = nvenc
            row["nvenc_speedup"] = round(nvenc["fps"] / x264["fps"], 2)
            line += (f"; h264_nvenc {nvenc['fps']} fps ({nvenc['kbit_s']} kbit/s): "
                     f"{row['nvenc_speedup']}x libx264")
        print(line, flush=True)
        results.append(row)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
