"""What every launcher of a video's run shares: the scripts sensor, `batchvideo render` and the
write-back read the same job name, run tags and priority mapping from here, outside `defs/`, so the
application never reaches into the code location's modules. Pure: no Dagster import (the sensor's
pure planner uses it too)."""

JOB_NAME = "render_video"
PARTITION_TAG = "dagster/partition"
PRIORITY_TAG = "dagster/priority"
SCRIPT_TAG = "batchvideo/script_id"
REVISION_TAG = "batchvideo/revision"
LAUNCHED_BY_TAG = "batchvideo/launched_by"
CANCEL_REASON_TAG = "batchvideo/canceled_because"
MAX_PRIORITY = 100


def run_priority(value) -> int:
    """`scripts.priority` as a run priority; a value raw SQL made unreadable counts as 0."""
    try:
        return max(-MAX_PRIORITY, min(MAX_PRIORITY, int(value)))
    except (TypeError, ValueError, OverflowError):
        return 0


def run_tags(key: str, revision: int | str, priority: int, launched_by: str | None = None) -> dict[str, str]:
    """The tags of a run rendering script `key` at `revision`: its queue priority, the script and the
    revision the `script` step must read (the partition tag is Dagster's, from the partition key)."""
    tags = {PRIORITY_TAG: str(priority), SCRIPT_TAG: key, REVISION_TAG: str(revision)}
    if launched_by:
        tags[LAUNCHED_BY_TAG] = launched_by
    return tags
