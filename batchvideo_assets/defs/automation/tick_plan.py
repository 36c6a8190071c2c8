"""What one scripts-sensor tick does, decided without a database or a Dagster instance.

The sensor reads a page of the change feed and, in a few batched calls, what the instance knows about
those scripts (`InstanceView`); `plan_tick` turns that into a `TickPlan` (partitions to add and
remove, runs to cancel, facet observations, run requests, the next cursor position), which the sensor
applies and emits. Every decision depends only on the current row and the instance's state, never on
how often it was made, so reading a change twice (an old cursor converted, a tick that failed before
its cursor was stored) requests nothing twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from batchvideo_assets.video_runs import run_priority
from batchvideo_resources.db.feed import Change, Position, advance
from batchvideo_resources.facets import FACETS

# Dagster run statuses, by value (this module does not import Dagster).
IN_FLIGHT = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED")
NOT_LAUNCHED = ("QUEUED", "NOT_STARTED")


@dataclasses.dataclass(frozen=True)
class RunView:
    """A run of a script partition, as far as the plan needs it."""

    run_id: str
    status: str
    revision: int | None  # its `batchvideo/revision` tag; None for UI, backfill and older runs
    selection: tuple[str, ...] | None  # asset keys as user strings; None = every stage


@dataclasses.dataclass
class InstanceView:
    """What the instance (and the scripts database, for `digests`) knows about one page's scripts.
    Runs, snapshots and observations are only looked up for scripts whose partition exists."""

    partitions: set[str]  # the page's keys whose partition exists
    runs: dict[str, list[RunView]] = dataclasses.field(default_factory=dict)
    snapshot_revision: dict[str, int] = dataclasses.field(default_factory=dict)  # latest `script` snapshot's
    observed: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)  # facet → last digest
    digests: dict[str, dict[str, str] | None] = dataclasses.field(default_factory=dict)  # None: unreadable row


@dataclasses.dataclass(frozen=True)
class RunPlan:
    key: str
    revision: int
    priority: int
    selection: tuple[str, ...] | None

    @property
    def run_key(self) -> str:
        return f"script-{self.key}-r{self.revision}"


@dataclasses.dataclass
class TickPlan:
    position: Position
    add_partitions: list[str] = dataclasses.field(default_factory=list)
    remove_partitions: list[str] = dataclasses.field(default_factory=list)
    cancel: list[tuple[RunView, str]] = dataclasses.field(default_factory=list)  # (run, reason)
    observe: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # (key, facet, digest)
    requests: list[RunPlan] = dataclasses.field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.add_partitions or self.remove_partitions or self.cancel or self.observe or self.requests)


def _merge(selection: tuple[str, ...] | None, other: tuple[str, ...] | None) -> tuple[str, ...] | None:
    return None if selection is None or other is None else tuple(sorted(set(selection) | set(other)))


def plan_tick(found: Sequence[Change], read: Sequence[Change], cursor: Position, view: InstanceView,
              stages_for: Callable[[frozenset[str]], tuple[str, ...] | None], *, now: float,
              track_holes: bool) -> TickPlan:
    """Decide one tick: `found` are the changes that appeared in the cursor's holes, `read` those past
    its mark (in seq order). `stages_for(changed facets)` is the stages an edit of those facets renders
    (None = every stage)."""
    plan = TickPlan(position=advance(cursor, list(found), list(read), now, track_holes=track_holes))
    latest = {c.script_id: c for c in sorted([*found, *read], key=lambda c: c.seq)}  # one per script
    changes = sorted(latest.values(), key=lambda c: c.seq)
    for change in changes:
        key = str(change.script_id)
        runs = view.runs.get(key, [])
        exists = key in view.partitions
        if not change.live:
            # Soft or hard delete: stop its queued and running runs, and no backfill may pick it.
            plan.cancel += [(run, "script deleted") for run in runs if run.status in IN_FLIGHT]
            if exists:
                plan.remove_partitions.append(key)
            continue
        revision = change.revision
        if not exists:
            # New (or undeleted): renders whole. Nothing is materialized, so there is no staleness to
            # show and no observation to write; the run's `script` step records the facets it read.
            plan.add_partitions.append(key)
            plan.requests.append(RunPlan(key, revision, run_priority(change.priority), None))
            continue
        digests = view.digests.get(key)
        previous = view.observed.get(key) or {}
        if digests is None or not previous:
            changed = frozenset(FACETS)  # unreadable row, or nothing observed (never rendered): everything
        else:
            changed = frozenset(f for f in FACETS if previous.get(f) != digests[f])
        if digests is not None and previous:
            plan.observe += [(key, f, digests[f]) for f in FACETS if f in changed]
        selection = stages_for(changed) if changed else ()
        superseded = [run for run in runs
                      if run.status in NOT_LAUNCHED and run.revision is not None and run.revision < revision]
        for run in superseded:
            plan.cancel.append((run, f"superseded by revision {revision}"))
            selection = _merge(selection, run.selection)  # what it would have rendered still needs it
        if not changed and not superseded:
            continue  # e.g. an `extra` key no stage reads
        rendered = view.snapshot_revision.get(key) == revision or any(
            run.revision == revision and run.status != "CANCELED" for run in runs)
        if rendered:
            continue  # a run for this revision exists (UI, `batchvideo render`, or a change read twice)
        plan.requests.append(RunPlan(key, revision, run_priority(change.priority), selection))
    return plan
