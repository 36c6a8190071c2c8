"""`audio`, `srt`, `splits`: narration with exact sentence timings, subtitles, storyboard."""


import time

import dagster as dg

from batchvideo_assets.common import (
    GPU_OP_TAGS,
    GPU_POOL,
    SERVICE_RETRY,
    spec_of,
    workdir,
)
from batchvideo_assets.partitions import scripts_partitions
from batchvideo_assets.resources import tts_backend
from batchvideo_media.audio import TimedSentence, join_wavs, wav_duration_ms
from batchvideo_media.probe import run_ffmpeg
from batchvideo_media.subtitles import build_cues, to_srt, to_traditional
from batchvideo_media.text import split_sentences, spoken_form
from batchvideo_resources.asr import ASRResource
from batchvideo_resources.layout import job_key
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.tts import TTSResource

PAUSE_MS = 300


def build_audio_asset(neural_tts: bool) -> dg.AssetsDefinition:
    """`audio` carries GPU placement only when the configured TTS backend is a neural model."""

    @dg.asset(
        name="audio", partitions_def=scripts_partitions, code_version="1", group_name="speech",
        kinds={"wav", "tts"}, retry_policy=SERVICE_RETRY,
        op_tags=GPU_OP_TAGS if neural_tts else None, pool=GPU_POOL if neural_tts else None,
        description="Narration WAV: one synthesis per sentence joined with pauses, so sentence timings are exact.",
    )
    def audio(context: dg.AssetExecutionContext, script: dict, tts: TTSResource, asr: ASRResource,
              media: MediaStore) -> dg.Output[dict]:
        spec = spec_of(script)
        sentences = split_sentences(spec.content)
        started = time.perf_counter()
        with workdir() as tmp:
            out = tmp / "audio.wav"
            if spec.extra.audio:
                run_ffmpeg(["-i", spec.extra.audio, "-vn", "-ac", "1", "-ar", "24000", "-c:a", "pcm_s16le", str(out)])
                duration = round(wav_duration_ms(out))
                timings = asr.timings(out, sentences, duration, language=spec.language.code)
                source = asr.model_name
            else:
                # The TTS hears numbers/symbols spelled for it; timings keep the text as written.
                spoken = [spoken_form(s, spec.language.code) or s for s in sentences]
                paths = tts.synthesize_many(
                    spoken, tmp / "sentences", language=spec.language.code,
                    voice=spec.voice.name if tts.is_neural else spec.language.tts_voice,
                    speed=spec.speech_speed, reference_audio=spec.voice.reference_audio)
                timings = join_wavs(list(zip(sentences, paths)), out, pause_ms=PAUSE_MS)
                duration = round(wav_duration_ms(out))
                source = tts.model_name
            uri = media.put_file(out, job_key(context.partition_key, "audio.wav"))
            size = out.stat().st_size
        value = {"key": job_key(context.partition_key, "audio.wav"), "uri": uri, "duration_ms": duration,
                 "sentences": [{"text": t.text, "start_ms": t.start_ms, "end_ms": t.end_ms} for t in timings],
                 "pause_ms": PAUSE_MS, "source": source}
        return dg.Output(value, metadata={
            "duration_s": duration / 1000, "sentences": len(timings),
            "voice": spec.voice.name if tts.is_neural else tts.voice_used(spec.language.tts_voice),
            "model": source, "speech_speed": spec.speech_speed, "size_bytes": size, "uri": uri,
            "narration_chars_per_s": round(len(spec.content) / max(0.001, duration / 1000), 2),
            "wall_s": round(time.perf_counter() - started, 2),
            "realtime_factor": round(duration / 1000 / max(0.001, time.perf_counter() - started), 1)})

    return audio


@dg.asset(
    partitions_def=scripts_partitions, code_version="1", group_name="speech", kinds={"srt"},
    description="SubRip subtitles: one cue per sentence, long sentences split by character count.",
)
def srt(context: dg.AssetExecutionContext, script: dict, audio: dict, media: MediaStore) -> dg.Output[dict]:
    spec = spec_of(script)
    sentences = [TimedSentence(s["text"], s["start_ms"], s["end_ms"]) for s in audio["sentences"]]
    if spec.extra.traditional_subtitle:
        sentences = [TimedSentence(to_traditional(s.text), s.start_ms, s.end_ms) for s in sentences]
    cues = build_cues(sentences, spec.language.square, spec.vertical_layout, audio_ms=audio["duration_ms"])
    key = job_key(context.partition_key, "subtitle.srt")
    uri = media.put_bytes(to_srt(cues).encode("utf-8"), key)
    value = {"key": key, "uri": uri, "cues": [
        {"index": c.index, "start_ms": int(c.start.total_seconds() * 1000),
         "end_ms": int(c.end.total_seconds() * 1000), "text": c.content} for c in cues]}
    preview = "\n".join(f"{c['start_ms'] / 1000:.2f}–{c['end_ms'] / 1000:.2f}  {c['text'].replace(chr(10), ' / ')}"
                        for c in value["cues"][:8])
    return dg.Output(value, metadata={"cues": len(cues), "uri": uri, "traditional": spec.extra.traditional_subtitle,
                                      "preview": dg.MetadataValue.md(f"```\n{preview}\n```")})


@dg.definitions
def speech_defs() -> dg.Definitions:
    """Built at each load, because GPU placement of `audio` follows the configured TTS backend. (A module
    with a `@dg.definitions` function contributes only what that function returns, hence `srt` too.)"""
    return dg.Definitions(assets=[build_audio_asset(neural_tts=tts_backend() != "espeak"), srt])
