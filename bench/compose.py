"""Benchmark of the video stages: 12 shots + 60 s of narration at 1360×768.

Times, in one run:
- floor: a plain concat-demuxer encode of the same stills and narration with the same x264 settings
  (no motion, no subtitles, no audio mastering) — what the encoder alone costs;
- ours: the `composed_video` path (render_composition: motion, burned subtitles, narration + ducked
  music, loudness normalisation and measurement);
- overlay: the original design — every still a looped input overlaid with enable='between(t,…)';
- moviepy: the MoviePy equivalent (ImageClips + TextClip subtitles composited in Python);
- brand: `logoed_video` + `cover` (logo + watermark re-encode, cover drawing, cover-art remux).
and the peak memory of our path summed over all its processes, for 60 s and for a 10-minute narration.

Overlay and MoviePy cost the same per frame whatever the length, so by default they are timed on a
shorter stretch of the same timeline and scaled linearly (the output says so).

Wall-clock figures on a busy machine are noisy: floor/ours/brand are run `--repeat` times interleaved
and the median of each is reported; CPU seconds (all ffmpeg processes) are printed alongside.
The last line printed is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
import wave
from datetime import timedelta
from pathlib import Path

import numpy as np
import srt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from batchvideo_media import compose as C  # noqa: E402
from batchvideo_media.images import font_path, render_cover, render_placeholder, render_sample_logo  # noqa: E402
from batchvideo_media.probe import probe, run_ffmpeg  # noqa: E402
from batchvideo_media.subtitles import to_ass  # noqa: E402

W, H = 1360, 768
SR = 48000
SENTENCES = ["人工智能正在改变我们的生活。", "Rain slowly wears down rocks on land.", "导航软件帮你避开拥堵！",
             "Minerals wash into rivers: 100% of them {really}.", "你觉得未来会更美好吗？"]


# ---------------------------------------------------------------- inputs

def speech_like(path: Path, seconds: float, seed: int = 1) -> list[tuple[int, int]]:
    """A narration stand-in: voiced 'sentences' (harmonics with syllable envelopes) and 300 ms pauses.
    Returns the sentence spans in ms."""
    rng = np.random.default_rng(seed)
    total = int(seconds * SR)
    signal = np.zeros(total, dtype=np.float32)
    spans = []
    t = 0.0
    while t < seconds - 0.5:
        length = min(float(rng.uniform(2.0, 3.6)), seconds - t - 0.2)
        n = int(length * SR)
        tt = np.arange(n) / SR
        f0 = 140 + 40 * np.sin(2 * np.pi * 0.7 * tt + rng.uniform(0, 6))
        phase = 2 * np.pi * np.cumsum(f0) / SR
        voice = sum(np.sin(k * phase) / k for k in range(1, 6))
        syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 4.5 * tt) ** 2
        edge = np.minimum(1, np.minimum(tt, length - tt) / 0.03)
        start = int(t * SR)
        signal[start:start + n] += (0.25 * voice * syllables * edge).astype(np.float32)
        spans.append((int(t * 1000), int((t + length) * 1000)))
        t += length + 0.3
    _write_wav(path, signal)
    return spans


def music_like(path: Path, seconds: float) -> None:
    tt = np.arange(int(seconds * SR)) / SR
    chord = sum(np.sin(2 * np.pi * f * tt) for f in (220.0, 277.2, 329.6, 880.0))
    _write_wav(path, (0.15 * chord * (0.8 + 0.2 * np.sin(2 * np.pi * 0.25 * tt))).astype(np.float32))


def _write_wav(path: Path, signal: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())


class Inputs:
    def __init__(self, root: Path, seconds: float, shot_s: float):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.seconds = seconds
        self.narration = root / "narration.wav"
        spans = speech_like(self.narration, seconds)
        self.bgm = root / "bgm.wav"
        music_like(self.bgm, 20)
        n = max(1, round(seconds / shot_s))
        edges = [round(i * seconds * 1000 / n) for i in range(n + 1)]
        self.shots = []
        for i in range(n):
            img = root / f"{i:03d}.png"
            if i < 12 or not (root / f"{i % 12:03d}.png").exists():
                render_placeholder(img, W, H, SENTENCES[i % len(SENTENCES)], f"bench{i}", i)
            else:
                shutil.copyfile(root / f"{i % 12:03d}.png", img)
            self.shots.append(C.ShotMedia("image", img, edges[i], edges[i + 1]))
        self.cues = [srt.Subtitle(k + 1, timedelta(milliseconds=a), timedelta(milliseconds=b),
                                  SENTENCES[k % len(SENTENCES)]) for k, (a, b) in enumerate(spans)]
        self.ass = root / "subtitles.ass"
        self.ass.write_text(to_ass(self.cues, W, H, font="Noto Sans CJK SC", background="#578B2E",
                                   duration_ms=int(seconds * 1000)), encoding="utf-8")
        self.logo = root / "logo.png"
        render_sample_logo(self.logo)
        self.watermark = root / "watermark.txt"
        self.watermark.write_text("@batchvideo 演示", encoding="utf-8")


# ---------------------------------------------------------------- measuring

def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
                found += kids
                todo += kids
        except OSError:
            continue
    return found


def _pss_bytes(pid: int) -> int:
    """Proportional set size: shared pages (libraries, fonts) split between the processes sharing them,
    so the sum over processes is the memory they take together."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Sampler:
    """Peak of the summed memory (PSS) of this process's descendants: every ffmpeg of the path at once."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.peak = 0
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            pids = _descendants(me)
            self.peak = max(self.peak, sum(_pss_bytes(p) for p in pids))
            time.sleep(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def timed(fn, self_cpu: bool = False) -> tuple[float, float, float]:
    """(wall s, CPU s of the child processes — plus this process's own with `self_cpu`, for MoviePy,
    which composites in Python —, peak MB of the children's summed PSS)."""
    c0, s0 = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    with Sampler() as sampler:
        t0 = time.perf_counter()
        fn()
        wall = time.perf_counter() - t0
    c1, s1 = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    cpu = c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime
    if self_cpu:
        cpu += s1.ru_utime + s1.ru_stime - s0.ru_utime - s0.ru_stime
    return wall, cpu, sampler.peak / 2**20


# ---------------------------------------------------------------- the contenders

def floor(inp: Inputs, out: Path) -> None:
    listing = inp.root / "floor.txt"
    lines = []
    for shot in inp.shots:
        lines += [f"file '{shot.path.name}'", f"duration {(shot.end_ms - shot.start_ms) / 1000:.3f}"]
    lines.append(f"file '{inp.shots[-1].path.name}'")
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(inp.narration), "-map", "0:v",
                "-map", "1:a", *C.X264, "-r", str(C.FPS), *C.AAC, "-t", f"{inp.seconds:.3f}",
                "-movflags", "+faststart", str(out)], timeout=3600)


def ours(inp: Inputs, out: Path, tracker: C.ProcessTracker | None = None) -> dict:
    return C.render_composition(inp.shots, inp.narration, inp.ass, out, W, H, int(inp.seconds * 1000), bgm=inp.bgm,
                                tracker=tracker)


def overlay(inp: Inputs, out: Path, seconds: float) -> None:
    """The original design: each still a looped input (decoded every frame), overlaid on a canvas only
    while its shot is on screen; subtitles and the mastered audio as in ours (no motion: favours it)."""
    args = ["-f", "lavfi", "-i", f"color=black:s={W}x{H}:r={C.FPS}:d={seconds:.3f}"]
    chains = []
    last = "0:v"
    for i, shot in enumerate(inp.shots):
        args += ["-loop", "1", "-framerate", str(C.FPS), "-t", f"{seconds:.3f}", "-i", str(shot.path)]
        chains.append(f"[{i + 1}:v]scale={W}:{H},setsar=1[i{i}]")
        chains.append(f"[{last}][i{i}]overlay=enable='between(t,{shot.start_ms / 1000},{shot.end_ms / 1000})'[o{i}]")
        last = f"o{i}"
    chains.append(f"[{last}]ass=filename={inp.ass}[v]")
    args += ["-i", str(inp.narration)]
    run_ffmpeg([*args, "-filter_complex", ";".join(chains), "-map", "[v]", "-map", f"{len(inp.shots) + 1}:a",
                *C.X264, "-r", str(C.FPS), *C.AAC, "-t", f"{seconds:.3f}", "-movflags", "+faststart", str(out)],
               timeout=3600)


def moviepy_render(inp: Inputs, out: Path, seconds: float) -> None:
    """What MoneyPrinterTurbo does: ImageClips concatenated, TextClip subtitles composited, write_videofile."""
    os.environ.setdefault("FFMPEG_BINARY", shutil.which("ffmpeg") or "ffmpeg")
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, TextClip, concatenate_videoclips

    clips = [ImageClip(str(s.path)).with_duration((s.end_ms - s.start_ms) / 1000) for s in inp.shots]
    video = concatenate_videoclips(clips).with_duration(seconds)
    font = font_path()
    texts = []
    for cue in inp.cues:
        start, end = cue.start.total_seconds(), cue.end.total_seconds()
        if start >= seconds:
            break
        texts.append(TextClip(font=font, text=cue.content, font_size=42, color="white", bg_color="#578B2E",
                              margin=(12, 6)).with_start(start).with_end(min(end, seconds))
                     .with_position(("center", H - 110)))
    audio = AudioFileClip(str(inp.narration)).subclipped(0, seconds)
    final = CompositeVideoClip([video, *texts], size=(W, H)).with_audio(audio).with_duration(seconds)
    final.write_videofile(str(out), fps=C.FPS, codec="libx264", preset=C.X264_PRESET, audio_codec="aac",
                          ffmpeg_params=["-crf", str(C.X264_CRF), "-pix_fmt", "yuv420p"], logger=None)
    final.close()
    audio.close()


def brand(inp: Inputs, composed: Path, out: Path) -> None:
    logoed = out.with_name("logoed.mp4")
    C.brand(composed, inp.logo, logoed, W, H, watermark_file=inp.watermark, font_file=font_path(),
            duration_s=inp.seconds)  # the asset knows it from composed_video's value
    cover = out.with_name("cover.jpg")
    render_cover(cover, inp.shots[0].path, W, H, "人工智能与生活 · Why the ocean is salty")
    C.attach_cover(logoed, cover, out)


# ---------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--shots", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved runs of floor/ours/brand; the median of each is reported")
    parser.add_argument("--overlay-seconds", type=float, default=10.0,
                        help="stretch of the timeline the overlay approach renders (scaled linearly); 0 = all")
    parser.add_argument("--moviepy-seconds", type=float, default=15.0,
                        help="stretch MoviePy renders (scaled linearly); 0 = all")
    parser.add_argument("--long-seconds", type=float, default=600.0,
                        help="narration length of the memory check (0 to skip)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the outputs in this folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-compose-"))
    work = args.keep or tmp
    work.mkdir(parents=True, exist_ok=True)
    try:
        inp = Inputs(tmp / "in", args.seconds, args.seconds / args.shots)
        print(f"{len(inp.shots)} shots, {args.seconds:.0f} s narration, {W}x{H}, {os.cpu_count()} CPUs, "
              f"x264 {C.X264_PRESET} crf {C.X264_CRF} {C.X264_PARAMS}; workers {C.default_workers()}", flush=True)
        best: dict[str, tuple[float, float, float]] = {}
        peaks: dict[str, float] = {}
        facts: dict = {}

        runs: dict[str, list[tuple[float, float, float]]] = {}

        def keep(name: str, result: tuple[float, float, float]) -> None:
            print(f"  {name:8s} wall {result[0]:7.2f} s   cpu {result[1]:7.2f} s   peak {result[2]:6.0f} MB", flush=True)
            peaks[name] = max(peaks.get(name, 0.0), result[2])
            runs.setdefault(name, []).append(result)
            ordered = sorted(runs[name])  # by wall time: the median run (lower median for an even count)
            best[name] = ordered[(len(ordered) - 1) // 2]

        tracker = C.ProcessTracker()
        for _ in range(max(1, args.repeat)):
            keep("floor", timed(lambda: floor(inp, work / "floor.mp4")))
            tracker.stats.clear()
            keep("ours", timed(lambda: facts.update(ours(inp, work / "ours.mp4", tracker))))
            print("           " + ", ".join(f"{s['label']} {s['cpu_s']:.1f}" for s in tracker.stats) + " (cpu s)",
                  flush=True)
            keep("brand", timed(lambda: brand(inp, work / "ours.mp4", work / "branded.mp4")))
        info = probe(work / "ours.mp4")
        print(f"  ours: {info.duration_s:.3f} s {info.width}x{info.height} {info.video_codec}/{info.audio_codec} "
              f"{info.pix_fmt}, {facts.get('integrated_lufs')} LUFS, {facts.get('chunks')} chunks", flush=True)

        o_sec = args.overlay_seconds or args.seconds
        o = timed(lambda: overlay(inp, work / "overlay.mp4", o_sec))
        scale = args.seconds / o_sec
        best["overlay"] = (o[0] * scale, o[1] * scale, o[2])
        print(f"  overlay  wall {o[0]:7.2f} s   cpu {o[1]:7.2f} s   for {o_sec:.0f} s of video"
              + (f" -> scaled ×{scale:.1f} to {best['overlay'][0]:.1f} s" if scale != 1 else ""), flush=True)

        try:
            m_sec = args.moviepy_seconds or args.seconds
            m = timed(lambda: moviepy_render(inp, work / "moviepy.mp4", m_sec), self_cpu=True)
            mscale = args.seconds / m_sec
            best["moviepy"] = (m[0] * mscale, m[1] * mscale, m[2])
            print(f"  moviepy  wall {m[0]:7.2f} s   cpu {m[1]:7.2f} s   for {m_sec:.0f} s of video"
                  + (f" -> scaled ×{mscale:.1f} to {best['moviepy'][0]:.1f} s" if mscale != 1 else ""), flush=True)
        except ImportError:
            print("  moviepy  not installed (pip install moviepy): skipped", flush=True)

        long_peak = None
        if args.long_seconds:
            long_inp = Inputs(tmp / "long", args.long_seconds, args.seconds / args.shots)
            lw, lc, long_peak = timed(lambda: ours(long_inp, tmp / "long.mp4"))
            linfo = probe(tmp / "long.mp4")
            print(f"  long     wall {lw:7.2f} s   cpu {lc:7.2f} s   peak {long_peak:6.0f} MB   "
                  f"({args.long_seconds:.0f} s narration, {len(long_inp.shots)} shots, video {linfo.duration_s:.2f} s)",
                  flush=True)

        floor_s, ours_s, brand_s = best["floor"][0], best["ours"][0], best["brand"][0]
        details = {
            "cpu_s": {k: round(v[1], 2) for k, v in best.items()},
            "cpu_ratios": {"ours_vs_floor": round(best["ours"][1] / best["floor"][1], 3),
                           "brand_vs_floor": round(best["brand"][1] / best["floor"][1], 3)},
            "floor_peak_mb": round(peaks["floor"], 1), "brand_peak_mb": round(peaks["brand"], 1), "long_seconds": args.long_seconds,
            "long_peak_mb": round(long_peak, 1) if long_peak is not None else None,
            "overlay_scaled_from_s": o_sec, "moviepy_scaled_from_s": args.moviepy_seconds or args.seconds,
            "wall_runs_s": {k: [round(r[0], 2) for r in v] for k, v in runs.items()},
            "load_avg": [round(x, 2) for x in os.getloadavg()],
        }
        print("details " + json.dumps(details), flush=True)
        result = {
            "floor_s": round(floor_s, 2), "ours_s": round(ours_s, 2),
            "overlay_s": round(best["overlay"][0], 2),
            "moviepy_s": round(best["moviepy"][0], 2) if "moviepy" in best else None,
            "brand_s": round(brand_s, 2),
            "ours_vs_floor": round(ours_s / floor_s, 3),
            "overlay_vs_ours": round(best["overlay"][0] / ours_s, 2),
            "moviepy_vs_ours": round(best["moviepy"][0] / ours_s, 2) if "moviepy" in best else None,
            "brand_vs_floor": round(brand_s / floor_s, 3),
            "ours_peak_mb": round(max(peaks["ours"], long_peak or 0), 1),
        }
        print(json.dumps(result), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
