"""Run workers forked from a preloaded forkserver that the code server keeps, and their steps forked from
the same one: a launched run reaches its first step in well under a second instead of ~6 s.

Dagster's code server (`dagster api grpc`) starts every run worker with the `spawn` start method: a
fresh interpreter that imports Dagster and the code location and builds the definitions again (~3 s
on 2 cores), after which the multiprocess executor starts a forkserver of its own for the steps and
preloads the same modules once more (~3 s). Both are the same preloaded state, built twice per run.

Here the code server starts one forkserver with the step processes' preload (`executors.preload_modules`)
and forks each run worker from it; the run worker then forks its step processes from that same
forkserver. Everything else stays Dagster's: the server still tracks each run worker as its
execution (so cancel and the launcher's worker health check ask it as before), the run worker runs
Dagster's own `start_run_in_subprocess`, and the executor its own step processes, pools and
termination. Only the multiprocessing context the server uses is swapped
(`dagster_compat.set_run_worker_context`).

On only in a `dagster api grpc` process (the daemon's local code server, compose's `code` service; a
Kubernetes run pod runs `dagster api execute_run` and is untouched), and only with the multiprocess
executor, the one whose steps come from this forkserver. `BATCHVIDEO_RUN_WORKERS=spawn` keeps
Dagster's own way."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
from multiprocessing import forkserver, resource_tracker

log = logging.getLogger(__name__)


def in_code_server(argv: list[str] | None = None) -> bool:
    """Whether this process is a Dagster gRPC code server (`dagster api grpc …`, also as
    `python -m dagster api grpc …`, the command the daemon and the webserver start). A process that
    multiprocessing started is not one, though it carries its parent's `sys.argv`."""
    if argv is None and multiprocessing.parent_process() is not None:
        return False
    return (argv if argv is not None else sys.argv)[1:3] == ["api", "grpc"]


def wanted() -> bool:
    """Preloaded run workers are used unless turned off, and only for the multiprocess executor."""
    from batchvideo_resources.settings import load_settings

    executor = load_settings().executor
    return executor.run_workers == "preloaded" and executor.name == "multiprocess"


def forkserver_preload() -> list[str]:
    """The modules the multiprocess executor asks its forkserver to preload, in its order: the shared
    forkserver must be the one the executor would have started."""
    from batchvideo_assets.dagster_compat import MULTIPROCESS_EXECUTOR_MODULE
    from batchvideo_assets.executors import preload_modules

    modules = preload_modules()
    return modules if MULTIPROCESS_EXECUTOR_MODULE in modules else [MULTIPROCESS_EXECUTOR_MODULE, *modules]


class PreloadedRunWorkers:
    """The multiprocessing context the code server starts run workers with: Dagster's server asks it
    for a Queue, an Event and a Process (see `DagsterApiServer.StartRun`)."""

    def __init__(self, preload: list[str]):
        self.preload = preload
        self._ctx = multiprocessing.get_context("forkserver")
        self._lock = threading.Lock()

    def start(self) -> str:
        """Start the forkserver (a no-op while it runs; a new one if it died) and return its address."""
        with self._lock:
            self._ctx.set_forkserver_preload(self.preload)
            forkserver.ensure_running()
            return forkserver._forkserver._forkserver_address

    def start_in_background(self) -> None:
        """Preload while the server comes up, so the first run does not wait for it."""
        def run() -> None:
            try:
                self.start()
            except Exception:  # the first launch starts it again and reports the error there
                log.exception("could not start the run workers' forkserver")
        threading.Thread(target=run, name="run-worker-forkserver", daemon=True).start()

    def Queue(self, *args, **kwargs):  # noqa: N802 (the multiprocessing context's names)
        return self._ctx.Queue(*args, **kwargs)

    def Event(self):  # noqa: N802
        return self._ctx.Event()

    def Process(self, target=None, args=(), kwargs=None, **process_kwargs):  # noqa: N802
        address = self.start()
        return self._ctx.Process(target=run_worker_main, args=(address, self.preload, target, tuple(args),
                                                               dict(kwargs or {})), **process_kwargs)


def run_worker_main(address: str, preload: list[str], target, args: tuple, kwargs: dict):
    """The run worker, forked from the shared forkserver: point this process's forkserver client at its
    parent, so the executor's step processes come from it too, then run Dagster's target."""
    use_parent_forkserver(address, preload)
    return target(*args, **kwargs)


def use_parent_forkserver(address: str, preload: list[str]) -> None:
    """Make `multiprocessing`'s forkserver client in this process (a child of that forkserver) use it.

    A forkserver child already holds the server's liveness pipe and resource tracker (set by the
    forkserver as it forks); it lacks only the address. `ensure_running` would try to wait on the
    server as its own child, which it is not: it is this process's parent, alive while this runs, so
    only the resource tracker is checked. An executor that asks for a different preload gets a
    forkserver of its own, as without this module."""
    server = forkserver._forkserver
    server._forkserver_address = address
    server._forkserver_pid = os.getppid()
    server._preload_modules = list(preload)
    server.ensure_running = resource_tracker.ensure_running
    set_preload = type(server).set_forkserver_preload.__get__(server)

    def set_forkserver_preload(modules_names):
        if list(modules_names) != list(preload) and server._forkserver_address == address:
            del server.ensure_running  # back to the class's: it starts a forkserver of this process's own
            server._forkserver_address = None
            server._forkserver_pid = None
        set_preload(modules_names)

    # `multiprocessing.context` calls the module-level alias, bound to the singleton at import.
    forkserver.set_forkserver_preload = set_forkserver_preload


def install() -> PreloadedRunWorkers | None:
    """In a code server: keep its run-process check alive (dagster_compat), and, when wanted, start run
    workers from the shared forkserver. Returns the context (None when not installed). Idempotent."""
    global _installed
    if not in_code_server():
        return _installed
    from batchvideo_assets.dagster_compat import keep_code_server_cleanup_alive, set_run_worker_context

    keep_code_server_cleanup_alive()  # whichever way run workers start
    if _installed is not None or not wanted():
        return _installed

    _installed = PreloadedRunWorkers(forkserver_preload())
    set_run_worker_context(_installed)
    _installed.start_in_background()
    return _installed


_installed: PreloadedRunWorkers | None = None
