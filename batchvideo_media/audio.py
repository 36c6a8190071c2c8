"""Joining per-sentence WAVs into one narration with exact sentence timings."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SentenceTiming:
    text: str
    start_ms: int
    end_ms: int


def wav_duration_ms(path: str | Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() * 1000.0 / w.getframerate()


def join_wavs(parts: list[tuple[str, Path]], out: Path, pause_ms: int = 300,
              lead_ms: int = 100) -> list[SentenceTiming]:
    """Concatenate mono 16-bit WAVs with `pause_ms` of silence between them.

    Timings are computed from sample counts, so they are exact for the written file.
    All parts must share one sample rate (one TTS voice writes them all)."""
    if not parts:
        raise ValueError("no audio parts to join")
    with wave.open(str(parts[0][1]), "rb") as first:
        rate, width, channels = first.getframerate(), first.getsampwidth(), first.getnchannels()
    silence = lambda ms: b"\x00" * (round(rate * ms / 1000) * width * channels)  # noqa: E731
    timings: list[SentenceTiming] = []
    frames_written = 0
    with wave.open(str(out), "wb") as dst:
        dst.setnchannels(channels)
        dst.setsampwidth(width)
        dst.setframerate(rate)
        lead = silence(lead_ms)
        dst.writeframes(lead)
        frames_written += len(lead) // (width * channels)
        for i, (text, path) in enumerate(parts):
            with wave.open(str(path), "rb") as src:
                if (src.getframerate(), src.getsampwidth(), src.getnchannels()) != (rate, width, channels):
                    raise ValueError(f"sentence {i} audio format differs from the first sentence")
                data = src.readframes(src.getnframes())
            start = frames_written
            dst.writeframes(data)
            frames_written += len(data) // (width * channels)
            timings.append(SentenceTiming(text, round(start * 1000 / rate), round(frames_written * 1000 / rate)))
            gap = silence(pause_ms if i < len(parts) - 1 else lead_ms)
            dst.writeframes(gap)
            frames_written += len(gap) // (width * channels)
    return timings
