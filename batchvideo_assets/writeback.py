"""Write-back: a run's status, outputs or error into `script_runs`, for the business side.

The run-status sensors call `write_back` for every run that renders a script partition; `batchvideo
render` calls it too, only when it stands in for a daemon that is not running (so the row is still
written, by the same code)."""

import dataclasses
import datetime as dt
import functools
import json
import logging

import dagster as dg

from batchvideo_assets.video_runs import CANCEL_REASON_TAG, PARTITION_TAG, PRIORITY_TAG, REVISION_TAG
from batchvideo_resources.db.script_runs import FINAL, record_run, statuses_of
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.outputs import collect_outputs, prune_runs, publish
from batchvideo_resources.redaction import redact

log = logging.getLogger(__name__)

STATUS_LABELS = {dg.DagsterRunStatus.QUEUED: "QUEUED", dg.DagsterRunStatus.STARTED: "RUNNING",
                 dg.DagsterRunStatus.SUCCESS: "SUCCESS", dg.DagsterRunStatus.FAILURE: "FAILED",
                 dg.DagsterRunStatus.CANCELED: "CANCELED"}


def script_id_of(run: dg.DagsterRun) -> int | None:
    """The script a run renders (its partition), or None for runs of anything else."""
    key = run.tags.get(PARTITION_TAG)
    return int(key) if key and key.isdigit() else None


def write_back(instance: dg.DagsterInstance, run: dg.DagsterRun, label: str, db_url: str, media: MediaStore) -> None:
    """Record `label` (QUEUED/RUNNING/SUCCESS/FAILED/CANCELED) for `run`; never moves a row backwards.

    SUCCESS publishes the run's set of files and carries their stable URIs (+ presigned GET URLs on S3);
    a run that succeeds after its script was deleted publishes nothing and is recorded CANCELED. FAILED
    carries the failing step's message; CANCELED why (superseded, script deleted, or an operator)."""
    script_id = script_id_of(run)
    if script_id is None:
        return
    outputs = error = detail = None
    if label == "SUCCESS":
        if script_deleted(db_url, script_id):
            label, detail = "CANCELED", "script deleted during the run: outputs not published"
        elif publish(media, script_id, run.run_id, _created_at(instance, run)):
            outputs = collect_outputs(media, script_id, run_id=run.run_id)
        else:
            detail = unpublished_detail(instance, run)
    error = run_error(instance, run.run_id) if label == "FAILED" else None
    if label == "QUEUED":
        detail = f"priority {run.tags.get(PRIORITY_TAG, '0')}"
    elif label == "CANCELED" and detail is None:
        detail = f"run canceled: {run.tags.get(CANCEL_REASON_TAG, 'by an operator')}"
    if run.tags.get(REVISION_TAG):
        detail = f"revision {run.tags[REVISION_TAG]}" + (f"; {detail}" if detail else "")
    record_run(db_url, script_id=script_id, run_id=run.run_id, status=label, error=error, outputs=outputs,
               detail=detail)
    if label in ("SUCCESS", "FAILED", "CANCELED"):
        prune_finished_runs(instance, media, script_id)


# --------------------------------------------------------------------------- catching up
# The run-status sensors see each run event once: Dagster moves their cursor past an event whether or
# not the write-back succeeded (an outage of the scripts DB or of S3 at that moment), and past events
# it never listed. The catch-up pass finds finished runs whose row does not say so and writes them back.
CATCH_UP_LAG_S = 60  # a run finished less than this ago is the status sensors' to write back first
CATCH_UP_FIRST_LOOK_S = 24 * 3600  # how far back the first pass looks
CATCH_UP_PAGE = 200
CATCH_UP_ATTEMPTS = 5  # a run whose write-back keeps failing is retried this many passes, then logged


@dataclasses.dataclass
class CatchUpCursor:
    after: float  # update timestamp of the last finished run looked at
    failing: dict[str, int] = dataclasses.field(default_factory=dict)  # run id → failed attempts

    def dump(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def load(cls, raw: str | None, now: float) -> "CatchUpCursor":
        return cls(**json.loads(raw)) if raw else cls(after=now - CATCH_UP_FIRST_LOOK_S)


def catch_up(instance: dg.DagsterInstance, db_url: str, media: MediaStore, cursor: CatchUpCursor,
             now: float) -> tuple[list[str], CatchUpCursor]:
    """Write back the finished script runs (updated after the cursor, more than CATCH_UP_LAG_S ago) whose
    `script_runs` row is missing or not final, and those still failing from earlier passes. Returns the
    run ids written and the next cursor."""
    records = instance.get_run_records(dg.RunsFilter(
        statuses=[s for s, label in STATUS_LABELS.items() if label in FINAL],
        updated_after=dt.datetime.fromtimestamp(cursor.after, dt.timezone.utc),
        updated_before=dt.datetime.fromtimestamp(now - CATCH_UP_LAG_S, dt.timezone.utc)),
        limit=CATCH_UP_PAGE, order_by="update_timestamp", ascending=True)
    runs = {r.dagster_run.run_id: r.dagster_run for r in records if script_id_of(r.dagster_run) is not None}
    if cursor.failing:  # those still failing from earlier passes, wherever the cursor now is
        runs |= {run.run_id: run for run in instance.get_runs(dg.RunsFilter(run_ids=list(cursor.failing)))}
    runs = list(runs.values())
    recorded = statuses_of(db_url, [run.run_id for run in runs])
    written, failing = [], {}
    for run in runs:
        if recorded.get(run.run_id) in FINAL:
            continue
        try:
            write_back(instance, run, STATUS_LABELS[run.status], db_url, media)
            written.append(run.run_id)
        except Exception as exc:  # noqa: BLE001 - one run's trouble must not stop the others' write-back
            attempts = cursor.failing.get(run.run_id, 0) + 1
            log.warning("write-back of run %s failed (%d of %d): %s", run.run_id, attempts, CATCH_UP_ATTEMPTS,
                        redact(str(exc)))
            if attempts < CATCH_UP_ATTEMPTS:
                failing[run.run_id] = attempts
    after = records[-1].update_timestamp.timestamp() if records else cursor.after
    return written, CatchUpCursor(after=after, failing=failing)


DELIVERED = "logoed_video"


@functools.cache
def _stage_graph() -> dict[str, set[str]]:
    """Stage → the stages it reads, from the code location's own asset graph (built once per process)."""
    from batchvideo_assets.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    return {key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
            for key in graph.get_all_asset_keys()}


def stages_still_stale(made: set[str], graph: dict[str, set[str]], delivered: str = DELIVERED) -> list[str]:
    """The stages between those a run re-made and the delivered video that it did not re-make, in the
    order they run: until they do, the delivered video is built from the old versions. Pure: `graph` is
    stage → the stages it reads."""
    def ancestors(stage: str) -> set[str]:
        found, todo = set(), list(graph.get(stage, ()))
        while todo:
            node = todo.pop()
            if node not in found:
                found.add(node)
                todo.extend(graph.get(node, ()))
        return found

    on_the_way = ancestors(delivered) | {delivered}
    stale = {s for s in on_the_way - made if ancestors(s) & made}
    order = {s: len(ancestors(s)) for s in stale}  # a stage runs after everything it reads
    return sorted(stale, key=lambda s: (order[s], s))


def unpublished_detail(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """Why a successful run published nothing, in terms an operator can act on: what it re-made and which
    stale stages still stand between those and the delivered video."""
    records = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    made = {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in records}
    if DELIVERED in made:
        return "outputs not published: a newer run's are"
    if not made:
        return "outputs not published: the run re-made no stage"
    stale = stages_still_stale(made, _stage_graph())
    return (f"outputs not published: re-made {', '.join(sorted(made))}; the delivered video does not have "
            f"them until {', '.join(stale) or DELIVERED} run{'s' if len(stale) == 1 else ''}")


def prune_finished_runs(instance: dg.DagsterInstance, media: MediaStore, script_id: int) -> list[str]:
    """Delete the run folders of `script_id` that neither the published set nor a re-execution needs
    (`outputs.prune_runs`). Never fails the write-back: a folder left now is pruned after the next run."""
    def finished(run_id: str) -> bool:
        run = instance.get_run_by_id(run_id)  # a run this instance does not know may be another
        return run is not None and run.is_finished  # instance's on a shared media store: kept

    try:
        return prune_runs(media, script_id, finished)
    except Exception as exc:  # noqa: BLE001 - storage trouble must not lose the status row just written
        log.warning("could not prune old run folders of script %s: %s", script_id, redact(str(exc)))
        return []


def script_deleted(db_url: str, script_id: int) -> bool:
    """The script was soft-deleted (or removed): a run that finishes after that publishes nothing."""
    from sqlalchemy import select

    from batchvideo_resources.db import Script, session_scope

    with session_scope(db_url) as session:
        row = session.execute(select(Script.deleted_at).where(Script.id == script_id)).first()
    return row is None or row.deleted_at is not None


def _created_at(instance: dg.DagsterInstance, run: dg.DagsterRun) -> float:
    record = instance.get_run_record_by_id(run.run_id)
    return record.create_timestamp.timestamp() if record is not None else 0.0


# What a root cause's class or message says about which service was unreachable (an outage, not bad input).
_OUTAGES = (
    (("OperationalError", "InterfaceError"), ("could not connect to server", "connection to server at",
                                              "server closed the connection", "database is locked"),
     "a database was unreachable"),
    (("ConnectError", "ConnectTimeout", "ReadTimeout", "RemoteProtocolError", "ServiceUnavailableError"),
     (), "a model server was unreachable"),
    (("EndpointConnectionError", "ConnectionClosedError"), ("could not connect to the endpoint",),
     "the object store was unreachable"),
)


def _chain(error):
    """A serialized error and its causes, outermost first."""
    while error is not None:
        yield error
        error = error.cause or error.context


def _first_line(error) -> str:
    line = next((s.strip() for s in (error.message or "").splitlines() if s.strip()), error.cls_name or "failed")
    name, _, rest = line.partition(": ")  # "ValueError: …", "psycopg2.OperationalError: …": the class is noise
    return rest if rest and error.cls_name and name.split(".")[-1] == error.cls_name else line


def describe_error(error) -> str:
    """One line for a serialized exception: the first line of what user code raised (its direct cause),
    prefixed with the service that was unreachable when anything in its chain says it was an outage."""
    if error is None:
        return "failed"
    # Dagster wraps what user code raised (a step error, "Exceeded max_retries of 3"): its cause says what.
    shown = error.cause if error.cause is not None else error
    line = _first_line(shown)
    chain = list(_chain(shown))
    # The exception's class decides first (a refused connection reads alike for every service); the
    # message only where no class in the chain is known.
    for cause in chain:
        for classes, _phrases, what in _OUTAGES:
            if (cause.cls_name or "") in classes:
                return f"{what}: {line}"
    for cause in chain:
        text = _first_line(cause).lower()
        for _classes, phrases, what in _OUTAGES:
            if any(p in text for p in phrases):
                return f"{what}: {line}"
    return line


def run_error(instance: dg.DagsterInstance, run_id: str) -> str:
    """One line: each failed step's message (a bad-input Failure names the field; an outage names the
    service that was unreachable), else the run's own failure's root cause, and whether the instance
    will retry the run."""
    messages = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = record.dagster_event
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            text = data.user_failure_data.description
        else:
            text = describe_error(data.error)
        messages.append(f"{event.step_key}: {text}")
    if messages:
        return redact("; ".join(messages))
    causes = [describe_error(r.dagster_event.event_specific_data.error)
              for r in instance.all_logs(run_id, of_type={dg.DagsterEventType.ENGINE_EVENT,
                                                          dg.DagsterEventType.RUN_FAILURE})
              if r.dagster_event is not None and getattr(r.dagster_event.event_specific_data, "error", None)]
    text = causes[-1] if causes else next(
        (r.dagster_event.message for r in instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
         if r.dagster_event is not None and r.dagster_event.message), "run failed")
    if _will_retry(instance, run_id):
        text += "; the run will be retried"
    return redact(text)


def _will_retry(instance: dg.DagsterInstance, run_id: str) -> bool:
    """The instance re-executes whole-run failures (run_retries) and this run has retries left."""
    if not instance.run_retries_enabled:
        return False
    run = instance.get_run_by_id(run_id)
    tags = run.tags if run is not None else {}
    try:  # tags are text anyone can set from the launchpad
        return int(tags.get("dagster/retry_number", 0)) < int(tags.get("dagster/max_retries",
                                                                        instance.run_retries_max_retries))
    except ValueError:
        return False
