"""Checks of `composed_video`, `logoed_video` and `cover`: playable, normalised, titled."""

import re
from pathlib import Path

import dagster as dg
from PIL import Image

from batchvideo_assets.common import spec_of, workdir
from batchvideo_assets.verdict import (
    BLACK_MIN_S,
    DURATION_TOLERANCE_MS,
    FREEZE_MIN_S,
    FREEZE_NOISE_DB,
    LOUDNESS_TOLERANCE_LU,
    SHOT_EDGE_S,
    TARGET_LUFS,
    TITLE_MIN_FRACTION,
    TITLE_RGB,
    Verdict,
    local_copy,
    probe_or_fail,
    stage_check,
)
from batchvideo_media.probe import MediaError, measure_loudness, run_ffmpeg
from batchvideo_resources.media_store import MediaStore


def _intervals(log: str, start_key: str, end_key: str) -> list[tuple[float, float]]:
    starts = [float(x) for x in re.findall(rf"{start_key}[:=]\s*(-?[\d.]+)", log)]
    ends = [float(x) for x in re.findall(rf"{end_key}[:=]\s*(-?[\d.]+)", log)]
    return list(zip(starts, ends + [None] * (len(starts) - len(ends))))


def black_and_frozen(path: Path, duration_s: float) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Black stretches (≥ BLACK_MIN_S) and frozen stretches (≥ FREEZE_MIN_S) in seconds."""
    log = run_ffmpeg(["-i", str(path), "-map", "0:v:0", "-an", "-vf",
                      f"blackdetect=d={BLACK_MIN_S}:pic_th=0.98:pix_th=0.10,"
                      f"freezedetect=n={FREEZE_NOISE_DB}dB:d={FREEZE_MIN_S}", "-f", "null", "-"], loglevel="info")
    black = [(float(a), float(b)) for a, b in re.findall(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)", log)]
    frozen = []
    for start, end in _intervals(log, "lavfi.freezedetect.freeze_start", "lavfi.freezedetect.freeze_end"):
        frozen.append((start, end if end is not None else duration_s))
    return black, frozen


def _freeze_allowed(start: float, end: float, splits: dict | None) -> bool:
    """Stock footage may be static, so a freeze inside one b-roll shot is fine; stills always pan."""
    if not splits:
        return False
    for shot in splits["shots"]:
        if shot["kind"] != "broll":
            continue
        if start >= shot["start_ms"] / 1000 - SHOT_EDGE_S and end <= shot["end_ms"] / 1000 + SHOT_EDGE_S:
            return True
    return False


def evaluate_video(video: dict, script: dict, audio: dict, media: MediaStore, splits: dict | None = None,
                   motion: bool = True) -> Verdict:
    """Streams present, duration = narration ± 100 ms, resolution, loudness, and (when `motion`)
    no long black or frozen stretch."""
    verdict = Verdict()
    canvas = spec_of(script).canvas
    narration_ms = audio["duration_ms"]
    with workdir() as tmp:
        path = local_copy(media, video.get("key", ""), tmp, verdict, "video")
        info = probe_or_fail(path, verdict, "video") if path is not None else None
        if info is None:
            return verdict
        v = next((s for s in info.streams if s["codec_type"] == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
        a = next((s for s in info.streams if s["codec_type"] == "audio"), None)
        if v is None:
            verdict.fail("no video stream")
        elif v.get("codec_name") != "h264":
            verdict.fail(f"video codec is {v.get('codec_name')}, not h264")
        if a is None:
            verdict.fail("no audio stream")
        elif a.get("codec_name") != "aac":
            verdict.fail(f"audio codec is {a.get('codec_name')}, not aac")
        if v is not None and (info.width, info.height) != canvas:
            verdict.fail(f"resolution is {info.width}x{info.height}, not {canvas[0]}x{canvas[1]}")
        for name, stream in (("video", v), ("audio", a)):
            if stream is None:
                continue
            seconds = float(stream.get("duration") or info.duration_s)
            verdict.metadata[f"{name}_duration_s"] = round(seconds, 3)
            if abs(seconds * 1000 - narration_ms) > DURATION_TOLERANCE_MS:
                verdict.fail(f"{name} stream lasts {seconds * 1000:.0f} ms, the narration {narration_ms} ms "
                             f"(tolerance {DURATION_TOLERANCE_MS} ms)")
        if a is not None:
            try:
                lufs = measure_loudness(path)["integrated_lufs"]
                verdict.metadata["integrated_lufs"] = round(lufs, 2)
                if abs(lufs - TARGET_LUFS) > LOUDNESS_TOLERANCE_LU:
                    verdict.fail(f"integrated loudness {lufs:.1f} LUFS is not within ±{LOUDNESS_TOLERANCE_LU} LU "
                                 f"of {TARGET_LUFS} LUFS")
            except MediaError as exc:
                verdict.fail(f"loudness cannot be measured: {str(exc)[-200:]}")
        if motion and v is not None:
            try:
                black, frozen = black_and_frozen(path, info.duration_s)
            except MediaError as exc:
                verdict.fail(f"video does not decode: {str(exc)[-200:]}")
            else:
                for start, end in black:
                    verdict.fail(f"black from {start:.1f} s to {end:.1f} s")
                allowed = [(s, e) for s, e in frozen if _freeze_allowed(s, e, splits)]
                for start, end in frozen:
                    if (start, end) not in allowed:
                        verdict.fail(f"frozen from {start:.1f} s to {end:.1f} s")
                verdict.metadata.update({"black_stretches": len(black), "frozen_stretches": len(frozen) - len(allowed),
                                         "static_broll_stretches": len(allowed)})
        verdict.metadata.update({"resolution": f"{info.width}x{info.height}", "narration_ms": narration_ms})
    return verdict


# ---------------------------------------------------------------------------------------- cover
def title_fraction(path: Path) -> float:
    """Share of the title band (bottom 45 %) drawn in the title colour. The band is darkened
    before the title is drawn, so pixels this bright and yellow are the title's glyphs."""
    with Image.open(path) as img:
        img = img.convert("RGB")
        w, h = img.size
        band = img.crop((0, int(h * 0.55), w, h)).resize((max(1, w // 2), max(1, int(h * 0.45) // 2)))
    r, g, b = TITLE_RGB
    pixels = list(band.getdata())
    hits = sum(1 for pr, pg, pb in pixels if abs(pr - r) < 40 and abs(pg - g) < 45 and abs(pb - b) < 60)
    return hits / max(1, len(pixels))


def evaluate_cover(cover: dict, script: dict, media: MediaStore) -> Verdict:
    verdict = Verdict()
    spec = spec_of(script)
    want_title = spec.publish_title or spec.title
    canvas = spec.canvas
    if cover.get("title") != want_title:
        verdict.fail(f"cover title is {cover.get('title')!r}, expected {want_title!r}")
    with workdir() as tmp:
        path = local_copy(media, cover.get("key", ""), tmp, verdict, "cover")
        if path is None:
            return verdict
        try:
            with Image.open(path) as img:
                fmt = img.format
                img.load()
                size = img.size
        except Exception as exc:  # noqa: BLE001
            verdict.fail(f"cover does not decode ({type(exc).__name__}: {exc})")
            return verdict
        if fmt != "JPEG":
            verdict.fail(f"cover is {fmt}, not JPEG")
        if size != canvas:
            verdict.fail(f"cover is {size[0]}x{size[1]}, not {canvas[0]}x{canvas[1]}")
        fraction = title_fraction(path)
        verdict.metadata.update({"title": want_title, "title_pixels_fraction": round(fraction, 4),
                                 "resolution": f"{size[0]}x{size[1]}"})
        if fraction < TITLE_MIN_FRACTION:
            verdict.fail(f"no title drawn on the cover (title-coloured pixels {fraction:.2%} of the band)")
    return verdict



@stage_check("composed_video", "playable_and_normalised",
        "H.264/AAC streams, duration = narration ± 100 ms, canvas resolution, loudness within ±1 LU of "
        "−14 LUFS, no black stretch ≥ 1 s and no frozen stretch ≥ 3 s outside static b-roll.",
        ("script", "audio", "splits"))
def composed_video_check(context: dg.AssetCheckExecutionContext, composed_video: dict, script: dict,
                         audio: dict, splits: dict) -> dg.AssetCheckResult:
    return evaluate_video(composed_video, script, audio, context.resources.media, splits).result()


@stage_check("logoed_video", "playable_and_normalised",
        "H.264/AAC streams, duration = narration ± 100 ms, canvas resolution, loudness within ±1 LU of "
        "−14 LUFS, no black or frozen stretch.", ("script", "audio", "splits"))
def logoed_video_check(context: dg.AssetCheckExecutionContext, logoed_video: dict, script: dict,
                       audio: dict, splits: dict) -> dg.AssetCheckResult:
    return evaluate_video(logoed_video, script, audio, context.resources.media, splits).result()


@stage_check("cover", "decodes_with_title", "Cover JPEG decodes at the canvas size and shows the title.", ("script",))
def cover_check(context: dg.AssetCheckExecutionContext, cover: dict, script: dict) -> dg.AssetCheckResult:
    return evaluate_cover(cover, script, context.resources.media).result()

