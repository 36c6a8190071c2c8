"""`dagster-daemon` as a child process on this machine, started and stopped the one way the benchmarks
(`bench/backfill.py`, `bench/scale.py`) and the live tests need: in its own process group, so stopping it
stops its code server, run workers and step processes too. Or, as docker-compose and Kubernetes run it,
with the code location as its own server (`start_code_server`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from batchvideo_resources import settings


def _dagster(name: str = "dagster") -> str:
    return str(Path(sys.executable).parent / name)


def interruptible(command: list[str]) -> list[str]:
    """`command`, started with SIGINT and SIGTERM at their defaults. A shell starts a background command
    (`cmd &`, without job control) with SIGINT ignored, and every child inherits that; Dagster's CLIs then
    give SIGTERM "SIGINT's handler", which is to ignore it, so a daemon or code server started that way
    ignored the SIGTERM that should stop it gracefully. (A small exec wrapper rather than a function run
    between fork and exec, which Python calls unsafe in a process with threads.)"""
    return [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
            "signal.signal(signal.SIGTERM, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])", *command]


def start_daemon(env: dict[str, str], log: Path, workspace: Path | None = None) -> subprocess.Popen:
    """`dagster-daemon run` on the project's workspace (or `workspace`), output appended to `log`."""
    with open(log, "a") as out:
        return subprocess.Popen(interruptible([_dagster("dagster-daemon"), "run", "-w",
                                               str(workspace or settings.PROJECT_ROOT / "workspace.yaml")]),
                                cwd=settings.PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def start_code_server(env: dict[str, str], log: Path, folder: Path, timeout_s: float = 180,
                      ) -> tuple[subprocess.Popen, Path]:
    """The code location as its own `dagster api grpc` server on a free loopback port, as docker-compose's
    `code` service runs it, and a workspace file in `folder` that points a daemon at it. Such a server has
    no heartbeat to lose: one the daemon spawns itself stops when the daemon sends none for 20 s (fixed
    in Dagster), which a daemon busy queueing a backlog of thousands misses every minute or so, and the
    server's restart (definitions, forkserver) costs the daemon more time again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(log, "a") as out:
        server = subprocess.Popen(interruptible([_dagster(), "api", "grpc", "-h", "127.0.0.1", "-p", str(port),
                                                 "-m", "batchvideo_assets.definitions", "--location-name",
                                                 "batchvideo"]),
                                  cwd=settings.PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    deadline = time.monotonic() + timeout_s
    # Dagster's health check is a Python start of its own (seconds of CPU on a busy machine): asked only
    # once the port accepts connections, not once a second from the server's start.
    while not (_listening(port) and subprocess.run([_dagster(), "api", "grpc-health-check", "-p", str(port)],
                                                   capture_output=True, env=env).returncode == 0):
        if server.poll() is not None or time.monotonic() > deadline:
            stop_group(server)
            raise RuntimeError(f"the code server did not come up:\n{log.read_text()[-2000:]}")
        time.sleep(1)
    workspace = folder / "workspace.yaml"
    workspace.write_text(f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {port}\n"
                         "      location_name: batchvideo\n")
    return server, workspace


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def stop_group(proc: subprocess.Popen, grace_s: float = 20) -> None:
    """SIGTERM the process's group, wait up to `grace_s` for the process, then SIGKILL whatever is left
    of the group (run workers and step processes outlive a daemon that exits on SIGTERM). A process that
    does not lead a group of its own (started without `start_new_session`) is signalled alone."""
    try:
        leads = os.getpgid(proc.pid) == proc.pid
    except ProcessLookupError:
        leads = True  # already reaped: what is left of its group, if it led one
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            if leads:
                os.killpg(proc.pid, sig)
            elif proc.poll() is None:
                proc.send_signal(sig)
            else:
                break
        except ProcessLookupError:
            break  # the whole group is gone
        try:
            proc.wait(timeout=grace_s if sig == signal.SIGTERM else 10)
        except subprocess.TimeoutExpired:
            continue
