"""ffprobe/ffmpeg helpers: run with readable errors, read durations, streams and loudness.

The only place that starts ffmpeg: `run_ffmpeg` (wait for it, get its log), `read_ffmpeg` (wait for
it, get its stdout) and `start_ffmpeg` (parallel encodes that the caller waits for)."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path


class MediaError(RuntimeError):
    """ffmpeg/ffprobe failed; the message carries the tail of its log."""


def _ffmpeg(args: list[str], loglevel: str) -> list[str]:
    return ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", loglevel, *args]


def ffmpeg_failed(returncode: int, stderr: str) -> MediaError:
    """The error for a failed ffmpeg run: its exit status and the tail of its log."""
    return MediaError(f"ffmpeg failed ({returncode}): {stderr.strip()[-1500:]}")


def run_ffmpeg(args: list[str], timeout: float | None = None, loglevel: str = "error") -> str:
    """Run ffmpeg to completion and return its log (stderr); MediaError with the log's tail on failure."""
    proc = subprocess.run(_ffmpeg(args, loglevel), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise ffmpeg_failed(proc.returncode, proc.stderr)
    return proc.stderr


def read_ffmpeg(args: list[str], timeout: float | None = None) -> bytes:
    """Run ffmpeg with its output on stdout (`args` end in `-`) and return those bytes."""
    proc = subprocess.run(_ffmpeg(args, "error"), capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        raise ffmpeg_failed(proc.returncode, proc.stderr.decode("utf-8", "replace"))
    return proc.stdout


def start_ffmpeg(args: list[str], loglevel: str = "error") -> subprocess.Popen:
    """Start ffmpeg without waiting (parallel encodes): stdout discarded, stderr piped as bytes.
    The caller waits, reads stderr and turns a non-zero exit into `ffmpeg_failed`."""
    return subprocess.Popen(_ffmpeg(args, loglevel), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@dataclass
class MediaInfo:
    duration_s: float
    width: int | None
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    pix_fmt: str | None
    size_bytes: int
    streams: list[dict]


def probe(path: str | Path) -> MediaInfo:
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True, text=True)
    if proc.returncode != 0:
        raise MediaError(f"ffprobe failed on {path}: {proc.stderr.strip()[-500:]}")
    data = json.loads(proc.stdout)
    streams = data.get("streams", [])
    video = next((s for s in streams if s["codec_type"] == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    audio = next((s for s in streams if s["codec_type"] == "audio"), None)
    return MediaInfo(
        duration_s=float(data.get("format", {}).get("duration", 0.0)),
        width=int(video["width"]) if video else None,
        height=int(video["height"]) if video else None,
        video_codec=video["codec_name"] if video else None,
        audio_codec=audio["codec_name"] if audio else None,
        pix_fmt=video.get("pix_fmt") if video else None,
        size_bytes=int(data.get("format", {}).get("size", 0)),
        streams=streams,
    )


def stream_duration(path: str | Path, kind: str) -> float:
    """Duration of the first audio ('a') or video ('v') stream, from its packets."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", f"{kind}:0", "-show_entries",
         "stream=duration", "-of", "default=nw=1:nk=1", str(path)], capture_output=True, text=True)
    try:
        return float(proc.stdout.strip().splitlines()[0])
    except (ValueError, IndexError) as exc:
        raise MediaError(f"no {kind} stream duration in {path}") from exc


def parse_ebur128(stderr: str) -> dict:
    """The summary the `ebur128` filter logs at the end of a run (the last one, if there are several)."""
    summary = stderr[stderr.rfind("Summary:"):] if "Summary:" in stderr else ""

    def value(label: str, after: str = "") -> float | None:
        text = summary[summary.find(after):] if after and after in summary else summary
        match = re.search(rf"{label}:\s*(-?inf|-?[0-9.]+)", text)
        return float(match.group(1)) if match else None

    integrated = value("I")
    if integrated is None:
        raise MediaError(f"no loudness summary in ffmpeg output: {stderr.strip()[-300:]}")
    return {"integrated_lufs": integrated, "threshold": value("Threshold"), "lra": value("LRA") or 0.0,
            "true_peak_db": value("Peak", "True peak")}


def measure_loudness(path: str | Path) -> dict:
    """Integrated loudness (LUFS), true peak (dBTP), LRA and gating threshold of the first audio
    stream (EBU R128 / ITU-R BS.1770, ffmpeg's ebur128 filter)."""
    log = run_ffmpeg(["-nostats", "-i", str(path), "-map", "0:a:0", "-af", "ebur128=framelog=verbose:peak=true",
                      "-f", "null", "-"], loglevel="info")
    return parse_ebur128(log)
