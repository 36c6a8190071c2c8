"""`digital_human`: lip-synced presenter clips for scripts with `extra.enable_digital_human`.

Value: {"mode": "none" | "fullscreen" | "corner", "clips": [{"key", "start_ms", "end_ms"}]} — each key an
H.264 MP4 at the script's video size, without audio, spanning [start_ms, end_ms) of the narration.
`composed_video` shows fullscreen clips instead of the shots they cover, corner clips picture-in-picture."""

from pathlib import Path

import dagster as dg

from batchvideo_assets.common import SERVICE_RETRY, spec_of, workdir
from batchvideo_assets.partitions import facets_read_by, scripts_partitions
from batchvideo_media.probe import probe, run_ffmpeg
from batchvideo_resources.layout import run_key
from batchvideo_resources.lipsync import LipSyncResource, presenter_spans
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.script_spec import DigitalHumanSpec


def _cut_narration(src: Path, out: Path, start_ms: int, end_ms: int) -> None:
    run_ffmpeg(["-i", str(src), "-ss", f"{start_ms / 1000:.3f}", "-t", f"{(end_ms - start_ms) / 1000:.3f}",
                "-ac", "1", "-c:a", "pcm_s16le", str(out)])


@dg.asset(
    partitions_def=scripts_partitions, deps=facets_read_by("digital_human"), code_version="1", group_name="visuals",
    kinds={"mp4", "lipsync"},
    retry_policy=SERVICE_RETRY,
    description="Lip-synced presenter clips (fullscreen intro/outro snapped to shots, or one corner clip over "
                "the whole narration) when the script enables the digital human; otherwise mode 'none'. No GPU "
                "here: the lip-sync model runs in its own server (`http`), the placeholder needs none.",
)
def digital_human(context: dg.AssetExecutionContext, script: dict, audio: dict, splits: dict,
                  lipsync: LipSyncResource, media: MediaStore) -> dg.Output[dict]:
    spec = spec_of(script)
    if not spec.extra.enable_digital_human:
        return dg.Output({"mode": "none", "clips": []},
                         metadata={"mode": "none", "reason": "extra.enable_digital_human is off"})
    settings = spec.account.digital_human or DigitalHumanSpec()
    width, height = spec.size
    spans = presenter_spans(splits["shots"], audio["duration_ms"], settings.mode, settings.intro_s,
                            settings.outro_s)
    clips, uris, made = [], [], []
    with workdir() as tmp:
        narration = media.local_path(audio["key"], tmp)
        avatar = Path(settings.avatar) if settings.avatar else None
        for number, (start_ms, end_ms) in enumerate(spans):
            speech = tmp / f"speech_{number:02d}.wav"
            _cut_narration(narration, speech, start_ms, end_ms)
            out = tmp / f"presenter_{number:02d}.mp4"
            made.append(lipsync.render(avatar, speech, out, width, height, face_box=settings.face_box) or {})
            info = probe(out)
            if (info.width, info.height) != (width, height) or abs(info.duration_s * 1000 - (end_ms - start_ms)) > 100:
                raise RuntimeError(f"presenter clip {number} is {info.width}x{info.height}, {info.duration_s:.2f} s; "
                                   f"expected {width}x{height}, {(end_ms - start_ms) / 1000:.2f} s")
            key = run_key(context.partition_key, context.run_id, f"presenter/{number:02d}.mp4")
            uris.append(media.put_file(out, key))
            clips.append({"key": key, "start_ms": start_ms, "end_ms": end_ms})
    return dg.Output({"mode": settings.mode, "clips": clips}, metadata={
        "mode": settings.mode, "clips": len(clips), "model": lipsync.model_name,
        # Provenance from the lip-sync backend (services/lipsync sends it as response headers).
        "engine": ", ".join(sorted({str(m.get("engine")) for m in made})) or "none",
        "model_revision": ", ".join(sorted({str(m["model_revision"]) for m in made if m.get("model_revision")}))
                          or "n/a",
        "frames": sum(m.get("frames") or 0 for m in made),
        "lipsync_work_s": round(sum(m.get("seconds") or 0 for m in made), 3),  # the server's time on the clips
        "avatar": Path(settings.avatar).name if settings.avatar else "default (generated)",
        "spans_s": dg.MetadataValue.json([[c["start_ms"] / 1000, c["end_ms"] / 1000] for c in clips]),
        "presenter_seconds": round(sum(c["end_ms"] - c["start_ms"] for c in clips) / 1000, 3),
        "uris": dg.MetadataValue.json(uris),
        "preview_url": dg.MetadataValue.url(media.public_url(clips[0]["key"])) if clips else ""})
