"""Why a run failed, in one line for `script_runs.error` and the CLI: the failing steps' messages."""

import dagster as dg


def run_error(instance: dg.DagsterInstance, run_id: str) -> str:
    """The first step failure's message (a bad-input Failure names the field), else the run's."""
    messages = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = record.dagster_event
        data = event.step_failure_data
        text = None
        if data.user_failure_data is not None and data.user_failure_data.description:
            text = data.user_failure_data.description
        elif data.error is not None:
            cause = data.error.cause
            text = (cause.message if cause is not None else data.error.message).strip()
        messages.append(f"{event.step_key}: {text}")
    if messages:
        return "; ".join(messages)
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE):
        return record.dagster_event.message or "run failed"
    return "run failed"
