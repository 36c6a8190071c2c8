"""`composed_video`, `logoed_video`, `cover`: the finished, branded MP4 and its thumbnail."""


from collections.abc import Iterator

import dagster as dg

from batchvideo_assets.common import workdir
from batchvideo_assets.defs.video.checks import (
    COMPOSED_CHECK,
    COVER_CHECK,
    LOGOED_CHECK,
    evaluate_cover,
    evaluate_logoed_file,
    evaluate_video,
)
from batchvideo_assets.partitions import facets_read_by, scripts_partitions
from batchvideo_assets.verdict import deliver
from batchvideo_media.images import render_cover
from batchvideo_resources.layout import run_key
from batchvideo_resources.manifests import (
    AudioManifest,
    BrollManifest,
    ComposedVideoManifest,
    CoverManifest,
    DigitalHumanManifest,
    ImagesManifest,
    LogoedVideoManifest,
    ScriptManifest,
    SplitsManifest,
    SrtManifest,
)
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.stages import Markdown
from batchvideo_resources.stages.video import (
    MissingShotMedia,
    brand_video,
    compose,
    composed_facts,
    cover_picture_key,
    video_facts,
)


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("composed_video"), code_version="2",
    group_name="video", kinds={"mp4", "ffmpeg"},
    check_specs=[COMPOSED_CHECK],
    description="H.264/AAC video: shots with gentle motion, b-roll, digital-human clips, transitions, burned "
                "subtitles in the account's style, narration (+ ducked music) normalised to −14 LUFS.",
)
def composed_video(context: dg.AssetExecutionContext, script: ScriptManifest, audio: AudioManifest,
                   srt: SrtManifest, splits: SplitsManifest, images: ImagesManifest, broll_clips: BrollManifest,
                   digital_human: DigitalHumanManifest, media: MediaStore
                   ) -> Iterator[dg.Output[ComposedVideoManifest] | dg.AssetCheckResult]:
    key = run_key(context.partition_key, context.run_id, "video_combined.mp4")
    with workdir() as tmp:
        out = tmp / "video_combined.mp4"
        try:
            made = compose(script.spec, audio, srt, splits, images, broll_clips, digital_human, media, tmp, out)
        except MissingShotMedia as exc:  # the visuals stage did not make a shot's media
            raise dg.Failure(description=str(exc)) from exc
        facts = video_facts(out, media.put_file(out, key), media.public_url(key), audio.duration_ms)
        value = made.manifest(key, facts)
        # The check reads the streams from the file's header; loudness and black/frozen stretches are
        # what the encode measured (they are in the manifest too, for logoed_video).
        yield from deliver(value, {**facts, **composed_facts(script.spec, digital_human, made)}, COMPOSED_CHECK,
                           lambda: evaluate_video(value, script, audio, media, splits, local=out,
                                                  measured=made.facts))


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("logoed_video"), code_version="1",
    group_name="video", kinds={"mp4", "ffmpeg"},
    check_specs=[LOGOED_CHECK],
    description="The delivered video: composed_video with the account logo (top right, ~12% of the width), optional "
                "watermark text, and the cover attached as cover art.",
)
def logoed_video(context: dg.AssetExecutionContext, script: ScriptManifest, audio: AudioManifest,
                 splits: SplitsManifest, composed_video: ComposedVideoManifest, cover: CoverManifest,
                 media: MediaStore) -> Iterator[dg.Output[LogoedVideoManifest] | dg.AssetCheckResult]:
    key = run_key(context.partition_key, context.run_id, "video_logoed.mp4")
    with workdir() as tmp:
        src, out = media.local_path(composed_video.key, tmp), tmp / "video_logoed.mp4"
        # The file a user downloads is this asset's own output, cover art included, and it is what
        # this asset's check verifies: no later stage rewrites it.
        branded = brand_video(script.spec, composed_video, src, media.local_path(cover.key, tmp), out, tmp)
        uri = media.put_file(out, key)
        facts = video_facts(out, uri, media.public_url(key))
        value = LogoedVideoManifest(key=key, uri=uri, note=branded.note)
        yield from deliver(value, {**facts, "note": branded.note, "encoder": branded.encoder}, LOGOED_CHECK,
                           lambda: evaluate_logoed_file(value, out, src, script, audio, splits, media,
                                                        branded.measured))


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("cover"), code_version="2",
    group_name="video", kinds={"jpeg", "pillow"},
    check_specs=[COVER_CHECK],
    description="JPEG thumbnail with the title in a CJK-capable font over the topic's cover picture (made by "
                "`images` with the shots) or the first shot; logoed_video carries it as cover art.",
)
def cover(context: dg.AssetExecutionContext, script: ScriptManifest, images: ImagesManifest, media: MediaStore
          ) -> Iterator[dg.Output[CoverManifest] | dg.AssetCheckResult]:
    spec = script.spec
    width, height = spec.canvas
    key = run_key(context.partition_key, context.run_id, "cover.jpg")
    with workdir() as tmp:
        background = cover_picture_key(images)
        out = tmp / "cover.jpg"
        render_cover(out, background and media.local_path(background, tmp), width, height,
                     spec.publish_title or spec.title, font_family=spec.account.font, seed=str(spec.id))
        value = CoverManifest(key=key, uri=media.put_file(out, key), title=spec.publish_title or spec.title)
        facts = {"uri": value.uri, "title": value.title, "resolution": f"{width}x{height}",
                 "size_bytes": out.stat().st_size,
                 "background": "topic cover picture" if images.cover_background else "first shot",
                 "preview": Markdown(f"![cover]({media.public_url(key)})")}
        yield from deliver(value, facts, COVER_CHECK, lambda: evaluate_cover(value, script, media, local=out))
