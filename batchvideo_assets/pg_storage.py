"""The Dagster instance's PostgreSQL storage, made cheap per run.

Creating one `render_video` run through the daemon cost about 45 new connections and 100 statements
with `dagster-postgres` as shipped: the run row and its tags, the snapshot checks, the enqueue event,
and one ASSET_MATERIALIZATION_PLANNED or ASSET_CHECK_EVALUATION_PLANNED event per stage and check (18),
each an event row, an index transaction and, for a check, a schema check and a row of its own.
py-spy on the daemon (docs/scale.md) put ~40 % of its submit threads' time in opening connections
and ~65 % in the planned events. This storage is dagster-postgres's, with three differences:

- **Pooled connections.** One pool per process and database, shared by the run, event log and schedule
  storages and by every instance the process builds (the code server builds one per sensor
  evaluation). Connections are made on demand and at most `pool_size` idle ones are kept, so a process
  keeps as many as it ever used at once: a step process or run worker one or two, the daemon's submit
  and sensor threads up to `pool_size`; `max_overflow` more open for a burst and close after it. A
  connection idle for over `IDLE_PING_S` is checked before use and replaced after
  `pool_recycle_seconds`, so a restarted PostgreSQL costs a reconnect, not an error; one handed on
  straight from another thread is not (SQLAlchemy's `pool_pre_ping` pinged at every checkout: a
  round trip of its own for each of a run creation's ~10 checkouts). A forked child drops the
  inherited pool without closing the parent's sockets.
- **Snapshot checks answered once.** A job or execution plan snapshot is stored under the hash of its
  content and never changes, so "is it stored" is asked once per process: every run creation asked it
  three times, and the plan check read and unpacked the whole plan to answer.
- **Schema checks answered once.** "Does the runs table have column X", "does table Y exist" are asked
  by dagster on every run read and every check event; a yes is kept for the process (a column or table
  never goes away under a running instance; a no is asked again, so a migration is still seen).
- **A run's planned events in one batch** when Dagster batches them (`DAGSTER_EVENT_BATCH_SIZE` > 0,
  set in the deployment's environment): three statements on one connection (the event rows, the check
  rows, one upsert of the asset key rows) instead of 18 inserts, 18 index transactions and 8 check
  inserts. Rows are the same as the one-by-one path's (tests/test_pg_storage.py compares them). Any
  other batch goes the stock way.

Configure it in dagster.yaml with the keys of `storage: postgres` and the pool's:

    storage:
      custom:
        module: batchvideo_assets.pg_storage
        class: PooledPostgresStorage
        config:
          postgres_db: {...}
          pool_size: 8
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import sqlalchemy.pool as db_pool
from dagster import DagsterEventType, Field, IntSource, serialize_value
from dagster_postgres import (
    DagsterPostgresStorage,
    PostgresEventLogStorage,
    PostgresRunStorage,
    PostgresScheduleStorage,
)
from dagster_postgres.utils import create_pg_engine, get_token_provider_from_config, pg_config, pg_url_from_config
from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql

from batchvideo_assets.dagster_compat import (
    ASSET_KEY_INDEX_COLS,
    AssetCheckExecutionRecordStatus,
    AssetCheckExecutionsTable,
    AssetKeyTable,
    SqlEventLogStorageTable,
    use_engine,
)

IDLE_PING_S = 5.0  # a connection back in the pool for longer than this is pinged before it is used
POOL_DEFAULTS = {"pool_size": 8, "max_overflow": 8, "pool_recycle_seconds": 3600}
PLANNED = {DagsterEventType.ASSET_MATERIALIZATION_PLANNED, DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED}

_lock = threading.Lock()
_engines: dict[tuple, Any] = {}


def _forget_inherited_pools() -> None:
    # The child must not use (or close) the parent's connections: drop them without closing.
    for engine in _engines.values():
        engine.dispose(close=False)
    _engines.clear()


os.register_at_fork(after_in_child=_forget_inherited_pools)


def pooled_engine(postgres_url: str, token_provider=None, *, pool_size: int = POOL_DEFAULTS["pool_size"],
                  max_overflow: int = POOL_DEFAULTS["max_overflow"],
                  pool_recycle_seconds: int = POOL_DEFAULTS["pool_recycle_seconds"]):
    """This process's pooled engine for `postgres_url` (AUTOCOMMIT, as dagster-postgres's own)."""
    # Keyed by the provider's kind, not the object: every instance built from the same config makes a new
    # (equivalent) provider, and a pool per instance would leak connections.
    key = (postgres_url, type(token_provider).__qualname__ if token_provider else None, pool_size, max_overflow,
           pool_recycle_seconds)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = create_pg_engine(
                postgres_url, token_provider, isolation_level="AUTOCOMMIT", poolclass=db_pool.QueuePool,
                pool_size=pool_size, max_overflow=max_overflow, pool_recycle=pool_recycle_seconds)
            _ping_when_idle(engine)
            _engines[key] = engine
        return engine


def _ping_when_idle(engine) -> None:
    """SQLAlchemy's pessimistic disconnect handling, only for connections that sat idle: a checkout that
    raises DisconnectionError makes the pool drop that connection and hand out a fresh one."""
    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record):  # noqa: ANN001, ARG001
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy):  # noqa: ANN001, ARG001
        if time.monotonic() - record.info.get("idle_since", time.monotonic()) <= IDLE_PING_S:
            return  # just made, or back from another thread a moment ago
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as error:  # noqa: BLE001 - any failure means: not this connection
            raise exc.DisconnectionError(str(error)) from error


def _config_type():
    return {
        **pg_config(),
        "pool_size": Field(IntSource, is_required=False, default_value=POOL_DEFAULTS["pool_size"],
                           description="Idle connections kept per process (each made on demand)."),
        "max_overflow": Field(IntSource, is_required=False, default_value=POOL_DEFAULTS["max_overflow"],
                              description="Connections beyond pool_size for a burst, closed after it."),
        "pool_recycle_seconds": Field(IntSource, is_required=False,
                                      default_value=POOL_DEFAULTS["pool_recycle_seconds"]),
    }


def _kwargs(inst_data, config_value) -> dict:
    return {"inst_data": inst_data, "postgres_url": pg_url_from_config(config_value),
            "should_autocreate_tables": config_value.get("should_autocreate_tables", True),
            "token_provider": get_token_provider_from_config(config_value),
            **{key: config_value.get(key, default) for key, default in POOL_DEFAULTS.items()}}


class _PoolConfig:
    """dagster-postgres's config keys and the pool's, for the storages below and the unified one."""

    @classmethod
    def config_type(cls):
        return _config_type()

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(**_kwargs(inst_data, config_value))


class _Pooled(_PoolConfig):
    """Swaps the storage's NullPool engine for the process's pool and remembers schema answers. First in
    each storage's bases, so its constructor and config take the pool settings beside dagster-postgres's."""

    def __init__(self, postgres_url, should_autocreate_tables=True, inst_data=None, token_provider=None, **pool):
        super().__init__(postgres_url, should_autocreate_tables, inst_data, token_provider)
        self._pool(postgres_url, token_provider, pool)

    def _pool(self, postgres_url, token_provider, pool: dict) -> None:
        use_engine(self, pooled_engine(postgres_url, token_provider, **pool))

    def _once(self, key, ask) -> bool:
        seen = self.__dict__.setdefault("_schema_yes", set())  # asked during the parent's __init__ too
        if key in seen:
            return True
        answer = ask()
        if answer:
            seen.add(key)
        return answer


class PooledPostgresRunStorage(_Pooled, PostgresRunStorage):
    # Asked three times per run creation; a snapshot's id is the hash of its content.
    def has_job_snapshot(self, job_snapshot_id: str) -> bool:
        return self._once(("snapshot", job_snapshot_id), lambda: super(PooledPostgresRunStorage, self)
                          .has_job_snapshot(job_snapshot_id))

    def has_execution_plan_snapshot(self, execution_plan_snapshot_id: str) -> bool:
        return self._once(("snapshot", execution_plan_snapshot_id), lambda: super(PooledPostgresRunStorage, self)
                          .has_execution_plan_snapshot(execution_plan_snapshot_id))

    def wipe(self) -> None:
        super().wipe()
        self.__dict__.pop("_schema_yes", None)  # the snapshots are gone

    # Asked on every run read and every run event.
    def has_run_stats_index_cols(self) -> bool:
        return self._once("run_stats_cols", super().has_run_stats_index_cols)

    def has_backfill_id_column(self) -> bool:
        return self._once("backfill_id_col", super().has_backfill_id_column)

    def has_bulk_actions_selector_cols(self) -> bool:
        return self._once("bulk_selector_cols", super().has_bulk_actions_selector_cols)

    def has_bulk_action_job_name_column(self) -> bool:
        return self._once("bulk_job_name_col", super().has_bulk_action_job_name_column)

    def has_backfill_tags_table(self) -> bool:
        return self._once("backfill_tags", super().has_backfill_tags_table)


class PooledPostgresEventLogStorage(_Pooled, PostgresEventLogStorage):
    # `supports_asset_checks` asks this for every check event; the asset key columns for every asset event.
    def has_table(self, table_name: str) -> bool:
        return self._once(("table", table_name), lambda: super(PooledPostgresEventLogStorage, self).has_table(
            table_name))

    def has_asset_key_col(self, column_name: str) -> bool:
        return self._once(("asset_key_col", column_name),
                          lambda: super(PooledPostgresEventLogStorage, self).has_asset_key_col(column_name))

    def store_event_batch(self, events) -> None:
        """A run's planned events (what `create_run` logs, batched by Dagster when DAGSTER_EVENT_BATCH_SIZE
        is set): the rows the one-by-one path writes, in three statements on one connection."""
        if len(events) < 2 or any(e.dagster_event_type not in PLANNED for e in events) \
                or not self.supports_asset_checks:
            return super().store_event_batch(events)
        with self._connect() as conn:
            ids = [row[0] for row in conn.execute(
                self.prepare_insert_event_batch(events).returning(SqlEventLogStorageTable.c.id))]
            asset_rows: dict[str, dict] = {}  # one row per asset key; the last event wins, as one by one
            check_rows = []
            for event, event_id in zip(events, ids):
                dagster_event = event.get_dagster_event()
                if event.dagster_event_type == DagsterEventType.ASSET_MATERIALIZATION_PLANNED:
                    asset_rows[dagster_event.asset_key.to_string()] = self._get_asset_entry_values(
                        event, event_id, self.has_secondary_index_cols())
                else:
                    planned = dagster_event.event_specific_data
                    keys = planned.partitions_subset.get_partition_keys() if planned.partitions_subset else [None]
                    check_rows += [dict(asset_key=planned.asset_key.to_string(), check_name=planned.check_name,
                                        partition=key, run_id=event.run_id,
                                        execution_status=AssetCheckExecutionRecordStatus.PLANNED.value,
                                        evaluation_event=serialize_value(event),
                                        evaluation_event_timestamp=self._event_insert_timestamp(event),
                                        evaluation_event_storage_id=event_id) for key in keys]
            if check_rows:
                conn.execute(AssetCheckExecutionsTable.insert().values(check_rows))
            # Every run of the job updates the same asset key rows (last run, timestamp): one upsert
            # statement (atomic on its own) holds their row locks for one round trip, not a transaction
            # of one statement per stage, and takes them in key order (concurrent runs never deadlock).
            by_columns: dict[tuple, list[dict]] = {}
            for asset_key in sorted(asset_rows):
                values = asset_rows[asset_key]
                by_columns.setdefault(tuple(sorted(values)), []).append({"asset_key": asset_key, **values})
            for columns, rows in by_columns.items():
                query = postgresql.insert(AssetKeyTable).values(rows)
                conn.execute(query.on_conflict_do_update(
                    index_elements=[AssetKeyTable.c.asset_key], set_={c: query.excluded[c] for c in columns})
                    if columns else query.on_conflict_do_nothing())

    def has_secondary_index_cols(self) -> bool:
        return self.has_secondary_index(ASSET_KEY_INDEX_COLS)


class PooledPostgresScheduleStorage(_Pooled, PostgresScheduleStorage):
    """The schedule and sensor tick storage on the process's pool."""


class PooledPostgresStorage(_PoolConfig, DagsterPostgresStorage):
    """`storage: postgres` built from the three pooled storages above (see the module's docstring)."""

    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True, inst_data=None,
                 token_provider=None, **pool):
        # DagsterPostgresStorage.__init__ builds the stock storages; these replace them, built alike.
        self.postgres_url = postgres_url
        self.should_autocreate_tables = should_autocreate_tables
        self._inst_data = inst_data
        self._run_storage = PooledPostgresRunStorage(postgres_url, should_autocreate_tables,
                                                     token_provider=token_provider, **pool)
        self._event_log_storage = PooledPostgresEventLogStorage(postgres_url, should_autocreate_tables,
                                                                token_provider=token_provider, **pool)
        self._schedule_storage = PooledPostgresScheduleStorage(postgres_url, should_autocreate_tables,
                                                               token_provider=token_provider, **pool)
        super(DagsterPostgresStorage, self).__init__()

    # The per-storage class data (unused by this Dagster release, which rehydrates the unified storage)
    # would name dagster-postgres's classes, which reject the pool keys: none is given.
    @property
    def event_storage_data(self):
        return None

    @property
    def run_storage_data(self):
        return None

    @property
    def schedule_storage_data(self):
        return None
