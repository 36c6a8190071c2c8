"""`audio`, `srt`, `splits`: narration with exact sentence timings, subtitles, storyboard."""


import time
from collections.abc import Iterator

import dagster as dg

from batchvideo_assets.common import SERVICE_RETRY, spec_of, workdir
from batchvideo_assets.defs.speech.checks import AUDIO_CHECK, SRT_CHECK, evaluate_audio, evaluate_srt
from batchvideo_assets.partitions import scripts_partitions
from batchvideo_assets.verdict import report, timed
from batchvideo_media.audio import TimedSentence, wav_duration_ms
from batchvideo_media.probe import run_ffmpeg
from batchvideo_media.subtitles import build_cues, inert_markup, line_limit, to_srt, to_traditional
from batchvideo_media.text import split_sentences
from batchvideo_resources.asr import ASRResource
from batchvideo_resources.layout import run_key
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.narration import SENTENCE_PAUSE_MS, synthesize_narration, time_supplied_narration
from batchvideo_resources.tts import TTSResource


@dg.asset(
    partitions_def=scripts_partitions, code_version="1", group_name="speech", kinds={"wav", "tts"},
    retry_policy=SERVICE_RETRY, check_specs=[AUDIO_CHECK],
    description="Narration WAV: one synthesis per subtitle cue joined with pauses, so every cue switch is "
                "timed from the audio; the manifest holds each cue's timing, spoken form and word times.",
)
def audio(context: dg.AssetExecutionContext, script: dict, tts: TTSResource, asr: ASRResource,
          media: MediaStore) -> Iterator[dg.Output[dict] | dg.AssetCheckResult]:
    """No GPU here whatever the TTS backend: a neural TTS runs in its own model server (`http`)."""
    spec = spec_of(script)
    sentences = split_sentences(spec.content)
    started = time.perf_counter()
    limit = line_limit(spec.language.square, spec.vertical_layout, spec.language.code)
    with workdir() as tmp:
        out = tmp / "audio.wav"
        if spec.extra.audio:
            run_ffmpeg(["-i", spec.extra.audio, "-vn", "-ac", "1", "-ar", "24000", "-c:a", "pcm_s16le", str(out)])
            narration = time_supplied_narration(asr, out, sentences, round(wav_duration_ms(out)),
                                                language=spec.language.code, limit=limit)
            source = asr.model_name
        else:
            # The TTS hears numbers/symbols written out; the manifest keeps both forms.
            narration = synthesize_narration(
                tts, sentences, out, tmp / "pieces", language=spec.language.code,
                voice=spec.voice.name if tts.takes_voice_names else spec.language.tts_voice,
                speed=spec.speech_speed, limit=limit, reference_audio=spec.voice.reference_audio)
            source = tts.model_for(spec.language.code)
        duration = narration.duration_ms
        uri = media.put_file(out, run_key(context.partition_key, context.run_id, "audio.wav"))
        size = out.stat().st_size
        value = {"key": run_key(context.partition_key, context.run_id, "audio.wav"), "uri": uri, "duration_ms": duration,
                 "sentences": narration.sentences, "pause_ms": SENTENCE_PAUSE_MS, "source": source}
        wall_s = time.perf_counter() - started
        verdict, check_s = timed(lambda: evaluate_audio(value, media, supplied=bool(spec.extra.audio), local=out))
    cues = [cue for s in narration.sentences for cue in s["cues"]]
    yield from report(dg.Output(value, metadata={
        "duration_s": duration / 1000, "sentences": len(narration.sentences), "cues": len(cues),
        "voice": spec.voice.name if tts.takes_voice_names else tts.voice_for(spec.language.code,
                                                                             spec.language.tts_voice),
        "model": source, "speech_speed": spec.speech_speed, "size_bytes": size, "uri": uri,
        "narration_chars_per_s": round(len(spec.content) / max(0.001, duration / 1000), 2),
        "longest_cue_s": max((c["end_ms"] - c["start_ms"]) / 1000 for c in cues),
        "shortest_cue_s": min((c["end_ms"] - c["start_ms"]) / 1000 for c in cues),
        "wall_s": round(wall_s, 2), "realtime_factor": round(duration / 1000 / max(0.001, wall_s), 1),
        # engine, model revision, voice reference and seconds synthesised, where a model server reported them
        **narration.provenance}),
        AUDIO_CHECK, verdict, check_s)


@dg.asset(
    partitions_def=scripts_partitions, code_version="1", group_name="speech", kinds={"srt"},
    check_specs=[SRT_CHECK],
    description="SubRip subtitles: the audio manifest's cues, each timed from the speech; word times for "
                "karaoke highlighting ride along in the manifest.",
)
def srt(context: dg.AssetExecutionContext, script: dict, audio: dict, media: MediaStore
        ) -> Iterator[dg.Output[dict] | dg.AssetCheckResult]:
    spec = spec_of(script)
    convert = to_traditional if spec.extra.traditional_subtitle else (lambda text: text)
    spoken = [(TimedSentence(convert(c["text"]), c["start_ms"], c["end_ms"]), c.get("words", []))
              for s in audio["sentences"] for c in s.get("cues") or [s]]
    cues = build_cues([t for t, _ in spoken], spec.language.square, spec.vertical_layout, audio_ms=audio["duration_ms"],
                     language=spec.language.code)
    key = run_key(context.partition_key, context.run_id, "subtitle.srt")
    data = to_srt(cues).encode("utf-8")
    uri = media.put_bytes(data, key)
    words_at = {t.start_ms: [{**w, "text": inert_markup(convert(w["text"]))} for w in ws] for t, ws in spoken}
    value = {"key": key, "uri": uri, "cues": [
        {"index": c.index, "start_ms": int(c.start.total_seconds() * 1000),
         "end_ms": int(c.end.total_seconds() * 1000), "text": c.content,
         "words": words_at.get(int(c.start.total_seconds() * 1000), [])} for c in cues]}
    preview = "\n".join(f"{c['start_ms'] / 1000:.2f}–{c['end_ms'] / 1000:.2f}  {c['text'].replace(chr(10), ' / ')}"
                        for c in value["cues"][:8])
    verdict, check_s = timed(lambda: evaluate_srt(value, script, audio, media, data=data))
    yield from report(dg.Output(value, metadata={
        "cues": len(cues), "uri": uri, "traditional": spec.extra.traditional_subtitle,
        "preview": dg.MetadataValue.md(f"```\n{preview}\n```")}), SRT_CHECK, verdict, check_s)
