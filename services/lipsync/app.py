"""Lip-sync server: MuseTalk v1.5 behind the contract `LipSyncResource(backend="http")` calls.

The model (UNet + VAE + whisper-tiny, ~4 GB) is loaded once when the server starts and owned by one worker
thread; requests queue for it, and each request's frames go through the UNet and VAE `--batch-size` at a time.

    python services/lipsync/app.py --model-dir /models/musetalk --device cuda:0 --port 8000

Contract:
    POST /lipsync  multipart/form-data
        reference  file: the presenter, an image (PNG/JPEG/WebP) or a video loop (played forwards and back)
        audio      file: the narration (WAV; anything ffmpeg decodes)
        width, height  even integers in [16, 3840]: the clip's size (the reference is scaled to cover it and
                   centre-cropped, as the client does)
        fps        integer in [1, 60]
        face_box   optional "x1,y1,x2,y2" in the reference's own pixels (the account's digital_human.face_box);
                   without it OpenCV's frontal-face detector finds the face in every reference frame
      200 video/mp4, H.264, exactly width×height at fps, round(audio seconds × fps) frames, no audio; headers
          X-Engine, X-Model-Revision, X-Frames, X-Seconds (the worker's time on the request: reading, detection,
          generation, encoding), X-Face-Source (detector|face_box)
      400 {"error": "<field>: …"} a missing or malformed field, undecodable media, or a reference with no face
      413 {"error": …} a body over --max-body-mb;  504 {"error": …} over --request-timeout-s;  500 {"error": …}
    GET /health → {"status": "ok", "engine", "model_revision", "device", "batch_size", "requests", "frames",
                   "errors", "queued", "seconds_per_frame"}

Weights are read from --model-dir only (HF_HUB_OFFLINE is set); the folder layout is in README.md.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

sys.path.insert(0, str(Path(__file__).resolve().parent))  # musetalk.py beside this file

from musetalk import (  # noqa: E402
    ENGINE,
    SAMPLE_RATE,
    MuseTalk,
    ReferenceError,
    fit_frame,
    map_box,
    parse_face_box,
)

log = logging.getLogger("batchvideo-lipsync")
MAX_SIDE = 3840


@dataclass
class Limits:
    max_body: int = 200 * 1024 * 1024
    max_audio_s: float = 600.0
    max_reference_frames: int = 250
    request_timeout_s: float = 540.0


@dataclass
class Job:
    reference: bytes
    reference_name: str
    samples: np.ndarray
    width: int
    height: int
    fps: int
    face_box: str | None
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    mp4: bytes | None = None
    error: Exception | None = None
    frames: int = 0
    seconds: float = 0.0
    face_source: str = ""
    cancelled: bool = False


# ------------------------------------------------------------------------------------------ media
def _ffmpeg(args: list[str], stdin: bytes | None = None) -> bytes:
    result = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", *args], input=stdin,
                            capture_output=True, timeout=300)
    if result.returncode != 0:
        raise ValueError(result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["ffmpeg failed"])
    return result.stdout


def decode_audio(data: bytes, max_seconds: float) -> np.ndarray:
    """Mono float32 at 16 kHz, or ValueError naming the field."""
    with tempfile.NamedTemporaryFile(suffix=".audio") as f:
        f.write(data)
        f.flush()
        try:
            raw = _ffmpeg(["-i", f.name, "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"])
        except ValueError as exc:
            raise ValueError(f"audio: not decodable audio ({exc})") from None
    samples = np.frombuffer(raw, np.float32)
    if len(samples) < SAMPLE_RATE // 25:
        raise ValueError("audio: shorter than one frame (no samples)")
    if len(samples) > max_seconds * SAMPLE_RATE:
        raise ValueError(f"audio: {len(samples) / SAMPLE_RATE:.1f} s is over the {max_seconds:.0f} s limit")
    return samples


def decode_reference(data: bytes, name: str, fps: int, max_frames: int) -> list[np.ndarray]:
    """RGB frames at their own size: one for a picture, up to max_frames (at fps) for a video."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if getattr(img, "n_frames", 1) == 1:
                # Upright as a viewer shows it (phone photos carry their rotation in EXIF); face_box is in
                # these pixels.
                return [np.asarray(ImageOps.exif_transpose(img).convert("RGB"))]
    except (UnidentifiedImageError, OSError):
        pass
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix or ".bin") as f:
        f.write(data)
        f.flush()
        try:
            probe = json.loads(subprocess.run(
                ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                 "stream=width,height:stream_side_data=rotation", "-of", "json", f.name],
                capture_output=True, timeout=60).stdout or b"{}")
            (stream,) = probe.get("streams") or [None]
            w, h = int(stream["width"]), int(stream["height"])
            # ffmpeg turns a phone video upright while decoding; its stored size is before that turn.
            rotation = next((d.get("rotation") for d in stream.get("side_data_list", []) if "rotation" in d), 0)
            if int(rotation) % 180:
                w, h = h, w
            raw = _ffmpeg(["-i", f.name, "-an", "-vf", f"fps={fps}", "-frames:v", str(max_frames),
                           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        except (ValueError, TypeError, KeyError):
            raise ValueError(f"reference: {name!r} is neither a picture nor a video ffmpeg decodes") from None
    frames = np.frombuffer(raw, np.uint8)
    if frames.size == 0 or frames.size % (w * h * 3):
        raise ValueError(f"reference: {name!r} has no decodable frames")
    return list(frames.reshape(-1, h, w, 3))


def encode_mp4(frames, width: int, height: int, fps: int, out: Path) -> int:
    """Streams RGB frames into an H.264/yuv420p MP4; returns how many were written."""
    proc = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo",
                             "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
                             "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
                             "-movflags", "+faststart", str(out)], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    count = 0
    try:
        for frame in frames:
            proc.stdin.write(frame.tobytes())
            count += 1
    finally:
        proc.stdin.close()
        err = proc.stderr.read()
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg could not encode the clip: {err.decode(errors='replace')[-300:]}")
    return count


# ------------------------------------------------------------------------------------------ the worker
class Worker:
    """One thread owns the model; requests are served one at a time, their frames in batches."""

    def __init__(self, model: MuseTalk, limits: Limits):
        self.model = model
        self.limits = limits
        self.jobs: queue.Queue[Job] = queue.Queue()
        self.requests = self.frames = self.errors = 0
        self.busy_s = 0.0
        threading.Thread(target=self._work, name="lipsync-worker", daemon=True).start()

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            started = time.perf_counter()
            try:
                if job.cancelled:
                    raise TimeoutError("request time limit reached while queued")
                job.mp4, job.frames = self._run(job)
            except Exception as exc:  # noqa: BLE001 - reported to the request
                if not isinstance(exc, (ReferenceError, ValueError, TimeoutError)):
                    log.exception("lip-sync request failed")
                job.error = exc
                self.errors += 1
            job.seconds = time.perf_counter() - started
            self.requests += 1
            self.frames += job.frames
            self.busy_s += job.seconds
            job.done.set()

    def _run(self, job: Job) -> tuple[bytes, int]:
        model = self.model
        source = decode_reference(job.reference, job.reference_name, job.fps, self.limits.max_reference_frames)
        src_h, src_w = source[0].shape[:2]
        frames = [fit_frame(f, job.width, job.height) for f in source]
        if job.face_box:
            box = map_box(parse_face_box(job.face_box, src_w, src_h), src_w, src_h, job.width, job.height)
            if box[2] - box[0] < 16 or box[3] - box[1] < 16:
                raise ValueError(f"face_box: {job.face_box!r} falls outside the {job.width}×{job.height} clip "
                                 "once the reference is scaled and cropped to it")
            boxes, job.face_source = [box] * len(frames), "face_box"
        else:
            boxes, job.face_source = model.find_faces(frames), "detector"
        n_frames = max(1, round(len(job.samples) / SAMPLE_RATE * job.fps))
        prompts = model.audio_prompts(job.samples, job.fps, n_frames)
        prepared = model.prepare(frames, boxes)
        with tempfile.TemporaryDirectory(prefix="lipsync-") as tmp:
            out = Path(tmp) / "clip.mp4"
            stop = lambda: job.cancelled or time.monotonic() > job.deadline  # noqa: E731
            count = encode_mp4(model.generate(prepared, prompts, stop), job.width, job.height, job.fps, out)
            return out.read_bytes(), count


# ------------------------------------------------------------------------------------------ HTTP
def parse_form(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """multipart/form-data → {name: (filename, bytes)}, or ValueError."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise ValueError("body: expected multipart/form-data with files reference and audio")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    form = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            form[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return form


def parse_job(form: dict, limits: Limits) -> Job:
    """A validated job, or ValueError naming the field."""
    def integer(name: str, low: int, high: int, even: bool = False) -> int:
        if name not in form:
            raise ValueError(f"{name}: missing")
        text = form[name][1].decode(errors="replace").strip()
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{name}: expected an integer, got {text!r}") from None
        if not low <= value <= high or (even and value % 2):
            raise ValueError(f"{name}: expected an {'even ' if even else ''}integer in [{low}, {high}], got {value}")
        return value

    for name in ("reference", "audio"):
        if name not in form or not form[name][1]:
            raise ValueError(f"{name}: missing (a file part named {name!r})")
    width, height = integer("width", 16, MAX_SIDE, even=True), integer("height", 16, MAX_SIDE, even=True)
    fps = integer("fps", 1, 60)
    face_box = form["face_box"][1].decode(errors="replace").strip() if "face_box" in form else None
    samples = decode_audio(form["audio"][1], limits.max_audio_s)
    return Job(reference=form["reference"][1], reference_name=form["reference"][0] or "reference",
               samples=samples, width=width, height=height, fps=fps, face_box=face_box or None,
               deadline=time.monotonic() + limits.request_timeout_s)


def make_handler(worker: Worker, limits: Limits):
    model = worker.model

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 120  # a client that stops sending its body is dropped

        def log_message(self, fmt, *args):
            log.info("%s " + fmt, self.address_string(), *args)

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status >= 400:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.rstrip("/") != "/health":
                self._json(404, {"error": "not found"})
                return
            self._json(200, {"status": "ok", "engine": ENGINE, "model_revision": model.revision,
                             "device": str(model.device), "batch_size": model.batch_size,
                             "requests": worker.requests, "frames": worker.frames, "errors": worker.errors,
                             "queued": worker.jobs.qsize(),
                             "seconds_per_frame": round(worker.busy_s / worker.frames, 4) if worker.frames else None})

        def do_POST(self):
            if self.path.rstrip("/") != "/lipsync":
                self._json(404, {"error": "not found"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length > limits.max_body:
                self._json(413, {"error": f"body: {length} bytes is over the {limits.max_body} byte limit"})
                return
            if length <= 0:
                self._json(400, {"error": "body: expected multipart/form-data with a Content-Length"})
                return
            try:
                job = parse_job(parse_form(self.headers.get("Content-Type", ""), self.rfile.read(length)), limits)
            except ValueError as exc:
                self._json(400, {"error": str(exc)})
                return
            worker.jobs.put(job)
            if not job.done.wait(limits.request_timeout_s):
                job.cancelled = True
                self._json(504, {"error": f"not done within {limits.request_timeout_s:.0f} s"})
                return
            if isinstance(job.error, (ReferenceError, ValueError)):
                self._json(400, {"error": str(job.error)})
                return
            if isinstance(job.error, TimeoutError):
                self._json(504, {"error": f"not done within {limits.request_timeout_s:.0f} s"})
                return
            if job.error is not None:
                self._json(500, {"error": f"{type(job.error).__name__}: {job.error}"})
                return
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(job.mp4)))
            self.send_header("X-Engine", ENGINE)
            self.send_header("X-Model-Revision", model.revision)
            self.send_header("X-Frames", str(job.frames))
            self.send_header("X-Seconds", f"{job.seconds:.3f}")
            self.send_header("X-Face-Source", job.face_source)
            self.end_headers()
            self.wfile.write(job.mp4)

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="MuseTalk lip-sync server (the `http` lip-sync backend's contract)")
    parser.add_argument("--model-dir", default=os.environ.get("MUSETALK_MODEL_DIR"),
                        help="local folder with musetalkV15/, sd-vae/ and whisper/")
    parser.add_argument("--device", default=os.environ.get("LIPSYNC_DEVICE", "cpu"), help="cpu, cuda, cuda:1 …")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--batch-size", type=int, default=int(os.environ.get("LIPSYNC_BATCH_SIZE", "8")),
                        help="frames per UNet/VAE call")
    parser.add_argument("--extra-margin", type=int, default=10, help="pixels added below the face box (v1.5)")
    parser.add_argument("--max-body-mb", type=float, default=200.0)
    parser.add_argument("--max-audio-s", type=float, default=600.0)
    parser.add_argument("--max-reference-frames", type=int, default=250, help="frames read from a reference video")
    parser.add_argument("--request-timeout-s", type=float, default=540.0,
                        help="below the client's 600 s per attempt, so the server refuses a slow request "
                             "(504, retried) rather than the client abandoning one that is still running")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if not args.model_dir or not Path(args.model_dir).is_dir():
        parser.error(f"--model-dir must be a local folder (got {args.model_dir!r}); weights are never downloaded")
    started = time.perf_counter()
    model = MuseTalk(args.model_dir, device=args.device, batch_size=args.batch_size, extra_margin=args.extra_margin)
    log.info("loaded %s (%s) on %s in %.1f s", args.model_dir, model.revision, model.device,
             time.perf_counter() - started)
    limits = Limits(max_body=int(args.max_body_mb * 1024 * 1024), max_audio_s=args.max_audio_s,
                    max_reference_frames=args.max_reference_frames, request_timeout_s=args.request_timeout_s)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(Worker(model, limits), limits))
    log.info("serving on %s:%d (batches of %d frames)", args.host, server.server_address[1], args.batch_size)
    server.serve_forever()


if __name__ == "__main__":
    main()
