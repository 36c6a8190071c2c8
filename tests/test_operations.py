"""Operating through Dagster: an edit shows exactly the affected stages as stale and re-renders only them.

A script is rendered from the sensor's request; then its `publish_title` is edited with raw SQL (as the
studio's own systems would). The sensor's facet observations make only the stages that read the
titles stale — before anything runs — and its run request re-renders only those."""

import dagster as dg
import pytest
from conftest import add
from dagster._core.definitions.data_version import CachingStaleStatusResolver
from dagster._core.loader import LoadingContextForTest
from helpers import tick_sensor
from sqlalchemy import text

from batchvideo_assets.definitions import build_definitions
from batchvideo_assets.resources import media_store
from batchvideo_resources.db import engine_for

# Renders at the small test canvas: no test here checks the frame size.
pytestmark = [pytest.mark.e2e, pytest.mark.small_canvas]
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _run(defs, instance, request) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("render_video")
    if request.asset_selection is not None:
        job = job.get_subset(asset_selection=set(request.asset_selection))
    return job.execute_in_process(instance=instance, partition_key=request.partition_key, tags=request.tags,
                                  run_config=QUIET, raise_on_error=False)


def _stale(instance, defs, partition: str) -> set[str]:
    graph = defs.resolve_asset_graph()
    resolver = CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance))
    return {k.to_user_string() for k in graph.materializable_asset_keys if resolver.get_stale_causes(k, partition)}


def test_title_edit_marks_and_rerenders_only_the_branding_stages(prepared_db, instance):
    defs = build_definitions()
    sid = add(prepared_db, title="Tides", content="The moon pulls the sea. Twice a day the water rises and falls.",
              language="en-US", account="plain")
    requests, cursor = tick_sensor(instance, prepared_db, None)
    (request,) = [r for r in requests if r.partition_key == str(sid)]
    first = _run(defs, instance, request)
    assert first.success
    assert _stale(instance, defs, str(sid)) == set()

    with engine_for(prepared_db).begin() as conn:
        conn.execute(text("UPDATE scripts SET publish_title = 'Tides, explained' WHERE id = :id"), {"id": sid})
    (edit,) = [r for r in tick_sensor(instance, prepared_db, cursor)[0] if r.partition_key == str(sid)]
    # Before anything ran. `script` re-snapshots the row, but its data version is the narration's, so
    # nothing downstream of it goes stale through it.
    assert _stale(instance, defs, str(sid)) == {"script", "logoed_video", "cover"}

    second = _run(defs, instance, edit)
    assert second.success
    ran = {e.asset_key.to_user_string() for e in second.get_asset_materialization_events()
           for e in [e.event_specific_data.materialization]}
    assert ran == {"script", "logoed_video", "cover"}
    assert _stale(instance, defs, str(sid)) == set()
    cover = media_store().read_bytes(f"jobs/{sid}/manifests/cover.json")
    assert b"Tides, explained" in cover


def test_account_logo_edit_marks_only_branding_stale_and_rerender_redoes_only_them(prepared_db, instance):
    """`accounts update --rerender`, in-process: the new logo is on the delivered video and only the stages
    that read the branding ran again."""
    from batchvideo_app.render import observe_edit, render_scripts, rerender_after_edit
    from batchvideo_resources.db import Account, session_scope

    defs = build_definitions()
    with session_scope(prepared_db) as session:
        session.add(Account(username="ops-brand", logo=None, subtitle_background="#1F3A93", extra={}))
    sid = add(prepared_db, title="Ebb", content="Low tide shows the sea floor. Then the water comes back.",
              language="en-US", account="ops-brand")
    observe_edit([sid], instance)
    (first,) = render_scripts([str(sid)], instance, in_process=True)
    assert first["status"] == "SUCCESS", first["error"]

    with engine_for(prepared_db).begin() as conn:
        conn.execute(text("UPDATE accounts SET logo = 'logo.png' WHERE username = 'ops-brand'"))
    stages = observe_edit([sid], instance)
    assert {k.to_user_string() for k in stages[str(sid)]} == {"script", "logoed_video", "cover"}
    assert _stale(instance, defs, str(sid)) == {"script", "logoed_video", "cover"}

    (again,) = rerender_after_edit(stages, instance, in_process=True)
    assert again["status"] == "SUCCESS", again["error"]
    ran = {r.asset_key.to_user_string() for r in instance.get_records_for_run(
        again["run_id"], of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
        for r in [r.event_log_entry.dagster_event]}
    assert ran == {"script", "logoed_video", "cover"}
    note = media_store().read_bytes(f"jobs/{sid}/manifests/logoed_video.json")
    assert b"logo overlaid" in note
    assert _stale(instance, defs, str(sid)) == set()
