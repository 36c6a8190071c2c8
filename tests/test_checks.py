"""Asset checks: all pass on a good render, each fails on a deliberately broken artifact, and a
failing blocking check stops the run before anything downstream is built."""

import subprocess

import dagster as dg
import pytest
from conftest import add
from PIL import Image

from batchvideo_app.render import render_scripts
from batchvideo_assets.defs.speech.checks import evaluate_audio, evaluate_srt
from batchvideo_assets.defs.storyboard.checks import evaluate_splits
from batchvideo_assets.defs.video import checks as video_checks
from batchvideo_assets.defs.video.checks import evaluate_cover, evaluate_video
from batchvideo_assets.defs.visuals.checks import evaluate_broll, evaluate_images
from batchvideo_assets.resources import media_store
from batchvideo_media.analysis import freeze_allowed
from batchvideo_resources.db.script_runs import latest_run
from batchvideo_resources.manifests import load_manifest


@pytest.fixture(scope="module")
def media():
    return media_store()


@pytest.fixture(scope="module")
def good(golden, media):
    sid = int(golden["id"])
    values = {stage: load_manifest(stage, media.read_bytes(f"jobs/{sid}/manifests/{stage}.json"))
              for stage in ("script", "audio", "srt", "splits", "images", "broll_clips", "composed_video",
                            "logoed_video", "cover")}
    assert any(s.kind == "broll" for s in values["splits"].shots), "need a b-roll shot to check"
    return {"id": sid, "run_id": golden["run_id"], **values}


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *map(str, args)], check=True)


def put(media, tmp_path, name, writer):
    """Write a broken artifact beside the good ones, under a key of its own."""
    path = tmp_path / name
    writer(path)
    key = f"jobs/broken/{tmp_path.name}/{name}"
    media.put_file(path, key)
    return key


def test_every_check_is_declared_on_its_asset_blocking_and_partitioned():
    from batchvideo_assets.definitions import build_definitions

    defs = build_definitions()
    assert not defs.asset_checks, "checks run in their asset's step, not in steps of their own"
    specs = {spec.asset_key.path[-1]: (spec, assets_def) for assets_def in defs.assets
             if isinstance(assets_def, dg.AssetsDefinition)
             for spec in assets_def.check_specs}
    assert set(specs) == {"audio", "srt", "splits", "images", "broll_clips", "composed_video", "logoed_video",
                          "cover"}
    for stage, (spec, assets_def) in specs.items():
        assert spec.blocking and spec.partitions_def == assets_def.partitions_def, stage
        assert assets_def.keys == {spec.asset_key}, stage


def test_checks_run_in_the_render_job_and_pass(good, instance):
    evaluations = [r.dagster_event.event_specific_data
                   for r in instance.all_logs(good["run_id"], of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
    assert len(evaluations) == 8
    failed = {e.check_name: e.description for e in evaluations if not e.passed}
    assert not failed, failed
    assert {e.asset_key.path[-1] for e in evaluations} >= {"composed_video", "cover"}
    assert all(e.partition == str(good["id"]) for e in evaluations if hasattr(e, "partition"))


def test_audio_check(good, media, tmp_path):
    assert evaluate_audio(good["audio"], media).passed
    longer = good["audio"].model_copy(update={"duration_ms": good["audio"].duration_ms + 2000})
    assert "past the last sentence" in " ".join(evaluate_audio(longer, media).problems)
    overlapping = good["audio"].model_copy(deep=True)
    overlapping.sentences[-1].start_ms = overlapping.sentences[0].start_ms
    assert not evaluate_audio(overlapping, media).passed
    seconds = good["audio"].duration_ms / 1000
    silent = put(media, tmp_path, "silent.wav",
                 lambda p: ffmpeg("-f", "lavfi", "-i", "anullsrc=r=24000:cl=mono", "-t", seconds, p))
    verdict = evaluate_audio(good["audio"].model_copy(update={"key": silent}), media)
    assert any("silent" in p for p in verdict.problems), verdict.problems
    assert not evaluate_audio(good["audio"].model_copy(update={"key": "jobs/none/audio.wav"}), media).passed


def test_srt_check(good, media, tmp_path):
    args = (good["script"], good["audio"], media)
    assert evaluate_srt(good["srt"], *args).passed
    text = media.read_bytes(good["srt"].key).decode()

    def variant(name, body):
        key = put(media, tmp_path, name, lambda p: p.write_text(body, encoding="utf-8"))
        return evaluate_srt(good["srt"].model_copy(update={"key": key}), *args).problems

    cues = good["srt"].cues
    overlap = text.replace(_ts(cues[1].start_ms), _ts(cues[0].end_ms - 300), 1)
    assert any("overlaps" in p for p in variant("overlap.srt", overlap))
    beyond = text.replace(_ts(cues[-1].end_ms), _ts(good["audio"].duration_ms + 5000), 1)
    assert any("after the audio" in p for p in variant("beyond.srt", beyond))
    wide = text.replace(cues[0].text.split("\n")[0], "很" * 30, 1)
    assert any("wide" in p for p in variant("wide.srt", wide))
    assert variant("garbage.srt", "this is not\na subtitle file\n")


def _ts(ms: int) -> str:
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def test_splits_check(good):
    assert evaluate_splits(good["splits"], good["audio"]).passed
    short = good["splits"].model_copy(deep=True)
    short.shots[-1].end_ms -= 500
    assert any("narration lasts" in p for p in evaluate_splits(short, good["audio"]).problems)
    gap = good["splits"].model_copy(deep=True)
    gap.shots[1].start_ms += 200
    assert any("gap or overlap" in p for p in evaluate_splits(gap, good["audio"]).problems)


def test_images_check(good, media, tmp_path):
    args = (good["script"], good["splits"], media)
    assert evaluate_images(good["images"], *args).passed
    missing = good["images"].model_copy(deep=True)
    missing.images.pop(min(missing.images, key=int))
    assert any("no image for shot" in p for p in evaluate_images(missing, *args).problems)
    idx = min(good["images"].images, key=int)
    small = put(media, tmp_path, "small.png", lambda p: Image.new("RGB", (640, 360), "red").save(p))
    truncated = put(media, tmp_path, "truncated.png",
                    lambda p: p.write_bytes(media.read_bytes(good["images"].images[idx].key)[:5000]))
    for key, words in ((small, "not 1360x768"), (truncated, "does not decode")):
        broken = good["images"].model_copy(deep=True)
        broken.images[idx].key = key
        problems = evaluate_images(broken, *args).problems
        assert any(words in p for p in problems), problems


def test_broll_check(good, media, tmp_path):
    args = (good["script"], good["splits"], media)
    assert evaluate_broll(good["broll_clips"], *args).passed
    idx = min(good["broll_clips"].clips, key=int)
    src = media.read_bytes(good["broll_clips"].clips[idx].key)
    seconds = next(s.end_ms - s.start_ms for s in good["splits"].shots if str(s.index) == idx) / 1000
    small = put(media, tmp_path, "small.mp4", lambda p: ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
                                                              "-t", seconds, "-pix_fmt", "yuv420p", p))
    truncated = put(media, tmp_path, "truncated.mp4", lambda p: p.write_bytes(src[: len(src) // 2]))
    for key, words in ((small, "not 1360x768"), (truncated, "decode")):
        broken = good["broll_clips"].model_copy(deep=True)
        broken.clips[idx].key = key
        problems = evaluate_broll(broken, *args).problems
        assert any(words in p for p in problems), problems
    missing = good["broll_clips"].model_copy(deep=True)
    missing.clips.pop(idx)
    assert not evaluate_broll(missing, *args).passed


@pytest.mark.parametrize("stage", ["composed_video", "logoed_video"])
def test_video_check_passes_on_the_render(good, media, stage):
    verdict = evaluate_video(good[stage], good["script"], good["audio"], media, good["splits"])
    assert verdict.passed, verdict.problems
    assert verdict.facts["frozen_stretches"] == 0 and verdict.facts["black_stretches"] == 0


def test_video_check_fails_on_broken_videos(good, media, tmp_path):
    src = media.local_path(good["composed_video"].key, tmp_path)
    seconds = good["audio"].duration_ms / 1000
    still = media.local_path(good["images"].images[min(good["images"].images, key=int)].key, tmp_path)
    enc = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    cases = {
        "no audio": (lambda p: ffmpeg("-i", src, "-an", "-c", "copy", p), "no audio stream"),
        "too short": (lambda p: ffmpeg("-i", src, "-t", seconds - 1.5, "-c", "copy", p), "lasts"),
        "too quiet": (lambda p: ffmpeg("-i", src, "-c:v", "copy", "-af", "volume=-12dB", "-c:a", "aac", p),
                      "loudness"),
        # re-encoded variants keep only the first 6 s (enough to show the fault, quick to decode)
        "wrong size": (lambda p: ffmpeg("-i", src, "-t", 6, "-vf", "scale=640:360", *enc, p), "resolution"),
        "frozen": (lambda p: ffmpeg("-loop", "1", "-framerate", 25, "-i", still, "-i", src, "-map", "0:v",
                                    "-map", "1:a", "-t", 6, *enc, p), "frozen from 0.0"),
        "black": (lambda p: ffmpeg("-i", src, "-t", 6, "-vf", "drawbox=c=black:t=fill:enable='between(t,2,4)'",
                                   *enc, p), "black from 2.0"),
    }
    for name, (writer, words) in cases.items():
        key = put(media, tmp_path, name.replace(" ", "_") + ".mp4", writer)
        verdict = evaluate_video(good["composed_video"].model_copy(update={"key": key}), good["script"], good["audio"], media,
                                 good["splits"])
        assert any(words in p for p in verdict.problems), (name, verdict.problems)


def test_static_broll_is_not_a_freeze(good):
    broll = next(s for s in good["splits"].shots if s.kind == "broll")
    image = next(s for s in good["splits"].shots if s.kind == "image")
    inside = (broll.start_ms / 1000, broll.end_ms / 1000)
    spans = video_checks.static_spans_ms(good["splits"])
    assert freeze_allowed(*inside, spans)
    assert not freeze_allowed(image.start_ms / 1000, image.end_ms / 1000, spans)


def test_cover_check(good, media, tmp_path):
    assert evaluate_cover(good["cover"], good["script"], media).passed
    image_key = good["images"].images[min(good["images"].images, key=int)].key

    def no_title(p):
        with Image.open(media.local_path(image_key, tmp_path)) as img:
            img.convert("RGB").save(p, format="JPEG")

    untitled = put(media, tmp_path, "untitled.jpg", no_title)
    problems = evaluate_cover(good["cover"].model_copy(update={"key": untitled}), good["script"], media).problems
    assert any("no title" in p for p in problems), problems
    garbage = put(media, tmp_path, "garbage.jpg", lambda p: p.write_bytes(b"\xff\xd8\xff not really a jpeg"))
    assert any("decode" in p for p in evaluate_cover(good["cover"].model_copy(update={"key": garbage}), good["script"],
                                                     media).problems)
    assert not evaluate_cover(good["cover"].model_copy(update={"title": "another title"}), good["script"],
                              media).passed


def test_failing_blocking_check_stops_the_run(prepared_db, instance, media, monkeypatch):
    """Overlapping cues from a (simulated) subtitle bug: the srt check fails, nothing downstream is built."""
    from batchvideo_resources.stages import speech

    real = speech.build_cues

    def overlapping(*args, **kwargs):
        cues = real(*args, **kwargs)
        if len(cues) > 1:
            cues[1].start = cues[0].start
        return cues

    monkeypatch.setattr(speech, "build_cues", overlapping)
    sid = add(prepared_db, title="Overlap", content="First sentence is here. And a second sentence follows it.",
              language="en-US", account="plain")
    (result,) = render_scripts([str(sid)], instance=instance, in_process=True)
    assert result["status"] == "FAILED"
    assert "overlaps" in result["error"]
    assert media.exists(f"jobs/{sid}/manifests/srt.json")
    assert not media.exists(f"jobs/{sid}/manifests/splits.json")
    assert not list((media.local_root / "jobs" / str(sid)).rglob("video_combined.mp4"))
    row = latest_run(prepared_db, sid)
    assert row.status == "FAILED" and "overlaps" in row.error


def test_logo_check_sees_the_logo_and_its_absence(good, media):
    """The branded video's logo corner differs from composed_video's; a 'branded' video whose logo
    never reached the frames (a logo that did not decode) fails by name."""
    assert good["script"].spec.account.logo, "the demo account has a logo"
    verdict = video_checks.evaluate_logoed_video(good["logoed_video"], good["composed_video"], good["script"],
                                                 good["audio"], media, good["splits"])
    assert verdict.passed, verdict.problems
    assert verdict.facts["logo_measured_change"] >= 0.4 * verdict.facts["logo_expected_change"] > 2
    unbranded = good["logoed_video"].model_copy(update={"key": good["composed_video"].key})
    verdict = video_checks.evaluate_logoed_video(unbranded, good["composed_video"], good["script"], good["audio"],
                                                 media, good["splits"])
    assert any(p.startswith("logo: not visible") for p in verdict.problems), verdict.problems
