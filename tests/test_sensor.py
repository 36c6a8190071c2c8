"""The scripts sensor against real databases (SQLite and PostgreSQL at 127.0.0.1:5432)."""

import datetime as dt

import dagster as dg
import pytest
from helpers import tick_sensor
from sqlalchemy import insert

from batchvideo_assets.defs.automation.sensors import PAGE_SIZE
from batchvideo_resources.db import Script, session_scope


@pytest.fixture
def fresh_instance():
    with dg.instance_for_test() as inst:
        yield inst


def insert_rows(url, n, **fields):
    with session_scope(url) as session:
        rows = [Script(title=f"t{i}", content=f"Script number {i} says hello.", speech_speed=1.0, **fields)
                for i in range(n)]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def test_new_edited_and_deleted_rows(db_url, fresh_instance):
    first, second = insert_rows(db_url, 2)
    requests, cursor = tick_sensor(fresh_instance, db_url, None)
    assert [r.partition_key for r in requests] == [str(first), str(second)]
    assert set(fresh_instance.get_dynamic_partitions("scripts")) >= {str(first), str(second)}
    keys = {r.partition_key: r.run_key for r in requests}

    assert tick_sensor(fresh_instance, db_url, cursor)[0] == []  # nothing changed → nothing requested

    with session_scope(db_url) as session:
        session.get(Script, first).content = "An edited script says something else."
    requests, cursor = tick_sensor(fresh_instance, db_url, cursor)
    assert [r.partition_key for r in requests] == [str(first)]
    assert requests[0].run_key != keys[str(first)]

    with session_scope(db_url) as session:
        session.get(Script, second).deleted_at = dt.datetime.now()
    requests, cursor = tick_sensor(fresh_instance, db_url, cursor)
    assert requests == []


def test_same_content_keeps_the_same_run_key(db_url, fresh_instance):
    (row,) = insert_rows(db_url, 1)
    (request,), cursor = tick_sensor(fresh_instance, db_url, None)
    with session_scope(db_url) as session:
        session.get(Script, row).priority = 5  # touched, but nothing a render depends on changed
    (again,), _ = tick_sensor(fresh_instance, db_url, cursor)
    assert again.run_key == request.run_key  # Dagster skips a run key it has already launched
    assert again.tags["dagster/priority"] == "5"


def test_cursor_survives_a_restart_and_backlog_is_paged(db_url, fresh_instance):
    _, cursor = tick_sensor(fresh_instance, db_url, None)
    ids = insert_rows(db_url, PAGE_SIZE + 37)
    seen = []
    ticks = 0
    while True:
        # A new context per tick, seeded only with the stored cursor string, is a daemon restart.
        requests, cursor = tick_sensor(fresh_instance, db_url, cursor)
        ticks += 1
        if not requests:
            break
        seen += [int(r.partition_key) for r in requests]
    assert seen == ids  # every row once, in order, none twice
    assert ticks == 3
    assert set(map(str, ids)) <= set(fresh_instance.get_dynamic_partitions("scripts"))


def test_rows_inserted_with_raw_sql_are_seen(db_url, fresh_instance):
    _, cursor = tick_sensor(fresh_instance, db_url, None)
    with session_scope(db_url) as session:
        session.execute(insert(Script).values(title="raw", content="Inserted by another service.",
                                              speech_speed=1.0, is_horizontal=True, priority=0))
    requests, _ = tick_sensor(fresh_instance, db_url, cursor)
    assert len(requests) == 1


def test_rows_rendered_by_the_cli_since_their_last_edit_are_not_rendered_again(db_url, fresh_instance):
    from batchvideo_resources.db.script_runs import record_run

    _, cursor = tick_sensor(fresh_instance, db_url, None)
    rendered, fresh = insert_rows(db_url, 2)
    record_run(db_url, script_id=rendered, run_id=f"cli-{rendered}-{db_url[:6]}", status="SUCCESS", outputs={})
    requests, cursor = tick_sensor(fresh_instance, db_url, cursor)
    assert [r.partition_key for r in requests] == [str(fresh)]

    with session_scope(db_url) as session:
        session.get(Script, rendered).content = "Edited after the CLI render."
    requests, _ = tick_sensor(fresh_instance, db_url, cursor)
    assert [r.partition_key for r in requests] == [str(rendered)]
