"""`script_runs`: run status written back for the business side (no Dagster reading required)."""

from __future__ import annotations

from sqlalchemy import func, select, update
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

    Safe when several sensors write the same run at once (the QUEUED, RUNNING and SUCCESS sensors tick
    in their own threads, and a short run's events all reach them in the same second): the forward-only
    rule is the WHERE clause of one UPDATE, so a writer that read the row before another's commit
    cannot write its older status over the newer one; a lost insert race is retried as an update."""
    for attempt in range(3):
        try:
            _upsert(db_url, script_id=script_id, run_id=run_id, status=status, error=error, outputs=outputs,
                    detail=detail)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def may_follow(status: str) -> list[str]:
    """The statuses a row may hold for `status` to be written over them (the forward-only rule)."""
    rank = RANK.get(status, 1)
    return [s for s in RANK if RANK[s] <= rank and not (s in FINAL and status not in FINAL)]


def _upsert(db_url: str, *, script_id: int, run_id: str, status: str, error: str | None, outputs: dict | None,
            detail: str | None) -> None:
    now = utcnow()
    values: dict = {"status": status, "status_detail": redact(detail)}
    if status == "RUNNING" or status in FINAL:
        values["started_at"] = func.coalesce(ScriptRun.started_at, now)
    if status in FINAL:
        values["finished_at"] = func.coalesce(ScriptRun.finished_at, now)
    if error is not None:
        values["error"] = redact(error)[:4000]
    if outputs is not None:
        values["outputs"] = outputs
    forward = (update(ScriptRun).where(ScriptRun.run_id == run_id, ScriptRun.status.in_(may_follow(status)))
               .values(**values).execution_options(synchronize_session=False))
    with session_scope(db_url) as session:
        if session.execute(forward).rowcount:
            return
        if session.scalar(select(ScriptRun.id).where(ScriptRun.run_id == run_id)) is not None:
            # The row exists now, but another writer may have committed it after our UPDATE began
            # (PostgreSQL's READ COMMITTED takes a fresh snapshot per statement): a QUEUED row inserted
            # in between would otherwise keep QUEUED over our SUCCESS. The UPDATE again is the answer.
            session.execute(forward)
            return  # written, or the row already holds a later status
        session.add(ScriptRun(script_id=script_id, run_id=run_id, **{
            k: now if k in ("started_at", "finished_at") else v for k, v in values.items()}))


def latest_run(db_url: str, script_id: int) -> ScriptRun | None:
    with session_scope(db_url) as session:
        return session.scalar(select(ScriptRun).where(ScriptRun.script_id == script_id)
                              .order_by(ScriptRun.id.desc()).limit(1))


def statuses_of(db_url: str, run_ids: list[str]) -> dict[str, str]:
    """run id → the status its row holds, for those of `run_ids` that have a row."""
    if not run_ids:
        return {}
    with session_scope(db_url) as session:
        rows = session.execute(select(ScriptRun.run_id, ScriptRun.status).where(ScriptRun.run_id.in_(run_ids)))
        return {run_id: status for run_id, status in rows}
