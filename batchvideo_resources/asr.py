"""Sentence timings for user-supplied narration: FunASR service over HTTP, or proportional.

FunASR's dependencies conflict with Dagster's, so it runs as its own service (services/asr,
own requirements and entry point); this resource is its client. Contract:

    POST {url}/v1/asr?language=zh-CN      body: the audio file (WAV), Content-Type: audio/wav
    200 → {"sentence_info": [{"start": ms, "end": ms, "text": "…", "timestamp": [[ms, ms], …]}, …],
           "text": "…", "model": "…"}
    (`timestamp`, optional: FunASR's per-character — per-word for word languages — times)
    GET  {url}/health → {"status": "ok"}

The recognised text is only used to place the script's own sentences in time (the script is
what the subtitles show), by `batchvideo_media.alignment`.
"""

from __future__ import annotations

from pathlib import Path

from batchvideo_media.alignment import align_sentences, proportional_timings
from batchvideo_media.audio import TimedSentence
from batchvideo_resources.configured import settings_fields
from batchvideo_resources.http_retry import request_with_retries
from batchvideo_resources.redaction import redact


class ASRResource(settings_fields("asr")):
    # url: from the setting that feeds "asr" (batchvideo_resources/settings.py).
    timeout_s: float = 300.0
    attempts: int = 3
    backoff_s: float = 1.0

    @property
    def _url(self) -> str | None:
        return (self.url or "").rstrip("/") or None

    @property
    def model_name(self) -> str:
        return f"funasr:{redact(self._url)}" if self._url else "proportional"

    def transcribe(self, audio: Path, language: str = "") -> list[dict]:
        """FunASR `sentence_info` for the audio: [{"start": ms, "end": ms, "text", "timestamp"?}]."""
        if not self._url:
            raise ValueError("no ASR service configured (BATCHVIDEO_ASR_URL)")
        response = request_with_retries(
            "POST", f"{self._url}/v1/asr", timeout=self.timeout_s, attempts=self.attempts,
            backoff_s=self.backoff_s, params={"language": language} if language else None,
            content=Path(audio).read_bytes(), headers={"Content-Type": "audio/wav"})
        try:
            info = response.json()["sentence_info"]
            return [{"start": int(s["start"]), "end": int(s["end"]), "text": str(s["text"]),
                     **({"timestamp": [[int(a), int(b)] for a, b in s["timestamp"]]} if s.get("timestamp") else {})}
                    for s in info]
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(f"ASR service answered without a usable sentence_info: {response.text[:200]}") from exc

    def timings(self, audio: Path, sentences: list[str], duration_ms: int,
                language: str = "") -> list[TimedSentence]:
        """One timing per script sentence: aligned to the ASR transcript when a service is
        configured and recognised anything, else proportional to character count."""
        if self._url:
            info = self.transcribe(audio, language)
            aligned = align_sentences(sentences, info, duration_ms)
            if aligned is not None:
                return aligned
        return proportional_timings(sentences, duration_ms)
