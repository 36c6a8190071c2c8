"""What each stage makes, called as plain functions on manifest models (no Dagster run): the logic the
thin assets in `batchvideo_assets/defs` delegate to."""

from pathlib import Path

import pytest
from test_manifests import SPEC, VALUES

from batchvideo_resources.manifests import AudioManifest, ImageEntry, ImagesManifest, Shot, SplitsManifest
from batchvideo_resources.script_spec import BadScriptError, ScriptSpec
from batchvideo_resources.stages.speech import subtitle_track
from batchvideo_resources.stages.storyboard import plan_storyboard
from batchvideo_resources.stages.video import cover_picture_key
from batchvideo_resources.stages.visuals import base_seed, image_jobs, redo_plan

pytestmark = pytest.mark.unit


def spec(**changes) -> ScriptSpec:
    return ScriptSpec.model_validate({**SPEC, **changes})


def shots(n: int, kind: str = "image") -> list[Shot]:
    return [Shot(index=i, start_ms=i * 1000, end_ms=(i + 1) * 1000, text=f"t{i}", prompt=f"p{i}", keywords=[],
                 kind=kind) for i in range(n)]


def entry(i: int, seed: int) -> ImageEntry:
    return ImageEntry(key=f"k{i}", uri=f"u{i}", seed=seed, prompt=f"p{i}")


def test_subtitles_follow_the_narrations_cues_and_keep_their_word_times():
    audio = AudioManifest.model_validate(VALUES["audio"])
    text, cues = subtitle_track(audio, spec())
    assert [c.text for c in cues] == ["The sea rises.", "The sea falls."]
    assert (cues[0].start_ms, cues[-1].end_ms) == (0, 2400)
    assert [w.text for w in cues[0].words] == ["The", "sea"]
    assert cues[1].words == []  # a sentence timed as a whole (older manifests) has no word times
    assert "The sea falls." in text and "-->" in text


def test_subtitle_words_are_made_inert_for_ass_markup():
    audio = AudioManifest.model_validate(VALUES["audio"])
    audio.sentences[0].cues[0].words[0].text = "{\\b1}The"
    _, cues = subtitle_track(audio, spec())
    assert "{" not in cues[0].words[0].text and "\\" not in cues[0].words[0].text


def test_storyboard_tiles_the_narration_with_template_prompts_without_an_llm():
    audio = AudioManifest.model_validate(VALUES["audio"])
    _, cues = subtitle_track(audio, spec())
    board = plan_storyboard(spec(topic={"name": "ocean", "image_prompt": "calm sea"}), cues, 2400, min_shot_s=1.0)
    assert board.prompt_source == "template" and board.llm_problem is None
    assert board.shots[0].start_ms == 0 and board.shots[-1].end_ms == 2400
    assert all(a.end_ms == b.start_ms for a, b in zip(board.shots, board.shots[1:]))
    assert all(s.prompt and s.keywords for s in board.shots) and board.shots[0].kind == "image"


def test_a_partial_redo_keeps_stored_entries_and_names_unknown_shots():
    wanted = shots(3)
    previous = {"0": entry(0, 5), "1": entry(1, 6), "2": entry(2, 7)}
    plan = redo_plan(wanted, previous, [1], fresh=True, exists=lambda key: key != "k2", what="images")
    assert [s.index for s in plan.todo] == [1, 2]  # shot 2's stored file is gone: made again
    # Both are made anew (fresh): each then differs from the entry it replaces.
    assert set(plan.kept) == {"0"} and set(plan.replaced) == {"1", "2"}
    everything = redo_plan(wanted, previous, [], fresh=True, exists=lambda key: True, what="images")
    assert len(everything.todo) == 3 and not everything.kept and not everything.replaced
    with pytest.raises(BadScriptError, match=r"shots: no such images shot\(s\) \[9\]"):
        redo_plan(wanted, previous, [9], fresh=True, exists=lambda key: True, what="images")


def test_a_shot_redone_fresh_takes_the_seed_after_the_one_it_replaces(tmp_path: Path):
    script = spec(extra={"seed": 100})
    plan = redo_plan(shots(2), {"0": entry(0, 100), "1": entry(1, 41)}, [1], fresh=True,
                     exists=lambda key: True, what="images")
    assert [(j["index"], j["seed"]) for j in image_jobs(script, plan, tmp_path)] == [(1, 42)]
    first = redo_plan(shots(2), {}, [], fresh=True, exists=lambda key: True, what="images")
    assert [j["seed"] for j in image_jobs(script, first, tmp_path)] == [100, 101]
    assert base_seed(spec()) == base_seed(spec()) != base_seed(spec(id=8))  # stable per script


def test_the_cover_uses_the_topic_picture_else_the_first_shot():
    images = ImagesManifest.model_validate(VALUES["images"])
    assert cover_picture_key(images) == images.cover_background.key
    images.cover_background = None
    images.images = {"3": entry(3, 1), "1": entry(1, 1)}
    assert cover_picture_key(images) == "k1"
    images.images = {}
    assert cover_picture_key(images) is None


def test_splits_sample_is_a_valid_storyboard():
    assert SplitsManifest.model_validate(VALUES["splits"]).shots[1].kind == "broll"
