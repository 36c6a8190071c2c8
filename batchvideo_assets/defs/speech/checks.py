"""Checks of `audio` and `srt`: the narration matches its timings; the subtitles are valid and in bounds."""


import dagster as dg

from batchvideo_assets.common import spec_of, workdir
from batchvideo_assets.verdict import Verdict, local_copy, stage_check
from batchvideo_media.analysis import narration_findings, srt_findings, timing_findings
from batchvideo_media.subtitles import line_limit
from batchvideo_resources.media_store import MediaStore


def evaluate_audio(audio: dict, media: MediaStore, supplied: bool = False) -> Verdict:
    """`supplied`: the narration came from the user (timings from ASR), so it may end in silence."""
    verdict = Verdict()
    sentences = audio.get("sentences") or []
    duration = audio.get("duration_ms") or 0
    verdict.add(timing_findings(sentences, duration, supplied))
    with workdir() as tmp:
        path = local_copy(media, audio.get("key", ""), tmp, verdict, "audio")
        if path is not None:
            verdict.add(narration_findings(path, duration))
    verdict.facts.update({"duration_ms": duration, "sentences": len(sentences)})
    return verdict


def evaluate_srt(srt: dict, script: dict, audio: dict, media: MediaStore) -> Verdict:
    verdict = Verdict()
    spec = spec_of(script)
    limit = line_limit(spec.language.square, spec.vertical_layout)
    try:
        data = media.read_bytes(srt["key"])
    except FileNotFoundError:
        verdict.fail(f"{srt.get('key')} is missing from the media store")
        return verdict
    verdict.add(srt_findings(data, len(srt.get("cues", [])), limit, audio["duration_ms"]))
    return verdict


@stage_check("audio", "narration_matches_timings",
        "Narration WAV exists, is not silent, and its duration equals the stored sentence timings.", ("script",))
def audio_check(context: dg.AssetCheckExecutionContext, audio: dict, script: dict,
                media: MediaStore) -> dg.AssetCheckResult:
    supplied = bool(spec_of(script).extra.audio)
    return evaluate_audio(audio, media, supplied=supplied).result()


@stage_check("srt", "subtitles_valid",
        "SRT parses, cues are monotonic, never overlap, stay inside the audio and respect the line limits.",
        ("script", "audio"))
def srt_check(context: dg.AssetCheckExecutionContext, srt: dict, script: dict, audio: dict,
              media: MediaStore) -> dg.AssetCheckResult:
    return evaluate_srt(srt, script, audio, media).result()
