"""Dagster's default run launcher, plus the worker health check that run monitoring needs.

The default launcher starts each run in a subprocess of a code server. If that code server dies with its
run worker (`kill -9` of the daemon that started it, a crashed laptop, a restarted code-location
container), nothing marks the run failed: run monitoring only checks workers whose launcher can say
whether they are alive, and the default one cannot. The run then stays STARTED forever, holds its queue
slot and its script's `dagster/partition` slot, and `script_runs` says RUNNING.

This launcher answers the question by asking the code server recorded on the run (its `dagster/grpc_info`
tag) whether it still executes the run: the same call the UI's Terminate uses, so it works across
containers, not only on one machine. A worker is reported dead only when two checks in a row, one
monitoring interval apart, find its server unreachable or without the run, so one slow answer never
fails a run. The server must be a plain `dagster api grpc` server (what the daemon starts locally, and
the compose `code` service): the `code-server start` proxy answers from whichever child is current,
and after a reload would disown runs an older child still executes. Run monitoring then marks the run
failed, which frees its slots; the run-failure sensor writes the FAILED row; and `run_retries`
(whole-run failures only) re-executes it from the failed step."""

from __future__ import annotations

import json
import time

from dagster import DagsterRun

from batchvideo_assets.dagster_compat import (
    GRPC_INFO_TAG,
    CanCancelExecutionRequest,
    CanCancelExecutionResult,
    CheckRunHealthResult,
    DagsterGrpcClient,
    DagsterUserCodeUnreachableError,
    DefaultRunLauncher,
    WorkerStatus,
    deserialize_value,
)

HEALTH_TIMEOUT_S = 10
FORGET_AFTER_S = 3600


class MonitoredRunLauncher(DefaultRunLauncher):
    def __init__(self, inst_data=None):
        super().__init__(inst_data=inst_data)
        self._missed_once: dict[str, float] = {}  # run id → when a check first found its worker missing

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        now = time.monotonic()
        for run_id in [r for r, since in self._missed_once.items() if now - since > FORGET_AFTER_S]:
            del self._missed_once[run_id]  # runs that missed once and then finished are never checked again
        missing = self._worker_missing(run)
        if missing is None:
            self._missed_once.pop(run.run_id, None)
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        if run.run_id not in self._missed_once:
            # Seen missing once: confirmed (or not) at the next monitoring pass before the run is failed.
            self._missed_once[run.run_id] = now
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"unconfirmed: {missing}", transient=True)
        del self._missed_once[run.run_id]
        return CheckRunHealthResult(WorkerStatus.FAILED, missing)

    def _worker_missing(self, run: DagsterRun) -> str | None:
        """Why the run's worker is gone, or None when it runs (or this cannot tell)."""
        info = run.tags.get(GRPC_INFO_TAG)
        if not info:
            return None  # not launched through a code server: nothing to ask
        where = json.loads(info)
        client = DagsterGrpcClient(port=where.get("port"), socket=where.get("socket"), host=where.get("host"),
                                   use_ssl=bool(where.get("use_ssl", False)))
        address = where.get("socket") or f"{where.get('host')}:{where.get('port')}"
        try:
            result = deserialize_value(
                client.can_cancel_execution(CanCancelExecutionRequest(run_id=run.run_id), timeout=HEALTH_TIMEOUT_S),
                CanCancelExecutionResult)
        except DagsterUserCodeUnreachableError:
            return f"the code server that ran this run ({address}) is gone, and its run worker with it"
        if result.can_cancel:
            return None
        # The server is up but no longer executes the run. Re-read the run: it may have just finished.
        latest = self._instance.get_run_by_id(run.run_id) if self.has_instance else None
        if latest is not None and latest.is_finished:
            return None
        return f"the code server at {address} no longer executes this run: its run worker died"
