"""Checks of `images` and `broll_clips`: one decodable picture or clip per shot, at the video size."""


import dagster as dg
from PIL import Image

from batchvideo_assets.common import spec_of, workdir
from batchvideo_assets.verdict import (
    DURATION_TOLERANCE_MS,
    Verdict,
    local_copy,
    probe_or_fail,
    stage_check,
)
from batchvideo_media.probe import MediaError, run_ffmpeg
from batchvideo_resources.media_store import MediaStore


def _expected(splits: dict, kind: str) -> set[str]:
    return {str(s["index"]) for s in splits["shots"] if s["kind"] == kind}


def _one_per_shot(verdict: Verdict, have: dict, splits: dict, kind: str) -> None:
    expected, got = _expected(splits, kind), set(have)
    if expected - got:
        verdict.fail(f"no {kind} for shot(s) {sorted(expected - got, key=int)}")
    if got - expected:
        verdict.fail(f"{kind} for shot(s) {sorted(got - expected, key=int)} that are not {kind} shots")


def evaluate_images(images: dict, script: dict, splits: dict, media: MediaStore) -> Verdict:
    verdict = Verdict()
    size = spec_of(script).size
    entries = images.get("images") or {}
    _one_per_shot(verdict, entries, splits, "image")
    with workdir() as tmp:
        for idx in sorted(entries, key=int):
            path = local_copy(media, entries[idx].get("key", ""), tmp, verdict, f"image {idx}")
            if path is None:
                continue
            try:
                with Image.open(path) as img:
                    img.load()
                    if img.size != size:
                        verdict.fail(f"image {idx} is {img.size[0]}x{img.size[1]}, not {size[0]}x{size[1]}")
            except Exception as exc:  # noqa: BLE001 - any decoder error means a broken file
                verdict.fail(f"image {idx} does not decode ({type(exc).__name__}: {exc})")
    verdict.metadata.update({"images": len(entries), "expected": len(_expected(splits, "image")),
                             "resolution": f"{size[0]}x{size[1]}"})
    return verdict


def evaluate_broll(broll_clips: dict, script: dict, splits: dict, media: MediaStore) -> Verdict:
    verdict = Verdict()
    size = spec_of(script).size
    entries = broll_clips.get("clips") or {}
    _one_per_shot(verdict, entries, splits, "broll")
    shots = {str(s["index"]): s for s in splits["shots"]}
    with workdir() as tmp:
        for idx in sorted(entries, key=int):
            path = local_copy(media, entries[idx].get("key", ""), tmp, verdict, f"b-roll {idx}")
            info = probe_or_fail(path, verdict, f"b-roll {idx}") if path is not None else None
            if info is None:
                continue
            if info.video_codec is None:
                verdict.fail(f"b-roll {idx} has no video stream")
                continue
            if (info.width, info.height) != size:
                verdict.fail(f"b-roll {idx} is {info.width}x{info.height}, not {size[0]}x{size[1]}")
            shot = shots.get(idx)
            if shot is not None:
                want = shot["end_ms"] - shot["start_ms"]
                if abs(info.duration_s * 1000 - want) > DURATION_TOLERANCE_MS:
                    verdict.fail(f"b-roll {idx} lasts {info.duration_s * 1000:.0f} ms, the shot {want} ms")
            try:  # decode every frame: a truncated clip fails here even when the header probes
                run_ffmpeg(["-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"])
            except MediaError as exc:
                verdict.fail(f"b-roll {idx} does not decode: {str(exc)[-200:]}")
    verdict.metadata.update({"clips": len(entries), "expected": len(_expected(splits, "broll")),
                             "resolution": f"{size[0]}x{size[1]}"})
    return verdict



@stage_check("images", "one_image_per_shot",
        "One decodable picture per image shot, at the video size.", ("script", "splits"))
def images_check(context: dg.AssetCheckExecutionContext, images: dict, script: dict,
                 splits: dict) -> dg.AssetCheckResult:
    return evaluate_images(images, script, splits, context.resources.media).result()


@stage_check("broll_clips", "one_clip_per_shot",
        "One decodable clip per b-roll shot, at the video size and the shot's duration.", ("script", "splits"))
def broll_check(context: dg.AssetCheckExecutionContext, broll_clips: dict, script: dict,
                splits: dict) -> dg.AssetCheckResult:
    return evaluate_broll(broll_clips, script, splits, context.resources.media).result()
