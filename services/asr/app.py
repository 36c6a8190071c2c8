"""FunASR sentence-timestamp service for BatchVideo (runs in its own environment).

FunASR's dependency pins conflict with Dagster's, so this is a separate process with its own
requirements (services/asr/requirements.txt). It is standard library plus funasr only; the
code location talks to it through `batchvideo_resources.asr.ASRResource`.

    pip install -r services/asr/requirements.txt
    python services/asr/app.py --host 0.0.0.0 --port 10095 [--device cuda:0]

Contract:
    POST /v1/asr[?language=zh-CN]   body: audio file bytes (WAV/MP3/M4A…), any Content-Type
      200 {"sentence_info": [{"start": ms, "end": ms, "text": str, "timestamp": [[ms, ms], …]}, …],
           "text": str, "model": str}   (timestamp: per character, per word for word languages)
      400 {"error": …} empty or undecodable body;  413 body larger than --max-mb
    GET /health → {"status": "ok", "model": …}

Models (ModelScope ids or local folders) come from flags or FUNASR_MODEL, FUNASR_VAD_MODEL,
FUNASR_PUNC_MODEL, FUNASR_DEVICE. The model is loaded once at start; requests are served
one at a time by the model (a lock), concurrently for everything else.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse

log = logging.getLogger("batchvideo-asr")


class SentenceModel(Protocol):
    """What the service needs from FunASR's AutoModel (tests pass a stand-in)."""

    def generate(self, input: str, **kwargs: Any) -> list[dict]: ...


def load_funasr(model: str, vad_model: str, punc_model: str, device: str) -> SentenceModel:
    from funasr import AutoModel  # imported here only: never in the Dagster environment

    return AutoModel(model=model, vad_model=vad_model, punc_model=punc_model, device=device,
                     disable_update=True)


def sentence_info(model: SentenceModel, audio_path: str) -> dict:
    """Run the model and reduce its answer to the contract's shape (ms integers, stripped text)."""
    results = model.generate(input=audio_path, batch_size_s=300, sentence_timestamp=True)
    result = results[0] if results else {}
    sentences = []
    for seg in result.get("sentence_info") or []:
        text = str(seg.get("text", "")).strip()
        if text:
            entry = {"start": int(seg["start"]), "end": int(seg["end"]), "text": text}
            if seg.get("timestamp"):
                entry["timestamp"] = [[int(a), int(b)] for a, b in seg["timestamp"]]
            sentences.append(entry)
    return {"sentence_info": sentences, "text": str(result.get("text", ""))}


def make_server(model: SentenceModel, host: str = "127.0.0.1", port: int = 10095, model_name: str = "funasr",
                max_bytes: int = 512 * 1024 * 1024) -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if urlparse(self.path).path == "/health":
                self._reply(200, {"status": "ok", "model": model_name})
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            if url.path != "/v1/asr":
                self._reply(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0:
                self._reply(400, {"error": "empty body: send the audio file as the request body"})
                return
            if length > max_bytes:
                self._reply(413, {"error": f"audio larger than {max_bytes} bytes"})
                return
            audio = self.rfile.read(length)
            language = parse_qs(url.query).get("language", [""])[0]
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "audio"
                path.write_bytes(audio)
                try:
                    with lock:
                        body = sentence_info(model, str(path))
                except Exception as exc:  # the model failed on this input: tell the client why
                    log.exception("recognition failed")
                    self._reply(500, {"error": f"{type(exc).__name__}: {exc}"})
                    return
            body.update(model=model_name, language=language)
            self._reply(200, body)

        def log_message(self, fmt: str, *args: Any) -> None:
            log.info("%s " + fmt, self.address_string(), *args)

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("ASR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ASR_PORT", "10095")))
    parser.add_argument("--model", default=os.environ.get("FUNASR_MODEL", "paraformer-zh"))
    parser.add_argument("--vad-model", default=os.environ.get("FUNASR_VAD_MODEL", "fsmn-vad"))
    parser.add_argument("--punc-model", default=os.environ.get("FUNASR_PUNC_MODEL", "ct-punc"))
    parser.add_argument("--device", default=os.environ.get("FUNASR_DEVICE", "cpu"))
    parser.add_argument("--max-mb", type=int, default=512)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    model = load_funasr(args.model, args.vad_model, args.punc_model, args.device)
    server = make_server(model, args.host, args.port, model_name=args.model, max_bytes=args.max_mb * 1024 * 1024)
    log.info("FunASR service on http://%s:%d (model %s, device %s)", args.host, args.port, args.model, args.device)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
