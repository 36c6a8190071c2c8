"""Joining per-sentence WAVs into one narration with exact sentence timings."""

from __future__ import annotations

import array
import math
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

from batchvideo_media.probe import MediaError, read_ffmpeg

SAMPLE_WIDTH = 2  # PCM16
SILENCE_THRESHOLD = 328  # ≈ −40 dBFS: below this an edge sample counts as silence
KEEP_EDGE_MS = 40  # silence kept around each trimmed sentence so consonants are not clipped


@dataclass(frozen=True)
class TimedSentence:
    """A sentence and where it is spoken in the narration."""

    text: str
    start_ms: int
    end_ms: int
    trimmed_ms: float = 0.0  # leading silence cut off the part before it was joined


def wav_duration_ms(path: str | Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() * 1000.0 / w.getframerate()


def read_pcm16_mono(path: Path, rate: int | None = None) -> tuple[array.array, int]:
    """Samples of a WAV as mono PCM16 at `rate` (or the file's own rate).

    Plain mono PCM16 files are read directly; anything else (stereo, float, 24-bit, another
    rate — what a neural TTS server may return) is converted with ffmpeg."""
    try:
        with wave.open(str(path), "rb") as src:
            native = (src.getnchannels(), src.getsampwidth())
            file_rate = src.getframerate()
            if native == (1, SAMPLE_WIDTH) and rate in (None, file_rate):
                samples = array.array("h", src.readframes(src.getnframes()))
                if sys.byteorder == "big":
                    samples.byteswap()
                return samples, file_rate
    except (wave.Error, EOFError):
        file_rate = None
    target = rate or file_rate or 24000
    try:
        pcm = read_ffmpeg(["-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(target), "-"])
    except MediaError as exc:
        raise ValueError(f"{path.name} is not readable audio: {str(exc)[-300:]}") from exc
    samples = array.array("h", pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples, target


def trim_silence(samples: array.array, rate: int, keep_ms: int = KEEP_EDGE_MS,
                 threshold: int = SILENCE_THRESHOLD) -> array.array:
    """Cut leading/trailing silence down to `keep_ms`, so every pause between sentences is the
    same whatever padding the TTS engine adds (espeak appends ~300 ms)."""
    start, end = sound_bounds(samples, rate, keep_ms, threshold)
    return samples[start:end]


def sound_bounds(samples: array.array, rate: int, keep_ms: int = KEEP_EDGE_MS,
                 threshold: int = SILENCE_THRESHOLD) -> tuple[int, int]:
    """The sample range `trim_silence` keeps: [start, end)."""
    first = next((i for i, v in enumerate(samples) if abs(v) > threshold), None)
    if first is None:
        return 0, len(samples)  # all silence: keep it, the sentence still needs its slot
    last = next(i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) > threshold)
    keep = round(rate * keep_ms / 1000)
    return max(0, first - keep), min(len(samples), last + 1 + keep)


def join_wavs(parts: list[tuple[str, Path]], out: Path, pause_ms: int | list[int] = 300, lead_ms: int = 100,
              trim: bool = True, tail_ms: int | None = None) -> list[TimedSentence]:
    """Concatenate sentence WAVs into one mono PCM16 WAV with `pause_ms` of silence between them
    (one value, or one per gap), `lead_ms` before the first and after the last (`tail_ms` when given).

    Timings are computed from sample counts, so they are exact for the written file. Parts are
    brought to the first part's sample rate; with `trim`, each part's edge silence is trimmed
    first so the pauses are what `pause_ms` says."""
    if not parts:
        raise ValueError("no audio parts to join")
    pauses = pause_ms if isinstance(pause_ms, list) else [pause_ms] * (len(parts) - 1)
    if len(pauses) != len(parts) - 1:
        raise ValueError(f"{len(parts)} parts need {len(parts) - 1} pauses, got {len(pauses)}")
    rate: int | None = None
    timings: list[TimedSentence] = []
    frames = 0
    with wave.open(str(out), "wb") as dst:
        for i, (text, path) in enumerate(parts):
            try:
                samples, part_rate = read_pcm16_mono(Path(path), rate)
            except ValueError as exc:
                raise ValueError(f"sentence {i + 1} ({text[:30]!r}): {exc}") from exc
            if rate is None:
                rate = part_rate
                dst.setnchannels(1)
                dst.setsampwidth(SAMPLE_WIDTH)
                dst.setframerate(rate)
                frames += _write_silence(dst, rate, lead_ms)
            cut = 0
            if trim:
                cut, end = sound_bounds(samples, rate)
                samples = samples[cut:end]
            if sys.byteorder == "big":
                samples.byteswap()
            start = frames
            dst.writeframes(samples.tobytes())
            frames += len(samples)
            timings.append(TimedSentence(text, round(start * 1000 / rate), round(frames * 1000 / rate),
                                         cut * 1000 / rate))
            last = lead_ms if tail_ms is None else tail_ms
            frames += _write_silence(dst, rate, pauses[i] if i < len(parts) - 1 else last)
        # Pad to just past a whole millisecond: manifests and subtitles count whole milliseconds, so the
        # duration they round to never ends after the file (a last cue at 639 ms in 638.96 ms of audio).
        whole = math.ceil(math.ceil(frames * 1000 / rate) * rate / 1000) - frames
        dst.writeframes(b"\x00" * (whole * SAMPLE_WIDTH))
    return timings


def _write_silence(dst: wave.Wave_write, rate: int, ms: int) -> int:
    count = round(rate * ms / 1000)
    dst.writeframes(b"\x00" * (count * SAMPLE_WIDTH))
    return count
