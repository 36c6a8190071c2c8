"""A live Dagster stack for the tests: dagster-webserver and dagster-daemon on loopback over a fresh
PostgreSQL instance, driven over GraphQL as the UI does. One per test session (conftest.shared_stack),
shared by the modules of the `live` xdist group: the UI test, the live-stack test and the crash test."""

import contextlib
import os
import socket
import subprocess
import time
from pathlib import Path

import httpx

from batchvideo_app.local_daemon import interruptible, start_daemon, stop_group
from batchvideo_resources import settings

VENV_BIN = Path(os.sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query, "variables": variables or {}},
                          timeout=30)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


class Stack:
    def __init__(self, port: int, procs: dict, logs: dict, folder: Path, env: dict):
        self.port, self.procs, self.logs, self.folder, self.env = port, procs, logs, folder, env
        self.home = folder / "dagster_home"
        self.scripts_url = env["BATCHVIDEO_DB_URL"]

    def restart_daemon(self, **extra_env: str) -> None:
        """Stop the daemon (its code server and run workers with it) and start it again with the stack's
        environment plus `extra_env` (the crash test points the image backend at its own server)."""
        stop_group(self.procs["daemon"], grace_s=30)
        self.start_daemon(**extra_env)

    def start_daemon(self, **extra_env: str) -> None:
        self.procs["daemon"] = start_daemon({**self.env, **extra_env}, self.folder / "daemon.log")

    def tail(self, name: str) -> str:
        if name in self.logs:
            self.logs[name].flush()
        return (self.folder / f"{name}.log").read_text()[-3000:]

    def assert_alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited:\n{self.tail(name)}"

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        return graphql(self.port, query, variables)


@contextlib.contextmanager
def live_stack(folder: Path, dagster_url: str, scripts_url: str, queue: str = "", extra_env: dict | None = None):
    """Webserver + daemon on a PostgreSQL instance (`queue`: extra instance YAML, e.g. run limits;
    `extra_env`: variables the stack's processes get besides this process's environment)."""
    home = folder / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "storage:\n  postgres:\n    postgres_url: " + dagster_url.replace("+psycopg2", "") + "\n"
        + ("" if "run_coordinator:" in queue  # the shipped local instance's own (its dequeue interval)
           else "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: QueuedRunCoordinator\n")
        + "telemetry:\n  enabled: false\n" + queue)
    env = {**os.environ, "DAGSTER_HOME": str(home), "BATCHVIDEO_DB_URL": scripts_url,
           "BATCHVIDEO_EXECUTOR": "in_process", "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    port = free_port()
    workspace = str(settings.PROJECT_ROOT / "workspace.yaml")
    logs = {"webserver": open(folder / "webserver.log", "w")}
    procs = {"webserver": subprocess.Popen(
                 interruptible([str(VENV_BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w",
                                workspace]),
                 cwd=settings.PROJECT_ROOT, env=env, stdout=logs["webserver"], stderr=subprocess.STDOUT,
                 start_new_session=True),
             "daemon": start_daemon(env, folder / "daemon.log")}
    stack = Stack(port, procs, logs, folder, env)
    try:
        deadline = time.monotonic() + 180
        while True:  # webserver up and the code location loaded
            stack.assert_alive()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=5).status_code == 200:
                    graphql(port, "{ assetNodes { id } }")
                    break
            except (httpx.HTTPError, AssertionError):
                pass
            assert time.monotonic() < deadline, f"webserver did not come up:\n{stack.tail('webserver')}"
            time.sleep(1)
        yield stack
    finally:
        for proc in procs.values():
            stop_group(proc)
        for log in logs.values():
            log.close()
