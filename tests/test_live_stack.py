"""Operated through Dagster for real: dagster-webserver and dagster-daemon on a fresh PostgreSQL instance,
driven over GraphQL as the UI does.

- An asset backfill over two partitions (runs named `__ASSET_JOB`) is written back to `script_runs`.
- Two requests for one script (the sensor's and the backfill's) never run at once.
- A raw SQL `UPDATE` is re-rendered with the new text.
- A delete during a run cancels the run and removes the partition.
"""

import time

import pytest
from live import graphql
from sqlalchemy import text

from batchvideo_app.catalog import add_script
from batchvideo_assets.resources import media_store
from batchvideo_resources.db import engine_for, session_scope
from batchvideo_resources.layout import STAGES

# On the session's live stack (conftest.shared_stack), shared with the UI and crash tests. Soak-sized
# (six renders, five minutes): `make test-soak`.
pytestmark = [pytest.mark.ui, pytest.mark.soak]
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
LOCATION = {"repositoryLocationName": "batchvideo", "repositoryName": "__repository__"}
RUNS = """query Runs($tags: [ExecutionTag!]) { runsOrError(filter: {tags: $tags}) { ... on Runs { results {
  runId jobName status startTime endTime tags { key value } } } } }"""
BACKFILL = """mutation Backfill($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
ADD_PARTITION = """mutation Add($key: String!) { addDynamicPartition(repositorySelector: {repositoryLocationName:
  "batchvideo", repositoryName: "__repository__"}, partitionsDefName: "scripts", partitionKey: $key) { __typename } }"""
PARTITIONS = """{ assetNodeOrError(assetKey: {path: ["script"]}) { ... on AssetNode { partitionKeys } } }"""


@pytest.fixture
def stack(shared_stack):
    """The session's live stack (conftest.shared_stack): the shipped local instance's queue rules (one run
    per script), three runs at once."""
    return {"port": shared_stack.port, "scripts_url": shared_stack.scripts_url, "live": shared_stack}


STEPS = """query Steps($id: ID!) { runOrError(runId: $id) { ... on Run { stepStats { stepKey status } } } }"""


def _runs(port: int, sid: str) -> list[dict]:
    return graphql(port, RUNS, {"tags": [{"key": "dagster/partition", "value": sid}]})["runsOrError"]["results"]


def _wait(stack, what: str, ready, timeout_s: int = 480):
    deadline = time.monotonic() + timeout_s
    while True:
        value = ready()
        if value:
            return value
        stack["live"].assert_alive()
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{stack['live'].tail('daemon')}"
        time.sleep(3)


def _rows(url: str, run_ids: list[str]) -> dict[str, tuple]:
    with engine_for(url).connect() as conn:
        rows = conn.execute(text("SELECT run_id, status, status_detail FROM script_runs WHERE run_id = ANY(:ids)"),
                            {"ids": run_ids}).all()
    return {r.run_id: (r.status, r.status_detail) for r in rows}


def _tag(run: dict, key: str) -> str | None:
    return next((t["value"] for t in run["tags"] if t["key"] == key), None)


def test_backfill_edit_and_delete_through_the_daemon(stack):
    port, url = stack["port"], stack["scripts_url"]
    with session_scope(url) as session:
        ids = [str(add_script(session, {"title": title, "language": "en-US", "account": "plain", "content": body}).id)
               for title, body in (("Tides", "The moon pulls the sea. Twice a day the water rises and falls."),
                                   ("Salt", "Rivers carry salt to the sea. The sun takes the water back."))]
    a, b = ids
    for sid in ids:  # as the UI's "add partition" does, so the backfill need not wait for the sensor
        graphql(port, ADD_PARTITION, {"key": sid})
    launched = graphql(port, BACKFILL, {"params": {
        "partitionNames": ids, "fromFailure": False,
        "assetSelection": [{"path": [stage]} for stage in STAGES]}})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched

    # The backfill's runs and the sensor's (it sees the two new rows) all finish, one run per script at a time.
    def settled():
        runs = {sid: _runs(port, sid) for sid in ids}
        backfill = [r for rs in runs.values() for r in rs if _tag(r, "dagster/backfill")]
        if len(backfill) < 2 or any(r["status"] not in FINISHED for rs in runs.values() for r in rs):
            return None
        return runs
    runs = _wait(stack, "the backfill", settled)
    time.sleep(20)  # a sensor tick that would have requested more, had it judged the rows unrendered
    runs = _wait(stack, "every run", settled)
    for sid, script_runs in runs.items():
        assert all(r["status"] == "SUCCESS" for r in script_runs), script_runs
        spans = sorted((r["startTime"], r["endTime"]) for r in script_runs)
        assert all(prev_end <= start for (_, prev_end), (start, _) in zip(spans, spans[1:])), (sid, spans)
    backfill_runs = [r for rs in runs.values() for r in rs if _tag(r, "dagster/backfill")]
    assert {r["jobName"] for r in backfill_runs} == {"__ASSET_JOB"}
    every_run = [r["runId"] for rs in runs.values() for r in rs]
    rows = _wait(stack, "the write-back", lambda: (lambda got: got if len(got) == len(every_run) and all(
        s == "SUCCESS" for s, _ in got.values()) else None)(_rows(url, every_run)), timeout_s=120)
    assert set(rows) == set(every_run)

    # A raw SQL edit: rendered again, with the new text, tagged with the new revision.
    with engine_for(url).begin() as conn:
        conn.execute(text("UPDATE scripts SET content = 'Waves carry sand along the beach.' WHERE id = :id"),
                     {"id": int(a)})
    edited = _wait(stack, "the edit's run", lambda: next(
        (r for r in _runs(port, a) if _tag(r, "batchvideo/revision") == "2" and r["status"] in FINISHED), None))
    assert edited["status"] == "SUCCESS"
    # The stack renders into the tests' data folder (BATCHVIDEO_DATA_DIR is inherited).
    assert b"Waves carry sand" in media_store().read_bytes(f"jobs/{a}/manifests/srt.json")

    # A delete during a run: the run is canceled and the partition removed. The text is long enough that
    # the run is still going a sensor tick (15 s) after the delete.
    longer = " ".join(f"The tide turns again, slowly, for the {n}th time today. Then it turns back." for n in range(5, 25))
    with engine_for(url).begin() as conn:
        conn.execute(text("UPDATE scripts SET content = :text WHERE id = :id"), {"id": int(a), "text": longer})
    running = _wait(stack, "the third revision to start", lambda: next(
        (r for r in _runs(port, a) if _tag(r, "batchvideo/revision") == "3" and r["status"] in ("STARTED", *FINISHED)),
        None))
    assert running["status"] == "STARTED", running
    # Past the `script` step, which reads the row: deleted before it, the run fails there instead.
    _wait(stack, "the run's `script` step", lambda: any(
        step["stepKey"] == "script" and step["status"] == "SUCCESS"
        for step in graphql(port, STEPS, {"id": running["runId"]})["runOrError"]["stepStats"]), timeout_s=120)
    with engine_for(url).begin() as conn:
        conn.execute(text("UPDATE scripts SET deleted_at = CURRENT_TIMESTAMP WHERE id = :id"), {"id": int(a)})
    canceled = _wait(stack, "the cancel", lambda: next(
        (r for r in _runs(port, a) if r["runId"] == running["runId"] and r["status"] in FINISHED), None))
    assert canceled["status"] == "CANCELED", stack["live"].tail("daemon")
    partitions = graphql(port, PARTITIONS)["assetNodeOrError"]["partitionKeys"]
    assert a not in partitions and b in partitions
    def final_row():
        row = _rows(url, [running["runId"]]).get(running["runId"])
        return row if row and row[0] in ("SUCCESS", "FAILED", "CANCELED") else None
    status, detail = _wait(stack, "the CANCELED row", final_row, timeout_s=120)
    assert status == "CANCELED" and "script deleted" in detail
