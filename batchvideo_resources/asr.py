"""Sentence timings for user-supplied narration: FunASR service over HTTP, or proportional.

FunASR's dependencies conflict with Dagster's, so it runs as its own service (services/asr).
Contract: POST {url}/v1/asr multipart `audio` → {"sentence_info": [{"start": ms, "end": ms, "text"}]}.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from batchvideo_media.audio import SentenceTiming
from batchvideo_media.text import text_width
from batchvideo_resources import settings
from batchvideo_resources.http_retry import request_with_retries


class ASRResource(dg.ConfigurableResource):
    url: str | None = Field(default=None, description="FunASR service base URL (BATCHVIDEO_ASR_URL)")
    timeout_s: float = 300.0
    attempts: int = 3

    @property
    def _url(self) -> str | None:
        return self.url or settings.get("BATCHVIDEO_ASR_URL")

    @property
    def model_name(self) -> str:
        return f"funasr:{self._url}" if self._url else "proportional"

    def timings(self, audio: Path, sentences: list[str], duration_ms: int) -> list[SentenceTiming]:
        if self._url:
            response = request_with_retries(
                "POST", f"{self._url.rstrip('/')}/v1/asr", timeout=self.timeout_s, attempts=self.attempts,
                files={"audio": (audio.name, audio.read_bytes(), "application/octet-stream")})
            info = response.json().get("sentence_info", [])
            if info:
                return [SentenceTiming(str(s["text"]), int(s["start"]), min(int(s["end"]), duration_ms))
                        for s in info]
        return proportional_timings(sentences, duration_ms)


def proportional_timings(sentences: list[str], duration_ms: int) -> list[SentenceTiming]:
    weights = [max(1, text_width(s)) for s in sentences]
    total = sum(weights)
    out, acc = [], 0
    for sentence, weight in zip(sentences, weights):
        start = round(duration_ms * acc / total)
        acc += weight
        out.append(SentenceTiming(sentence, start, round(duration_ms * acc / total)))
    return out
