"""`composed_video`, `logoed_video`, `cover`: the finished, branded MP4 and its thumbnail."""


import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import dagster as dg
import srt as srtlib

from batchvideo_assets.common import spec_of, workdir
from batchvideo_assets.defs.video.checks import (
    COMPOSED_CHECK,
    COVER_CHECK,
    LOGOED_CHECK,
    evaluate_cover,
    evaluate_video,
    logo_verdict,
)
from batchvideo_assets.partitions import facets_read_by, scripts_partitions
from batchvideo_assets.verdict import report, timed
from batchvideo_media.compose import (
    TARGET_LUFS,
    ShotMedia,
    apply_presenter,
    attach_cover,
    brand,
    render_composition,
)
from batchvideo_media.images import DEFAULT_FONT, drawable, font_for_text, render_cover
from batchvideo_media.probe import probe
from batchvideo_media.subtitles import to_ass
from batchvideo_resources.layout import run_key
from batchvideo_resources.media_store import MediaStore


def _video_metadata(path: Path, uri: str, media: MediaStore, key: str, narration_ms: int | None = None) -> dict:
    info = probe(path)
    meta = {"duration_s": round(info.duration_s, 3), "resolution": f"{info.width}x{info.height}",
            "video_codec": info.video_codec or "", "audio_codec": info.audio_codec or "",
            "size_bytes": info.size_bytes, "uri": uri, "preview_url": dg.MetadataValue.url(media.public_url(key))}
    if narration_ms is not None:
        meta["narration_s"] = narration_ms / 1000
    return meta


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("composed_video"), code_version="2",
    group_name="video", kinds={"mp4", "ffmpeg"},
    check_specs=[COMPOSED_CHECK],
    description="H.264/AAC video: shots with gentle motion, b-roll, digital-human clips, transitions, burned "
                "subtitles in the account's style, narration (+ ducked music) normalised to −14 LUFS.",
)
def composed_video(context: dg.AssetExecutionContext, script: dict, audio: dict, srt: dict, splits: dict,
                   images: dict, broll_clips: dict, digital_human: dict, media: MediaStore
                   ) -> Iterator[dg.Output[dict] | dg.AssetCheckResult]:
    spec = spec_of(script)
    width, height = spec.size
    canvas = spec.canvas
    h2v = canvas != spec.size
    duration_ms = audio["duration_ms"]
    font = spec.account.font or DEFAULT_FONT
    with workdir() as tmp:
        shots: list[ShotMedia] = []
        for shot in splits["shots"]:
            table = broll_clips["clips"] if shot["kind"] == "broll" else images["images"]
            entry = table.get(str(shot["index"]))
            if entry is None:
                raise dg.Failure(description=f"shot {shot['index']}: no {shot['kind']} media materialized")
            shots.append(ShotMedia(shot["kind"], media.local_path(entry["key"], tmp), shot["start_ms"], shot["end_ms"]))
        presenter = digital_human or {"mode": "none", "clips": []}
        clips = presenter.get("clips") or []
        clip_paths = [media.local_path(c["key"], tmp) for c in clips]
        shots, overlays = apply_presenter(shots, clips, presenter.get("mode", "none"), clip_paths)
        # Cue text goes into an ASS file (never a filter string); characters no installed font can draw
        # (emoji) are dropped rather than shown as boxes.
        cues = [srtlib.Subtitle(c["index"], timedelta(milliseconds=c["start_ms"]),
                                timedelta(milliseconds=c["end_ms"]), drawable(c["text"], spec.account.font))
                for c in srt["cues"]]
        header = [drawable(t, spec.account.font) for t in
                  (spec.extra.index_text, spec.extra.title_text or spec.title, spec.extra.desc_text)] if h2v else None
        ass = tmp / "subtitles.ass"
        words = ([[{**w, "text": drawable(w["text"], spec.account.font)} for w in c.get("words", [])]
                  for c in srt["cues"]] if spec.account.karaoke_subtitles else None)
        ass.write_text(to_ass(cues, *canvas, font=font, background=spec.account.subtitle_background, header=header,
                              duration_ms=duration_ms, words=words), encoding="utf-8")
        narration = media.local_path(audio["key"], tmp)
        bgm = Path(spec.bgm_path) if spec.bgm_path else None
        out = tmp / "video_combined.mp4"
        transitions = (spec.account.transition_types or ["fade"]) if spec.account.enable_transition else None
        facts = render_composition(shots, narration, ass, out, width, height, duration_ms, bgm=bgm,
                                   target_lufs=TARGET_LUFS, canvas=canvas if h2v else None,
                                   transitions=transitions, overlays=overlays)
        key = run_key(context.partition_key, context.run_id, "video_combined.mp4")
        uri = media.put_file(out, key)
        meta = _video_metadata(out, uri, media, key, duration_ms)
        value = {"key": key, "uri": uri, "duration_s": meta["duration_s"], "integrated_lufs": facts["integrated_lufs"],
                 "black_s": facts["black_s"], "frozen_s": facts["frozen_s"]}
        # The check reads the streams from the file's header; loudness and black/frozen stretches are
        # what the encode measured (they are in the manifest too, for logoed_video).
        verdict, check_s = timed(lambda: evaluate_video(value, script, audio, media, splits, local=out,
                                                        measured=value))
    kinds = [s.kind for s in shots]
    meta.update({"integrated_lufs": facts["integrated_lufs"], "true_peak_db": facts["true_peak_db"],
                 "loudness_range_lu": facts["lra"], "gain_db": facts["gain_db"],
                 "image_shots": kinds.count("image"), "broll_shots": kinds.count("broll"),
                 "presenter_shots": kinds.count("presenter"), "presenter_overlays": len(overlays),
                 "digital_human": presenter.get("mode", "none"), "bgm": bool(bgm),
                 "transitions": ",".join(transitions or []) or "none", "h2v": h2v, "encoder": facts["encoder"],
                 "encoder_settings": facts["encoder_settings"], "chunks": facts["chunks"], "render_s": facts["render_s"]})
    yield from report(dg.Output(value, metadata=meta), COMPOSED_CHECK, verdict, check_s)


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("logoed_video"), code_version="1",
    group_name="video", kinds={"mp4", "ffmpeg"},
    check_specs=[LOGOED_CHECK],
    description="The delivered video: composed_video with the account logo (top right, ~12% of the width), optional "
                "watermark text, and the cover attached as cover art.",
)
def logoed_video(context: dg.AssetExecutionContext, script: dict, audio: dict, splits: dict, composed_video: dict,
                 cover: dict, media: MediaStore) -> Iterator[dg.Output[dict] | dg.AssetCheckResult]:
    spec = spec_of(script)
    width, height = spec.canvas
    key = run_key(context.partition_key, context.run_id, "video_logoed.mp4")
    with workdir() as tmp:
        src = media.local_path(composed_video["key"], tmp)
        out = tmp / "video_logoed.mp4"
        if spec.account.logo or spec.account.watermark:
            logo = Path(spec.account.logo) if spec.account.logo else None
            watermark = font = None
            if spec.account.watermark:
                text = drawable(spec.account.watermark, spec.account.font)
                watermark = tmp / "watermark.txt"
                watermark.write_text(text, encoding="utf-8")
                font = font_for_text(text, spec.account.font)
            branded = brand(src, logo, out, width, height, watermark_file=watermark, font_file=font,
                            duration_s=composed_video.get("duration_s"))
            note = ("logo overlaid" if logo else "no logo") + (" with watermark" if watermark else "")
            encoder = branded["encoder"]
        else:
            shutil.copyfile(src, out)
            branded = composed_video  # the same frames
            encoder = "copy"
            note = "account has no logo: same content as composed_video"
        # The file a user downloads is this asset's own output, cover art included, and it is what
        # this asset's check verifies: no later stage rewrites it.
        delivered = tmp / "video_delivered.mp4"
        attach_cover(out, media.local_path(cover["key"], tmp), delivered)
        delivered.replace(out)
        note += "; cover attached"
        uri = media.put_file(out, key)
        meta = _video_metadata(out, uri, media, key)
        # The audio is composed_video's, stream-copied: its loudness was measured when it was mastered.
        measured = {"integrated_lufs": composed_video["integrated_lufs"], "black_s": branded["black_s"],
                    "frozen_s": branded["frozen_s"]}
        def verify():
            verdict = evaluate_video({"key": key}, script, audio, media, splits, local=out, measured=measured)
            verdict.add(logo_verdict(out, src, script, audio))
            return verdict
        verdict, check_s = timed(verify)
    meta.update({"note": note, "encoder": encoder})
    yield from report(dg.Output({"key": key, "uri": uri, "note": note}, metadata=meta), LOGOED_CHECK, verdict,
                      check_s)


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("cover"), code_version="2",
    group_name="video", kinds={"jpeg", "pillow"},
    check_specs=[COVER_CHECK],
    description="JPEG thumbnail with the title in a CJK-capable font over the topic's cover picture (made by "
                "`images` with the shots) or the first shot; logoed_video carries it as cover art.",
)
def cover(context: dg.AssetExecutionContext, script: dict, images: dict, media: MediaStore
          ) -> Iterator[dg.Output[dict] | dg.AssetCheckResult]:
    spec = spec_of(script)
    width, height = spec.canvas
    title = spec.publish_title or spec.title
    with workdir() as tmp:
        background = None
        if images.get("cover_background"):
            background = media.local_path(images["cover_background"]["key"], tmp)
        elif images["images"]:
            first = images["images"][min(images["images"], key=int)]
            background = media.local_path(first["key"], tmp)
        out = tmp / "cover.jpg"
        render_cover(out, background, width, height, title, font_family=spec.account.font, seed=str(spec.id))
        key = run_key(context.partition_key, context.run_id, "cover.jpg")
        uri = media.put_file(out, key)
        size = out.stat().st_size
        value = {"key": key, "uri": uri, "title": title}
        verdict, check_s = timed(lambda: evaluate_cover(value, script, media, local=out))
    yield from report(dg.Output(value, metadata={
        "uri": uri, "title": title, "resolution": f"{width}x{height}", "size_bytes": size,
        "background": "topic cover picture" if images.get("cover_background") else "first shot",
        "preview": dg.MetadataValue.md(f"![cover]({media.public_url(key)})")}), COVER_CHECK, verdict, check_s)
