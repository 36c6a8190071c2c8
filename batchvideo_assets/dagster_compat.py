"""Every private Dagster symbol BatchVideo uses, in one place.

Dagster keeps no compatibility promise for `dagster._*`. The project is pinned to one release (see
pyproject.toml), and each symbol below is imported here and nowhere else, so an upgrade that moves or
changes one fails at import of this module, and `tests/test_dagster_compat.py` says which, instead of a
command breaking later. What each is for:

- the run launcher's worker health check asks the code server recorded on a run whether it still
  executes it (`DefaultRunLauncher`, `CheckRunHealthResult`, `WorkerStatus`, `GRPC_INFO_TAG`, the gRPC
  client and its request/result types);
- `batchvideo render` loads the workspace and submits runs as `dagster job launch` does (`cli_target`
  helpers, `JobSubsetSelector`) and asks whether a daemon is running (`get_daemon_statuses`);
- the scripts sensor records facet observations with a data version (`DATA_VERSION_TAG`) and asks which
  of a page's partitions exist in one indexed query (`DynamicPartitionsTable`, `SqlEventLogStorage`: the
  public calls list every partition or make a round trip per key);
- the `script` step records the facets it read during the step (`forget_input_version`);
- the pooled PostgreSQL storage (`pg_storage`) hands dagster-postgres's run, event log and schedule
  storages its engine (`use_engine`: they keep it in `_engine` and open every connection from it), and
  writes a run's planned events in one batch: the event log, asset key and asset check tables
  (`SqlEventLogStorageTable`, `AssetKeyTable`, `AssetCheckExecutionsTable`,
  `AssetCheckExecutionRecordStatus`, the asset key index columns' migration name `ASSET_KEY_INDEX_COLS`) and the storage's own row builders (`prepare_insert_event_batch`,
  `_get_asset_entry_values`, `_event_insert_timestamp`);
- the code server starts run workers from a preloaded forkserver (`batchvideo_assets/run_workers.py`):
  `DagsterApiServer` keeps the multiprocessing context it starts them with in `_mp_ctx` (set to
  `spawn` in its constructor), and the multiprocess executor adds its own module to a forkserver's
  preload (`MULTIPROCESS_EXECUTOR_MODULE`);
- the code server's check of its run processes is kept from dying on an error
  (`keep_code_server_cleanup_alive`: `DagsterApiServer._check_for_orphaned_runs` and the fields it uses).
"""

import logging
from types import SimpleNamespace

from dagster._cli.workspace.cli_target import (
    WorkspaceOpts,
    get_code_location_from_workspace,
    get_remote_job_from_remote_repo,
    get_remote_repository_from_code_location,
    get_workspace_from_cli_opts,
)
from dagster._core.definitions.data_version import DATA_VERSION_TAG
from dagster._core.definitions.executor_definition import IN_PROC_CONFIG, _core_in_process_executor_creation
from dagster._core.definitions.selector import JobSubsetSelector
from dagster._core.errors import DagsterExecutionInterruptedError, DagsterUserCodeUnreachableError
from dagster._core.executor.in_process import InProcessExecutor
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.migration import ASSET_KEY_INDEX_COLS
from dagster._core.storage.event_log.schema import (
    AssetCheckExecutionsTable,
    AssetKeyTable,
    DynamicPartitionsTable,
    SqlEventLogStorageTable,
)
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage
from dagster._core.storage.tags import GRPC_INFO_TAG
from dagster._daemon.controller import get_daemon_statuses
from dagster._grpc.client import DagsterGrpcClient
from dagster._grpc.server import DagsterApiServer
from dagster._grpc.types import CanCancelExecutionRequest, CanCancelExecutionResult
from dagster._serdes import deserialize_value
from dagster._utils.interrupts import check_captured_interrupt


def forget_input_version(context, asset_key) -> None:
    """Drop the input data version Dagster cached for `asset_key` when the step started, so an observation
    this step logs itself is what its provenance names (the step context's own hook for that case)."""
    step = getattr(context.op_execution_context, "_step_execution_context", None)
    if step is not None:
        step.wipe_input_asset_version_info(asset_key)


def use_engine(storage, engine) -> None:
    """Make a dagster-postgres storage open its connections from `engine` (it builds a NullPool engine
    of its own in `__init__`, kept in `_engine`, and every statement connects through it)."""
    if not hasattr(storage, "_engine"):
        raise TypeError(f"{type(storage).__name__} keeps no `_engine`: this Dagster release changed it")
    storage._engine = engine  # noqa: SLF001 - the one place this private attribute is set


# `MultiprocessExecutor.execute` prepends this module to a forkserver's preload when it is missing.
MULTIPROCESS_EXECUTOR_MODULE = "dagster._core.executor.multiprocess"


def set_run_worker_context(context) -> None:
    """Make every Dagster code server in this process start its run workers with `context` (an object
    with the `Queue`, `Event` and `Process` of a multiprocessing context) instead of `spawn`.

    `DagsterApiServer.__init__` assigns `self._mp_ctx`; a property on the class takes precedence over
    that instance attribute, so it applies to a server already constructed (the code location is
    imported while the server is being built) and ignores the constructor's assignment."""
    DagsterApiServer._mp_ctx = property(lambda self: context, lambda self, value: None)


def keep_code_server_cleanup_alive() -> None:
    """Dagster's code server checks its run processes every 0.5 s in one thread, the same thread that stops
    the server once it is asked to (heartbeat lost, shutdown) and no run is left. An error in that check
    (a run process ended while the instance's database was unreachable: it reports the crash there) ends
    the thread for good: no later crash is reported and the server never stops (a code server left
    running for ever, seen after every test whose database was dropped under it). Here the error is
    logged and the check runs again on the next tick; a server asked to stop drops its ended run
    processes (run monitoring reports their crash from the daemon) and stops. Idempotent."""
    original = DagsterApiServer._check_for_orphaned_runs
    if getattr(original, "keeps_alive", False):
        return

    def checked(self) -> None:
        try:
            original(self)
        except Exception:  # noqa: BLE001 - whatever it was, the thread must live
            logging.getLogger(__name__).warning("code server: checking its run processes failed; "
                                                "checked again on the next tick", exc_info=True)
            if self._shutdown_once_executions_finish_event.is_set():
                with self._execution_lock:
                    for run_id in [run_id for run_id, (process, _) in self._executions.items()
                                   if not process.is_alive()]:
                        self._clear_run(run_id)
                    if not self._executions:
                        self._server_termination_event.set()

    checked.keeps_alive = True
    DagsterApiServer._check_for_orphaned_runs = checked


def bench_internals() -> SimpleNamespace:
    """The daemon and backfill internals `bench/scale.py` measures with (the queue daemon's dequeue pass,
    a hand-made backfill, run ids). Imported when called, so loading the code location does not load
    the daemon's modules."""
    from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
    from dagster._core.definitions.events import AssetKeyPartitionKey
    from dagster._core.execution.backfill import PartitionBackfill
    from dagster._core.utils import make_new_backfill_id, make_new_run_id
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

    return SimpleNamespace(AssetGraphSubset=AssetGraphSubset, AssetKeyPartitionKey=AssetKeyPartitionKey,
                           PartitionBackfill=PartitionBackfill, make_new_backfill_id=make_new_backfill_id,
                           make_new_run_id=make_new_run_id, QueuedRunCoordinatorDaemon=QueuedRunCoordinatorDaemon)

__all__ = [
    "bench_internals", "keep_code_server_cleanup_alive",
    "ASSET_KEY_INDEX_COLS", "AssetCheckExecutionRecordStatus", "AssetCheckExecutionsTable", "AssetKeyTable", "SqlEventLogStorageTable",
    "DATA_VERSION_TAG", "DynamicPartitionsTable", "SqlEventLogStorage", "forget_input_version", "GRPC_INFO_TAG", "CanCancelExecutionRequest", "CanCancelExecutionResult",
    "DagsterApiServer", "MULTIPROCESS_EXECUTOR_MODULE", "set_run_worker_context",
    "CheckRunHealthResult", "DagsterGrpcClient", "DagsterUserCodeUnreachableError", "DefaultRunLauncher",
    "JobSubsetSelector", "use_engine", "WorkerStatus", "WorkspaceOpts", "deserialize_value", "get_code_location_from_workspace",
    "get_daemon_statuses", "get_remote_job_from_remote_repo", "get_remote_repository_from_code_location",
    "get_workspace_from_cli_opts", "IN_PROC_CONFIG", "_core_in_process_executor_creation",
    "DagsterExecutionInterruptedError", "InProcessExecutor", "check_captured_interrupt",
]
