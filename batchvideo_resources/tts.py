"""Text-to-speech: espeak-ng embedded default, or a neural model server over HTTP.

HTTP contract (IndexTTS2 / CosyVoice / SeedVC class servers behind a thin adapter):

    POST {url}/v1/tts
    Content-Type: application/json
    {"text": "one sentence",            # already normalised; one request per sentence
     "language": "zh-CN",               # BCP-47 code of the script's language
     "voice": "narrator-a",             # voice name (the `voices` row)
     "speed": 1.0,                      # 0.5–2.0, 1.0 = the model's natural rate
     "reference_audio_b64": "…"}        # optional: base64 clip to clone the voice from

    200 → body is a WAV file (any PCM/float format, any rate; it is converted when joined)
    4xx → the request is wrong (e.g. unsupported language); not retried
    5xx, 408, 429, timeouts, refused connections → retried with exponential backoff

Sentences are sent concurrently (`concurrency` requests in flight), each bounded by
`timeout_s` per attempt and `attempts` attempts.
"""

from __future__ import annotations

import base64
import os
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

import dagster as dg
import httpx
from pydantic import Field

from batchvideo_media.espeak import ESPEAK_BASE_WPM, espeak_voice
from batchvideo_media.process import run_bounded, time_limit
from batchvideo_resources.http_retry import request_with_retries
from batchvideo_resources.redaction import redact


class TTSError(RuntimeError):
    """A sentence could not be synthesised; the message names the sentence and the cause."""


class TTSResource(dg.ConfigurableResource):
    """Synthesises one sentence per call into a WAV file."""

    backend: str = Field(default="espeak", description="espeak | http")
    url: str | None = Field(default=None, description="model server base URL for the http backend")
    timeout_s: float = Field(default=120.0, description="per attempt, per sentence")
    attempts: int = 4
    backoff_s: float = 1.0
    concurrency: int | None = Field(default=None, description="sentences in flight; default CPUs up to 8 (espeak) "
                                                              "or 4 (http)")

    @property
    def is_neural(self) -> bool:
        return self.backend != "espeak"

    @property
    def model_name(self) -> str:
        return "espeak-ng" if self.backend == "espeak" else f"http:{redact(self._url)}"

    @property
    def _url(self) -> str:
        return (self.url or "").rstrip("/")

    def _workers(self) -> int:
        if self.concurrency:
            return max(1, self.concurrency)
        if self.backend != "espeak":
            return 4
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, min(8, cpus))

    def synthesize(self, text: str, out: Path, *, language: str, voice: str, speed: float = 1.0,
                   reference_audio: Path | str | None = None) -> Path:
        return self.synthesize_many([text], out.parent, names=[out.name], language=language, voice=voice,
                                    speed=speed, reference_audio=reference_audio)[0]

    def synthesize_many(self, texts: list[str], out_dir: Path, *, language: str, voice: str,
                        speed: float = 1.0, reference_audio: Path | str | None = None,
                        names: list[str] | None = None) -> list[Path]:
        """Every sentence to its own WAV, concurrently; paths in the order of `texts`.

        The first failure cancels sentences not yet started and raises TTSError naming it."""
        if self.backend not in ("espeak", "http"):
            raise ValueError(f"unknown TTS backend {self.backend!r}")
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [out_dir / (names[i] if names else f"s{i:04d}.wav") for i in range(len(texts))]
        reference_b64 = (base64.b64encode(Path(reference_audio).read_bytes()).decode()
                         if reference_audio and self.backend == "http" else None)
        if self.backend == "http" and not self._url:
            raise ValueError("TTS backend 'http' needs a url (BATCHVIDEO_TTS_URL)")
        with httpx.Client() as client, ThreadPoolExecutor(max_workers=self._workers()) as pool:
            def one(index: int) -> Path:
                try:
                    if self.backend == "espeak":
                        return self._espeak(texts[index], paths[index], voice=voice, speed=speed)
                    return self._http(client, texts[index], paths[index], language=language, voice=voice,
                                      speed=speed, reference_b64=reference_b64)
                except Exception as exc:
                    raise TTSError(f"sentence {index + 1}/{len(texts)} ({texts[index][:40]!r}): {exc}") from exc

            futures = [pool.submit(one, i) for i in range(len(texts))]
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for future in pending:
                future.cancel()
            for future in futures:
                if future.done() and not future.cancelled() and future.exception():
                    raise future.exception()
        return paths

    def voice_used(self, voice: str) -> str:
        return espeak_voice(voice) if self.backend == "espeak" else voice

    def _espeak(self, text: str, out: Path, *, voice: str, speed: float) -> Path:
        wpm = max(80, min(450, round(ESPEAK_BASE_WPM * speed)))
        # Bounded like every child: a limit from the speaking time (~15 characters a second), group killed.
        code, _, log = run_bounded(["espeak-ng", "-v", espeak_voice(voice), "-s", str(wpm), "-w", str(out), "--stdin"],
                                   what=f"espeak-ng on {text[:40]!r}", timeout=time_limit(len(text) / 15 / speed),
                                   input=text.encode("utf-8"))
        if code != 0 or not out.exists() or out.stat().st_size <= 44:
            raise RuntimeError(f"espeak-ng failed for voice {voice!r}: {log[-300:]}")
        return out

    def _http(self, client: httpx.Client, text: str, out: Path, *, language: str, voice: str, speed: float,
              reference_b64: str | None) -> Path:
        payload = {"text": text, "language": language, "voice": voice, "speed": speed}
        if reference_b64:
            payload["reference_audio_b64"] = reference_b64
        response = request_with_retries("POST", f"{self._url}/v1/tts", json=payload, timeout=self.timeout_s,
                                        attempts=self.attempts, backoff_s=self.backoff_s, client=client)
        if not response.content.startswith(b"RIFF"):
            raise RuntimeError(f"TTS server returned {response.headers.get('content-type')!r}, not a WAV file")
        out.write_bytes(response.content)
        return out
