"""Reading the scripts table's change feed (`script_changes`, migration 0004).

The sensor's cursor is a high-water mark `seq` plus, on PostgreSQL, a few "holes": seq ranges below
the mark that were missing when the mark passed them. PostgreSQL hands out sequence values at insert
time, not commit time, so a transaction can take seq 5 and commit after another took and committed
seq 6; a reader that saw 6 must look at 5 again later. Every tick re-reads the holes (one query with
at most MAX_HOLES ranges) and drops a hole after HOLE_TTL_S: a gap that stays empty that long is a
rolled-back insert or a row the log's compaction removed, not a transaction still open (a transaction
open for longer than that is the one case read late, never missed: see `HOLE_TTL_S`). SQLite
serialises writers and assigns seq inside the write transaction, so seq order is commit order there
and no holes are kept. The cursor is O(1) in the table's size: under 1 KB at any size.
"""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import text
from sqlalchemy.orm import Session

MAX_HOLES = 16  # ranges kept; more are merged (a merged range re-reads rows, which is harmless)
HOLE_TTL_S = 3600.0  # a transaction open longer than an hour after taking its seq would be missed


@dataclasses.dataclass(frozen=True)
class Hole:
    lo: int
    hi: int
    since: float  # when the mark first passed it (the sensor's clock)


@dataclasses.dataclass(frozen=True)
class Position:
    seq: int = 0
    holes: tuple[Hole, ...] = ()
    partitions: int = 0  # the instance's last `scripts` partition row seen (re-added deleted scripts)

    def dump(self) -> str:
        data: dict = {"feed": self.seq}
        if self.holes:
            data["holes"] = [[h.lo, h.hi, round(h.since, 1)] for h in self.holes]
        if self.partitions:
            data["parts"] = self.partitions
        return json.dumps(data, separators=(",", ":"))


@dataclasses.dataclass(frozen=True)
class Change:
    """A script's latest change, with the row's current state read in the same statement: `revision`
    None means the row is gone (hard delete)."""

    seq: int
    script_id: int
    op: str
    revision: int | None
    deleted: bool
    priority: object

    @property
    def live(self) -> bool:
        return self.revision is not None and not self.deleted


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_SELECT = ("SELECT c.seq, c.script_id, c.op, s.revision, s.deleted_at IS NOT NULL AS deleted, s.priority "
           "FROM script_changes c LEFT JOIN scripts s ON s.id = c.script_id ")


def _changes(rows) -> list[Change]:
    return [Change(int(r.seq), int(r.script_id), r.op, None if r.revision is None else int(r.revision),
                   bool(r.deleted), r.priority) for r in rows]


def read_changes(session: Session, after: int, limit: int) -> list[Change]:
    """Up to `limit` changes with seq above `after`, in seq order (one index range scan)."""
    rows = session.execute(text(_SELECT + "WHERE c.seq > :seq ORDER BY c.seq LIMIT :n"),
                           {"seq": after, "n": limit}).all()
    return _changes(rows)


def read_holes(session: Session, holes: tuple[Hole, ...]) -> list[Change]:
    """The changes that have appeared in the holes since (one query)."""
    if not holes:
        return []
    where = " OR ".join(f"c.seq BETWEEN :lo{i} AND :hi{i}" for i in range(len(holes)))
    params = {f"lo{i}": h.lo for i, h in enumerate(holes)} | {f"hi{i}": h.hi for i, h in enumerate(holes)}
    return _changes(session.execute(text(_SELECT + f"WHERE {where} ORDER BY c.seq"), params).all())


def advance(cursor: Position, found: list[Change], read: list[Change], now: float, *, track_holes: bool) -> Position:
    """The cursor after a tick that found `found` in its holes and read `read` (in seq order) past its
    mark: the mark moves to the last read; the gaps it passed become holes; found seqs leave theirs;
    holes older than HOLE_TTL_S are dropped; more than MAX_HOLES are merged (closest first)."""
    seq = read[-1].seq if read else cursor.seq
    if not track_holes:
        return Position(seq, (), cursor.partitions)
    taken = sorted({c.seq for c in found})
    holes: list[Hole] = []
    for hole in cursor.holes:
        if now - hole.since > HOLE_TTL_S:
            continue
        lo = hole.lo
        for s in taken:
            if lo <= s <= hole.hi:
                if s > lo:
                    holes.append(Hole(lo, s - 1, hole.since))
                lo = s + 1
        if lo <= hole.hi:
            holes.append(Hole(lo, hole.hi, hole.since))
    previous = cursor.seq
    for change in read:
        if change.seq > previous + 1:
            holes.append(Hole(previous + 1, change.seq - 1, now))
        previous = change.seq
    holes.sort(key=lambda h: h.lo)
    while len(holes) > MAX_HOLES:
        i = min(range(len(holes) - 1), key=lambda j: holes[j + 1].lo - holes[j].hi)
        holes[i:i + 2] = [Hole(holes[i].lo, holes[i + 1].hi, min(holes[i].since, holes[i + 1].since))]
    return Position(seq, tuple(holes), cursor.partitions)


def tracks_holes(session: Session) -> bool:
    return _postgres(session)


def feed_end(session: Session) -> int:
    return int(session.execute(text("SELECT COALESCE(MAX(seq), 0) FROM script_changes")).scalar())


def parse_position(raw: str | None) -> Position | None:
    """A feed cursor; None for a cursor of an older form (see `convert_legacy_cursor`)."""
    if not raw:
        return Position()
    data = json.loads(raw)
    if "feed" not in data:
        return None
    return Position(int(data["feed"]), tuple(Hole(int(lo), int(hi), float(t)) for lo, hi, t in data.get("holes", [])),
                    int(data.get("parts", 0)))


def convert_legacy_cursor(session: Session, raw: str) -> Position:
    """The feed position equivalent to a cursor of an earlier sensor, without rendering again what it
    handled: `{"revisions": {id: revision}}` (handled = the revision it maps to) or the older
    `{"updated_at": ..., "id": N}` (every row up to id N handled at its current revision, as that
    sensor's own upgrade counted them). The position is just before the first unhandled change; the
    handled changes after it are read again, which is harmless (the sensor's decisions are idempotent:
    a revision that has a run is not requested again). One scan of the feed, once."""
    data = json.loads(raw)
    revisions = data.get("revisions")
    upto = int(data.get("id", 0))

    def handled(change: Change) -> bool:
        if revisions is not None:
            if str(change.script_id) not in revisions:  # never seen by that sensor: only a deleted row is done
                return not change.live
            return change.revision is not None and revisions[str(change.script_id)] == change.revision
        return change.script_id <= upto

    for change in read_changes(session, 0, 2**62):
        if not handled(change):
            return Position(change.seq - 1)
    return Position(feed_end(session))
