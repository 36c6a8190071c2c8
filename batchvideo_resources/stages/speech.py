"""`audio` and `srt`: the narration WAV with its cue timings, and the subtitles cut from those cues."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from batchvideo_media.audio import TimedSentence, wav_duration_ms
from batchvideo_media.probe import run_ffmpeg
from batchvideo_media.subtitles import build_cues, inert_markup, line_limit, to_srt, to_traditional
from batchvideo_media.text import split_sentences
from batchvideo_resources.asr import ASRResource
from batchvideo_resources.manifests import AudioManifest, Cue, SpokenCue, SrtManifest
from batchvideo_resources.narration import (
    SENTENCE_PAUSE_MS,
    Narration,
    synthesize_narration,
    time_supplied_narration,
)
from batchvideo_resources.script_spec import ScriptSpec
from batchvideo_resources.stages import Markdown
from batchvideo_resources.tts import TTSResource


def narrate(spec: ScriptSpec, tts: TTSResource, asr: ASRResource, out: Path, work: Path) -> Narration:
    """The script's narration written to `out` (mono WAV): the user's own recording timed by ASR when
    the script supplies one, else one TTS synthesis per cue joined with pauses (`work` holds the pieces)."""
    sentences = split_sentences(spec.content)
    limit = line_limit(spec.language.square, spec.vertical_layout, spec.language.code)
    if spec.extra.audio:
        run_ffmpeg(["-i", spec.extra.audio, "-vn", "-ac", "1", "-ar", "24000", "-c:a", "pcm_s16le", str(out)])
        narration = time_supplied_narration(asr, out, sentences, round(wav_duration_ms(out)),
                                            language=spec.language.code, limit=limit)
        narration.source = asr.model_name
    else:
        # The TTS hears numbers/symbols written out; the manifest keeps both forms.
        narration = synthesize_narration(
            tts, sentences, out, work, language=spec.language.code,
            voice=spec.voice.name if tts.takes_voice_names else spec.language.tts_voice,
            speed=spec.speech_speed, limit=limit, reference_audio=spec.voice.reference_audio)
        narration.source = tts.model_for(spec.language.code)
    narration.voice = (spec.voice.name if tts.takes_voice_names
                       else tts.voice_for(spec.language.code, spec.language.tts_voice))
    return narration


def audio_manifest(narration: Narration, key: str, uri: str) -> AudioManifest:
    return AudioManifest(key=key, uri=uri, duration_ms=narration.duration_ms, sentences=narration.sentences,
                         pause_ms=SENTENCE_PAUSE_MS, source=narration.source)


def audio_facts(audio: AudioManifest, spec: ScriptSpec, narration: Narration, wall_s: float,
                size_bytes: int) -> dict:
    cue_s = [(c.end_ms - c.start_ms) / 1000 for s in audio.sentences for c in s.cues]
    seconds = audio.duration_ms / 1000
    return {
        "duration_s": seconds, "sentences": len(audio.sentences), "cues": len(cue_s), "voice": narration.voice,
        "model": audio.source, "speech_speed": spec.speech_speed, "size_bytes": size_bytes, "uri": audio.uri,
        "narration_chars_per_s": round(len(spec.content) / max(0.001, seconds), 2),
        "longest_cue_s": max(cue_s), "shortest_cue_s": min(cue_s),
        "wall_s": round(wall_s, 2), "realtime_factor": round(seconds / max(0.001, wall_s), 1),
        # engine, model revision, voice reference and seconds synthesised, where a model server reported them
        **narration.provenance}


def _ms(offset: timedelta) -> int:
    return int(offset.total_seconds() * 1000)


def subtitle_track(audio: AudioManifest, spec: ScriptSpec) -> tuple[str, list[Cue]]:
    """The SubRip text and the manifest's cues. Subtitles follow the narration's cues (a manifest from
    before cue-level timing has whole sentences), regrouped within the language's line limits; each
    cue keeps the word times of the narration cue it starts with, made inert for ASS markup."""
    convert = to_traditional if spec.extra.traditional_subtitle else (lambda text: text)
    spoken = [c for s in audio.sentences
              for c in s.cues or [SpokenCue(text=s.text, spoken=s.text, start_ms=s.start_ms, end_ms=s.end_ms)]]
    cues = build_cues([TimedSentence(convert(c.text), c.start_ms, c.end_ms) for c in spoken],
                      spec.language.square, spec.vertical_layout, audio_ms=audio.duration_ms,
                      language=spec.language.code)
    words_at = {c.start_ms: [w.model_copy(update={"text": inert_markup(convert(w.text))}) for w in c.words]
                for c in spoken}
    return to_srt(cues), [Cue(index=c.index, start_ms=_ms(c.start), end_ms=_ms(c.end), text=c.content,
                              words=words_at.get(_ms(c.start), [])) for c in cues]


def srt_facts(srt: SrtManifest, spec: ScriptSpec) -> dict:
    preview = "\n".join(f"{c.start_ms / 1000:.2f}–{c.end_ms / 1000:.2f}  {c.text.replace(chr(10), ' / ')}"
                        for c in srt.cues[:8])
    return {"cues": len(srt.cues), "uri": srt.uri, "traditional": spec.extra.traditional_subtitle,
            "preview": Markdown(f"```\n{preview}\n```")}
