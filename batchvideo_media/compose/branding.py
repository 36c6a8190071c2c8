"""Branding: logo and watermark over a finished video (a parallel re-encode), cover art attached."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from batchvideo_media.compose.encoders import LIBX264, NVENC_ARGS, h264_encoder
from batchvideo_media.compose.graph import even, filter_path
from batchvideo_media.compose.plan import FPS
from batchvideo_media.compose.tracker import ProcessTracker, default_workers
from batchvideo_media.motion import DETECT_FILTERS, faults_in_parts
from batchvideo_media.probe import MediaError, probe, run_ffmpeg
from batchvideo_media.process import time_limit

# Branding re-encodes a finished video; only the logo corner changes, so it uses the cheapest preset
# (with the deblocking filter back on) at a slightly lower CRF, which keeps the generation loss
# invisible (SSIM ≈ 0.995 against composed_video on busy b-roll) at the price of a larger file there
# (~2×; about the same on stills). ["-preset", "superfast", "-crf", "21"] halves that size for ~25%
# more branding time.
BRAND_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-x264-params", "deblock=1", "-crf", "22",
              "-pix_fmt", "yuv420p"]
LOGO_FRACTION = 0.12      # logo width as a fraction of the frame width


def logo_box(width: int, height: int) -> tuple[int, int, int]:
    """(logo width, x, y) of the logo: top right, ~12% of the width, clear of the bottom subtitles."""
    logo_w = even(width * LOGO_FRACTION)
    margin = even(min(width, height) * 0.03)
    return logo_w, width - logo_w - margin, margin


def build_logo_command(video: Path, logo: Path | None, out: Path, width: int, height: int,
                       watermark_file: Path | None = None, font_file: str | None = None,
                       threads: int | None = None, part: tuple[int, int] | None = None,
                       encoder: str = LIBX264) -> list[str]:
    """Logo in the top-right corner (clear of bottom subtitles) at ~12% of the width; watermark text
    top-left. The logo is one decoded frame held by overlay (no looped input); audio is copied.

    With `part=(first, frames)` only those frames are encoded (video only, single-threaded), starting
    at a keyframe `first`: one part of a parallel re-encode."""
    logo_w, _, margin = logo_box(width, height)
    if part is not None:
        first, frames = part
        seek = ["-ss", f"{first / FPS:.3f}"] if first else []
        args = ["-threads", "1", *seek, "-i", str(video)]
    else:
        args = ["-i", str(video)]
    chain: list[str] = []
    last = "0:v"
    if logo is not None:
        args += ["-i", str(logo)]
        chain.append(f"[1:v]scale={logo_w}:-2,format=yuva420p[logo]")
        chain.append(f"[0:v][logo]overlay=x=W-w-{margin}:y={margin}:format=yuv420[v1]")
        last = "v1"
    if watermark_file is not None and font_file:
        size = max(16, min(width, height) // 36)
        chain.append(
            f"[{last}]drawtext=fontfile={filter_path(Path(font_file))}:textfile={filter_path(watermark_file)}:"
            f"expansion=none:fontsize={size}:fontcolor=white@0.6:borderw=1:bordercolor=black@0.4:x={margin}:y={margin}[v2]")
        last = "v2"
    if not chain:
        raise MediaError("nothing to brand: no logo and no watermark")
    # The branded frames are also looked at for black and frozen stretches (logged; see motion.py).
    chain.append(f"[{last}]{DETECT_FILTERS}[vd]")
    last = "vd"
    args = ["-nostats", *args]
    video_args = BRAND_X264 if encoder == LIBX264 else NVENC_ARGS["brand"]
    if part is not None:
        return [*args, "-filter_complex", ";".join(chain), "-map", f"[{last}]", "-an", *video_args,
                "-threads", "1", "-r", str(FPS), "-frames:v", str(part[1]), str(out)]
    thread_args = ["-threads", str(threads)] if threads else []
    return [*args, "-filter_complex", ";".join(chain), "-map", f"[{last}]", "-map", "0:a:0?", *video_args,
            *thread_args, "-r", str(FPS), "-c:a", "copy", "-movflags", "+faststart", str(out)]


def brand(video: Path, logo: Path | None, out: Path, width: int, height: int, *,
          watermark_file: Path | None = None, font_file: str | None = None, workers: int | None = None,
          duration_s: float | None = None, tracker: ProcessTracker | None = None, encoder: str | None = None) -> dict:
    """Logo (+ watermark) over a finished video. The re-encode is split into `workers` parts encoded
    in parallel (each decodes only its own part, one thread each), then joined by stream copy with the
    original audio. Returns parts, encoder and the black/frozen stretches seen on the branded frames."""
    tracker = tracker or ProcessTracker()
    encoder = encoder or h264_encoder()
    workers = workers or default_workers()
    total = round((duration_s if duration_s else probe(video).duration_s) * FPS)
    # A re-encode can start anywhere: each part seeks accurately to its first frame (decoding from the
    # keyframe before it, a fraction of a second of extra work) and the encoder opens it with an IDR.
    parts = min(workers, max(1, total // (2 * FPS)))
    limit = time_limit(total / FPS)
    cuts = [round(total * k / parts) for k in range(parts)]
    if len(cuts) == 1:
        log = tracker.run(build_logo_command(video, logo, out, width, height, watermark_file=watermark_file,
                                             font_file=font_file, encoder=encoder), timeout=limit, loglevel="info")
        return {"parts": 1, "encoder": encoder, **_faults([log], cuts, total)}
    bounds = list(zip(cuts, cuts[1:] + [total]))
    parts_dir = out.parent / f".{out.stem}.parts"
    parts_dir.mkdir(parents=True, exist_ok=True)
    try:
        commands = []
        for k, (a, b) in enumerate(bounds):
            commands.append(build_logo_command(video, logo, parts_dir / f"p{k:03d}.mp4", width, height,
                                               watermark_file=watermark_file, font_file=font_file,
                                               part=(a, b - a), encoder=encoder))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(tracker.run, c, limit, "info", f"brand{k}") for k, c in enumerate(commands)]
            logs = [fut.result() for fut in futures]
        listing = parts_dir / "parts.txt"
        listing.write_text("".join(f"file 'p{k:03d}.mp4'\n" for k in range(len(bounds))), encoding="utf-8")
        tracker.run(["-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(video), "-map", "0:v:0",
                     "-map", "1:a:0?", "-c", "copy", "-movflags", "+faststart", str(out)], timeout=limit)
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)
    return {"parts": len(bounds), "encoder": encoder, **_faults(logs, cuts, total)}


def _faults(logs: list[str], first_frames: list[int], total_frames: int) -> dict:
    faults = faults_in_parts(logs, [f / FPS for f in first_frames], total_frames / FPS, slack_s=1.5 / FPS)
    return {"black_s": faults["black"], "frozen_s": faults["frozen"]}


def attach_cover(video: Path, cover: Path, out: Path) -> None:
    """Remux `video` with `cover` as MP4 cover art (stream copy, no re-encode)."""
    run_ffmpeg(["-i", str(video), "-i", str(cover), "-map", "0:v:0", "-map", "0:a:0", "-map", "1:v:0",
                "-c", "copy", "-disposition:v:1", "attached_pic", "-movflags", "+faststart", str(out)])
