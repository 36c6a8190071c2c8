"""Checks of `images` and `broll_clips`: one decodable picture or clip per shot, at the video size."""

from collections.abc import Mapping
from pathlib import Path

from batchvideo_assets.common import workdir
from batchvideo_assets.verdict import Verdict, check_spec, local_copy
from batchvideo_media.analysis import clip_findings, image_findings
from batchvideo_resources.manifests import BrollManifest, ImagesManifest, ScriptManifest, SplitsManifest, StoredFile
from batchvideo_resources.media_store import MediaStore

IMAGES_CHECK = check_spec("images", "one_image_per_shot", "One decodable picture per image shot, at the video size.")
BROLL_CHECK = check_spec("broll_clips", "one_clip_per_shot",
                         "One decodable clip per b-roll shot, at the video size and the shot's duration.")


def _expected(splits: SplitsManifest, kind: str) -> set[str]:
    return {str(s.index) for s in splits.shots if s.kind == kind}


def _one_per_shot(verdict: Verdict, have: Mapping[str, StoredFile], splits: SplitsManifest, kind: str) -> None:
    expected, got = _expected(splits, kind), set(have)
    if expected - got:
        verdict.fail(f"no {kind} for shot(s) {sorted(expected - got, key=int)}")
    if got - expected:
        verdict.fail(f"{kind} for shot(s) {sorted(got - expected, key=int)} that are not {kind} shots")


def evaluate_images(images: ImagesManifest, script: ScriptManifest, splits: SplitsManifest, media: MediaStore,
                    local: dict[str, Path] | None = None) -> Verdict:
    """`local`: shot index → the picture just generated (the others are fetched from the store)."""
    verdict = Verdict()
    size = script.spec.size
    entries = images.images
    local = local or {}
    _one_per_shot(verdict, entries, splits, "image")
    with workdir() as tmp:
        for idx in sorted(entries, key=int):
            path = local_copy(media, entries[idx].key, tmp, verdict, f"image {idx}", local.get(idx))
            if path is not None:
                verdict.add(image_findings(path, size, f"image {idx}"))
    verdict.facts.update({"images": len(entries), "expected": len(_expected(splits, "image")),
                          "resolution": f"{size[0]}x{size[1]}"})
    return verdict


def evaluate_broll(broll_clips: BrollManifest, script: ScriptManifest, splits: SplitsManifest, media: MediaStore,
                   local: dict[str, Path] | None = None) -> Verdict:
    """`local`: shot index → the clip just cut. A clip ffmpeg has just written whole is checked from its
    header; stored clips (kept ones, or any when evaluated on their own) are decoded frame by frame."""
    verdict = Verdict()
    size = script.spec.size
    entries = broll_clips.clips
    local = local or {}
    _one_per_shot(verdict, entries, splits, "broll")
    shots = {str(s.index): s for s in splits.shots}
    with workdir() as tmp:
        for idx in sorted(entries, key=int):
            path = local_copy(media, entries[idx].key, tmp, verdict, f"b-roll {idx}", local.get(idx))
            if path is None:
                continue
            shot = shots.get(idx)
            want_ms = shot.end_ms - shot.start_ms if shot is not None else None
            verdict.add(clip_findings(path, size, want_ms, f"b-roll {idx}", decode_frames=idx not in local))
    verdict.facts.update({"clips": len(entries), "expected": len(_expected(splits, "broll")),
                          "resolution": f"{size[0]}x{size[1]}"})
    return verdict
