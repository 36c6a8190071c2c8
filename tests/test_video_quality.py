"""What a viewer sees and hears in a composed video: format, duration, loudness, ducked music,
subtitles in the account's style (whatever the text contains), motion on stills."""

import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_compose import SR, H, W, frame, make_ass, near, speech, stills, tone

from batchvideo_media import compose as C
from batchvideo_media.probe import measure_loudness, probe, stream_duration

pytestmark = pytest.mark.media

BOX = "#2E5B8B"  # an account colour that is not the default
BOX_RGB = (0x2E, 0x5B, 0x8B)
NASTY = [
    (0.3, 2.2, "引号“quotes” 'single' \"double\": colon, 100% {braces} \\N \\backslash"),
    (2.6, 4.4, "%{pts} ${HOME} [brackets]; semi; comma, = equals | pipe ` tick"),
    (4.8, 6.6, "表情 🎉 emoji 👍🏽 and CJK 人工智能"),
]
SECONDS = 8.0


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quality")
    imgs = stills(tmp, 2)
    shots = [C.ShotMedia("image", imgs[0], 0, 4000), C.ShotMedia("image", imgs[1], 4000, 8000)]
    narration, _ = speech(tmp / "narration.wav", SECONDS)
    bgm = tone(tmp / "bgm.wav", 3.0, 1000.0)  # shorter than the video: it loops
    ass = make_ass(tmp / "subs.ass", NASTY, background=BOX)
    out = tmp / "video.mp4"
    facts = C.render_composition(shots, narration, ass, out, W, H, int(SECONDS * 1000), bgm=bgm)
    return {"out": out, "facts": facts, "tmp": tmp}


def test_h264_aac_yuv420p_faststart_and_duration(rendered):
    out = rendered["out"]
    info = probe(out)
    assert (info.video_codec, info.audio_codec, info.pix_fmt) == ("h264", "aac", "yuv420p")
    assert (info.width, info.height) == (W, H)
    assert abs(stream_duration(out, "v") - SECONDS) < 0.1 and abs(stream_duration(out, "a") - SECONDS) < 0.1
    head = out.read_bytes()[:4096]
    assert 0 <= head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head  # moov first: +faststart


def test_loudness_normalised_and_recorded(rendered):
    measured = measure_loudness(rendered["out"])
    assert abs(measured["integrated_lufs"] - (-14.0)) <= 1.0, measured
    assert abs(rendered["facts"]["integrated_lufs"] - measured["integrated_lufs"]) <= 0.5
    assert measured["true_peak_db"] <= -0.5


def _band_levels(path: Path, freq: float, window_s: float = 0.1) -> np.ndarray:
    """Level (dB) of `freq` in consecutive windows of the first audio stream, mono."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(SR),
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    samples = np.frombuffer(raw, np.float32)
    n = int(window_s * SR)
    windows = samples[: len(samples) // n * n].reshape(-1, n) * np.hanning(n)
    spectrum = np.abs(np.fft.rfft(windows, axis=1))
    k = int(round(freq * n / SR))
    return 20 * np.log10(spectrum[:, k - 1:k + 2].max(axis=1) / n + 1e-9)


def test_music_ducks_under_the_voice_and_comes_back_in_pauses(tmp_path):
    narration, spans = speech(tmp_path / "n.wav", 10.0, sentence_s=2.0, pause_s=0.6)
    bgm = tone(tmp_path / "m.wav", 4.0, 1000.0)
    mix = tmp_path / "mix.m4a"
    facts = C.master_audio(narration, mix, 10.0, bgm=bgm)
    assert abs(facts["integrated_lufs"] + 14) <= 1.0
    levels = _band_levels(mix, 1000.0)
    t = (np.arange(len(levels)) + 0.5) * 0.1
    under = [lv for lv, x in zip(levels, t) if any(a + 0.3 < x < b - 0.1 for a, b in spans)]
    gaps = [lv for lv, x in zip(levels, t) if any(b + 0.3 < x < b + 0.55 for a, b in spans[:-1])]
    assert under and gaps
    assert np.median(gaps) - np.median(under) >= 6.0, (np.median(gaps), np.median(under))  # ducked under speech
    assert np.median(gaps) > -40.0  # and clearly audible between sentences
    voice = _band_levels(mix, 180.0)
    assert np.median([v for v, x in zip(voice, t) if any(a + 0.3 < x < b - 0.1 for a, b in spans)]) > np.median(gaps) + 6


def _box_rows(img: np.ndarray) -> np.ndarray:
    """Rows (in the lower part of the frame) where a wide run of pixels has the box colour."""
    mask = np.abs(img.astype(int) - BOX_RGB).max(axis=2) <= 22
    rows = np.where(mask.sum(axis=1) > 150)[0]
    return rows[rows > H // 2]


def test_subtitles_boxed_in_the_account_colour_whatever_the_text(rendered):
    out = rendered["out"]
    band = slice(int(H * 0.70), H)
    for a, b, _ in NASTY:
        img = frame(out, (a + b) / 2)
        box = near(img[band], BOX_RGB, 22)
        assert box > 0.03, (a, box)
        ys = _box_rows(img)
        # box above the bottom margin and about one line tall for a 768-high frame (font ≈ 5.5% of it)
        assert ys.max() < H - H * 0.05 and 30 < ys.max() - ys.min() < 140
        # white glyphs drawn inside the box
        rows = img[ys.min():ys.max() + 1]
        assert (rows.min(axis=2) > 220).mean() > 0.002
    assert near(frame(out, 7.5)[band], BOX_RGB, 22) < 0.001  # no cue, no box


def test_cjk_glyphs_render(rendered):
    # the third cue is mostly CJK: its box holds many white glyph pixels (emoji are dropped, not boxed)
    img = frame(rendered["out"], 5.7)
    ys = _box_rows(img)
    rows = img[ys.min():ys.max() + 1]
    assert (rows.min(axis=2) > 220).sum() > 500


def test_stills_move(rendered):
    out = rendered["out"]
    a, b = frame(out, 0.5).astype(int), frame(out, 3.0).astype(int)
    top = slice(60, int(H * 0.6))  # above the subtitles
    assert np.abs(a[top] - b[top]).mean() > 1.0  # the same still, but not the same frame
    # … and it is a slow pan: some small whole-pixel shift maps one onto the other
    shifts = [(0, dx) for dx in range(-40, 41, 2)] + [(dy, 0) for dy in range(-40, 41, 2)]
    best = min(np.abs(np.roll(a[top], shift, axis=(0, 1))[40:-40, 40:-40] - b[top][40:-40, 40:-40]).mean()
               for shift in shifts)
    assert best < 2.5
