"""`script_runs`: run status written back for the business side (no Dagster reading required)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from batchvideo_resources.db import ScriptRun, session_scope
from batchvideo_resources.db.models import utcnow
from batchvideo_resources.redaction import redact

FINAL = {"SUCCESS", "FAILED", "CANCELED"}
# Status only moves forward: sensors for different run events may be evaluated in any order
# (and a daemon restart may replay one), so a late QUEUED never hides RUNNING, nor RUNNING a final one.
RANK = {"QUEUED": 0, "RUNNING": 1, "SUCCESS": 2, "FAILED": 2, "CANCELED": 2}


def record_run(db_url: str, *, script_id: int, run_id: str, status: str, error: str | None = None,
               outputs: dict | None = None, detail: str | None = None) -> None:
    """Upsert the row for `run_id`; status never moves backwards (QUEUED → RUNNING → SUCCESS/FAILED/CANCELED).

    Safe when two sensors write the same run at once: a lost insert race is retried as an update."""
    for attempt in range(3):
        try:
            _upsert(db_url, script_id=script_id, run_id=run_id, status=status, error=error, outputs=outputs,
                    detail=detail)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _upsert(db_url: str, *, script_id: int, run_id: str, status: str, error: str | None, outputs: dict | None,
            detail: str | None) -> None:
    now = utcnow()
    with session_scope(db_url) as session:
        row = session.scalar(select(ScriptRun).where(ScriptRun.run_id == run_id))
        if row is None:
            row = ScriptRun(script_id=script_id, run_id=run_id, status=status)
            session.add(row)
        elif RANK.get(status, 1) < RANK.get(row.status, 1) or (row.status in FINAL and status not in FINAL):
            return
        row.status = status
        row.status_detail = redact(detail)
        if status == "RUNNING" and row.started_at is None:
            row.started_at = now
        if status in FINAL:
            row.finished_at = row.finished_at or now
            row.started_at = row.started_at or now
        if error is not None:
            row.error = redact(error)[:4000]
        if outputs is not None:
            row.outputs = outputs


def latest_run(db_url: str, script_id: int) -> ScriptRun | None:
    with session_scope(db_url) as session:
        return session.scalar(select(ScriptRun).where(ScriptRun.script_id == script_id)
                              .order_by(ScriptRun.id.desc()).limit(1))
