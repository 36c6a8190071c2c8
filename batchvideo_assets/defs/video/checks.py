"""Checks of `composed_video`, `logoed_video` and `cover`: playable, normalised, titled."""

from pathlib import Path

import dagster as dg

from batchvideo_assets.common import spec_of, workdir
from batchvideo_assets.verdict import Verdict, local_copy, stage_check
from batchvideo_media.analysis import cover_findings, logo_findings, video_findings
from batchvideo_media.compose.branding import logo_box
from batchvideo_resources.media_store import MediaStore


def static_spans_ms(splits: dict | None) -> list[tuple[int, int]]:
    """The b-roll shots: stock footage may hold still there, stills never do."""
    return [(s["start_ms"], s["end_ms"]) for s in (splits or {}).get("shots", []) if s["kind"] == "broll"]


def evaluate_video(video: dict, script: dict, audio: dict, media: MediaStore, splits: dict | None = None,
                   motion: bool = True) -> Verdict:
    """Streams present, duration = narration ± 100 ms, resolution, loudness, and (when `motion`)
    no long black or frozen stretch."""
    verdict = Verdict()
    with workdir() as tmp:
        path = local_copy(media, video.get("key", ""), tmp, verdict, "video")
        if path is not None:
            verdict.add(video_findings(path, spec_of(script).canvas, audio["duration_ms"], static_spans_ms(splits),
                                       motion))
    return verdict


def evaluate_logoed_video(video: dict, composed: dict, script: dict, audio: dict, media: MediaStore,
                          splits: dict | None = None) -> Verdict:
    """`evaluate_video`, and the account's logo visible where it was placed: the delivered frame's
    logo corner against the same frame of composed_video (a logo that did not decode leaves it unchanged)."""
    verdict = evaluate_video(video, script, audio, media, splits)
    spec = spec_of(script)
    if not spec.account.logo:
        return verdict
    with workdir() as tmp:
        branded = local_copy(media, video.get("key", ""), tmp, verdict, "video")
        plain = local_copy(media, composed.get("key", ""), tmp, verdict, "composed video")
        if branded is not None and plain is not None:
            verdict.add(logo_findings(branded, plain, Path(spec.account.logo), logo_box(*spec.canvas), spec.canvas,
                                      at_s=audio["duration_ms"] / 2000))
    return verdict


def evaluate_cover(cover: dict, script: dict, media: MediaStore) -> Verdict:
    verdict = Verdict()
    spec = spec_of(script)
    want_title = spec.publish_title or spec.title
    if cover.get("title") != want_title:
        verdict.fail(f"cover title is {cover.get('title')!r}, expected {want_title!r}")
    with workdir() as tmp:
        path = local_copy(media, cover.get("key", ""), tmp, verdict, "cover")
        if path is not None:
            verdict.add(cover_findings(path, spec.canvas))
            verdict.facts["title"] = want_title
    return verdict


@stage_check("composed_video", "playable_and_normalised",
        "H.264/AAC streams, duration = narration ± 100 ms, canvas resolution, loudness within ±1 LU of "
        "−14 LUFS, no black stretch ≥ 1 s and no frozen stretch ≥ 3 s outside static b-roll.",
        ("script", "audio", "splits"))
def composed_video_check(context: dg.AssetCheckExecutionContext, composed_video: dict, script: dict,
                         audio: dict, splits: dict, media: MediaStore) -> dg.AssetCheckResult:
    return evaluate_video(composed_video, script, audio, media, splits).result()


@stage_check("logoed_video", "playable_and_normalised",
        "H.264/AAC streams, duration = narration ± 100 ms, canvas resolution, loudness within ±1 LU of "
        "−14 LUFS, no black or frozen stretch, the account's logo visible where it was placed.",
        ("script", "audio", "splits", "composed_video"))
def logoed_video_check(context: dg.AssetCheckExecutionContext, logoed_video: dict, script: dict,
                       audio: dict, splits: dict, composed_video: dict, media: MediaStore) -> dg.AssetCheckResult:
    return evaluate_logoed_video(logoed_video, composed_video, script, audio, media, splits).result()


@stage_check("cover", "decodes_with_title", "Cover JPEG decodes at the canvas size and shows the title.", ("script",))
def cover_check(context: dg.AssetCheckExecutionContext, cover: dict, script: dict,
                media: MediaStore) -> dg.AssetCheckResult:
    return evaluate_cover(cover, script, media).result()
