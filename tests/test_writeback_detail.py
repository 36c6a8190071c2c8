"""Which stale stages stand between a partial run's stages and the delivered video (pure, on a hand-made
graph and on the code location's own)."""

from batchvideo_assets.writeback import _stage_graph, stages_still_stale

GRAPH = {"a": set(), "b": {"a"}, "c": {"a"}, "d": {"b", "c"}, "e": {"d"}, "side": {"a"}}


def test_the_stages_downstream_of_the_remade_ones_on_the_way_to_the_delivered_video_in_run_order():
    assert stages_still_stale({"b"}, GRAPH, delivered="e") == ["d", "e"]
    assert stages_still_stale({"a"}, GRAPH, delivered="e") == ["b", "c", "d", "e"]  # not `side`
    assert stages_still_stale({"b", "d"}, GRAPH, delivered="e") == ["e"]
    assert stages_still_stale({"e"}, GRAPH, delivered="e") == []


def test_on_the_project_graph():
    graph = _stage_graph()
    assert stages_still_stale({"cover"}, graph) == ["logoed_video"]
    assert stages_still_stale({"images"}, graph) == ["cover", "composed_video", "logoed_video"]
    assert stages_still_stale({"logoed_video"}, graph) == []
