"""`script_runs`: run status written back for the business side (no Dagster reading required)."""

from __future__ import annotations


from sqlalchemy import select

from batchvideo_resources.db import ScriptRun, session_scope
from batchvideo_resources.db.models import utcnow

FINAL = {"SUCCESS", "FAILED"}


def record_run(db_url: str, *, script_id: int, run_id: str, status: str, error: str | None = None,
               outputs: dict | None = None, detail: str | None = None) -> None:
    """Upsert the row for `run_id`; a final status is never overwritten by a late RUNNING."""
    now = utcnow()
    with session_scope(db_url) as session:
        row = session.scalar(select(ScriptRun).where(ScriptRun.run_id == run_id))
        if row is None:
            row = ScriptRun(script_id=script_id, run_id=run_id, status=status)
            session.add(row)
        elif row.status in FINAL and status not in FINAL:
            return
        row.status = status
        row.status_detail = detail
        if status == "RUNNING" and row.started_at is None:
            row.started_at = now
        if status in FINAL:
            row.finished_at = now
            row.started_at = row.started_at or now
        if error is not None:
            row.error = error[:4000]
        if outputs is not None:
            row.outputs = outputs


def latest_run(db_url: str, script_id: int) -> ScriptRun | None:
    with session_scope(db_url) as session:
        return session.scalar(select(ScriptRun).where(ScriptRun.script_id == script_id)
                              .order_by(ScriptRun.id.desc()).limit(1))
