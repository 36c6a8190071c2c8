"""The scripts sensor against real databases (SQLite and PostgreSQL at 127.0.0.1:5432)."""

import datetime as dt
import json

import dagster as dg
import pytest
from dagster._core.utils import make_new_run_id
from helpers import cursor_at_end, tick_sensor
from sqlalchemy import insert, select, text

from batchvideo_assets.defs.automation import sensors
from batchvideo_assets.facet_events import facet_observations, latest_observed
from batchvideo_resources.db import Script, engine_for, session_scope


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


def test_priority_only_touch_requests_nothing_and_a_to_b_to_a_renders_again(db_url, fresh_instance):
    (row,) = insert_rows(db_url, 1)
    (first,), cursor = tick_sensor(fresh_instance, db_url, None)
    with session_scope(db_url) as session:
        session.get(Script, row).priority = 5  # touched, but nothing a render depends on changed
    assert tick_sensor(fresh_instance, db_url, cursor)[0] == []
    original = "Script number 0 says hello."
    keys = [first.run_key]
    for content in ("Edited once.", original):  # A → B → A: each edit is a new revision, rendered
        with session_scope(db_url) as session:
            session.get(Script, row).content = content
        (request,), cursor = tick_sensor(fresh_instance, db_url, cursor)
        keys.append(request.run_key)
        assert request.tags["dagster/priority"] == "5"
    assert len(set(keys)) == 3
    assert [int(k.rsplit("-r", 1)[1]) for k in keys] == [1, 2, 3]


def test_raw_sql_update_moves_the_revision(db_url, fresh_instance):
    """The studio's own systems edit rows with plain SQL: the trigger moves the revision, no ORM needed."""
    (row,) = insert_rows(db_url, 1)
    _, cursor = tick_sensor(fresh_instance, db_url, None)
    with engine_for(db_url).begin() as conn:
        conn.execute(text("UPDATE scripts SET content = 'Changed by raw SQL.' WHERE id = :id"), {"id": row})
        revision = conn.execute(text("SELECT revision FROM scripts WHERE id = :id"), {"id": row}).scalar()
        conn.execute(text("UPDATE scripts SET priority = 9 WHERE id = :id"), {"id": row})
        assert conn.execute(text("SELECT revision FROM scripts WHERE id = :id"), {"id": row}).scalar() == revision
    assert revision == 2
    (request,), _ = tick_sensor(fresh_instance, db_url, cursor)
    assert request.tags["batchvideo/revision"] == "2" and request.partition_key == str(row)


def test_cursor_survives_a_restart_and_backlog_is_paged(db_url, fresh_instance, monkeypatch):
    monkeypatch.setattr(sensors, "PAGE_SIZE", 10)
    cursor = cursor_at_end(fresh_instance, db_url)
    ids = insert_rows(db_url, sensors.PAGE_SIZE + 7)
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
        row = session.execute(insert(Script).values(title="raw", content="Inserted by another service.",
                                                    speech_speed=1.0, is_horizontal=True, priority=3)
                              ).inserted_primary_key[0]
    (request,), cursor = tick_sensor(fresh_instance, db_url, cursor)
    # The row's own partition, at the revision the trigger gave it, at its priority; registered as a
    # partition so the run can start; and seen once: the next tick requests nothing.
    assert request.partition_key == str(row)
    assert request.tags["batchvideo/revision"] == "1" and request.tags["dagster/priority"] == "3"
    assert str(row) in fresh_instance.get_dynamic_partitions("scripts")
    assert tick_sensor(fresh_instance, db_url, cursor)[0] == []


def test_a_revision_that_already_has_a_run_is_not_requested_again(db_url, fresh_instance):
    """A run launched elsewhere (UI, `batchvideo render`) for the current revision counts as its render."""
    _, cursor = tick_sensor(fresh_instance, db_url, None)
    rendered, fresh = insert_rows(db_url, 2)
    fresh_instance.add_dynamic_partitions("scripts", [str(rendered)])
    fresh_instance.add_run(_run(rendered, revision=1, status=dg.DagsterRunStatus.SUCCESS))
    requests, cursor = tick_sensor(fresh_instance, db_url, cursor)
    assert [r.partition_key for r in requests] == [str(fresh)]

    with session_scope(db_url) as session:
        session.get(Script, rendered).content = "Edited after the other render."
    requests, _ = tick_sensor(fresh_instance, db_url, cursor)
    assert [r.partition_key for r in requests] == [str(rendered)]


def test_a_newer_revision_supersedes_a_queued_one(db_url, fresh_instance):
    (row,) = insert_rows(db_url, 1)
    _, cursor = tick_sensor(fresh_instance, db_url, None)
    queued = fresh_instance.add_run(_run(row, revision=1, status=dg.DagsterRunStatus.NOT_STARTED))
    with session_scope(db_url) as session:
        session.get(Script, row).content = "A newer revision."
    (request,), _ = tick_sensor(fresh_instance, db_url, cursor)
    assert request.tags["batchvideo/revision"] == "2"
    old = fresh_instance.get_run_by_id(queued.run_id)
    assert old.status == dg.DagsterRunStatus.CANCELED
    assert old.tags["batchvideo/canceled_because"] == "superseded by revision 2"


def test_delete_cancels_queued_runs_and_removes_the_partition_undelete_restores(db_url, fresh_instance):
    (row,) = insert_rows(db_url, 1)
    _, cursor = tick_sensor(fresh_instance, db_url, None)
    queued = fresh_instance.add_run(_run(row, revision=1, status=dg.DagsterRunStatus.NOT_STARTED))
    with session_scope(db_url) as session:
        session.get(Script, row).deleted_at = dt.datetime.now()
    requests, cursor = tick_sensor(fresh_instance, db_url, cursor)
    assert requests == []
    assert str(row) not in fresh_instance.get_dynamic_partitions("scripts")
    old = fresh_instance.get_run_by_id(queued.run_id)
    assert old.status == dg.DagsterRunStatus.CANCELED and old.tags["batchvideo/canceled_because"] == "script deleted"
    assert tick_sensor(fresh_instance, db_url, cursor)[0] == []  # handled once

    # Added back by hand (the UI's "Add a partition"), with a run queued on it: gone again next tick.
    fresh_instance.add_dynamic_partitions("scripts", [str(row)])
    readded = fresh_instance.add_run(_run(row, revision=2, status=dg.DagsterRunStatus.NOT_STARTED))
    requests, cursor = tick_sensor(fresh_instance, db_url, cursor)
    assert requests == [] and str(row) not in fresh_instance.get_dynamic_partitions("scripts")
    assert fresh_instance.get_run_by_id(readded.run_id).status == dg.DagsterRunStatus.CANCELED
    assert tick_sensor(fresh_instance, db_url, cursor)[0] == []

    with session_scope(db_url) as session:
        session.get(Script, row).deleted_at = None
    (request,), _ = tick_sensor(fresh_instance, db_url, cursor)
    assert request.partition_key == str(row) and request.tags["batchvideo/revision"] == "3"
    assert str(row) in fresh_instance.get_dynamic_partitions("scripts")


def test_a_row_with_unreadable_values_does_not_stop_the_others(db_url, fresh_instance):
    """Raw SQL wrote invalid JSON into `extra` and text into `priority`: the sensor reads neither column
    as typed data it could choke on, so every row is still requested (the bad one fails alone at render)."""
    good, bad = insert_rows(db_url, 2)
    with engine_for(db_url).begin() as conn:
        if db_url.startswith("sqlite"):  # PostgreSQL's json and integer columns refuse these values
            conn.execute(text("UPDATE scripts SET extra = '{oops', priority = 'urgent' WHERE id = :id"), {"id": bad})
        else:
            conn.execute(text("UPDATE scripts SET content = E'\\x01' WHERE id = :id"), {"id": bad})
    requests, _ = tick_sensor(fresh_instance, db_url, None)
    assert {r.partition_key for r in requests} >= {str(good), str(bad)}


def _first_render_observes(instance, url, script_id):
    """What the `script` step of a first render records: the facets it read (the baseline of later edits)."""
    from batchvideo_resources.facets import facet_digests

    with session_scope(url) as session:
        digests = facet_digests(session.get(Script, script_id))
    for event in facet_observations(str(script_id), digests):
        instance.report_runless_asset_event(event)


def _run(script_id: int, revision: int, status) -> dg.DagsterRun:
    return dg.DagsterRun(job_name="__ASSET_JOB", run_id=make_new_run_id(), status=status,
                         tags={"dagster/partition": str(script_id), "batchvideo/revision": str(revision)})


def _selection(request) -> set[str] | None:
    return None if request.asset_selection is None else {k.to_user_string() for k in request.asset_selection}


def test_an_edit_renders_only_the_stages_it_affects_and_shows_them_stale(db_url, fresh_instance):
    """Titles → the delivered video and cover; topic → storyboard, pictures and after; text → everything.
    (tests/test_operations.py renders and checks the staleness the UI shows.)"""
    from batchvideo_resources.db import Account, Topic

    (row,) = insert_rows(db_url, 1)
    (first,), cursor = tick_sensor(fresh_instance, db_url, None)
    assert _selection(first) is None  # a new script: every stage
    assert latest_observed(fresh_instance, [str(row)]) == {}  # nothing materialized: nothing observed
    _first_render_observes(fresh_instance, db_url, row)

    with session_scope(db_url) as session:
        session.get(Script, row).account = session.scalar(select(Account).where(Account.username == "demo"))
    (request,), cursor = tick_sensor(fresh_instance, db_url, cursor)
    # The account brings its logo, watermark and its subtitle style/music: branding and presentation.
    assert _selection(request) == {"script", "digital_human", "composed_video", "logoed_video", "cover"}

    with engine_for(db_url).begin() as conn:
        conn.execute(text("UPDATE scripts SET publish_title = 'A new headline' WHERE id = :id"), {"id": row})
    (request,), cursor = tick_sensor(fresh_instance, db_url, cursor)
    assert _selection(request) == {"script", "logoed_video", "cover"}

    with session_scope(db_url) as session:
        session.get(Script, row).topic = session.scalar(select(Topic).where(Topic.name == "history"))
    (request,), cursor = tick_sensor(fresh_instance, db_url, cursor)
    assert _selection(request) == {"script", "splits", "images", "broll_clips", "digital_human", "composed_video",
                                   "logoed_video", "cover"}

    with session_scope(db_url) as session:
        session.get(Script, row).speech_speed = 1.3
    (request,), cursor = tick_sensor(fresh_instance, db_url, cursor)
    assert _selection(request) is None



# ------------------------------------------------------------------ the change feed misses no edit
def test_out_of_order_commits_on_postgres_are_read_late_not_missed(pg_url, fresh_instance):
    """Transaction A takes the lower seq but commits after B's higher seq was already read."""
    from batchvideo_resources.db import upgrade

    upgrade(pg_url)
    cursor = cursor_at_end(fresh_instance, pg_url)
    values = "('ooo', 'Out of order.', 1.0, true, 0)"
    insert_sql = text(f"INSERT INTO scripts (title, content, speech_speed, is_horizontal, priority) VALUES {values} "
                      "RETURNING id")
    engine = engine_for(pg_url)
    with engine.connect() as a, engine.connect() as b:
        slow = a.execute(insert_sql).scalar()  # A's seq is taken now, not committed
        fast = b.execute(insert_sql).scalar()
        b.commit()
        seqs = dict(b.execute(text("SELECT script_id, seq FROM script_changes WHERE script_id = :i"), {"i": fast}).all())
        requests, cursor = tick_sensor(fresh_instance, pg_url, cursor)
        assert [r.partition_key for r in requests] == [str(fast)]
        assert json.loads(cursor)["feed"] >= seqs[fast]  # the mark passed A's seq: it is kept as a hole
        a.commit()
    requests, cursor = tick_sensor(fresh_instance, pg_url, cursor)
    assert [r.partition_key for r in requests] == [str(slow)]
    assert tick_sensor(fresh_instance, pg_url, cursor)[0] == []
    assert len(cursor) < 1024


def test_hard_delete_cancels_and_removes_the_partition(db_url, fresh_instance):
    cursor = cursor_at_end(fresh_instance, db_url)
    (row,) = insert_rows(db_url, 1)
    _, cursor = tick_sensor(fresh_instance, db_url, cursor)
    queued = fresh_instance.add_run(_run(row, revision=1, status=dg.DagsterRunStatus.NOT_STARTED))
    with engine_for(db_url).begin() as conn:
        conn.execute(text("DELETE FROM scripts WHERE id = :id"), {"id": row})
    requests, cursor = tick_sensor(fresh_instance, db_url, cursor)
    assert requests == []
    assert str(row) not in fresh_instance.get_dynamic_partitions("scripts")
    old = fresh_instance.get_run_by_id(queued.run_id)
    assert old.status == dg.DagsterRunStatus.CANCELED and old.tags["batchvideo/canceled_because"] == "script deleted"


def test_an_edit_during_a_tick_is_rendered_by_the_next(db_url, fresh_instance, monkeypatch):
    cursor = cursor_at_end(fresh_instance, db_url)
    (row,) = insert_rows(db_url, 1)
    real_view = sensors.instance_view

    def edit_while_planning(instance, session, changes):
        # Another writer commits after this tick read the feed, before it emits its plan.
        with engine_for(db_url).begin() as conn:
            conn.execute(text("UPDATE scripts SET content = 'Edited mid-tick.' WHERE id = :id"), {"id": row})
        return real_view(instance, session, changes)

    monkeypatch.setattr(sensors, "instance_view", edit_while_planning)
    (first,), cursor = tick_sensor(fresh_instance, db_url, cursor)
    monkeypatch.setattr(sensors, "instance_view", real_view)
    assert first.tags["batchvideo/revision"] == "1"
    (second,), cursor = tick_sensor(fresh_instance, db_url, cursor)
    assert second.tags["batchvideo/revision"] == "2"
    assert tick_sensor(fresh_instance, db_url, cursor)[0] == []


def test_old_cursors_convert_without_rendering_again(db_url, fresh_instance):
    """A cursor of the sensor before the feed (`revisions` map, or the older `(updated_at, id)`) becomes a
    feed position: what it handled is not requested again, what it had not is."""
    cursor_at_end(fresh_instance, db_url)
    handled, edited, fresh = insert_rows(db_url, 3)
    with session_scope(db_url) as session:
        session.get(Script, edited).content = "Edited after the old sensor's last tick."
    old = json.dumps({"revisions": {str(handled): 1, str(edited): 1}})
    requests, cursor = tick_sensor(fresh_instance, db_url, old)
    assert sorted(int(r.partition_key) for r in requests) == [edited, fresh]
    assert "revisions" not in cursor and len(cursor) < 1024

    done, pending = insert_rows(db_url, 2)
    older = json.dumps({"updated_at": "2026-01-01T00:00:00", "id": done})
    with dg.instance_for_test() as other:
        requests, _ = tick_sensor(other, db_url, older)
    assert [int(r.partition_key) for r in requests] == [pending]
