"""Stage values are manifest models end to end: the IO manager stores each model as the same JSON as
before (so stored outputs stay readable) and loads it back as its model, and no stage reads another
stage's value by string key (`value["field"]`), so a renamed field is a type error, not a KeyError
three stages later."""

import json
import re
from pathlib import Path

import dagster as dg
import pytest

from batchvideo_assets.io_manager import ManifestIOManager
from batchvideo_resources.manifests import MANIFESTS, Manifest, load_manifest, manifest_json
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.script_spec import ScriptSpec

pytestmark = pytest.mark.unit

DEFS = Path(__file__).parent.parent / "batchvideo_assets" / "defs"

SPEC = {"id": 7, "title": "Tides", "content": "The sea rises. The sea falls.", "speech_speed": 1.0,
        "language": {"code": "en-US", "name": "English", "tts_voice": "en-us", "square": False},
        "voice": {}, "topic": {}, "account": {}}
WORDS = [{"text": "The", "start_ms": 0, "end_ms": 200}, {"text": "sea", "start_ms": 200, "end_ms": 500}]
FILE = {"key": "jobs/7/runs/r1/x", "uri": "file:///media/jobs/7/runs/r1/x"}
ENTRY = {**FILE, "seed": 11, "prompt": "a calm sea"}

# One value of every stage as its JSON dict, the way stored manifests hold them (fields in the order
# the models declare them, which is the order they have always been written in).
VALUES = {
    # A snapshot stores the whole spec, defaults included.
    "script": {"spec": ScriptSpec.model_validate(SPEC).model_dump(mode="json"), "digest": "d1", "facets": {"narration": "n1"}, "revision": 3},
    "audio": {**FILE, "duration_ms": 2400, "sentences": [
        {"text": "The sea rises.", "start_ms": 0, "end_ms": 1000, "cues": [
            {"text": "The sea rises.", "spoken": "The sea rises.", "start_ms": 0, "end_ms": 1000, "words": WORDS}]},
        {"text": "The sea falls.", "start_ms": 1300, "end_ms": 2400, "cues": []}], "pause_ms": 300,
              "source": "espeak-ng"},
    "srt": {**FILE, "cues": [{"index": 1, "start_ms": 0, "end_ms": 1000, "text": "The sea rises.", "words": WORDS}]},
    "splits": {**FILE, "shots": [
        {"index": 0, "start_ms": 0, "end_ms": 1300, "text": "The sea rises.", "prompt": "sea", "keywords": ["sea"],
         "kind": "image"},
        {"index": 1, "start_ms": 1300, "end_ms": 2400, "text": "The sea falls.", "prompt": "sea",
         "keywords": ["sea", "tide"], "kind": "broll"}], "prompt_source": "template", "min_shot_s": 7.0},
    "images": {"images": {"0": ENTRY}, "model": "placeholder", "width": 1360, "height": 768,
               "cover_background": {**ENTRY, "seed": 7}},
    "broll_clips": {"clips": {"1": {**FILE, "clip_id": "waves-01", "source": "sample", "licence": "CC0",
                                    "keywords": ["sea"], "duration_s": 1.1}}},
    "digital_human": {"mode": "corner", "clips": [{"key": "jobs/7/p.mp4", "start_ms": 0, "end_ms": 2400}]},
    "composed_video": {**FILE, "duration_s": 2.4, "integrated_lufs": -14.1, "black_s": [[0.0, 0.2]],
                       "frozen_s": []},
    "logoed_video": {**FILE, "note": "logo overlaid; cover attached"},
    "cover": {**FILE, "title": "Tides"},
}


def test_every_stage_has_a_sample():
    assert set(VALUES) == set(MANIFESTS)


@pytest.mark.parametrize("stage", sorted(MANIFESTS))
def test_io_manager_round_trips_each_manifest_model(stage, tmp_path):
    media = MediaStore(url=tmp_path.as_uri())
    io_manager = ManifestIOManager(media=media)
    value = MANIFESTS[stage].model_validate(VALUES[stage])
    key = dg.AssetKey(stage)
    io_manager.handle_output(dg.build_output_context(asset_key=key, partition_key="7", run_id="r1"), value)

    stored = media.read_bytes(f"jobs/7/manifests/{stage}.json")
    # Same bytes as the dict-valued stages stored, so every stored output stays readable.
    assert stored == json.dumps(VALUES[stage], ensure_ascii=False, indent=1).encode()
    assert media.read_bytes(f"jobs/7/runs/r1/manifests/{stage}.json") == stored

    loaded = io_manager.load_input(dg.build_input_context(asset_key=key, partition_key="7"))
    assert type(loaded) is MANIFESTS[stage] and loaded == value


def test_a_stage_value_of_the_wrong_model_or_shape_is_refused():
    with pytest.raises(TypeError, match="AudioManifest"):
        manifest_json("audio", MANIFESTS["cover"].model_validate(VALUES["cover"]))
    mutated = MANIFESTS["splits"].model_validate(VALUES["splits"])
    mutated.shots[0].kind = "video"  # models do not validate assignment: the write checks again
    with pytest.raises(ValueError, match="kind"):
        manifest_json("splits", mutated)


def test_manifests_written_before_cue_timing_still_load():
    old = {**VALUES["audio"], "sentences": [{"text": "The sea rises.", "start_ms": 0, "end_ms": 2400}]}
    audio = load_manifest("audio", json.dumps(old))
    assert audio.sentences[0].cues == [] and audio.duration_ms == 2400


def test_manifest_models_do_not_import_dagster():
    source = (Path(__file__).parent.parent / "batchvideo_resources" / "manifests.py").read_text()
    assert not re.search(r"^\s*(import|from)\s+dagster", source, re.M)


# A subscript by a string literal: `audio["duration_ms"]`, `c["start_ms"]`.
STRING_KEY = re.compile(r'\["[a-z_]+"\]')


def test_no_stage_reads_a_value_by_string_key():
    """Stage values are models read by attribute; `defs/` holds no `x["field"]` lookups and no
    `: dict` stage parameters (the stages' names as parameters annotated dict)."""
    stages = "|".join(MANIFESTS)
    dict_param = re.compile(rf"\b({stages}|value|previous|presenter)\s*:\s*dict\b")
    found = []
    for path in sorted(DEFS.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if STRING_KEY.search(line) or dict_param.search(line):
                found.append(f"{path.relative_to(DEFS)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_every_stage_value_is_a_manifest_model():
    assert all(issubclass(model, Manifest) for model in MANIFESTS.values())
