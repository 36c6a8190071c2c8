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


class DagsterWrapperError(Exception):
    """Stands for the Dagster error that wraps what user code raised (its class name starts with Dagster)."""


def _error_of(exc: BaseException):
    from dagster._utils.error import serializable_error_info_from_exc_info

    try:
        raise DagsterWrapperError("Execution of run failed. An exception was thrown during execution.") from exc
    except DagsterWrapperError:
        import sys

        return serializable_error_info_from_exc_info(sys.exc_info())


def test_an_outage_names_the_service_that_was_unreachable():
    from sqlalchemy import create_engine, text

    from batchvideo_assets.writeback import describe_error

    try:  # a real driver error: nothing listens on port 1
        with create_engine("postgresql+psycopg2://postgres@127.0.0.1:1/x").connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        error = _error_of(exc)
    line = describe_error(error)
    assert line.startswith("a database was unreachable: ") and "\n" not in line, line
    assert "Execution of run failed" not in line


def test_a_bad_input_cause_is_its_own_first_line():
    from batchvideo_assets.writeback import describe_error

    line = describe_error(_error_of(ValueError("extra: must be a JSON object, got text\nmore detail")))
    assert line == "extra: must be a JSON object, got text"


def test_the_class_decides_which_service_was_down():
    import httpx

    from batchvideo_assets.writeback import describe_error

    try:
        httpx.get("http://127.0.0.1:1/v1/tts", timeout=2)
    except httpx.HTTPError as exc:
        line = describe_error(_error_of(exc))
    assert line.startswith("a model server was unreachable: "), line


def test_a_script_id_with_leading_zeros_is_that_script(db_url):
    from conftest import add

    from batchvideo_app.render import _known_scripts

    sid = add(db_url, title="Zeros", content="A short text.")
    known = _known_scripts(db_url, [f"00{sid}", "x1"])
    assert set(known) == {str(sid), "x1"} and isinstance(known[str(sid)], tuple)
