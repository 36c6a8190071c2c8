"""ffprobe/ffmpeg helpers: run with readable errors, read durations, streams and loudness.

The only place that starts ffmpeg: `run_ffmpeg` (wait for it, get its log), `read_ffmpeg` (wait for
it, get its stdout) and `start_ffmpeg` (parallel encodes that the caller waits for). Every call has a
time limit that follows the media it works on, and a hung one fails naming its inputs."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from batchvideo_media.process import (
    ProcessOutputTooLarge,
    ProcessTimeout,
    run_bounded,
    start,
    time_limit,
)


class MediaError(RuntimeError):
    """ffmpeg/ffprobe failed; the message carries the tail of its log."""


def _ffmpeg(args: list[str], loglevel: str) -> list[str]:
    return ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", loglevel, *args]


def ffmpeg_failed(returncode: int, stderr: str) -> MediaError:
    """The error for a failed ffmpeg run: its exit status and the tail of its log."""
    return MediaError(f"ffmpeg failed ({returncode}): {stderr.strip()[-1500:]}")


def ffmpeg_inputs(args: list[str]) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "-i"]


def describe(args: list[str]) -> str:
    """What an ffmpeg call works on, for its errors: its inputs."""
    inputs = ffmpeg_inputs(args)
    return f"ffmpeg on {', '.join(inputs)}" if inputs else "ffmpeg"


def work_seconds(args: list[str]) -> float | None:
    """Seconds of media an ffmpeg call processes: its longest `-t`, else its longest file input."""
    limits = []
    for i, arg in enumerate(args[:-1]):
        if arg == "-t":
            try:
                limits.append(float(args[i + 1]))
            except ValueError:
                pass
    if limits:
        return max(limits)
    durations = [_format_duration(Path(p)) for p in ffmpeg_inputs(args) if Path(p).is_file()]
    return max((d for d in durations if d is not None), default=None)


def _format_duration(path: Path) -> float | None:
    try:
        code, out, _ = run_bounded(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                                    "default=nw=1:nk=1", str(path)], what=f"ffprobe on {path}",
                                   timeout=time_limit(), capture_stdout=True)
        return float(out.decode().strip()) if code == 0 else None
    except (ProcessTimeout, ValueError):
        return None


def _bounded_ffmpeg(args: list[str], loglevel: str, timeout: float | None, capture_stdout: bool) -> tuple[bytes, str]:
    limit = timeout if timeout is not None else time_limit(work_seconds(args))
    try:
        code, out, log = run_bounded(_ffmpeg(args, loglevel), what=describe(args), timeout=limit,
                                     capture_stdout=capture_stdout)
    except (ProcessTimeout, ProcessOutputTooLarge) as exc:
        raise MediaError(str(exc)) from None
    if code != 0:
        raise ffmpeg_failed(code, log)
    return out, log


def run_ffmpeg(args: list[str], timeout: float | None = None, loglevel: str = "error") -> str:
    """Run ffmpeg to completion and return (the tail of) its log; MediaError with the log's tail on
    failure. Without `timeout`, the limit follows the media it works on (`process.time_limit`)."""
    return _bounded_ffmpeg(args, loglevel, timeout, capture_stdout=False)[1]


def read_ffmpeg(args: list[str], timeout: float | None = None) -> bytes:
    """Run ffmpeg with its output on stdout (`args` end in `-`) and return those bytes."""
    return _bounded_ffmpeg(args, "error", timeout, capture_stdout=True)[0]


def start_ffmpeg(args: list[str], loglevel: str = "error") -> subprocess.Popen:
    """Start ffmpeg without waiting (parallel encodes) as the leader of its own process group (kill it
    with `process.kill_group`): stdout discarded, stderr piped as bytes. The caller waits, reads
    stderr (`process.tail_reader`) and turns a non-zero exit into `ffmpeg_failed`."""
    return start(_ffmpeg(args, loglevel))


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
    code, out, log = _ffprobe(["-print_format", "json", "-show_format", "-show_streams", str(path)], path)
    if code != 0:
        raise MediaError(f"ffprobe failed on {path}: {log.strip()[-500:]}")
    data = json.loads(out)
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


def _ffprobe(args: list[str], path: str | Path) -> tuple[int, bytes, str]:
    try:
        return run_bounded(["ffprobe", "-v", "error", *args], what=f"ffprobe on {path}", timeout=time_limit(),
                           capture_stdout=True)
    except ProcessTimeout as exc:
        raise MediaError(str(exc)) from None


def stream_duration(path: str | Path, kind: str) -> float:
    """Duration of the first audio ('a') or video ('v') stream, from its packets."""
    _, out, _ = _ffprobe(["-select_streams", f"{kind}:0", "-show_entries", "stream=duration",
                          "-of", "default=nw=1:nk=1", str(path)], path)
    try:
        return float(out.decode().strip().splitlines()[0])
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
