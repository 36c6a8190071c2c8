"""Materialize every asset of some script partitions on the configured Dagster instance."""

from __future__ import annotations

import dagster as dg

from batchvideo_assets.outputs import collect_outputs, run_error
from batchvideo_assets.partitions import scripts_partitions
from batchvideo_assets.resources import media_store
from batchvideo_assets.writeback import record_run
from batchvideo_resources import settings

# The run's full event log stays in the instance (and the UI); the terminal only gets warnings.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def render_scripts(script_ids: list[str], instance: dg.DagsterInstance | None = None,
                   defs: dg.Definitions | None = None) -> list[dict]:
    from batchvideo_assets.definitions import build_definitions

    defs = defs or build_definitions()
    instance = instance or dg.DagsterInstance.get()
    job = defs.resolve_job_def("render_video")
    media = media_store()
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
