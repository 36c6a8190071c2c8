"""Materialize every asset of some script partitions on the configured Dagster instance."""

from __future__ import annotations

import dagster as dg

from batchvideo_assets.partitions import scripts_partitions
from batchvideo_assets.run_errors import run_error
from batchvideo_resources import settings
from batchvideo_resources.db.script_runs import record_run
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.outputs import collect_outputs

# The run's full event log stays in the instance (and the UI); the terminal only gets warnings.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def render_scripts(script_ids: list[str], instance: dg.DagsterInstance | None = None,
                   defs: dg.Definitions | None = None) -> list[dict]:
    from batchvideo_assets.definitions import build_definitions

    defs = defs or build_definitions()
    instance = instance or dg.DagsterInstance.get()
    job = defs.resolve_job_def("render_video")
    media = MediaStore()
    results = []
    for raw in script_ids:
        script_id = str(raw).strip()
        if not instance.has_dynamic_partition(scripts_partitions.name, script_id):
            instance.add_dynamic_partitions(scripts_partitions.name, [script_id])
        result = job.execute_in_process(
            instance=instance, partition_key=script_id, raise_on_error=False, run_config=QUIET_CONSOLE,
            tags={"batchvideo/script_id": script_id, "batchvideo/launched_by": "cli"})
        status = "SUCCESS" if result.success else "FAILED"
        error = None if result.success else run_error(instance, result.run_id)
        outputs = collect_outputs(media, script_id) if result.success else {}
        if script_id.isdigit():
            record_run(settings.db_url(), script_id=int(script_id), run_id=result.run_id, status=status,
                       error=error, outputs=outputs)
        results.append({"id": script_id, "status": status, "outputs": outputs, "error": error,
                        "run_id": result.run_id})
    return results


def rerender_after_edit(script_ids: list[int]) -> list[dict]:
    """Render again the scripts an account/topic edit affects, when the user asked (`update --rerender`).

    For now a full render of each, like `batchvideo render`; it is the one place to re-point once edits
    become run requests keyed by the database revision (only the stages the edit touches re-run)."""
    return render_scripts([str(script_id) for script_id in script_ids])
