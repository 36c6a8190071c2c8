"""The scripts sensor's decisions (`plan_tick`) and its feed cursor (`advance`), without a database."""

from batchvideo_assets.defs.automation.tick_plan import InstanceView, RunView, plan_tick
from batchvideo_resources.db.feed import HOLE_TTL_S, MAX_HOLES, Change, Hole, Position, advance, parse_position

ALL = ("narration", "visual_style", "presentation", "branding")
D = {f: f"{f}-1" for f in ALL}


def change(seq, sid, revision=1, deleted=False):
    return Change(seq, sid, "U", revision, deleted, 0)


def stages(changed):
    return None if "narration" in changed else tuple(sorted(f"stage-{f}" for f in changed))


def plan(changes, view, cursor=Position(), holes=False):
    return plan_tick([], changes, cursor, view, stages, now=1000.0, track_holes=holes)


def test_new_scripts_add_partitions_in_one_request_with_no_observations():
    p = plan([change(1, 7), change(2, 8)], InstanceView(partitions=set()))
    assert p.add_partitions == ["7", "8"] and p.observe == []
    assert [(r.key, r.revision, r.selection) for r in p.requests] == [("7", 1, None), ("8", 1, None)]
    assert p.position == Position(2)


def test_an_edit_observes_and_renders_only_its_facets_and_supersedes_the_queued_revision():
    queued = RunView("r1", "QUEUED", 1, ("stage-visual_style",))
    view = InstanceView(partitions={"7"}, runs={"7": [queued]}, observed={"7": D},
                        digests={"7": D | {"branding": "branding-2"}})
    p = plan([change(5, 7, revision=2)], view)
    assert p.observe == [("7", "branding", "branding-2")]
    assert p.cancel == [(queued, "superseded by revision 2")]
    (request,) = p.requests
    assert request.selection == ("stage-branding", "stage-visual_style") and request.run_key == "script-7-r2"


def test_a_revision_with_a_run_or_snapshot_is_not_requested_again_and_a_delete_cancels():
    running = RunView("r2", "STARTED", 2, None)
    view = InstanceView(partitions={"7", "9"}, runs={"7": [running], "9": [running]}, observed={"7": D},
                        digests={"7": D | {"narration": "n-2"}}, snapshot_revision={})
    p = plan([change(5, 7, revision=2), change(6, 9, revision=None)], view)
    assert p.requests == []  # revision 2 of 7 is running
    assert p.cancel == [(running, "script deleted")] and p.remove_partitions == ["9"]


def test_nothing_observed_renders_everything_without_observing():
    view = InstanceView(partitions={"7"}, observed={}, digests={"7": D})
    (request,) = plan([change(5, 7, revision=2)], view).requests
    assert request.selection is None


def test_the_cursor_keeps_the_holes_it_passed_until_they_fill_or_expire():
    cursor = advance(Position(10), [], [change(11, 1), change(14, 2)], 1000.0, track_holes=True)
    assert cursor == Position(14, (Hole(12, 13, 1000.0),))
    cursor = advance(cursor, [change(12, 3)], [], 1010.0, track_holes=True)
    assert cursor.holes == (Hole(13, 13, 1000.0),)
    assert advance(cursor, [], [], 1000.0 + HOLE_TTL_S + 1, track_holes=True).holes == ()
    assert parse_position(cursor.dump()) == cursor
    assert advance(Position(10), [], [change(11, 1), change(14, 2)], 0, track_holes=False) == Position(14)


def test_the_cursor_stays_small_however_many_holes():
    read = [change(s, s) for s in range(0, 20_000, 3)]  # a gap after every row
    cursor = advance(Position(), [], read, 1000.0, track_holes=True)
    assert len(cursor.holes) == MAX_HOLES and len(cursor.dump()) < 1024
