"""`digital_human`: lip-synced presenter clips over spans of the narration, when the script enables one."""

from __future__ import annotations

from pathlib import Path

from batchvideo_media.probe import probe, run_ffmpeg
from batchvideo_resources.lipsync import LipSyncResource, presenter_spans
from batchvideo_resources.manifests import AudioManifest, DigitalHumanManifest, PresenterClip, SplitsManifest
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.script_spec import DigitalHumanSpec, ScriptSpec
from batchvideo_resources.stages import KeyFor, Link


def cut_narration(src: Path, out: Path, start_ms: int, end_ms: int) -> None:
    run_ffmpeg(["-i", str(src), "-ss", f"{start_ms / 1000:.3f}", "-t", f"{(end_ms - start_ms) / 1000:.3f}",
                "-ac", "1", "-c:a", "pcm_s16le", str(out)])


def make_presenter(spec: ScriptSpec, audio: AudioManifest, splits: SplitsManifest, lipsync: LipSyncResource,
                   media: MediaStore, key_for: KeyFor, tmp: Path) -> tuple[DigitalHumanManifest, dict]:
    """The manifest and metadata: mode 'none' unless the script enables the digital human; else one
    clip per presenter span (`presenter_spans`), each lip-synced to its cut of the narration, checked to
    be at the video size and the span's length, and stored."""
    if not spec.extra.enable_digital_human:
        return DigitalHumanManifest(mode="none", clips=[]), {"mode": "none", "reason": "extra.enable_digital_human is off"}
    settings = spec.account.digital_human or DigitalHumanSpec()
    width, height = spec.size
    spans = presenter_spans([s.model_dump() for s in splits.shots], audio.duration_ms, settings.mode,
                            settings.intro_s, settings.outro_s)
    narration = media.local_path(audio.key, tmp)
    avatar = Path(settings.avatar) if settings.avatar else None
    clips, uris, made = [], [], []
    for number, (start_ms, end_ms) in enumerate(spans):
        speech = tmp / f"speech_{number:02d}.wav"
        cut_narration(narration, speech, start_ms, end_ms)
        out = tmp / f"presenter_{number:02d}.mp4"
        made.append(lipsync.render(avatar, speech, out, width, height, face_box=settings.face_box) or {})
        info = probe(out)
        if (info.width, info.height) != (width, height) or abs(info.duration_s * 1000 - (end_ms - start_ms)) > 100:
            raise RuntimeError(f"presenter clip {number} is {info.width}x{info.height}, {info.duration_s:.2f} s; "
                               f"expected {width}x{height}, {(end_ms - start_ms) / 1000:.2f} s")
        key = key_for(f"presenter/{number:02d}.mp4")
        uris.append(media.put_file(out, key))
        clips.append(PresenterClip(key=key, start_ms=start_ms, end_ms=end_ms))
    return DigitalHumanManifest(mode=settings.mode, clips=clips), {
        "mode": settings.mode, "clips": len(clips), "model": lipsync.model_name,
        # Provenance from the lip-sync backend (services/lipsync sends it as response headers).
        "engine": ", ".join(sorted({str(m.get("engine")) for m in made})) or "none",
        "model_revision": ", ".join(sorted({str(m["model_revision"]) for m in made if m.get("model_revision")}))
                          or "n/a",
        "frames": sum(m.get("frames") or 0 for m in made),
        "lipsync_work_s": round(sum(m.get("seconds") or 0 for m in made), 3),  # the server's time on the clips
        "avatar": Path(settings.avatar).name if settings.avatar else "default (generated)",
        "spans_s": [[c.start_ms / 1000, c.end_ms / 1000] for c in clips],
        "presenter_seconds": round(sum(c.end_ms - c.start_ms for c in clips) / 1000, 3),
        "uris": uris, "preview_url": Link(media.public_url(clips[0].key)) if clips else ""}
