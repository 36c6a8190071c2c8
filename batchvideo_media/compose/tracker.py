"""ffmpeg processes of one composition tracked as one unit: a failure stops the others, and each
records what it cost. Its own module because the encode, the mastering and the branding all run their
ffmpeg through it (it sat in `encode`, which `mastering` then had to import back)."""

from __future__ import annotations

import os
import subprocess
import threading
import time

from batchvideo_media.probe import MediaError, describe, ffmpeg_failed, start_ffmpeg, work_seconds
from batchvideo_media.process import kill_group, tail_reader, time_limit


class ProcessTracker:
    """Keeps the ffmpeg children of one composition, so a failure stops the others, and records what
    each one cost (wall, CPU, peak RSS) for metadata and the benchmark."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.procs: list[subprocess.Popen] = []
        self.failed = False
        self.stats: list[dict] = []

    def run(self, args: list[str], timeout: float | None = None, loglevel: str = "error",
            label: str = "ffmpeg") -> str:
        """Run one ffmpeg of the composition; past `timeout` (default: from the media it works on) its
        process group is killed and the composition fails naming the inputs."""
        limit = timeout if timeout is not None else time_limit(work_seconds(args))
        with self.lock:
            if self.failed:
                raise MediaError("cancelled: another part of the composition failed")
            proc = start_ffmpeg(args, loglevel)
            self.procs.append(proc)
        started = time.monotonic()
        reader = tail_reader(proc)
        timer = threading.Timer(limit, kill_group, args=(proc,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # reaps the child and tells what it cost
        except BaseException:
            kill_group(proc)
            raise
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        reader.join()
        stderr = reader.data().decode("utf-8", "replace")
        with self.lock:
            self.stats.append({"label": label, "wall_s": round(time.monotonic() - started, 3),
                               "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
                               "max_rss_mb": round(usage.ru_maxrss / 1024, 1)})
        if time.monotonic() - started >= limit and proc.returncode != 0:
            self.cancel()
            raise MediaError(f"{describe(args)} did not finish within {limit:g} s and was killed")
        if proc.returncode != 0:
            self.cancel()
            raise ffmpeg_failed(proc.returncode, stderr)
        return stderr

    def cancel(self) -> None:
        with self.lock:
            self.failed = True
            for proc in self.procs:
                if proc.poll() is None:
                    kill_group(proc)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_workers() -> int:
    """Parallel ffmpeg processes: one per core, at most 4 (each holds ~150 MB of encoder state)."""
    return max(1, min(4, available_cores()))
