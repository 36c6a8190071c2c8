"""Each private Dagster symbol the product uses (batchvideo_assets/dagster_compat.py), pinned: an upgrade
that moves one, or changes how the product calls it, fails here by name."""

import importlib
import inspect
import re
from pathlib import Path

import pytest

from batchvideo_assets import dagster_compat

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", dagster_compat.__all__)
def test_each_symbol_resolves(name):
    assert getattr(dagster_compat, name) is not None


@pytest.mark.parametrize(("name", "params"), [
    ("get_workspace_from_cli_opts", {"instance", "version", "workspace_opts"}),
    ("get_daemon_statuses", {"instance", "daemon_types", "heartbeat_interval_seconds"}),
    ("get_code_location_from_workspace", {"workspace", "code_location_name"}),
    ("JobSubsetSelector", {"location_name", "repository_name", "job_name", "op_selection", "asset_selection"}),
    ("DagsterGrpcClient", {"port", "socket", "host", "use_ssl"}),
])
def test_the_product_calls_them_with_parameters_they_take(name, params):
    signature = inspect.signature(getattr(dagster_compat, name))
    assert params <= set(signature.parameters), set(params) - set(signature.parameters)


def test_the_bench_internals_resolve():
    private = dagster_compat.bench_internals()
    assert all(value is not None for value in vars(private).values())
    assert callable(private.QueuedRunCoordinatorDaemon._get_runs_to_dequeue)  # noqa: SLF001 - what bench/scale.py times


def test_the_health_check_uses_a_client_method_that_exists():
    assert callable(dagster_compat.DagsterGrpcClient.can_cancel_execution)
    assert dagster_compat.CanCancelExecutionRequest(run_id="r1").run_id == "r1"
    assert "can_cancel" in dagster_compat.CanCancelExecutionResult._fields
    assert {"RUNNING", "FAILED"} <= {s.name for s in dagster_compat.WorkerStatus}


def test_no_private_dagster_import_outside_the_compat_module():
    offenders = []
    for package in ("batchvideo_app", "batchvideo_assets", "batchvideo_resources", "batchvideo_media", "services", "bench"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "dagster_compat.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"^\s*(from|import)\s+dagster\._", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offenders, offenders


def test_the_instance_loads_the_launcher_through_it(tmp_path):
    import shutil

    import dagster as dg

    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        launcher = instance.run_launcher
        assert type(launcher).__name__ == "MonitoredRunLauncher" and launcher.supports_check_run_worker_health
    assert importlib.import_module("batchvideo_assets.run_launcher").DefaultRunLauncher is dagster_compat.DefaultRunLauncher


def test_the_step_context_still_has_the_hooks_the_script_step_uses():
    from dagster._core.execution.context.system import StepExecutionContext

    assert callable(StepExecutionContext.wipe_input_asset_version_info)
    assert {"partitions_def_name", "partition"} <= set(dagster_compat.DynamicPartitionsTable.c.keys())


def test_the_pooled_storage_overrides_and_calls_methods_that_exist():
    """batchvideo_assets/pg_storage.py answers these schema checks once and builds planned-event rows with
    these helpers of dagster-postgres's storages (tests/test_pg_storage.py runs them on PostgreSQL)."""
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    for name in ("has_run_stats_index_cols", "has_backfill_id_column", "has_bulk_actions_selector_cols",
                 "has_bulk_action_job_name_column", "has_backfill_tags_table"):
        assert callable(getattr(PostgresRunStorage, name)), name
    for name in ("has_table", "has_asset_key_col", "store_event_batch", "prepare_insert_event_batch",
                 "index_transaction", "has_secondary_index", "_event_insert_timestamp"):
        assert callable(getattr(PostgresEventLogStorage, name)), name
    assert list(inspect.signature(PostgresEventLogStorage._get_asset_entry_values).parameters) == \
        ["self", "event", "event_id", "has_asset_key_index_cols"]
    assert {"asset_key", "check_name", "partition", "run_id", "execution_status", "evaluation_event",
            "evaluation_event_timestamp", "evaluation_event_storage_id"} <= set(
        dagster_compat.AssetCheckExecutionsTable.c.keys())
    with pytest.raises(TypeError, match="keeps no `_engine`"):
        dagster_compat.use_engine(object(), None)


def test_the_code_server_starts_run_workers_with_the_context_it_keeps():
    """`set_run_worker_context` replaces `DagsterApiServer._mp_ctx`: the server must still set it in its
    constructor and start run workers only through its Queue, Event and Process."""
    server = dagster_compat.DagsterApiServer
    assert "self._mp_ctx = multiprocessing.get_context(" in inspect.getsource(server.__init__)
    start_run = inspect.getsource(server.StartRun)
    assert {"self._mp_ctx.Queue()", "self._mp_ctx.Event()", "self._mp_ctx.Process("} <= set(
        re.findall(r"self\._mp_ctx\.\w+\(\)?", start_run))
    assert "get_context(" not in start_run and "multiprocessing.Process(" not in start_run  # no other context


def test_the_multiprocess_executor_adds_its_module_to_a_forkserver_preload():
    source = inspect.getsource(importlib.import_module(dagster_compat.MULTIPROCESS_EXECUTOR_MODULE))
    assert f'"{dagster_compat.MULTIPROCESS_EXECUTOR_MODULE}" not in preload' in source
    assert "set_forkserver_preload(list(preload))" in source


def test_a_failing_check_of_run_processes_neither_kills_the_check_nor_keeps_a_stopping_server_alive():
    """The check reports an ended run process to the instance; here the instance cannot be reached (no
    ref). It is retried while the server serves, and a server asked to stop drops the ended process and
    stops (Dagster's own check raised, its thread died, and the server ran for ever)."""
    import threading
    from types import SimpleNamespace

    dagster_compat.keep_code_server_cleanup_alive()
    dagster_compat.keep_code_server_cleanup_alive()  # idempotent: wrapped once
    check = dagster_compat.DagsterApiServer._check_for_orphaned_runs
    ended = SimpleNamespace(is_alive=lambda: False, exitcode=-9)
    server = SimpleNamespace(_executions={"r1": (ended, None)}, _termination_events={"r1": threading.Event()},
                             _termination_times={}, _execution_lock=threading.Lock(),
                             _shutdown_once_executions_finish_event=threading.Event(),
                             _server_termination_event=threading.Event())
    server._clear_run = lambda run_id: dagster_compat.DagsterApiServer._clear_run(server, run_id)
    check(server)  # serving: logged, the run kept for the next tick
    assert "r1" in server._executions and not server._server_termination_event.is_set()
    server._shutdown_once_executions_finish_event.set()
    check(server)
    assert not server._executions and server._server_termination_event.is_set()
