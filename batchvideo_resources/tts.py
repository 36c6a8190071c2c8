"""Text-to-speech: espeak-ng embedded default, or a neural model server over HTTP.

HTTP contract (IndexTTS2 / CosyVoice / SeedVC class servers wrapped by a thin adapter):
    POST {url}/v1/tts  JSON {"text", "language", "voice", "speed", "reference_audio_b64"?}
    → 200 audio/wav (mono PCM16); 4xx = bad request (not retried); 5xx/timeouts are retried.
"""

from __future__ import annotations

import base64
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
from pydantic import Field

from batchvideo_resources import settings
from batchvideo_resources.http_retry import request_with_retries

ESPEAK_BASE_WPM = 175


class TTSResource(dg.ConfigurableResource):
    """Synthesises one sentence per call into a WAV file."""

    backend: str = Field(default="espeak", description="espeak | http")
    url: str | None = Field(default=None, description="model server base URL for the http backend")
    timeout_s: float = 120.0
    attempts: int = 4
    concurrency: int = 4

    @property
    def is_neural(self) -> bool:
        return self.backend != "espeak"

    @property
    def model_name(self) -> str:
        return "espeak-ng" if self.backend == "espeak" else f"http:{self.url}"

    def synthesize(self, text: str, out: Path, *, language: str, voice: str, speed: float = 1.0,
                   reference_audio: Path | None = None) -> Path:
        if self.backend == "espeak":
            return self._espeak(text, out, voice=voice, speed=speed)
        if self.backend == "http":
            return self._http(text, out, language=language, voice=voice, speed=speed,
                              reference_audio=reference_audio)
        raise ValueError(f"unknown TTS backend {self.backend!r}")

    def synthesize_many(self, texts: list[str], out_dir: Path, **kwargs) -> list[Path]:
        """Sentences in parallel (order preserved)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [out_dir / f"s{i:04d}.wav" for i in range(len(texts))]
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            list(pool.map(lambda tp: self.synthesize(tp[0], tp[1], **kwargs), zip(texts, paths)))
        return paths

    def _espeak(self, text: str, out: Path, *, voice: str, speed: float) -> Path:
        wpm = max(80, min(450, round(ESPEAK_BASE_WPM * speed)))
        proc = subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(out), "--stdin"],
                              input=text.encode("utf-8"), capture_output=True, timeout=self.timeout_s)
        if proc.returncode != 0 or not out.exists() or out.stat().st_size <= 44:
            raise RuntimeError(f"espeak-ng failed for voice {voice!r}: {proc.stderr.decode(errors='replace')[-300:]}")
        return out

    def _http(self, text: str, out: Path, *, language: str, voice: str, speed: float,
              reference_audio: Path | None) -> Path:
        url = (self.url or settings.get("BATCHVIDEO_TTS_URL") or "").rstrip("/")
        if not url:
            raise ValueError("TTS backend 'http' needs a url (BATCHVIDEO_TTS_URL)")
        payload = {"text": text, "language": language, "voice": voice, "speed": speed}
        if reference_audio is not None:
            payload["reference_audio_b64"] = base64.b64encode(Path(reference_audio).read_bytes()).decode()
        response = request_with_retries("POST", f"{url}/v1/tts", json=payload, timeout=self.timeout_s,
                                        attempts=self.attempts)
        if not response.content.startswith(b"RIFF"):
            raise RuntimeError(f"TTS server returned {response.headers.get('content-type')}, not WAV")
        out.write_bytes(response.content)
        return out
