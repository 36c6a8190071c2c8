"""`composed_video`, `logoed_video`, `cover`: the composed MP4, the delivered (branded) one, its thumbnail."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import srt as srtlib

from batchvideo_media.compose import (
    TARGET_LUFS,
    ShotMedia,
    apply_presenter,
    attach_cover,
    brand,
    render_composition,
)
from batchvideo_media.images import DEFAULT_FONT, drawable, font_for_text
from batchvideo_media.probe import probe
from batchvideo_media.subtitles import to_ass
from batchvideo_resources.manifests import (
    AudioManifest,
    BrollManifest,
    ComposedVideoManifest,
    DigitalHumanManifest,
    ImagesManifest,
    SplitsManifest,
    SrtManifest,
)
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.script_spec import ScriptSpec
from batchvideo_resources.stages import Link


def video_facts(path: Path, uri: str, preview_url: str, narration_ms: int | None = None) -> dict:
    info = probe(path)
    meta = {"duration_s": round(info.duration_s, 3), "resolution": f"{info.width}x{info.height}",
            "video_codec": info.video_codec or "", "audio_codec": info.audio_codec or "",
            "size_bytes": info.size_bytes, "uri": uri, "preview_url": Link(preview_url)}
    if narration_ms is not None:
        meta["narration_s"] = narration_ms / 1000
    return meta


class MissingShotMedia(LookupError):
    """A shot of the storyboard has no picture or clip in the visuals stages' manifests."""


def shot_media(splits: SplitsManifest, images: ImagesManifest, broll: BrollManifest, media: MediaStore,
               tmp: Path) -> list[ShotMedia]:
    """Each shot's picture or clip, fetched to `tmp`; a shot whose media is missing fails by index."""
    shots = []
    for shot in splits.shots:
        entry = (broll.clips if shot.kind == "broll" else images.images).get(str(shot.index))
        if entry is None:
            raise MissingShotMedia(f"shot {shot.index}: no {shot.kind} media materialized")
        shots.append(ShotMedia(shot.kind, media.local_path(entry.key, tmp), shot.start_ms, shot.end_ms))
    return shots


def write_subtitles(spec: ScriptSpec, srt: SrtManifest, duration_ms: int, out: Path) -> None:
    """The burned-in subtitles as an ASS file (cue text never goes into a filter string), in the
    account's style, with the h2v header and karaoke word times where the account uses them;
    characters no installed font can draw (emoji) are dropped rather than shown as boxes."""
    font = spec.account.font
    cues = [srtlib.Subtitle(c.index, timedelta(milliseconds=c.start_ms), timedelta(milliseconds=c.end_ms),
                            drawable(c.text, font)) for c in srt.cues]
    header = ([drawable(t, font) for t in (spec.extra.index_text, spec.extra.title_text or spec.title,
                                            spec.extra.desc_text)] if spec.canvas != spec.size else None)
    words = ([[{**w.model_dump(), "text": drawable(w.text, font)} for w in c.words] for c in srt.cues]
             if spec.account.karaoke_subtitles else None)
    out.write_text(to_ass(cues, *spec.canvas, font=font or DEFAULT_FONT, background=spec.account.subtitle_background,
                          header=header, duration_ms=duration_ms, words=words), encoding="utf-8")


@dataclass
class Composition:
    facts: dict  # what the encode measured and how it ran (`render_composition`)
    kinds: list[str]  # each piece's kind after the presenter's clips went in
    overlays: int  # picture-in-picture presenter clips
    transitions: list[str] | None
    bgm: bool

    def manifest(self, key: str, stored: dict) -> ComposedVideoManifest:
        """The manifest of the video stored under `key` (`stored`: its `video_facts`), with what the
        encode measured, so `logoed_video` need not measure the same audio and frames again."""
        return ComposedVideoManifest(key=key, uri=stored["uri"], duration_s=stored["duration_s"],
                                     integrated_lufs=self.facts["integrated_lufs"], black_s=self.facts["black_s"],
                                     frozen_s=self.facts["frozen_s"])


def compose(spec: ScriptSpec, audio: AudioManifest, srt: SrtManifest, splits: SplitsManifest,
            images: ImagesManifest, broll: BrollManifest, presenter: DigitalHumanManifest | None,
            media: MediaStore, tmp: Path, out: Path) -> Composition:
    """Render the video to `out`: the shots with motion and transitions, the presenter's clips
    (fullscreen in place of shots, or in a corner), burned subtitles, narration with the music ducked
    under it, loudness normalised to TARGET_LUFS; on the h2v canvas when the script asks for one."""
    width, height = spec.size
    h2v = spec.canvas != spec.size
    presenter = presenter or DigitalHumanManifest(mode="none", clips=[])
    shots, overlays = apply_presenter(shot_media(splits, images, broll, media, tmp),
                                      [c.model_dump() for c in presenter.clips], presenter.mode,
                                      [media.local_path(c.key, tmp) for c in presenter.clips])
    ass = tmp / "subtitles.ass"
    write_subtitles(spec, srt, audio.duration_ms, ass)
    bgm = Path(spec.bgm_path) if spec.bgm_path else None
    transitions = (spec.account.transition_types or ["fade"]) if spec.account.enable_transition else None
    facts = render_composition(shots, media.local_path(audio.key, tmp), ass, out, width, height, audio.duration_ms,
                               bgm=bgm, target_lufs=TARGET_LUFS, canvas=spec.canvas if h2v else None,
                               transitions=transitions, overlays=overlays)
    return Composition(facts, [s.kind for s in shots], len(overlays), transitions, bool(bgm))


def composed_facts(spec: ScriptSpec, presenter: DigitalHumanManifest | None, made: Composition) -> dict:
    facts = made.facts
    return {"integrated_lufs": facts["integrated_lufs"], "true_peak_db": facts["true_peak_db"],
            "loudness_range_lu": facts["lra"], "gain_db": facts["gain_db"],
            "image_shots": made.kinds.count("image"), "broll_shots": made.kinds.count("broll"),
            "presenter_shots": made.kinds.count("presenter"), "presenter_overlays": made.overlays,
            "digital_human": presenter.mode if presenter else "none", "bgm": made.bgm,
            "transitions": ",".join(made.transitions or []) or "none", "h2v": spec.canvas != spec.size,
            "encoder": facts["encoder"], "encoder_settings": facts["encoder_settings"], "chunks": facts["chunks"],
            "render_s": facts["render_s"]}


@dataclass
class Branded:
    note: str
    encoder: str
    measured: dict  # loudness and black/frozen stretches of the delivered file, for its check


def brand_video(spec: ScriptSpec, composed: ComposedVideoManifest, src: Path, cover: Path, out: Path,
                  tmp: Path) -> Branded:
    """The delivered file at `out`: `src` (composed_video) with the account's logo and watermark when it
    has them (else the same frames), and the cover attached as cover art."""
    width, height = spec.canvas
    if spec.account.logo or spec.account.watermark:
        logo = Path(spec.account.logo) if spec.account.logo else None
        watermark = font = None
        if spec.account.watermark:
            text = drawable(spec.account.watermark, spec.account.font)
            watermark = tmp / "watermark.txt"
            watermark.write_text(text, encoding="utf-8")
            font = font_for_text(text, spec.account.font)
        branded = brand(src, logo, out, width, height, watermark_file=watermark, font_file=font,
                        duration_s=composed.duration_s)
        note = ("logo overlaid" if logo else "no logo") + (" with watermark" if watermark else "")
        encoder, black_s, frozen_s = branded["encoder"], branded["black_s"], branded["frozen_s"]
    else:
        shutil.copyfile(src, out)
        note = "account has no logo: same content as composed_video"
        encoder, black_s, frozen_s = "copy", composed.black_s, composed.frozen_s  # the same frames
    delivered = tmp / "video_delivered.mp4"
    attach_cover(out, cover, delivered)
    delivered.replace(out)
    # The audio is composed_video's, stream-copied: its loudness was measured when it was mastered.
    return Branded(note + "; cover attached", encoder,
                   {"integrated_lufs": composed.integrated_lufs, "black_s": black_s, "frozen_s": frozen_s})


def cover_picture_key(images: ImagesManifest) -> str | None:
    """The cover's background: the topic's cover picture, else the first shot's picture, else none."""
    if images.cover_background:
        return images.cover_background.key
    if images.images:
        return images.images[min(images.images, key=int)].key
    return None
