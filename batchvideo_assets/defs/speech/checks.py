"""Checks of `audio` and `srt`: the narration matches its timings; the subtitles are valid and in bounds."""


import dagster as dg
import srt as srtlib

from batchvideo_assets.common import spec_of, workdir
from batchvideo_assets.verdict import (
    AUDIO_TIMING_TOLERANCE_MS,
    MAX_TAIL_MS,
    SILENT_DB,
    Verdict,
    local_copy,
    max_volume_db,
    probe_or_fail,
    stage_check,
)
from batchvideo_media.subtitles import MAX_LINES, line_limit
from batchvideo_media.text import text_width
from batchvideo_resources.media_store import MediaStore


def evaluate_audio(audio: dict, media: MediaStore, supplied: bool = False) -> Verdict:
    """`supplied`: the narration came from the user (timings from ASR), so it may end in silence."""
    verdict = Verdict()
    sentences = audio.get("sentences") or []
    duration = audio.get("duration_ms") or 0
    if not sentences:
        verdict.fail("no sentence timings")
    if duration <= 0:
        verdict.fail(f"duration_ms is {duration}")
    prev_end = 0
    for i, s in enumerate(sentences):
        if not str(s.get("text", "")).strip():
            verdict.fail(f"sentence {i} has no text")
        if not 0 <= s["start_ms"] < s["end_ms"]:
            verdict.fail(f"sentence {i} has start {s['start_ms']} ms ≥ end {s['end_ms']} ms")
        if s["start_ms"] < prev_end:
            verdict.fail(f"sentence {i} starts at {s['start_ms']} ms, before the previous one ends ({prev_end} ms)")
        prev_end = max(prev_end, s["end_ms"])
    if sentences and prev_end > duration + AUDIO_TIMING_TOLERANCE_MS:
        verdict.fail(f"last sentence ends at {prev_end} ms, after the audio ({duration} ms)")
    if sentences and not supplied and duration - prev_end > MAX_TAIL_MS:
        verdict.fail(f"audio runs {duration - prev_end} ms past the last sentence; timings do not match the file")
    with workdir() as tmp:
        path = local_copy(media, audio.get("key", ""), tmp, verdict, "audio")
        if path is not None:
            info = probe_or_fail(path, verdict, "audio")
            if info is not None:
                actual = round(info.duration_s * 1000)
                verdict.metadata.update({"file_duration_ms": actual, "size_bytes": info.size_bytes})
                if info.audio_codec is None:
                    verdict.fail("audio file has no audio stream")
                elif abs(actual - duration) > max(AUDIO_TIMING_TOLERANCE_MS, 25):
                    verdict.fail(f"file lasts {actual} ms but the stored duration is {duration} ms")
                else:
                    peak = max_volume_db(path)
                    verdict.metadata["max_volume_db"] = peak if peak != float("-inf") else -999.0
                    if peak < SILENT_DB:
                        verdict.fail(f"narration is silent (peak {peak} dB)")
    verdict.metadata.update({"duration_ms": duration, "sentences": len(sentences)})
    return verdict


# ------------------------------------------------------------------------------------------ srt
def evaluate_srt(srt: dict, script: dict, audio: dict, media: MediaStore) -> Verdict:
    verdict = Verdict()
    spec = spec_of(script)
    limit = line_limit(spec.language.square, spec.vertical_layout)
    audio_ms = audio["duration_ms"]
    cues: list[srtlib.Subtitle] = []
    try:
        text = media.read_bytes(srt["key"]).decode("utf-8")
        cues = list(srtlib.parse(text, ignore_errors=False))
    except FileNotFoundError:
        verdict.fail(f"{srt.get('key')} is missing from the media store")
    except (UnicodeDecodeError, srtlib.SRTParseError, ValueError) as exc:
        verdict.fail(f"subtitle file does not parse: {str(exc)[:200]}")
    if not cues and verdict.passed:
        verdict.fail("subtitle file has no cues")
    if cues and len(cues) != len(srt.get("cues", [])):
        verdict.fail(f"file has {len(cues)} cues, the manifest {len(srt.get('cues', []))}")
    widest = 0
    for prev, cue in zip([None, *cues], cues):
        start, end = cue.start.total_seconds() * 1000, cue.end.total_seconds() * 1000
        if start >= end:
            verdict.fail(f"cue {cue.index} is empty in time ({start:.0f}–{end:.0f} ms)")
        if prev is not None and cue.start < prev.start:
            verdict.fail(f"cue {cue.index} starts before cue {prev.index} (not monotonic)")
        elif prev is not None and cue.start < prev.end:
            verdict.fail(f"cue {cue.index} overlaps cue {prev.index}")
        if end > audio_ms + 1:
            verdict.fail(f"cue {cue.index} ends at {end:.0f} ms, after the audio ({audio_ms} ms)")
        lines = cue.content.split("\n")
        if not cue.content.strip():
            verdict.fail(f"cue {cue.index} has no text")
        if len(lines) > MAX_LINES:
            verdict.fail(f"cue {cue.index} has {len(lines)} lines (limit {MAX_LINES})")
        for line in lines:
            width = text_width(line)
            widest = max(widest, width)
            if width > limit:
                verdict.fail(f"cue {cue.index} line {line[:30]!r} is {width} units wide (limit {limit})")
    verdict.metadata.update({"cues": len(cues), "line_limit": limit, "widest_line": widest,
                             "audio_ms": audio_ms})
    return verdict



@stage_check("audio", "narration_matches_timings",
        "Narration WAV exists, is not silent, and its duration equals the stored sentence timings.", ("script",))
def audio_check(context: dg.AssetCheckExecutionContext, audio: dict, script: dict) -> dg.AssetCheckResult:
    supplied = bool(spec_of(script).extra.audio)
    return evaluate_audio(audio, context.resources.media, supplied=supplied).result()


@stage_check("srt", "subtitles_valid",
        "SRT parses, cues are monotonic, never overlap, stay inside the audio and respect the line limits.",
        ("script", "audio"))
def srt_check(context: dg.AssetCheckExecutionContext, srt: dict, script: dict, audio: dict) -> dg.AssetCheckResult:
    return evaluate_srt(srt, script, audio, context.resources.media).result()
