"""`dagster-daemon` as a child process on this machine, started and stopped the one way the benchmark
(`bench/backfill.py`) and the live tests need: in its own process group, so stopping it stops its code
server, run workers and step processes too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from batchvideo_resources import settings


def start_daemon(env: dict[str, str], log: Path) -> subprocess.Popen:
    """`dagster-daemon run` on the project's workspace, output appended to `log`."""
    with open(log, "a") as out:
        return subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w",
                                 str(settings.PROJECT_ROOT / "workspace.yaml")],
                                cwd=settings.PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_group(proc: subprocess.Popen, grace_s: float = 20) -> None:
    """SIGTERM the process's group, wait up to `grace_s` for the process, then SIGKILL whatever is left
    of the group (run workers and step processes outlive a daemon that exits on SIGTERM)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break  # the whole group is gone
        try:
            proc.wait(timeout=grace_s if sig == signal.SIGTERM else 10)
        except subprocess.TimeoutExpired:
            continue
