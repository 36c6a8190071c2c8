"""Checks of `audio` and `srt`: the narration matches its timings; the subtitles are valid and in bounds."""

from pathlib import Path

from batchvideo_assets.common import workdir
from batchvideo_assets.verdict import Verdict, check_spec, local_copy
from batchvideo_media.analysis import narration_findings, srt_findings, timing_findings
from batchvideo_media.subtitles import line_limit
from batchvideo_resources.manifests import AudioManifest, ScriptManifest, SrtManifest
from batchvideo_resources.media_store import MediaStore

AUDIO_CHECK = check_spec("audio", "narration_matches_timings",
                         "Narration WAV exists, is not silent, and its duration equals the stored sentence timings.")
SRT_CHECK = check_spec("srt", "subtitles_valid",
                       "SRT parses, cues are monotonic, never overlap, stay inside the audio and respect the line "
                       "limits.")


def evaluate_audio(audio: AudioManifest, media: MediaStore, supplied: bool = False, local: Path | None = None
                   ) -> Verdict:
    """`supplied`: the narration came from the user (timings from ASR), so it may end in silence.
    `local`: the WAV just written (else the stored one is fetched)."""
    verdict = Verdict()
    # The measurements take plain data (batchvideo_media knows nothing of manifests).
    verdict.add(timing_findings([s.model_dump() for s in audio.sentences], audio.duration_ms, supplied))
    with workdir() as tmp:
        path = local_copy(media, audio.key, tmp, verdict, "audio", local)
        if path is not None:
            verdict.add(narration_findings(path, audio.duration_ms))
    verdict.facts.update({"duration_ms": audio.duration_ms, "sentences": len(audio.sentences)})
    return verdict


def evaluate_srt(srt: SrtManifest, script: ScriptManifest, audio: AudioManifest, media: MediaStore,
                 data: bytes | None = None) -> Verdict:
    """`data`: the SRT just written (else the stored one is read)."""
    verdict = Verdict()
    spec = script.spec
    limit = line_limit(spec.language.square, spec.vertical_layout, spec.language.code)
    if data is None:
        try:
            data = media.read_bytes(srt.key)
        except FileNotFoundError:
            verdict.fail(f"{srt.key} is missing from the media store")
            return verdict
    verdict.add(srt_findings(data, len(srt.cues), limit, audio.duration_ms))
    return verdict
