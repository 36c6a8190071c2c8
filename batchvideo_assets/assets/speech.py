"""`audio`, `srt`, `splits`: narration with exact sentence timings, subtitles, storyboard."""


import json
import time

import dagster as dg

from batchvideo_assets.assets.common import (GPU_OP_TAGS, GPU_POOL, SERVICE_RETRY, job_key, spec_of,
                                             workdir)
from batchvideo_assets.partitions import scripts_partitions
from batchvideo_media import storyboard
from batchvideo_media.audio import join_wavs, wav_duration_ms
from batchvideo_media.probe import run_ffmpeg
from batchvideo_media.subtitles import TimedSentence, build_cues, to_srt, to_traditional
from batchvideo_media.text import split_sentences, spoken_form
from batchvideo_resources.asr import ASRResource
from batchvideo_resources.llm import LLMAnswerError, LLMResource, StoreCache
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.tts import TTSResource

PAUSE_MS = 300


def build_audio_asset(neural_tts: bool) -> dg.AssetsDefinition:
    """`audio` carries GPU placement only when the configured TTS backend is a neural model."""

    @dg.asset(
        name="audio", partitions_def=scripts_partitions, group_name="speech",
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
    partitions_def=scripts_partitions, group_name="speech", kinds={"srt"},
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


class SplitsConfig(dg.Config):
    min_shot_s: float = 7.0


@dg.asset(
    partitions_def=scripts_partitions, group_name="storyboard", kinds={"json", "openai"},
    retry_policy=SERVICE_RETRY,
    description="Storyboard: cues merged into shots of ≥ min_shot_s, each with an image prompt, keywords and kind.",
)
def splits(context: dg.AssetExecutionContext, config: SplitsConfig, script: dict, audio: dict, srt: dict,
           llm: LLMResource, media: MediaStore) -> dg.Output[dict]:
    import srt as srtlib
    from datetime import timedelta

    spec = spec_of(script)
    cues = [srtlib.Subtitle(c["index"], timedelta(milliseconds=c["start_ms"]), timedelta(milliseconds=c["end_ms"]),
                            c["text"]) for c in srt["cues"]]
    shots = storyboard.group_cues(cues, audio["duration_ms"], round(config.min_shot_s * 1000))
    prompt_source = "template"
    descriptions = None
    llm_problem = None
    if llm.configured:
        try:
            # Cached in the media store, so a re-run (any worker, any pod) does not pay again.
            descriptions = llm.describe_shots([s.text for s in shots], spec.topic.image_prompt,
                                              cache=StoreCache(media))
            prompt_source = "llm"
        except LLMAnswerError as exc:  # the model answers but unusably: the storyboard still gets made
            llm_problem = str(exc)
            context.log.warning(f"LLM prompts unusable, using templates: {exc}")
    fallback_words = [w for w in (spec.topic.name, *spec.topic.image_prompt.split()) if w.isascii()]
    for i, shot in enumerate(shots):
        text_keywords = storyboard.keywords_from_text(shot.text, fallback_words)
        if descriptions:
            body = descriptions[i]["prompt"]
            shot.prompt = ", ".join(p for p in (spec.topic.image_prompt_prefix.strip(), body) if p)
            shot.keywords = storyboard.clean_keywords(descriptions[i]["keywords"], text_keywords)
        else:
            shot.prompt = storyboard.template_prompt(shot.text, spec.topic.image_prompt_prefix, spec.topic.image_prompt)
            shot.keywords = text_keywords
    storyboard.assign_kinds(shots, spec.broll_ratio, seed=f"{spec.id}")
    data = {"shots": [s.to_dict() for s in shots], "prompt_source": prompt_source, "min_shot_s": config.min_shot_s}
    key = job_key(context.partition_key, "splits.json")
    uri = media.put_bytes(json.dumps(data, ensure_ascii=False, indent=1).encode(), key)
    kinds = [s.kind for s in shots]
    return dg.Output({**data, "key": key, "uri": uri}, metadata={
        "shots": len(shots), "image_shots": kinds.count("image"), "broll_shots": kinds.count("broll"),
        "prompt_source": prompt_source, "llm_model": llm.model_name, "uri": uri,
        **({"llm_problem": llm_problem} if llm_problem else {}),
        "storyboard": dg.MetadataValue.md("\n".join(
            f"{s.index + 1}. [{s.kind}] {s.start_ms / 1000:.1f}–{s.end_ms / 1000:.1f}s {s.text[:60]}" for s in shots))})
