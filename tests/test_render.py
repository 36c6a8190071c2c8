"""End to end on the embedded defaults: a Chinese and an English script become finished videos, full size."""

import json

import pytest
from conftest import add
from helpers import ffprobe, image_size, parse_srt, path_of, streams, wav_seconds

from batchvideo_app.render import render_scripts
from batchvideo_media.probe import measure_loudness
from batchvideo_resources.db.script_runs import latest_run

EN = ("Have you ever wondered why the ocean is salty? Rain slowly wears down rocks on land. "
      "Minerals wash into rivers and travel to the sea, where the salt stays behind.")
# The Chinese video is the session's golden render (conftest.golden), shared with test_checks.


@pytest.fixture(scope="module")
def rendered(golden, prepared_db, instance):
    en = add(prepared_db, title="Why the ocean is salty", content=EN, language="en-US", account="plain",
             is_horizontal=False, speech_speed=1.2)
    # Submitted to the instance like `batchvideo render` does (no daemon here: the command launches
    # its own queued runs); in-process steps keep the test's cost to the media work.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BATCHVIDEO_EXECUTOR", "in_process")
        (result,) = render_scripts([str(en)], instance=instance)
    return {"zh": golden, "en": result, "instance": instance}


def test_runs_went_through_the_instance_and_were_written_back(rendered, prepared_db):
    for lang in ("zh", "en"):
        run = rendered["instance"].get_run_by_id(rendered[lang]["run_id"])
        assert run.job_name == "render_video" and run.tags["batchvideo/launched_by"] == "cli"
        assert run.tags["batchvideo/revision"] == "1" and run.tags["dagster/partition"] == rendered[lang]["id"]
        row = latest_run(prepared_db, int(rendered[lang]["id"]))
        assert row.run_id == run.run_id and row.status == "SUCCESS" and row.status_detail == "revision 1"


@pytest.mark.parametrize("lang,size", [("zh", (1360, 768)), ("en", (768, 1360))])
def test_video_streams_duration_and_size(rendered, lang, size):
    result = rendered[lang]
    assert result["status"] == "SUCCESS", result["error"]
    narration = wav_seconds(path_of(result["outputs"]["audio"]))
    for stage in ("composed_video", "logoed_video"):
        video = path_of(result["outputs"][stage])
        (v,), (a,) = streams(video, "video"), streams(video, "audio")
        assert v["codec_name"] == "h264" and v["pix_fmt"] == "yuv420p" and a["codec_name"] == "aac"
        assert (v["width"], v["height"]) == size
        assert abs(float(v["duration"]) - narration) < 0.1, (stage, v["duration"], narration)
        assert abs(float(a["duration"]) - narration) < 0.1, (stage, a["duration"], narration)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_loudness_is_normalised(rendered, lang):
    loudness = measure_loudness(path_of(rendered[lang]["outputs"]["composed_video"]))
    assert abs(loudness["integrated_lufs"] - (-14.0)) <= 1.0, loudness


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_subtitles_parse_and_stay_inside_audio(rendered, lang):
    outputs = rendered[lang]["outputs"]
    cues = parse_srt(path_of(outputs["srt"]))
    narration_ms = wav_seconds(path_of(outputs["audio"])) * 1000
    assert len(cues) >= 3
    for prev, cue in zip(cues, cues[1:]):
        assert prev.end <= cue.start
    assert all(c.start < c.end for c in cues)
    assert cues[-1].end.total_seconds() * 1000 <= narration_ms + 1
    text = "".join(c.content for c in cues).replace("\n", "")
    assert ("智能音箱" in text) if lang == "zh" else ("ocean" in text)


def test_images_and_broll_match_the_storyboard(rendered):
    outputs = rendered["zh"]["outputs"]
    shots = json.loads(path_of(outputs["splits"]).read_text())["shots"]
    kinds = [s["kind"] for s in shots]
    assert kinds[0] == "image" and "broll" in kinds
    assert len(outputs["images"]) == kinds.count("image")
    assert len(outputs["broll_clips"]) == kinds.count("broll")
    for uri in outputs["images"]:
        assert image_size(path_of(uri)) == (1360, 768)
    for uri, shot in zip(outputs["broll_clips"], [s for s in shots if s["kind"] == "broll"]):
        (v,) = streams(path_of(uri), "video")
        assert (v["width"], v["height"]) == (1360, 768)
        assert not streams(path_of(uri), "audio")
        assert abs(float(v["duration"]) * 1000 - (shot["end_ms"] - shot["start_ms"])) < 100
    assert shots[0]["start_ms"] == 0
    for a, b in zip(shots, shots[1:]):
        assert a["end_ms"] == b["start_ms"]


def test_cover_is_attached_and_decodes(rendered):
    outputs = rendered["zh"]["outputs"]
    assert image_size(path_of(outputs["cover"])) == (1360, 768)
    attached = [s for s in ffprobe(path_of(outputs["logoed_video"]))["streams"]
                if s.get("disposition", {}).get("attached_pic")]
    assert len(attached) == 1


def test_script_runs_row_written(rendered, prepared_db):
    for lang in ("zh", "en"):
        row = latest_run(prepared_db, int(rendered[lang]["id"]))
        assert row.status == "SUCCESS" and row.finished_at is not None
        assert row.outputs["logoed_video"] == rendered[lang]["outputs"]["logoed_video"]


def test_a_single_stage_run_says_what_it_remade_and_what_still_stands(rendered, prepared_db):
    """Only `cover` again (as from the UI): SUCCESS, nothing published, and the row names the stage it
    re-made and the stale stage between it and the delivered video."""
    import dagster as dg

    zh = rendered["zh"]["id"]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BATCHVIDEO_EXECUTOR", "in_process")
        (result,) = render_scripts([zh], instance=rendered["instance"], stages={zh: [dg.AssetKey("cover")]})
    row = latest_run(prepared_db, int(zh))
    assert row.run_id == result["run_id"] and row.status == "SUCCESS" and row.outputs is None
    assert row.status_detail == ("revision 1; outputs not published: re-made cover; the delivered video does "
                                 "not have them until logoed_video runs")
    assert result["outputs"] == {} and "logoed_video runs" in result["error"]
