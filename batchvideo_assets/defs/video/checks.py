"""Checks of `composed_video`, `logoed_video` and `cover`: playable, normalised, titled."""

from pathlib import Path

from batchvideo_assets.common import workdir
from batchvideo_assets.verdict import Verdict, check_spec, local_copy
from batchvideo_media.analysis import cover_findings, logo_findings, video_findings
from batchvideo_media.compose.branding import logo_box
from batchvideo_resources.manifests import (
    AudioManifest,
    ComposedVideoManifest,
    CoverManifest,
    LogoedVideoManifest,
    ScriptManifest,
    SplitsManifest,
    StoredFile,
)
from batchvideo_resources.media_store import MediaStore

COMPOSED_CHECK = check_spec(
    "composed_video", "playable_and_normalised",
    "H.264/AAC streams, duration = narration ± 100 ms, canvas resolution, loudness within ±1 LU of −14 LUFS, no "
    "black stretch ≥ 1 s and no frozen stretch ≥ 3 s outside static b-roll.")
LOGOED_CHECK = check_spec(
    "logoed_video", "playable_and_normalised",
    "H.264/AAC streams, duration = narration ± 100 ms, canvas resolution, loudness within ±1 LU of −14 LUFS, no "
    "black or frozen stretch, the account's logo visible where it was placed.")
COVER_CHECK = check_spec("cover", "decodes_with_title", "Cover JPEG decodes at the canvas size and shows the title.")


def static_spans_ms(splits: SplitsManifest | None) -> list[tuple[int, int]]:
    """The b-roll shots: stock footage may hold still there, stills never do."""
    return [(s.start_ms, s.end_ms) for s in (splits.shots if splits else []) if s.kind == "broll"]


def evaluate_video(video: StoredFile, script: ScriptManifest, audio: AudioManifest, media: MediaStore,
                   splits: SplitsManifest | None = None, motion: bool = True, local: Path | None = None,
                   measured: dict | None = None) -> Verdict:
    """Streams present, duration = narration ± 100 ms, resolution, loudness, and (when `motion`)
    no long black or frozen stretch. `local` and `measured`: the file the stage has just written and
    what its encode measured (loudness, black/frozen stretches), so nothing is decoded again; without
    them the stored file is fetched and measured."""
    verdict = Verdict()
    with workdir() as tmp:
        path = local_copy(media, video.key, tmp, verdict, "video", local)
        if path is not None:
            verdict.add(video_findings(path, script.spec.canvas, audio.duration_ms, static_spans_ms(splits),
                                       motion, measured))
    return verdict


def logo_verdict(branded: Path, composed: Path, script: ScriptManifest, audio: AudioManifest) -> Verdict:
    """The account's logo visible where it was placed: the delivered frame's logo corner against the
    same frame of composed_video (a logo that did not decode leaves that corner unchanged)."""
    verdict = Verdict()
    spec = script.spec
    if spec.account.logo:
        verdict.add(logo_findings(branded, composed, Path(spec.account.logo), logo_box(*spec.canvas), spec.canvas,
                                  at_s=audio.duration_ms / 2000))
    return verdict


def evaluate_logoed_file(video: LogoedVideoManifest, branded: Path, composed: Path, script: ScriptManifest,
                         audio: AudioManifest, splits: SplitsManifest, media: MediaStore, measured: dict) -> Verdict:
    """`logoed_video`'s step check of the file it has just written (`branded`, made from `composed`)."""
    verdict = evaluate_video(video, script, audio, media, splits, local=branded, measured=measured)
    verdict.add(logo_verdict(branded, composed, script, audio))
    return verdict


def evaluate_logoed_video(video: LogoedVideoManifest, composed: ComposedVideoManifest, script: ScriptManifest,
                          audio: AudioManifest, media: MediaStore, splits: SplitsManifest | None = None) -> Verdict:
    """The stored delivered video, checked as `logoed_video`'s step checks the file it writes."""
    verdict = evaluate_video(video, script, audio, media, splits)
    with workdir() as tmp:
        branded = local_copy(media, video.key, tmp, verdict, "video")
        plain = local_copy(media, composed.key, tmp, verdict, "composed video")
        if branded is not None and plain is not None:
            verdict.add(logo_verdict(branded, plain, script, audio))
    return verdict


def evaluate_cover(cover: CoverManifest, script: ScriptManifest, media: MediaStore, local: Path | None = None
                   ) -> Verdict:
    verdict = Verdict()
    spec = script.spec
    want_title = spec.publish_title or spec.title
    if cover.title != want_title:
        verdict.fail(f"cover title is {cover.title!r}, expected {want_title!r}")
    with workdir() as tmp:
        path = local_copy(media, cover.key, tmp, verdict, "cover", local)
        if path is not None:
            verdict.add(cover_findings(path, spec.canvas))
            verdict.facts.update(title=want_title)
    return verdict
