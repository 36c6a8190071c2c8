"""The media analysis behind the stage checks, run directly on small real files made here with ffmpeg/PIL."""

from datetime import timedelta
from pathlib import Path

import pytest
import srt
from PIL import Image, ImageDraw

from batchvideo_media import analysis as A
from batchvideo_media.compose import master_audio
from batchvideo_media.probe import measure_loudness, run_ffmpeg

pytestmark = pytest.mark.media

SIZE = (320, 180)


def ffmpeg(*args) -> None:
    run_ffmpeg([str(a) for a in args])


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    """Small files, each good or broken in one known way."""
    d = tmp_path_factory.mktemp("analysis")
    files = {name: d / name for name in ("tone.wav", "silence.wav", "mastered.m4a", "good.mp4", "quiet.mp4",
                                          "black.mp4", "frozen.mp4", "clip.mp4", "truncated.mp4", "still.png")}
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=2", files["tone.wav"])  # ffmpeg's sine: amplitude 1/8 (−18 dBFS)
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", 2, files["silence.wav"])
    master_audio(files["tone.wav"], files["mastered.m4a"], 6.0)  # to TARGET_LUFS, padded to 6 s
    video = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    moving = ["-f", "lavfi", "-i", f"testsrc2=size={SIZE[0]}x{SIZE[1]}:rate=25:duration=6"]
    ffmpeg(*moving, "-i", files["mastered.m4a"], *video, "-c:a", "copy", files["good.mp4"])
    ffmpeg("-i", files["good.mp4"], "-c:v", "copy", "-af", "volume=-12dB", "-c:a", "aac", files["quiet.mp4"])
    ffmpeg("-i", files["good.mp4"], "-vf", "drawbox=c=black:t=fill:enable='between(t,2,4)'", *video, "-c:a", "copy",
           files["black.mp4"])
    Image.new("RGB", SIZE, (40, 90, 160)).save(files["still.png"])
    ffmpeg("-loop", 1, "-framerate", 25, "-i", files["still.png"], "-i", files["mastered.m4a"], "-map", "0:v",
           "-map", "1:a", "-t", 6, *video, "-c:a", "copy", files["frozen.mp4"])
    ffmpeg(*moving, "-t", 3, *video, files["clip.mp4"])
    files["truncated.mp4"].write_bytes(files["clip.mp4"].read_bytes()[: files["clip.mp4"].stat().st_size // 2])
    return files


def test_max_volume_of_a_tone_and_of_silence(media):
    assert -19.0 < A.max_volume_db(media["tone.wav"]) < -17.0
    assert A.max_volume_db(media["silence.wav"]) < A.SILENT_DB  # volumedetect reports digital silence as −91 dB


def test_narration_findings(media, tmp_path):
    good = A.narration_findings(media["tone.wav"], 2000)
    assert good.passed, good.problems
    assert good.facts["file_duration_ms"] == 2000
    assert any("file lasts 2000 ms" in p for p in A.narration_findings(media["tone.wav"], 2500).problems)
    assert any("silent" in p for p in A.narration_findings(media["silence.wav"], 2000).problems)
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF not really a wave file")
    assert any("does not decode" in p for p in A.narration_findings(garbage, 2000).problems)


def test_timing_findings():
    timings = [{"text": "One.", "start_ms": 100, "end_ms": 900}, {"text": "Two.", "start_ms": 1200, "end_ms": 1900}]
    assert A.timing_findings(timings, 2000).passed
    overlapping = [timings[0], {**timings[1], "start_ms": 800}]
    assert any("before the previous one ends" in p for p in A.timing_findings(overlapping, 2000).problems)
    assert any("after the audio" in p for p in A.timing_findings(timings, 1500).problems)
    long_tail = 1900 + A.MAX_TAIL_MS + 1
    assert any("past the last sentence" in p for p in A.timing_findings(timings, long_tail).problems)
    assert A.timing_findings(timings, long_tail, supplied=True).passed  # a user's narration may end in silence


def _srt(*cues: tuple[int, int, str]) -> bytes:
    return srt.compose([srt.Subtitle(i + 1, timedelta(milliseconds=a), timedelta(milliseconds=b), text)
                        for i, (a, b, text) in enumerate(cues)]).encode()


def test_srt_findings():
    good = A.srt_findings(_srt((0, 920, "Short line"), (1000, 2000, "Another one")), 2, 24, 2000)
    assert good.passed, good.problems
    assert good.facts["cues"] == 2 and good.facts["widest_line"] == len("Another one")
    problems = A.srt_findings(_srt((0, 1500, "First"), (1000, 2500, "x" * 30 + "\nb\nc")), 2, 24, 2000).problems
    assert any("overlaps cue 1" in p for p in problems), problems
    assert any("after the audio" in p for p in problems), problems
    assert any("3 lines" in p for p in problems), problems
    assert any("30 units wide (limit 24)" in p for p in problems), problems
    assert any("the manifest 3" in p for p in A.srt_findings(_srt((0, 1000, "One")), 3, 24, 2000).problems)
    # the Netflix guide: 2 frames (80 ms at 25 fps) between cues, one line when the text fits one
    netflix = A.srt_findings(_srt((0, 950, "Short line"), (1000, 2000, "Another\none")), 2, 24, 2000).problems
    assert any("less than 2 frames" in p for p in netflix), netflix
    assert any("on 2 lines but fits on one" in p for p in netflix), netflix
    assert any("does not parse" in p for p in A.srt_findings(b"1\nnot a timestamp\nhello\n", 1, 24, 2000).problems)


def test_image_and_clip_findings(media, tmp_path):
    assert A.image_findings(media["still.png"], SIZE, "image 0").passed
    assert any("is 320x180, not 640x360" in p for p in A.image_findings(media["still.png"], (640, 360), "image 0")
               .problems)
    cut = tmp_path / "cut.png"
    cut.write_bytes(media["still.png"].read_bytes()[:60])
    assert any("does not decode" in p for p in A.image_findings(cut, SIZE, "image 0").problems)

    assert A.clip_findings(media["clip.mp4"], SIZE, 3000, "b-roll 1").passed
    too_short = A.clip_findings(media["clip.mp4"], SIZE, 5000, "b-roll 1").problems
    assert any("lasts 3000 ms, the shot 5000 ms" in p for p in too_short), too_short
    assert any("does not decode" in p for p in A.clip_findings(media["truncated.mp4"], SIZE, None, "b-roll 1").problems)
    assert any("no video stream" in p for p in A.clip_findings(media["tone.wav"], SIZE, None, "b-roll 1").problems)


def test_black_and_frozen_stretches(media):
    black, frozen = A.black_and_frozen(media["black.mp4"], 6.0)
    assert len(black) == 1 and abs(black[0][0] - 2.0) < 0.1 and abs(black[0][1] - 4.0) < 0.1
    black, frozen = A.black_and_frozen(media["frozen.mp4"], 6.0)
    assert not black and len(frozen) == 1 and frozen[0][0] < 0.1 and frozen[0][1] > 5.5
    assert A.black_and_frozen(media["good.mp4"], 6.0) == ([], [])


def test_freeze_allowed_only_inside_a_static_span():
    spans = [(2000, 6000)]
    assert A.freeze_allowed(2.2, 5.9, spans)
    assert A.freeze_allowed(1.5, 6.5, spans)  # transitions blur the edges by up to SHOT_EDGE_S
    assert not A.freeze_allowed(0.0, 3.5, spans)
    assert not A.freeze_allowed(2.2, 5.9, [])


def test_video_findings(media):
    assert abs(measure_loudness(media["good.mp4"])["integrated_lufs"] - A.TARGET_LUFS) <= A.LOUDNESS_TOLERANCE_LU
    good = A.video_findings(media["good.mp4"], SIZE, 6000, [])
    assert good.passed, good.problems
    assert good.facts["black_stretches"] == 0 and good.facts["frozen_stretches"] == 0

    def problems(name: str, **kwargs) -> str:
        args = {"canvas": SIZE, "narration_ms": 6000, "static_spans_ms": [], **kwargs}
        return " | ".join(A.video_findings(media[name], **args).problems)

    assert "integrated loudness" in problems("quiet.mp4")
    assert "resolution is 320x180, not 640x360" in problems("good.mp4", canvas=(640, 360))
    assert "the narration 8000 ms" in problems("good.mp4", narration_ms=8000)
    assert "black from 2.0 s to 4.0 s" in problems("black.mp4")
    assert "frozen from 0.0" in problems("frozen.mp4")
    assert A.video_findings(media["frozen.mp4"], SIZE, 6000, [(0, 6000)]).passed  # static b-roll
    assert A.video_findings(media["frozen.mp4"], SIZE, 6000, [], motion=False).passed
    assert "no video stream" in problems("tone.wav", narration_ms=2000)


def test_cover_findings(tmp_path):
    def cover(name: str, title: bool, fmt: str = "JPEG") -> Path:
        img = Image.new("RGB", SIZE, (30, 30, 30))
        if title:
            ImageDraw.Draw(img).rectangle((40, 130, 280, 160), fill=A.TITLE_RGB)
        img.save(tmp_path / name, format=fmt)
        return tmp_path / name

    titled = A.cover_findings(cover("titled.jpg", True), SIZE)
    assert titled.passed, titled.problems
    assert titled.facts["title_pixels_fraction"] > A.TITLE_MIN_FRACTION
    assert any("no title" in p for p in A.cover_findings(cover("plain.jpg", False), SIZE).problems)
    assert any("not JPEG" in p for p in A.cover_findings(cover("titled.png", True, "PNG"), SIZE).problems)
    assert any("not 640x360" in p for p in A.cover_findings(cover("titled2.jpg", True), (640, 360)).problems)
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"\xff\xd8\xff not really a jpeg")
    assert any("does not decode" in p for p in A.cover_findings(garbage, SIZE).problems)
