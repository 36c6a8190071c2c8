"""Composition: chunk planning, digital-human insertion, transitions, h2v, branding and the cover.

Rendering tests use short narrations so the whole file stays well under a minute on 2 cores."""

import subprocess
import wave
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import srt
from PIL import Image

from batchvideo_media import compose as C
from batchvideo_media.compose.graph import even, motion_crop
from batchvideo_media.images import (
    covers,
    drawable,
    font_for_text,
    render_cover,
    render_placeholder,
    safe_margins,
)
from batchvideo_media.probe import probe, stream_duration
from batchvideo_media.subtitles import to_ass

pytestmark = pytest.mark.media

W, H = 1360, 768
SR = 48000


# ---------------------------------------------------------------- helpers shared with test_video_quality

def write_wav(path: Path, signal: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def speech(path: Path, seconds: float, sentence_s: float = 2.0, pause_s: float = 0.4,
           f0: float = 180.0) -> tuple[Path, list[tuple[float, float]]]:
    """Voiced bursts (harmonics of f0) separated by pauses; returns the path and the voiced spans."""
    t = np.arange(int(seconds * SR)) / SR
    voice = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 4))
    spans, gate, start = [], np.zeros_like(t), 0.0
    while start < seconds - 0.2:
        end = min(seconds - 0.1, start + sentence_s)
        gate[(t >= start) & (t < end)] = 1.0
        spans.append((start, end))
        start = end + pause_s
    return write_wav(path, 0.3 * voice * gate), spans


def tone(path: Path, seconds: float, freq: float, amplitude: float = 0.3) -> Path:
    t = np.arange(int(seconds * SR)) / SR
    return write_wav(path, amplitude * np.sin(2 * np.pi * freq * t))


def solid_clip(path: Path, seconds: float, color: str, size: tuple[int, int] = (W, H)) -> Path:
    """A synthetic H.264 clip: a solid colour with a moving test pattern square (no audio)."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"color={color}:s={size[0]}x{size[1]}:r=25:d={seconds}", "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def frame(path: Path, t: float) -> np.ndarray:
    """The decoded frame at `t` seconds as an H×W×3 uint8 RGB array."""
    info = probe(path)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(info.height, info.width, 3)


def near(region: np.ndarray, rgb: tuple[int, int, int], tol: int = 30) -> float:
    """Fraction of the region's pixels within `tol` of `rgb` on every channel."""
    return float((np.abs(region.astype(int) - np.array(rgb)).max(axis=2) <= tol).mean())


def stills(tmp: Path, n: int, size: tuple[int, int] = (W, H)) -> list[Path]:
    out = []
    for i in range(n):
        path = tmp / f"shot{i}.png"
        render_placeholder(path, size[0], size[1], f"镜头 {i} shot", f"seed{i}", i)
        out.append(path)
    return out


def make_ass(path: Path, texts: list[tuple[float, float, str]], size=(W, H), background="#578B2E",
             header=None, duration_ms=None) -> Path:
    # as composed_video does: characters no font can draw (emoji) are dropped before the ASS is written
    cues = [srt.Subtitle(i + 1, timedelta(seconds=a), timedelta(seconds=b), drawable(text))
            for i, (a, b, text) in enumerate(texts)]
    path.write_text(to_ass(cues, *size, font="Noto Sans CJK SC", background=background, header=header,
                           duration_ms=duration_ms), encoding="utf-8")
    return path


# ---------------------------------------------------------------- pure planning

@pytest.mark.parametrize("counts,tf,workers", [([125] * 12, 0, 2), ([125] * 12, 12, 2), ([40, 300, 20, 500, 90], 12, 2),
                                               ([175] * 86, 0, 2), ([50], 0, 2), ([60, 60], 12, 4)])
def test_chunks_cover_every_shot_once_and_stay_bounded(counts, tf, workers):
    chunks = C.plan_chunks(counts, tf, workers)
    assert [i for c in chunks for i in c.shots] == list(range(len(counts)))
    assert sum(c.frames for c in chunks) == sum(counts)
    start = 0
    for c in chunks:
        assert c.start_frame == start and c.frames == sum(counts[i] for i in c.shots)
        start += c.frames
        assert len(c.shots) <= C.CHUNK_MAX_SHOTS
        assert (c.tail is not None) == (tf > 0 and c.index > 0)
    if len(counts) >= workers:
        assert len(chunks) >= workers
    # a long video is many small chunks, not a few huge ones (memory does not grow with length)
    assert max(c.frames for c in chunks) <= max(C.CHUNK_MAX_S * C.FPS, max(counts))


def test_frame_counts_end_with_the_narration():
    shots = [C.ShotMedia("image", Path("x.png"), a, b) for a, b in [(0, 3013), (3013, 7001), (7001, 9990)]]
    assert sum(C.frame_counts(shots)) == round(9990 * 25 / 1000)
    assert sum(C.frame_counts(shots, total_frames=252)) == 252


def test_motion_steps_are_whole_chroma_pixels_and_stay_inside_the_enlarged_still():
    big_w, big_h = even(W * C.MOTION_SCALE), even(H * C.MOTION_SCALE)
    for i in range(4):
        for span in (30, 125, 175, 400):
            expr = motion_crop(i, 0, span, W, H)
            x_expr, y_expr = expr.split(":x='")[1].split("':y='")
            y_expr = y_expr.rstrip("'")
            for n in range(span):
                x = eval(x_expr.replace("floor", "__import__('math').floor"), {"n": n})  # noqa: S307
                y = eval(y_expr.replace("floor", "__import__('math').floor"), {"n": n})  # noqa: S307
                assert x % 2 == 0 and y % 2 == 0
                assert 0 <= x <= big_w - W and 0 <= y <= big_h - H


def test_fullscreen_presenter_replaces_the_shots_it_covers():
    shots = [C.ShotMedia("image", Path(f"{i}.png"), i * 4000, (i + 1) * 4000) for i in range(5)]
    clips = [{"start_ms": 0, "end_ms": 4000}, {"start_ms": 14000, "end_ms": 20000}]
    out, overlays = C.apply_presenter(shots, clips, "fullscreen", [Path("intro.mp4"), Path("outro.mp4")])
    assert not overlays
    assert [(s.kind, s.start_ms, s.end_ms) for s in out] == [
        ("presenter", 0, 4000), ("image", 4000, 8000), ("image", 8000, 12000), ("image", 12000, 14000),
        ("presenter", 14000, 20000)]
    corner, overlays = C.apply_presenter(shots, [{"start_ms": 0, "end_ms": 20000}], "corner", [Path("pip.mp4")])
    assert corner == shots and len(overlays) == 1 and overlays[0].end_ms == 20000
    assert C.apply_presenter(shots, [], "none", []) == (shots, [])


# ---------------------------------------------------------------- rendering

def _render(tmp: Path, shots, seconds: float, name: str, **kwargs) -> tuple[Path, dict]:
    narration, _ = speech(tmp / f"{name}.wav", seconds)
    out = tmp / f"{name}.mp4"
    facts = C.render_composition(shots, narration, kwargs.pop("ass", None), out, W, H, int(seconds * 1000), **kwargs)
    return out, facts


def test_transitions_keep_the_duration_and_blend(tmp_path):
    imgs = stills(tmp_path, 3)
    broll = solid_clip(tmp_path / "broll.mp4", 2.0, "0x2050C0")  # shorter than its shot: last frame held
    shots = [C.ShotMedia("image", imgs[0], 0, 3000), C.ShotMedia("broll", broll, 3000, 6000),
             C.ShotMedia("image", imgs[1], 6000, 9000), C.ShotMedia("image", imgs[2], 9000, 12000)]
    out, facts = _render(tmp_path, shots, 12.0, "xfade", transitions=["fade", "slideleft", "nonsense"], workers=2)
    assert facts["chunks"] == 2 and facts["transition_frames"] > 0
    assert abs(stream_duration(out, "v") - 12.0) < 0.1 and abs(stream_duration(out, "a") - 12.0) < 0.1
    frames = int(subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                 "stream=nb_read_frames", "-of", "csv=p=0", str(out)],
                                capture_output=True, text=True).stdout.strip())
    assert frames == 300
    # mid-fade into the b-roll: neither the still nor the clip alone; the clip plays (held) to its end
    blue = (0x20, 0x50, 0xC0)
    assert near(frame(out, 3.12)[200:600, 400:900], blue, 20) < 0.5
    assert near(frame(out, 5.5)[200:600, 400:900], blue, 20) > 0.95
    # the chunk boundary (at 6 s) carries its transition too: still partly blue just after the cut
    early = near(frame(out, 6.04)[200:600, :], blue, 20)
    late = near(frame(out, 6.8)[200:600, :], blue, 20)
    assert early > 0.05 and late < 0.01


def test_fullscreen_and_corner_presenter_render(tmp_path):
    imgs = stills(tmp_path, 2)
    presenter = solid_clip(tmp_path / "presenter.mp4", 3.0, "0xC03030")
    red = (0xC0, 0x30, 0x30)
    shots = [C.ShotMedia("image", imgs[0], 0, 3000), C.ShotMedia("image", imgs[1], 3000, 6000)]
    full, overlays = C.apply_presenter(shots, [{"start_ms": 0, "end_ms": 3000}], "fullscreen", [presenter])
    out, _ = _render(tmp_path, full, 6.0, "full", overlays=overlays)
    assert near(frame(out, 1.5), red, 12) > 0.9
    assert near(frame(out, 4.5), red, 12) < 0.05
    assert abs(stream_duration(out, "v") - 6.0) < 0.1

    pip = solid_clip(tmp_path / "pip.mp4", 6.0, "0xC03030")
    same, overlays = C.apply_presenter(shots, [{"start_ms": 0, "end_ms": 6000}], "corner", [pip])
    out, _ = _render(tmp_path, same, 6.0, "corner", overlays=overlays)
    pw, px, bottom = C.pip_box((W, H))
    for t in (1.0, 4.5):  # both chunks carry the one overlay
        img = frame(out, t)
        inside = img[bottom - pw * 9 // 16 + 20:bottom - 20, px + 20:px + pw - 20]
        assert near(inside, red, 14) > 0.9
        assert near(img[100:400, 100:600], red, 14) < 0.01  # the shot itself is not covered
        assert near(img[H - 120:H, W // 3:2 * W // 3], red, 14) == 0  # the subtitle band stays clear


def test_h2v_puts_the_horizontal_video_on_a_vertical_canvas_with_header_text(tmp_path):
    imgs = stills(tmp_path, 2)
    shots = [C.ShotMedia("image", imgs[0], 0, 2500), C.ShotMedia("image", imgs[1], 2500, 5000)]
    ass = make_ass(tmp_path / "h2v.ass", [(0.2, 4.8, "竖屏字幕 subtitle")], size=(768, 1360),
                   header=["第 3 期", "标题：为什么海水是咸的？", "desc 100% {x}"], duration_ms=5000)
    out, _ = _render(tmp_path, shots, 5.0, "h2v", ass=ass, canvas=(768, 1360))
    info = probe(out)
    assert (info.width, info.height) == (768, 1360) and abs(info.duration_s - 5.0) < 0.1
    img = frame(out, 2.0)
    scaled_h = even(H * 768 / W)
    top = (1360 - scaled_h) // 2
    band = img[:top]
    assert (band.max(axis=2) > 200).mean() > 0.002           # header text drawn in the top band
    assert near(band, (255, 230, 90), 40) > 0.0005           # the title line in its colour
    assert near(img[top + 20:top + scaled_h - 20], (0, 0, 0), 8) < 0.2  # the picture fills the middle
    assert near(img[-260:], (0x57, 0x8B, 0x2E), 25) > 0.01   # subtitle box below the picture


# ---------------------------------------------------------------- branding, cover, fonts

def test_logo_and_watermark_top_corners_and_cover_attached(tmp_path):
    imgs = stills(tmp_path, 2)
    shots = [C.ShotMedia("image", imgs[0], 0, 3000), C.ShotMedia("image", imgs[1], 3000, 6000)]
    composed, _ = _render(tmp_path, shots, 6.0, "plain")
    from batchvideo_media.images import render_sample_logo

    logo = tmp_path / "logo.png"
    render_sample_logo(logo)
    watermark = tmp_path / "wm.txt"
    watermark.write_text("水印 100% %{pts} \\ {x}", encoding="utf-8")
    logoed = tmp_path / "logoed.mp4"
    facts = C.brand(composed, logo, logoed, W, H, watermark_file=watermark,
                    font_file=font_for_text(watermark.read_text()), workers=2)
    assert facts["parts"] == 2
    assert abs(stream_duration(logoed, "v") - 6.0) < 0.1 and abs(stream_duration(logoed, "a") - 6.0) < 0.1
    logo_w, x, y = C.logo_box(W, H)
    assert abs(logo_w - W * 0.12) < 2
    for t in (1.0, 5.0):  # both parts
        img = frame(logoed, t)
        assert near(img[y + 10:y + logo_w - 10, x + 10:x + logo_w - 10], (230, 60, 50), 45) > 0.3
        assert near(img[y:y + logo_w, :W // 2], (230, 60, 50), 45) < 0.001  # nowhere else
        # watermark: light text top-left that is not in the composed video
        wm_new = np.abs(img[y:y + 40, x // 8:W // 2].astype(int) - frame(composed, t)[y:y + 40, x // 8:W // 2]).max(axis=2)
        assert (wm_new > 60).mean() > 0.005
    cover = tmp_path / "cover.jpg"
    render_cover(cover, imgs[0], W, H, "人工智能与生活", font_family="DejaVu Sans")
    final = tmp_path / "final.mp4"
    C.attach_cover(logoed, cover, final)
    pics = [s for s in probe(final).streams if s.get("disposition", {}).get("attached_pic")]
    assert len(pics) == 1 and pics[0]["codec_name"] == "mjpeg"
    from PIL import Image

    with Image.open(cover) as img:
        arr = np.asarray(img.convert("RGB"))
    assert near(arr[int(H * 0.55):], (255, 230, 90), 40) > 0.01  # the title, drawn in the CJK fallback


def test_fonts_cover_cjk_and_drop_what_nothing_can_draw():
    cjk = font_for_text("人工智能", "DejaVu Sans")
    assert covers(cjk, "人工智能") and "CJK" in cjk
    assert drawable("好 🎉 ok {x} 100% \\ 'q'") == "好 ok {x} 100% \\ 'q'"


def test_placeholder_label_is_inside_the_pan_safe_area(tmp_path):
    for size in ((W, H), (H, W)):
        path = tmp_path / f"p{size[0]}.png"
        render_placeholder(path, *size, "text", "seed", 0)
        from PIL import Image

        with Image.open(path) as img:
            arr = np.asarray(img.convert("RGB"))
        mx, my = safe_margins(*size)
        # the label box is the only pure black in the picture and sits inside the safe area
        ys, xs = np.where(arr.max(axis=2) == 0)
        assert len(xs) > 100
        assert xs.min() >= mx - 8 and xs.max() <= size[0] - mx + 8 and ys.min() >= my - 6


def _ink_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) column ranges that hold any ink, left to right."""
    cols = mask.any(axis=0)
    runs, start = [], None
    for x, ink in enumerate(cols):
        if ink and start is None:
            start = x
        elif not ink and start is not None:
            runs.append((start, x))
            start = None
    return runs + ([(start, len(cols))] if start is not None else [])


def _widest_gap_side(mask: np.ndarray) -> tuple[str, int]:
    """Where the widest gap between ink runs lies ("left"/"right" of the ink's middle), and the ink width."""
    runs = _ink_runs(mask)
    assert len(runs) >= 2, runs
    gaps = [(b[0] - a[1], (a[1] + b[0]) / 2) for a, b in zip(runs, runs[1:])]
    _, centre = max(gaps)
    left, right = runs[0][0], runs[-1][1]
    return ("left" if centre < (left + right) / 2 else "right"), right - left


@pytest.mark.parametrize("text", ["אאאאאאאא בב", "ههههههههه لل"], ids=["hebrew", "arabic"])
def test_right_to_left_text_is_drawn_in_its_order_on_the_cover_and_the_subtitles(tmp_path, text):
    """A long first word and a short second one: read right to left, the word gap sits on the left.
    Drawn left to right (or with the letters dropped, or as tofu) it would not."""
    background = tmp_path / "flat.png"
    Image.new("RGB", (W, H), (30, 30, 30)).save(background)
    assert drawable(text) == text and covers(font_for_text(text, bold=True), text)

    cover = tmp_path / "cover.jpg"
    render_cover(cover, background, W, H, text)
    with Image.open(cover) as img:
        arr = np.asarray(img.convert("RGB"))[int(H * 0.55):]
    title = (np.abs(arr.astype(int) - np.array((255, 230, 90))).max(axis=2) <= 60)
    side, width = _widest_gap_side(title)
    assert side == "left" and width > W * 0.3, (side, width)

    ass = make_ass(tmp_path / "rtl.ass", [(0.0, 2.0, text)])
    frame = tmp_path / "frame.png"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=0x1e1e1e:s={W}x{H}:d=1",
                    "-vf", f"ass={ass}", "-frames:v", "1", str(frame)], check=True, timeout=60)
    with Image.open(frame) as img:
        arr = np.asarray(img.convert("RGB"))[int(H * 0.6):]
    letters = arr.min(axis=2) > 200  # white text on the subtitle box
    side, width = _widest_gap_side(letters)
    assert side == "left" and width > W * 0.08, (side, width)  # ten letters, not a lone "."
