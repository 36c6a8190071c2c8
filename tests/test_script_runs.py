"""`script_runs` write-back under concurrency: the QUEUED, RUNNING and SUCCESS sensors tick in their own
threads, and a short run's events reach them in the same second. Whatever the interleaving, the row
ends on the latest status (a CI run once saw SUCCESS overwritten by a RUNNING writer that had read the
row before SUCCESS was committed)."""

import threading
import uuid

import pytest
from sqlalchemy import event, select

from batchvideo_resources.db import ScriptRun, engine_for, session_scope
from batchvideo_resources.db.script_runs import may_follow, record_run


def test_the_forward_only_rule():
    assert may_follow("QUEUED") == ["QUEUED"]
    assert set(may_follow("RUNNING")) == {"QUEUED", "RUNNING"}
    assert set(may_follow("SUCCESS")) == {"QUEUED", "RUNNING", "SUCCESS", "FAILED", "CANCELED"}


def _outputs(status: str) -> dict | None:
    return {"v": 1} if status == "SUCCESS" else None


def _row(url: str, run_id: str) -> ScriptRun:
    with session_scope(url) as session:
        return session.scalar(select(ScriptRun).where(ScriptRun.run_id == run_id))


def _write_with_a_pause(url: str, first: str, second: str, pause_s: float = 2.0, queued_first: bool = True) -> str:
    """`first`'s writer stops for `pause_s` right after its first statement while `second`'s writer runs
    start to finish in another thread; then `first`'s writer goes on and commits. With `queued_first`
    the row exists (QUEUED) before either starts."""
    engine = engine_for(url)
    paused, second_done = threading.Event(), threading.Event()
    writer = {}

    def after(conn, cursor, statement, params, context, executemany):  # noqa: ANN001, ARG001
        if threading.get_ident() == writer.get("first") and not paused.is_set():
            paused.set()
            second_done.wait(pause_s)  # the second writer finishes, or waits on our lock until we go on

    def run_first():
        writer["first"] = threading.get_ident()
        record_run(url, script_id=7, run_id=run_id, status=first, outputs=_outputs(first))

    def run_second():
        paused.wait(10)
        record_run(url, script_id=7, run_id=run_id, status=second, outputs=_outputs(second))
        second_done.set()

    run_id = f"r-{uuid.uuid4().hex[:8]}"
    if queued_first:
        record_run(url, script_id=7, run_id=run_id, status="QUEUED")
    event.listen(engine, "after_cursor_execute", after)
    try:
        threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        event.remove(engine, "after_cursor_execute", after)
    assert paused.is_set()
    return run_id


@pytest.mark.parametrize("first,second", [("RUNNING", "SUCCESS"), ("SUCCESS", "RUNNING")])
def test_a_stale_writer_never_overwrites_a_later_status(db_url, first, second):
    row = _row(db_url, _write_with_a_pause(db_url, first, second))
    assert row.status == "SUCCESS" and row.outputs == {"v": 1} and row.finished_at is not None
    assert row.started_at is not None and row.started_at <= row.finished_at


def test_a_row_created_during_a_later_write_still_gets_it(db_url):
    # SUCCESS's UPDATE finds no row; QUEUED's writer then creates the row and commits before SUCCESS's
    # writer looks again (a CI run once ended QUEUED/RUNNING this way).
    row = _row(db_url, _write_with_a_pause(db_url, "SUCCESS", "QUEUED", queued_first=False))
    assert row.status == "SUCCESS" and row.outputs == {"v": 1} and row.finished_at is not None


def test_two_first_writes_make_one_row(db_url):
    run_id = f"r-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(4)

    def write(status):
        barrier.wait(10)
        record_run(db_url, script_id=8, run_id=run_id, status=status)

    threads = [threading.Thread(target=write, args=(s,)) for s in ("QUEUED", "RUNNING", "SUCCESS", "RUNNING")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    row = _row(db_url, run_id)
    assert row.status == "SUCCESS" and row.finished_at is not None
