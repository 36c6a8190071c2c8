"""Voice-cloning TTS server: the `http` TTS backend's `/v1/tts` contract, one long-lived process per GPU.

The model (F5-TTS today, `engines.py`) is loaded once when the server starts; requests that arrive together
are synthesised as one batch. Weights come from local folders only (HF_HUB_OFFLINE is set).

    python services/tts/app.py --checkpoint /models/tts/F5TTS_v1_Base/model_1250000.safetensors \
        --vocoder /models/tts/vocos-mel-24khz --voices /models/tts/voices --port 8000

Contract (what `TTSResource(backend="http")` sends):
    POST /v1/tts  {"text": str, "language": "zh-CN" | "en-US" | …, "voice": str, "speed": 0.5–2.0,
                   "reference_audio_b64": base64 clip (optional), "reference_text": its transcript (optional)}
      The voice is the clip when one is sent, else `<voices>/<voice>.wav` (any ffmpeg-readable audio file of
      that stem) with its transcript in `<voices>/<voice>.txt`. F5-TTS conditions on the clip's transcript, so
      a clip without one is refused.
      200 audio/wav (mono PCM 16-bit at 24 kHz); headers X-Engine, X-Model, X-Model-Revision, X-Voice-Reference
          (the voice file or the sent clip's sha256), X-Audio-Seconds, X-Batch-Size. No word timings: F5-TTS has
          none, so the client places cues itself.
      400 {"error": "<field>: …"} empty text, unsupported language, undecodable/too short/too long clip, missing
          transcript;  404 unknown voice;  413 body too large;  504 not done within --request-timeout
    GET /health → {"status": "ok", "engine", "model", "revision", "requests", "batches", "max_batch_seen",
                   "audio_seconds", "busy_seconds"}
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import threading
import time
import wave
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, when run from a checkout

from services.tts.engines import Engine, Job  # noqa: E402

log = logging.getLogger("batchvideo-tts")
MAX_BODY = 8 * 1024 * 1024       # a 20 s 48 kHz stereo WAV in base64 fits
MAX_TEXT = 500                   # characters: one subtitle cue is far shorter
MIN_REFERENCE_S = 1.0
MAX_REFERENCE_S = 20.0           # F5 was trained on clips under 30 s with the generated part; 12 s is its advice
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".m4a")


class RequestError(ValueError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    job: Job
    voice_reference: str
    done: threading.Event = field(default_factory=threading.Event)
    wave: np.ndarray | None = None
    error: Exception | None = None
    batch_size: int = 0


def decode_audio(data: bytes, rate: int) -> np.ndarray:
    """Any ffmpeg-readable clip as mono float32 at `rate`; ValueError when ffmpeg cannot read it."""
    result = subprocess.run(["ffmpeg", "-v", "error", "-i", "pipe:0", "-f", "f32le", "-ac", "1", "-ar", str(rate),
                             "pipe:1"], input=data, capture_output=True, timeout=60)
    if result.returncode != 0 or not result.stdout:
        reason = result.stderr.decode(errors="replace").strip().splitlines()
        raise ValueError(reason[-1] if reason else "no audio stream")
    return np.frombuffer(result.stdout, dtype=np.float32).copy()


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def parse_request(body: dict, engine: Engine, voices: Path | None) -> Request:
    """A validated request, or RequestError naming the field (404 for an unknown voice)."""
    if not isinstance(body, dict):
        raise RequestError(400, "body: expected a JSON object")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise RequestError(400, "text: expected a non-empty string")
    if len(text) > MAX_TEXT:
        raise RequestError(400, f"text: {len(text)} characters, at most {MAX_TEXT} (send one sentence per request)")
    language = body.get("language")
    if not isinstance(language, str) or not language.strip():
        raise RequestError(400, "language: expected a BCP-47 code such as zh-CN or en-US")
    if not engine.supports(language):
        raise RequestError(400, f"language: {language!r} is not spoken by {engine.name} "
                                f"(supported: {', '.join(getattr(engine, 'languages', ()))})")
    speed = body.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.5 <= speed <= 2.0:
        raise RequestError(400, f"speed: expected a number in [0.5, 2.0], got {speed!r}")
    voice = body.get("voice")
    clip_b64 = body.get("reference_audio_b64")
    reference_text = body.get("reference_text")
    if reference_text is not None and (not isinstance(reference_text, str) or not reference_text.strip()):
        raise RequestError(400, "reference_text: expected a non-empty string (the reference clip's transcript)")
    if clip_b64:
        if not isinstance(clip_b64, str):
            raise RequestError(400, "reference_audio_b64: expected a base64 string")
        try:
            clip = base64.b64decode(clip_b64, validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(400, "reference_audio_b64: not valid base64") from None
        field_name, label = "reference_audio_b64", "sha256:" + hashlib.sha256(clip).hexdigest()[:16]
        if not reference_text:
            raise RequestError(400, "reference_text: required with reference_audio_b64 — F5-TTS conditions on "
                                    "the clip's transcript (the client sends <clip>.txt beside the clip)")
    else:
        if not isinstance(voice, str) or not voice.strip():
            raise RequestError(400, "voice: expected a voice name, or send reference_audio_b64")
        path = _voice_file(voices, voice)
        if path is None:
            raise RequestError(404, f"voice: unknown voice {voice!r} and no reference_audio_b64 sent")
        clip, field_name, label = path.read_bytes(), "voice", path.name
        transcript = path.with_suffix(".txt")
        if not reference_text:
            if not transcript.is_file():
                raise RequestError(400, f"voice: {path.name} has no transcript {transcript.name} beside it")
            reference_text = transcript.read_text(encoding="utf-8").strip()
    try:
        reference = decode_audio(clip, engine.sample_rate)
    except (ValueError, subprocess.TimeoutExpired) as exc:
        raise RequestError(400, f"{field_name}: not decodable audio ({exc})") from None
    seconds = len(reference) / engine.sample_rate
    if not MIN_REFERENCE_S <= seconds <= MAX_REFERENCE_S:
        raise RequestError(400, f"{field_name}: the reference clip lasts {seconds:.1f} s; it must last "
                                f"{MIN_REFERENCE_S:g}–{MAX_REFERENCE_S:g} s")
    return Request(Job(text=text.strip(), language=language, speed=float(speed), reference=reference,
                       reference_text=reference_text.strip()), voice_reference=label)


def _voice_file(voices: Path | None, voice: str) -> Path | None:
    if voices is None or "/" in voice or "\\" in voice or voice.startswith("."):
        return None
    return next((voices / f"{voice}{ext}" for ext in AUDIO_EXTENSIONS if (voices / f"{voice}{ext}").is_file()), None)


class Batcher:
    """One worker thread owns the engine: it takes the oldest waiting requests, up to `max_batch`, after waiting
    at most `window_s` for companions, and synthesises them in one call."""

    def __init__(self, engine: Engine, max_batch: int, window_s: float):
        self.engine = engine
        self.max_batch = max_batch
        self.window_s = window_s
        self.pending: list[Request] = []
        self.cond = threading.Condition()
        self.requests = 0
        self.batches = 0
        self.max_batch_seen = 0
        self.audio_s = 0.0
        self.busy_s = 0.0
        threading.Thread(target=self._work, name="tts-batcher", daemon=True).start()

    def submit(self, request: Request, timeout_s: float) -> bool:
        """False when the request was not done within `timeout_s` (it is dropped if it has not started)."""
        with self.cond:
            self.pending.append(request)
            self.cond.notify_all()
        if request.done.wait(timeout_s):
            return True
        with self.cond:
            if request in self.pending:
                self.pending.remove(request)
        return False

    def _take(self) -> list[Request]:
        with self.cond:
            while not self.pending:
                self.cond.wait()
            deadline = time.monotonic() + self.window_s
            while len(self.pending) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                self.cond.wait(left)
            batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch:]
            return batch

    def _work(self) -> None:
        while True:
            batch = self._take()
            started = time.perf_counter()
            try:
                waves = self.engine.synthesize([r.job for r in batch])
                for request, samples in zip(batch, waves):
                    request.wave = samples
            except Exception as exc:  # noqa: BLE001 - reported to every request of the batch
                log.exception("batch of %d failed", len(batch))
                for request in batch:
                    request.error = exc
            self.busy_s += time.perf_counter() - started
            self.requests += len(batch)
            self.batches += 1
            self.max_batch_seen = max(self.max_batch_seen, len(batch))
            self.audio_s += sum(len(r.wave) / self.engine.sample_rate for r in batch if r.wave is not None)
            for request in batch:
                request.batch_size = len(batch)
                request.done.set()

    def health(self) -> dict:
        return {"status": "ok", "engine": self.engine.name, "model": self.engine.model_name,
                "revision": self.engine.revision, "requests": self.requests, "batches": self.batches,
                "max_batch_seen": self.max_batch_seen, "audio_seconds": round(self.audio_s, 3),
                "busy_seconds": round(self.busy_s, 3)}


def make_handler(batcher: Batcher, voices: Path | None, request_timeout_s: float):
    engine = batcher.engine

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60  # seconds a client may take to send its request

        def log_message(self, fmt, *args):
            log.info("%s " + fmt, self.address_string(), *args)

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.rstrip("/") != "/health":
                self._json(404, {"error": "not found"})
                return
            self._json(200, batcher.health())

        def do_POST(self):
            if self.path.rstrip("/") != "/v1/tts":
                self._json(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.close_connection = True  # the body is not read
                self._json(413, {"error": f"body: {length} bytes, at most {MAX_BODY}"})
                return
            if length <= 0:
                self._json(400, {"error": "body: expected a JSON object"})
                return
            try:
                request = parse_request(json.loads(self.rfile.read(length)), engine, voices)
            except json.JSONDecodeError as exc:
                self._json(400, {"error": f"body: not JSON ({exc})"})
                return
            except RequestError as exc:
                self._json(exc.status, {"error": str(exc)})
                return
            if not batcher.submit(request, request_timeout_s):
                self._json(504, {"error": f"not synthesised within {request_timeout_s:g} s"})
                return
            if request.error is not None:
                self._json(500, {"error": f"{type(request.error).__name__}: {request.error}"})
                return
            body = wav_bytes(request.wave, engine.sample_rate)
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Engine", engine.name)
            self.send_header("X-Model", engine.model_name)
            self.send_header("X-Model-Revision", engine.revision)
            self.send_header("X-Voice-Reference", request.voice_reference)
            self.send_header("X-Audio-Seconds", f"{len(request.wave) / engine.sample_rate:.3f}")
            self.send_header("X-Batch-Size", str(request.batch_size))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def make_server(engine: Engine, *, host: str = "127.0.0.1", port: int = 8000, voices: Path | None = None,
                max_batch: int = 4, window_s: float = 0.05, request_timeout_s: float = 300.0) -> ThreadingHTTPServer:
    batcher = Batcher(engine, max_batch, window_s)
    server = ThreadingHTTPServer((host, port), make_handler(batcher, voices, request_timeout_s))
    server.daemon_threads = True
    server.batcher = batcher
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Voice-cloning TTS server (the `http` TTS backend's contract)")
    models = Path(os.environ.get("MODEL_DIR", "/models/tts"))
    parser.add_argument("--engine", choices=["f5-tts"], default="f5-tts")
    parser.add_argument("--checkpoint", type=Path, default=models / "F5TTS_v1_Base/model_1250000.safetensors",
                        help="F5 checkpoint; vocab.txt (and optionally config.yaml) beside it")
    parser.add_argument("--vocoder", type=Path, default=models / "vocos-mel-24khz",
                        help="Vocos folder: config.yaml + pytorch_model.bin")
    parser.add_argument("--voices", type=Path, default=models / "voices",
                        help="named voices: <name>.wav + <name>.txt (its transcript)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--device", default=None, help="default: cuda when available")
    parser.add_argument("--nfe-step", type=int, default=32, help="flow-matching steps (F5's default 32)")
    parser.add_argument("--max-batch", type=int, default=int(os.environ.get("TTS_MAX_BATCH", "4")))
    parser.add_argument("--batch-window-ms", type=float, default=50.0)
    parser.add_argument("--request-timeout", type=float, default=300.0, help="seconds per request, queue included")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for name, path in (("--checkpoint", args.checkpoint), ("--vocoder", args.vocoder)):
        if not path.exists():
            parser.error(f"{name}: {path} does not exist; weights are never downloaded (see services/tts/README.md)")
    os.environ["HF_HUB_OFFLINE"] = "1"
    from services.tts.engines import F5Engine

    started = time.perf_counter()
    engine = F5Engine(args.checkpoint, args.vocoder, nfe_step=args.nfe_step, device=args.device)
    log.info("loaded %s (%s) in %.1f s", engine.model_name, engine.revision, time.perf_counter() - started)
    server = make_server(engine, host=args.host, port=args.port,
                         voices=args.voices if args.voices.is_dir() else None, max_batch=args.max_batch,
                         window_s=args.batch_window_ms / 1000, request_timeout_s=args.request_timeout)
    log.info("serving on %s:%d (batches of up to %d)", args.host, server.server_address[1], args.max_batch)
    server.serve_forever()


if __name__ == "__main__":
    main()
