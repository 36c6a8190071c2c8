"""External programs (ffmpeg, ffprobe, espeak-ng, fontconfig) started with a time limit and bounded output.

A child that hangs (ffmpeg looping over an input it cannot decode spins forever and logs without end)
is killed with its whole process group when its time is up, and only the tail of its log is kept, so
neither the wait nor the memory of the caller grows without bound. Limits follow the work: a floor
plus a few seconds per second of media, capped (`configure_limits`, from the settings)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from dataclasses import dataclass
from typing import IO


@dataclass
class ProcessLimits:
    floor_s: float = 60.0  # any call, however small its input (probing, one frame)
    per_media_s: float = 10.0  # seconds allowed per second of media processed (encodes on few cores)
    cap_s: float = 3600.0  # no call runs longer, whatever its input
    log_bytes: int = 1 << 20  # tail of stderr kept (summaries such as ebur128's come last)
    output_bytes: int = 1 << 30  # stdout a caller may read (decoded PCM)


LIMITS = ProcessLimits()


def configure_limits(floor_s: float | None = None, cap_s: float | None = None) -> None:
    """Apply the configured limits (BATCHVIDEO_PROCESS_*) in this process."""
    if floor_s is not None:
        LIMITS.floor_s = floor_s
    if cap_s is not None:
        LIMITS.cap_s = cap_s


def time_limit(media_s: float | None = None) -> float:
    """Wall-clock limit for a call that processes `media_s` seconds of media (None: unknown, the floor)."""
    return min(LIMITS.cap_s, LIMITS.floor_s + LIMITS.per_media_s * max(0.0, media_s or 0.0))


class ProcessTimeout(RuntimeError):
    """A child ran past its time limit and was killed; the message names what it was working on."""


class ProcessOutputTooLarge(RuntimeError):
    """A child wrote more to stdout than a caller may hold; it was killed."""


class _Reader(threading.Thread):
    """Drains a pipe so the child never blocks on it; keeps the tail (or, with `whole`, all up to a limit)."""

    def __init__(self, pipe: IO[bytes], limit: int, whole: bool, on_overflow=None):
        super().__init__(daemon=True)
        self.pipe, self.limit, self.whole, self.on_overflow = pipe, limit, whole, on_overflow
        self.chunks: list[bytes] = []
        self.size = 0
        self.overflowed = False

    def run(self) -> None:
        for chunk in iter(lambda: self.pipe.read(65536), b""):
            if self.whole and self.size + len(chunk) > self.limit:
                self.overflowed = True
                if self.on_overflow:
                    self.on_overflow()
                break
            self.chunks.append(chunk)
            self.size += len(chunk)
            while not self.whole and self.size - len(self.chunks[0]) >= self.limit:
                self.size -= len(self.chunks.pop(0))
        self.pipe.close()

    def data(self) -> bytes:
        data = b"".join(self.chunks)
        return data if self.whole else data[-self.limit:]


def kill_group(proc: subprocess.Popen) -> None:
    """Kill the child and anything it started (it leads its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def start(cmd: list[str], *, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL) -> subprocess.Popen:
    """Start `cmd` as the leader of a new process group, stderr piped (bytes)."""
    return subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, start_new_session=True)


def tail_reader(proc: subprocess.Popen) -> _Reader:
    reader = _Reader(proc.stderr, LIMITS.log_bytes, whole=False)
    reader.start()
    return reader


def run_bounded(cmd: list[str], *, what: str, timeout: float, input: bytes | None = None,
                capture_stdout: bool = False) -> tuple[int, bytes, str]:
    """Run `cmd` to completion within `timeout` seconds: (exit status, stdout, tail of stderr).

    Past the limit, or when the caller is interrupted (a terminated step), the child's process group
    is killed; a timeout raises ProcessTimeout naming `what`."""
    proc = start(cmd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                 stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL)
    errors = tail_reader(proc)
    output = None
    if capture_stdout:
        output = _Reader(proc.stdout, LIMITS.output_bytes, whole=True, on_overflow=lambda: kill_group(proc))
        output.start()
    try:
        if input is not None:
            feeder = threading.Thread(target=_feed, args=(proc.stdin, input), daemon=True)
            feeder.start()
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        proc.wait()
        raise ProcessTimeout(f"{what} did not finish within {timeout:g} s and was killed") from None
    except BaseException:
        kill_group(proc)
        proc.wait()
        raise
    finally:
        errors.join(5)
        if output is not None:
            output.join(5)
    if output is not None and output.overflowed:
        raise ProcessOutputTooLarge(f"{what} wrote more than {LIMITS.output_bytes} bytes and was killed")
    return proc.returncode, output.data() if output is not None else b"", errors.data().decode("utf-8", "replace")


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError):
        pass
