"""Lip-sync: a presenter speaking the narration. A labelled placeholder (avatar still or loop, no lip motion)
or a MuseTalk/LatentSync-class model server over HTTP.

HTTP contract: `POST {url}/lipsync`, multipart form with files `reference` (image or video of the presenter)
and `audio` (WAV), fields `width`, `height`, `fps` and, when the account sets one, `face_box` ("x1,y1,x2,y2" in
the reference's pixels); answer: an MP4 (any codec ffmpeg reads). Whatever comes back is normalised to
H.264/yuv420p at exactly the requested size and the audio's duration, without audio. The server's provenance
headers (X-Engine, X-Model-Revision, X-Frames, X-Seconds; services/lipsync sends them) are returned by `render`."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from pydantic import Field

from batchvideo_media.audio import wav_duration_ms
from batchvideo_media.images import font_path, gradient
from batchvideo_media.probe import MediaError, probe, run_ffmpeg
from batchvideo_resources.configured import settings_fields
from batchvideo_resources.http_retry import request_with_retries, service_url
from batchvideo_resources.redaction import redact

PLACEHOLDER_PRESENTER_LABEL = "PLACEHOLDER PRESENTER — no lip-sync model"
VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v"}
BACKENDS = ("placeholder", "http")


# ---------------------------------------------------------------------- where the presenter appears (pure)
def presenter_spans(shots: list[dict], duration_ms: int, mode: str, intro_s: float,
                    outro_s: float) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of each presenter clip.

    `corner`: one clip over the whole narration. `fullscreen`: an intro made of the first shots until it
    lasts ≥ intro_s and an outro made of the last shots until it lasts ≥ outro_s, so cuts fall on shot
    boundaries; when they would meet or overlap, one clip covers the whole video."""
    if mode == "corner" or not shots:
        return [(0, int(duration_ms))]
    if mode != "fullscreen":
        raise ValueError(f"digital_human.mode {mode!r}: expected fullscreen or corner")
    end = int(shots[-1]["end_ms"])
    intro_end = None
    if intro_s > 0:
        intro_end = next((int(s["end_ms"]) for s in shots if s["end_ms"] >= intro_s * 1000), end)
    outro_start = None
    if outro_s > 0:
        outro_start = next((int(s["start_ms"]) for s in reversed(shots) if end - s["start_ms"] >= outro_s * 1000),
                           int(shots[0]["start_ms"]))
    if intro_end is not None and outro_start is not None and intro_end >= outro_start:
        return [(int(shots[0]["start_ms"]), end)]
    spans = []
    if intro_end is not None:
        spans.append((int(shots[0]["start_ms"]), intro_end))
    if outro_start is not None:
        spans.append((outro_start, end))
    return spans


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(), size)


def default_avatar_face_box(width: int = 720, height: int = 720) -> list[int]:
    """[x1, y1, x2, y2] of the default avatar's head: a face detector finds no face in a featureless
    silhouette, so the lip-sync server is told where it is."""
    cx, head = width // 2, min(width, height) // 6
    return [cx - head, round(height * 0.42 - 2 * head), cx + head, round(height * 0.42)]


def render_default_avatar(out: Path, width: int = 720, height: int = 720) -> Path:
    """A neutral, labelled presenter silhouette for accounts without an avatar."""
    img = gradient(width, height, "presenter")
    draw = ImageDraw.Draw(img)
    draw.ellipse(tuple(default_avatar_face_box(width, height)), fill=(225, 200, 180))
    cx, head = width // 2, min(width, height) // 6
    draw.rounded_rectangle((cx - 2.2 * head, height * 0.46, cx + 2.2 * head, height * 1.05), radius=head,
                           fill=(40, 60, 110))
    draw.text((16, 12), "DEFAULT AVATAR", font=_font(max(14, height // 30)), fill=(240, 240, 240))
    img.save(out, format="PNG")
    return out


def _label_overlay(out: Path, width: int, height: int) -> Path:
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    font = _font(max(14, min(width, height) // 28))
    box = draw.textbbox((0, 0), PLACEHOLDER_PRESENTER_LABEL, font=font)
    pad = 8
    draw.rectangle((0, 0, box[2] - box[0] + 3 * pad, box[3] - box[1] + 3 * pad), fill=(0, 0, 0, 150))
    draw.text((pad, pad), PLACEHOLDER_PRESENTER_LABEL, font=font, fill=(255, 230, 90, 255))
    img.save(out, format="PNG")
    return out


def _reference_input(reference: Path) -> list[str]:
    """ffmpeg input args: a video loops, a still image repeats."""
    if reference.suffix.lower() in VIDEO_SUFFIXES:
        return ["-stream_loop", "-1", "-i", str(reference)]
    return ["-loop", "1", "-framerate", "25", "-i", str(reference)]


def _fit(width: int, height: int, fps: int) -> str:
    return f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},fps={fps},setsar=1"


class LipSyncResource(settings_fields("lipsync")):
    """`render(reference, audio, out, width, height)` writes an H.264 MP4 (no audio track) of the
    presenter saying `audio`, exactly as long as the audio, and returns its provenance:
    {"engine", "model_revision", "frames", "seconds"} (the server's seconds on the clip; None where unknown)."""

    # backend, url: from the settings that feed "lipsync" (batchvideo_resources/settings.py).
    timeout_s: float = Field(default=600.0, description="per attempt; lip-sync of a long clip is slow")
    attempts: int = 3
    fps: int = 25

    @property
    def model_name(self) -> str:
        if self.backend == "http":
            return f"http:{redact(self._server_url)}"
        if self.backend == "placeholder":
            return "placeholder (no lip motion)"
        raise ValueError(f"unknown lip-sync backend {self.backend!r}; expected one of {', '.join(BACKENDS)}")

    @property
    def _server_url(self) -> str:
        return service_url(self.url, "BATCHVIDEO_LIPSYNC_URL", "lip-sync")

    def render(self, reference: Path | None, audio: Path, out: Path, width: int, height: int,
               face_box: list[int] | None = None) -> dict:
        duration_s = wav_duration_ms(audio) / 1000
        if reference is None:
            reference = render_default_avatar(out.with_name(f"{out.stem}.avatar.png"))
            face_box = default_avatar_face_box()  # the account's box belongs to its own avatar, not this one
        if self.backend == "placeholder":
            self._placeholder(reference, audio, out, width, height, duration_s)
            return {"engine": "placeholder", "model_revision": None, "frames": round(duration_s * self.fps),
                    "seconds": None}
        if self.backend == "http":
            return self._http(reference, audio, out, width, height, duration_s, face_box)
        raise ValueError(f"unknown lip-sync backend {self.backend!r}; expected one of {', '.join(BACKENDS)}")

    def _placeholder(self, reference: Path, audio: Path, out: Path, width: int, height: int,
                     duration_s: float) -> None:
        label = _label_overlay(out.with_name(f"{out.stem}.label.png"), width, height)
        wave_w, wave_h = max(64, width // 3) // 2 * 2, max(32, height // 10) // 2 * 2
        graph = (f"[0:v]{_fit(width, height, self.fps)}[bg];"
                 f"[1:a]showwaves=s={wave_w}x{wave_h}:mode=cline:rate={self.fps}:colors=white[wave];"
                 f"[bg][wave]overlay=(W-w)/2:H-h-H/12:shortest=1[v1];"
                 f"[v1][2:v]overlay=0:0,format=yuv420p[v]")
        run_ffmpeg([*_reference_input(reference), "-i", str(audio), "-loop", "1", "-i", str(label),
                    "-filter_complex", graph, "-map", "[v]", "-t", f"{duration_s:.3f}", "-an",
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", "-movflags", "+faststart", str(out)])

    def _http(self, reference: Path, audio: Path, out: Path, width: int, height: int, duration_s: float,
              face_box: list[int] | None) -> dict:
        files = {"reference": (reference.name, reference.read_bytes()), "audio": (audio.name, audio.read_bytes())}
        data = {"width": str(width), "height": str(height), "fps": str(self.fps)}
        if face_box:
            data["face_box"] = ",".join(str(int(v)) for v in face_box)
        response = request_with_retries("POST", f"{self._server_url}/lipsync", files=files, data=data,
                                        timeout=self.timeout_s, attempts=self.attempts)
        raw = out.with_name(f"{out.stem}.server.mp4")
        raw.write_bytes(response.content)
        try:
            info = probe(raw)
        except MediaError as exc:
            raise RuntimeError(f"lip-sync server returned something that is not a video "
                               f"({response.headers.get('content-type')}, {len(response.content)} bytes)") from exc
        if info.width is None:
            raise RuntimeError("lip-sync server returned a file without a video stream")
        # Pad a slightly short answer with its last frame; trim a long one.
        run_ffmpeg(["-i", str(raw), "-vf", f"{_fit(width, height, self.fps)},tpad=stop_mode=clone:stop_duration="
                    f"{max(0.0, duration_s - info.duration_s) + 1:.3f},format=yuv420p",
                    "-t", f"{duration_s:.3f}", "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
                    "-movflags", "+faststart", str(out)])
        headers = response.headers

        def number(name: str, kind):
            try:
                return kind(headers[name])
            except (KeyError, ValueError):
                return None

        return {"engine": headers.get("x-engine", "unknown (no X-Engine header)"),
                "model_revision": headers.get("x-model-revision"), "frames": number("x-frames", int),
                "seconds": number("x-seconds", float)}
