"""ffmpeg graphs for the finished video: shots with motion, subtitles, mastered audio, branding.

Design (bench/compose.py: 12 stills + 60 s narration at 1360×768 on 2 cores — the plain concat
encode of the stills ≈ 5–6 s, this path ≈ 1.2× that, looped overlays ≈ 15×, MoviePy ≈ 13×):
- each still is decoded, scaled and converted to yuv420p once, then repeated in memory with `loop`;
  nothing is converted to RGB per frame;
- motion is a moving `crop` window over a slightly enlarged still (no per-frame rescale, unlike
  zoompan), stepping 2 px (chroma-aligned) in time with the B-frame pattern, so the encoder sees
  exact whole-pixel shifts and codes a panned still almost as cheaply as a static one;
- subtitles come from an ASS file rendered by libass, so no cue text ever enters a filter string;
- transitions: `xfade` only ever sees the few frames it blends (it has no yuv420p path in ffmpeg 5);
- the video is cut into chunks at shot boundaries, encoded by `workers` ffmpeg processes in parallel
  (one x264 thread each: no frame-threading overhead) and joined by stream copy; a transition that
  crosses a chunk boundary is rebuilt from the previous shot's tail. Each process holds at most
  CHUNK_MAX_SHOTS stills, so memory does not grow with the video's length (~300 MB for 60 s or 10 min);
- audio (mix, ducking, loudness normalisation, AAC) runs concurrently with the video and is
  stream-copied into the result;
- branding re-encodes in parallel parts with the cheapest x264 preset; the cover is a stream-copy remux.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from batchvideo_media.probe import MediaError, parse_ebur128, probe, run_ffmpeg

FPS = 25
MOTION_SCALE = 1.08
TRANSITION_S = 0.5
# Shared by the composition and the benchmark's floor. `b-adapt=0` keeps B-frames (a fixed IBBBP
# pattern) but skips the adaptive B-frame decision, and `mbtree=0` skips the macroblock-tree
# lookahead: those two are what make moving pictures cost far more than stills to encode. With them
# (and the motion stepping in time with the B-frame pattern, see _motion_crop) a panned still costs
# within ~10% of a static one.
X264_PRESET = "veryfast"
X264_PARAMS = "b-adapt=0:mbtree=0"
GOP_PATTERN = 4  # bframes=3 with b-adapt=0: a P frame every 4 frames
X264_CRF = 23
X264 = ["-c:v", "libx264", "-preset", X264_PRESET, "-x264-params", X264_PARAMS, "-crf", str(X264_CRF),
        "-pix_fmt", "yuv420p"]
# Branding re-encodes a finished video; only the logo corner changes, so it uses the cheapest preset
# (with the deblocking filter back on) at a slightly lower CRF, which keeps the generation loss
# invisible (SSIM ≈ 0.995 against composed_video on busy b-roll) at the price of a larger file there
# (~2×; about the same on stills). ["-preset", "superfast", "-crf", "21"] halves that size for ~25%
# more branding time.
BRAND_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-x264-params", "deblock=1", "-crf", "22",
              "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac", "-b:a", "160k", "-ar", "48000"]
XFADE_TYPES = {"fade", "dissolve", "wipeleft", "wiperight", "wipeup", "wipedown", "slideleft", "slideright",
               "slideup", "slidedown", "circleopen", "circleclose", "smoothleft", "smoothright", "fadeblack",
               "fadewhite", "radial", "distance", "hblur", "pixelize"}
CHUNK_MAX_S = 40          # a chunk holds at most this much video …
CHUNK_MAX_SHOTS = 8       # … and this many inputs, so one process's memory is bounded
LOGO_FRACTION = 0.12      # logo width as a fraction of the frame width
PIP_FRACTION = {True: 0.30, False: 0.26}   # presenter picture-in-picture width, by vertical/horizontal


@dataclass
class ShotMedia:
    kind: str  # "image", "broll" or "presenter" (a fullscreen digital-human clip)
    path: Path
    start_ms: int
    end_ms: int


@dataclass
class Overlay:
    """A presenter clip shown picture-in-picture (corner mode) over [start_ms, end_ms)."""

    path: Path
    start_ms: int
    end_ms: int


def frame_counts(shots: list[ShotMedia], fps: int = FPS, total_frames: int | None = None) -> list[int]:
    """Frames per shot from cumulative rounding, so the total matches the narration to one frame.

    With `total_frames`, the last shot absorbs the difference (it ends exactly with the narration)."""
    counts = []
    for shot in shots:
        counts.append(max(1, round(shot.end_ms * fps / 1000) - round(shot.start_ms * fps / 1000)))
    if total_frames is not None and counts:
        counts[-1] = max(1, counts[-1] + total_frames - sum(counts))
    return counts


def _even(value: float) -> int:
    return int(round(value / 2) * 2)


# ---------------------------------------------------------------- digital human (pure)

def apply_presenter(shots: list[ShotMedia], clips: list[dict], mode: str,
                    clip_paths: list[Path]) -> tuple[list[ShotMedia], list[Overlay]]:
    """Insert digital-human clips: `fullscreen` clips replace the shots (or parts of shots) they cover,
    `corner` clips become picture-in-picture overlays. `clips` are {"start_ms", "end_ms"} dicts in the
    same order as `clip_paths`."""
    if mode == "none" or not clips:
        return list(shots), []
    if mode == "corner":
        return list(shots), [Overlay(Path(p), int(c["start_ms"]), int(c["end_ms"])) for c, p in zip(clips, clip_paths)]
    if mode != "fullscreen":
        raise MediaError(f"digital human mode {mode!r}: expected none, fullscreen or corner")
    spans = sorted(((int(c["start_ms"]), int(c["end_ms"]), Path(p)) for c, p in zip(clips, clip_paths)),
                   key=lambda s: s[0])
    out: list[ShotMedia] = []
    for shot in shots:
        pieces = [(shot.start_ms, shot.end_ms)]
        for start, end, _ in spans:
            cut = []
            for a, b in pieces:
                if end <= a or start >= b:
                    cut.append((a, b))
                    continue
                if a < start:
                    cut.append((a, start))
                if end < b:
                    cut.append((end, b))
            pieces = cut
        # A sliver shorter than a few frames would flash; the neighbour absorbs it below.
        out += [ShotMedia(shot.kind, shot.path, a, b) for a, b in pieces if b - a >= 200]
    out += [ShotMedia("presenter", p, s, e) for s, e, p in spans if e > s]
    out.sort(key=lambda s: s.start_ms)
    # Close any gaps left by dropped slivers so the timeline stays contiguous.
    for prev, nxt in zip(out, out[1:]):
        if prev.end_ms != nxt.start_ms:
            if prev.kind == "presenter":
                nxt.start_ms = prev.end_ms
            else:
                prev.end_ms = nxt.start_ms
    if out and shots:
        out[0].start_ms = min(out[0].start_ms, shots[0].start_ms)
        out[-1].end_ms = max(out[-1].end_ms, shots[-1].end_ms)
    return out, []


# ---------------------------------------------------------------- planning (pure)

@dataclass
class Piece:
    """Frames [first, first + frames) of shot `shot`'s visible span, as one filter-graph input."""

    shot: int
    first: int
    frames: int


@dataclass
class Chunk:
    index: int
    start_frame: int          # position of the chunk's first frame in the whole video
    frames: int               # frames the chunk contributes to the video
    shots: list[int]
    tail: Piece | None = None  # end of the previous chunk's last shot, faded into this chunk's first
    pieces: list[Piece] = field(default_factory=list)


def plan_chunks(counts: list[int], transition_frames: int, workers: int,
                max_frames: int = CHUNK_MAX_S * FPS, max_shots: int = CHUNK_MAX_SHOTS) -> list[Chunk]:
    """Split shots into contiguous chunks of similar length (at least `workers` when there are enough
    shots), each within `max_frames`/`max_shots` unless a single shot is longer."""
    n = len(counts)
    total = sum(counts)
    target = max(workers, math.ceil(total / max_frames), math.ceil(n / max_shots))
    target = max(1, min(n, target))
    ideal = total / target
    groups: list[list[int]] = []
    current: list[int] = []
    current_frames = 0
    before = 0  # frames before shot i
    for i, frames in enumerate(counts):
        if current and ((len(groups) < target - 1 and before + frames / 2 > ideal * (len(groups) + 1))
                        or len(current) >= max_shots or current_frames + frames > max_frames):
            groups.append(current)
            current, current_frames = [], 0
        current.append(i)
        current_frames += frames
        before += frames
    groups.append(current)
    tf = transition_frames
    chunks: list[Chunk] = []
    start = 0
    for k, group in enumerate(groups):
        pieces = []
        for j, i in enumerate(group):
            extend = tf if (tf and i < n - 1 and j < len(group) - 1) else 0
            pieces.append(Piece(i, 0, counts[i] + extend))
        tail = Piece(group[0] - 1, counts[group[0] - 1], tf) if (tf and k > 0) else None
        frames = sum(counts[i] for i in group)
        chunks.append(Chunk(k, start, frames, group, tail, pieces))
        start += frames
    return chunks


def _motion_crop(i: int, first: int, span: int, width: int, height: int) -> str:
    """A slow pan across the enlarged still over the shot's `span` frames; this piece shows frames
    from `first` on. 2 px steps (chroma-aligned, so each frame is an exact shift of the last) every k
    frames, k a multiple of the B-frame pattern so the B frames between two P frames repeat one of
    them and cost next to nothing. Direction cycles with the shot index."""
    big_w, big_h = _even(width * MOTION_SCALE), _even(height * MOTION_SCALE)
    dx, dy = big_w - width, big_h - height
    last = max(1, span - 1)
    n = f"(n+{first})" if first else "n"
    horizontal = i % 4 in (0, 1)
    room = dx if horizontal else dy
    k = GOP_PATTERN * max(1, math.ceil(2 * last / max(2, room) / GOP_PATTERN))
    travel = 2 * (last // k)
    step = f"2*floor({n}/{k})"
    pos = step if i % 2 == 0 else f"{travel}-{step}"
    x, y = (pos, f"{(dy // 4) * 2}") if horizontal else (f"{(dx // 4) * 2}", pos)
    return f"crop={width}:{height}:x='{x}':y='{y}'"


def _ffmpeg_path(path: Path) -> str:
    """Filter-graph-safe path: we only ever pass our own temp paths, but refuse anything odd."""
    text = str(path)
    if not re.fullmatch(r"[A-Za-z0-9_./\-]+", text):
        raise MediaError(f"unsafe path for a filter graph: {text!r}")
    return text


def pip_box(canvas: tuple[int, int]) -> tuple[int, int, int]:
    """(width, x, bottom) of the presenter picture-in-picture: right edge, above the subtitle band."""
    cw, ch = canvas
    vertical = ch > cw
    w = _even(cw * PIP_FRACTION[vertical])
    margin = _even(min(cw, ch) * 0.03)
    bottom = ch - round(ch * (0.30 if vertical else 0.22))
    return w, cw - w - margin, bottom


def build_chunk_command(chunk: Chunk, shots: list[ShotMedia], counts: list[int], out: Path,
                        width: int, height: int, *, ass: Path | None = None,
                        canvas: tuple[int, int] | None = None, transitions: list[str] | None = None,
                        transition_frames: int = 0, overlays: list[Overlay] | None = None,
                        threads: int | None = 1) -> list[str]:
    """ffmpeg arguments encoding one chunk (video only) to `out`.

    The chunk is a concat of shot bodies and, with transitions, short transition pieces: `xfade` only
    ever sees the tf frames it blends (it has no yuv420p path in ffmpeg 5.x, so feeding it whole
    shots would convert every frame), and everything else stays yuv420p end to end."""
    tf = transition_frames
    n_total = len(shots)
    requests: dict[int, list[tuple[int, int, str]]] = {}

    def need(shot: int, first: int, frames: int) -> str:
        label = f"s{shot}r{len(requests.setdefault(shot, []))}"
        requests[shot].append((first, frames, label))
        return label

    order: list[tuple] = []
    if chunk.tail is not None:
        b, f = chunk.tail.shot, chunk.shots[0]
        order.append(("x", need(b, counts[b], tf), need(f, 0, tf), b))
    for pos, j in enumerate(chunk.shots):
        head = tf if (tf and j > 0) else 0
        order.append(("b", need(j, head, counts[j] - head)))
        if tf and pos < len(chunk.shots) - 1:
            order.append(("x", need(j, counts[j], tf), need(chunk.shots[pos + 1], 0, tf), j))

    args: list[str] = []
    chains: list[str] = []
    big_w, big_h = _even(width * MOTION_SCALE), _even(height * MOTION_SCALE)
    for k, (j, reqs) in enumerate(sorted(requests.items())):
        shot = shots[j]
        span = counts[j] + (tf if j < n_total - 1 else 0)
        labels = [label for _, _, label in reqs]
        fan = f"split={len(reqs)}" + "".join(f"[{label}in]" for label in labels) if len(reqs) > 1 else None
        if shot.kind == "image":
            args += ["-threads", "1", "-i", str(shot.path)]
            head = (f"[{k}:v]scale={big_w}:{big_h}:force_original_aspect_ratio=increase,crop={big_w}:{big_h},"
                    f"format=yuv420p,setsar=1")
            chains.append(f"{head},{fan}" if fan else f"{head}[{labels[0]}in]")
            for first, frames, label in reqs:
                chains.append(f"[{label}in]loop=loop={frames - 1}:size=1,setpts=N/{FPS}/TB,settb=1/{FPS},"
                              f"{_motion_crop(j, first, span, width, height)}[{label}]")
        else:  # broll / presenter: a real clip, cut to the shot; the last frame is held if it is short
            # Decoded from its start (a clip may be shorter than its shot, so seeking past its end
            # would yield nothing to hold); b-roll clips are shot-length, so this costs little.
            base = 0
            length = max(first + frames for first, frames, _ in reqs)
            args += ["-threads", "1", "-i", str(shot.path)]
            head = (f"[{k}:v]scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
                    f"fps={FPS},format=yuv420p,setsar=1,tpad=stop_mode=clone:stop={length},"
                    f"trim=end_frame={length},setpts=N/{FPS}/TB,settb=1/{FPS}")
            chains.append(f"{head},{fan}" if fan else f"{head}[{labels[0]}in]")
            for first, frames, label in reqs:
                chains.append(f"[{label}in]trim=start_frame={first - base}:end_frame={first - base + frames},"
                              f"setpts=N/{FPS}/TB[{label}]")
    parts = []
    for item in order:
        if item[0] == "b":
            parts.append(item[1])
            continue
        _, a_label, b_label, boundary = item
        kind = transitions[boundary % len(transitions)] if transitions else "fade"
        kind = kind if kind in XFADE_TYPES else "fade"
        chains.append(f"[{a_label}][{b_label}]xfade=transition={kind}:duration={tf / FPS}:offset=0,"
                      f"format=yuv420p,setsar=1[t{boundary}]")
        parts.append(f"t{boundary}")
    if len(parts) > 1:
        chains.append("".join(f"[{p}]" for p in parts) + f"concat=n={len(parts)}:v=1:a=0[vcat]")
        video = "vcat"
    else:
        video = parts[0]
    start_s = chunk.start_frame / FPS
    chains.append(f"[{video}]trim=end_frame={chunk.frames},setpts=N/{FPS}/TB+{start_s}/TB[vt]")
    video = "vt"
    out_w, out_h = canvas or (width, height)
    if canvas:
        cw, ch = canvas
        scaled_h = _even(height * cw / width)
        chains.append(f"[{video}]scale={cw}:{scaled_h},pad={cw}:{ch}:0:{(ch - scaled_h) // 2}:color=black[vcan]")
        video = "vcan"
    chunk_start_ms = chunk.start_frame * 1000 / FPS
    chunk_end_ms = (chunk.start_frame + chunk.frames) * 1000 / FPS
    for m, ov in enumerate(overlays or []):
        if ov.end_ms <= chunk_start_ms or ov.start_ms >= chunk_end_ms:
            continue
        idx = args.count("-i")
        seek = max(0.0, (chunk_start_ms - ov.start_ms) / 1000)
        delay = max(0.0, (ov.start_ms - chunk_start_ms) / 1000)
        length = (min(ov.end_ms, chunk_end_ms) - max(ov.start_ms, chunk_start_ms)) / 1000
        args += (["-ss", f"{seek:.3f}"] if seek else []) + ["-t", f"{length:.3f}", "-threads", "1",
                                                             "-i", str(ov.path)]
        pw, px, bottom = pip_box((out_w, out_h))
        border = max(2, _even(out_w * 0.004))
        chains.append(f"[{idx}:v]fps={FPS},scale={pw - 2 * border}:-2,format=yuv420p,"
                      f"pad=iw+{2 * border}:ih+{2 * border}:{border}:{border}:color=white,"
                      f"setpts=PTS-STARTPTS+{start_s + delay:.3f}/TB[pip{m}]")
        chains.append(f"[{video}][pip{m}]overlay=x={px}:y={bottom}-h:eof_action=pass[vo{m}]")
        video = f"vo{m}"
    if ass is not None:
        chains.append(f"[{video}]ass=filename={_ffmpeg_path(ass)}[vass]")
        video = "vass"
    chains.append(f"[{video}]setpts=PTS-STARTPTS[vout]")
    thread_args = ["-threads", str(threads)] if threads else []
    return [*args, "-filter_complex", ";".join(chains), "-map", "[vout]", "-an", *X264, *thread_args,
            "-r", str(FPS), "-frames:v", str(chunk.frames), str(out)]


# ---------------------------------------------------------------- running processes

class ProcessTracker:
    """Keeps the ffmpeg children of one composition, so a failure stops the others, and records what
    each one cost (wall, CPU, peak RSS) for metadata and the benchmark."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.procs: list[subprocess.Popen] = []
        self.failed = False
        self.stats: list[dict] = []

    def run(self, args: list[str], timeout: float | None = None, loglevel: str = "error",
            label: str = "ffmpeg") -> str:
        cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", loglevel, *args]
        with self.lock:
            if self.failed:
                raise MediaError("cancelled: another part of the composition failed")
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.procs.append(proc)
        started = time.monotonic()
        chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: chunks.append(proc.stderr.read()), daemon=True)
        reader.start()
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # reaps the child and tells what it cost
        finally:
            if timer:
                timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        reader.join()
        proc.stderr.close()
        stderr = b"".join(chunks).decode("utf-8", "replace")
        with self.lock:
            self.stats.append({"label": label, "wall_s": round(time.monotonic() - started, 3),
                               "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
                               "max_rss_mb": round(usage.ru_maxrss / 1024, 1)})
        if timeout and time.monotonic() - started >= timeout and proc.returncode != 0:
            self.cancel()
            raise MediaError(f"ffmpeg timed out after {timeout} s")
        if proc.returncode != 0:
            self.cancel()
            raise MediaError(f"ffmpeg failed ({proc.returncode}): {stderr.strip()[-1500:]}")
        return stderr

    def cancel(self) -> None:
        with self.lock:
            self.failed = True
            for proc in self.procs:
                if proc.poll() is None:
                    proc.kill()


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_workers() -> int:
    """Parallel ffmpeg processes: one per core, at most 4 (each holds ~150 MB of encoder state)."""
    return max(1, min(4, available_cores()))


def compose(shots: list[ShotMedia], audio: Path, ass: Path | None, out: Path, width: int, height: int, *,
            canvas: tuple[int, int] | None = None, transitions: list[str] | None = None,
            overlays: list[Overlay] | None = None, duration_ms: int | None = None,
            workers: int | None = None, threads: int | None = None, tracker: ProcessTracker | None = None,
            audio_ready: "threading.Event | None" = None, timeout: float = 3600) -> dict:
    """Render `shots` with burned `ass` subtitles, muxed with `audio` (stream-copied when it is AAC).

    Returns facts for metadata: chunks, frames, workers."""
    if not shots:
        raise MediaError("no shots to compose")
    workers = workers or default_workers()
    tracker = tracker or ProcessTracker()
    total_frames = round(duration_ms * FPS / 1000) if duration_ms else None
    counts = frame_counts(shots, total_frames=total_frames)
    tf = round(TRANSITION_S * FPS) if (transitions and len(shots) > 1) else 0
    if tf:
        tf = max(0, min(tf, min(counts) - 1))
    chunks = plan_chunks(counts, tf, workers)
    per_proc_threads = threads or max(1, available_cores() // min(workers, len(chunks)))
    seg_dir = out.parent / f".{out.stem}.chunks"
    seg_dir.mkdir(parents=True, exist_ok=True)
    try:
        segs = [seg_dir / f"c{c.index:04d}.mp4" for c in chunks]
        commands = [build_chunk_command(c, shots, counts, seg, width, height, ass=ass, canvas=canvas,
                                        transitions=transitions, transition_frames=tf, overlays=overlays,
                                        threads=per_proc_threads)
                    for c, seg in zip(chunks, segs)]
        # Longest chunks first: the pool ends together.
        order = sorted(range(len(commands)), key=lambda k: -chunks[k].frames)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(tracker.run, commands[k], timeout, "error", f"chunk{k}") for k in order]
            for fut in futures:
                fut.result()
        listing = seg_dir / "chunks.txt"
        listing.write_text("".join(f"file '{s.name}'\n" for s in segs), encoding="utf-8")
        if audio_ready is not None:
            audio_ready.wait()
        acodec = ["-c:a", "copy"] if audio.suffix.lower() in (".m4a", ".aac", ".mp4") else AAC
        tracker.run(["-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(audio), "-map", "0:v:0",
                     "-map", "1:a:0", "-c:v", "copy", *acodec, "-movflags", "+faststart", str(out)], timeout,
                    label="mux")
    finally:
        shutil.rmtree(seg_dir, ignore_errors=True)
    return {"chunks": len(chunks), "frames": sum(counts), "workers": workers,
            "transition_frames": tf, "x264": f"{X264_PRESET} crf{X264_CRF} {X264_PARAMS}"}


def render_composition(shots: list[ShotMedia], narration: Path, ass: Path | None, out: Path, width: int,
                       height: int, duration_ms: int, *, bgm: Path | None = None, target_lufs: float = -14.0,
                       canvas: tuple[int, int] | None = None, transitions: list[str] | None = None,
                       overlays: list[Overlay] | None = None, workers: int | None = None,
                       tracker: ProcessTracker | None = None) -> dict:
    """The whole `composed_video`: audio mastering (in a thread) alongside the chunked video encode,
    then one stream-copy mux. Returns metadata facts, including the measured loudness of the result."""
    tracker = tracker or ProcessTracker()
    mix = out.parent / f".{out.stem}.mix.m4a"
    done = threading.Event()
    result: dict = {}

    def audio_job() -> None:
        try:
            result.update(master_audio(narration, mix, duration_ms / 1000, bgm=bgm, target_lufs=target_lufs,
                                       tracker=tracker))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc
            tracker.cancel()
        finally:
            done.set()

    thread = threading.Thread(target=audio_job, name="master-audio", daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        facts = compose(shots, mix, ass, out, width, height, canvas=canvas, transitions=transitions,
                        overlays=overlays, duration_ms=duration_ms, workers=workers, tracker=tracker,
                        audio_ready=done)
    except MediaError:
        done.wait()
        if "error" in result:
            raise result["error"] from None
        raise
    finally:
        thread.join()
        mix.unlink(missing_ok=True)
    if "error" in result:
        raise result["error"]
    facts.update(result)
    facts["render_s"] = round(time.monotonic() - started, 2)
    facts["ffmpeg_cpu_s"] = round(sum(s["cpu_s"] for s in tracker.stats), 2)
    return facts


# ---------------------------------------------------------------- audio mastering

BGM_FADE_S = 1.5


def _mix_graph(has_bgm: bool, duration_s: float, bgm_volume: float) -> str:
    if not has_bgm:
        return f"[0:a]aformat=sample_rates=48000:channel_layouts=stereo,apad=whole_dur={duration_s:.3f},atrim=duration={duration_s:.3f}[mix]"
    fade_at = max(0.0, duration_s - BGM_FADE_S)
    return (
        "[0:a]aformat=sample_rates=48000:channel_layouts=stereo,asplit=2[voice][key];"
        f"[1:a]aformat=sample_rates=48000:channel_layouts=stereo,volume={bgm_volume},"
        f"atrim=duration={duration_s:.3f},afade=t=in:d=0.5,afade=t=out:st={fade_at:.3f}:d={BGM_FADE_S}[bg];"
        # Music ducks under the voice (about 10 dB) and comes back within a sentence pause: the
        # narration keys a compressor on the music with a fast attack and a short release.
        "[bg][key]sidechaincompress=threshold=0.03:ratio=5:attack=20:release=180:knee=2:makeup=1[ducked];"
        f"[voice][ducked]amix=inputs=2:duration=first:normalize=0,apad=whole_dur={duration_s:.3f},"
        f"atrim=duration={duration_s:.3f}[mix]"
    )


def master_audio(narration: Path, out: Path, duration_s: float, bgm: Path | None = None,
                 target_lufs: float = -14.0, bgm_volume: float = 0.3,
                 tracker: ProcessTracker | None = None) -> dict:
    """Narration (+ ducked music) normalised to `target_lufs` integrated (EBU R128), peaks held near −1.5 dBTP.

    Two passes: measure the mix (ebur128, cheap: no resampling), then apply the gain in one linear step
    with a look-ahead limiter catching the rare peaks, encode, and measure the result on the way out.
    `out` ending in .m4a/.aac gets AAC (ready to stream-copy into the MP4), anything else 48 kHz WAV.
    Returns the measured input loudness and the result's integrated loudness, true peak and LRA."""
    run = tracker.run if tracker else run_ffmpeg
    inputs = ["-i", str(narration)] + (["-stream_loop", "-1", "-i", str(bgm)] if bgm else [])
    graph = _mix_graph(bgm is not None, duration_s, bgm_volume)
    stderr = run(["-nostats", *inputs, "-filter_complex", graph + ";[mix]ebur128=framelog=verbose[m]",
                  "-map", "[m]", "-f", "null", "-"], timeout=1800, loglevel="info")
    before = parse_ebur128(stderr)
    if before["integrated_lufs"] <= -69:
        raise MediaError("the narration is silent: nothing to normalise")
    gain_db = target_lufs - before["integrated_lufs"]
    codec = AAC if out.suffix.lower() in (".m4a", ".aac") else ["-c:a", "pcm_s16le", "-ar", "48000"]
    # Peaky narration (a large peak-to-loudness ratio) loses loudness in the limiter; the measured
    # shortfall is added and the pass repeated (rarely more than once), like loudnorm's dynamic mode.
    for _ in range(4):
        stderr = run(["-nostats", *inputs, "-filter_complex",
                      graph + f";[mix]aformat=sample_fmts=flt,volume={gain_db:.2f}dB,"
                      f"alimiter=limit={10 ** (-2.0 / 20):.4f}:attack=5:release=60:level=false:latency=true,"
                      f"atrim=duration={duration_s:.3f},asplit=2[m][q];[q]ebur128=framelog=verbose:peak=true[qm]",
                      "-map", "[m]", *codec, str(out), "-map", "[qm]", "-f", "null", "-"], timeout=1800,
                     loglevel="info")
        after = parse_ebur128(stderr)
        miss = target_lufs - after["integrated_lufs"]
        if abs(miss) <= 0.3:
            break
        gain_db += miss * (1.3 if miss > 0 else 1.0)
    return {"measured_input_lufs": before["integrated_lufs"], "gain_db": round(gain_db, 2), **after}


# ---------------------------------------------------------------- branding

def logo_box(width: int, height: int) -> tuple[int, int, int]:
    """(logo width, x, y) of the logo: top right, ~12% of the width, clear of the bottom subtitles."""
    logo_w = _even(width * LOGO_FRACTION)
    margin = _even(min(width, height) * 0.03)
    return logo_w, width - logo_w - margin, margin


def build_logo_command(video: Path, logo: Path | None, out: Path, width: int, height: int,
                       watermark_file: Path | None = None, font_file: str | None = None,
                       threads: int | None = None, part: tuple[int, int] | None = None) -> list[str]:
    """Logo in the top-right corner (clear of bottom subtitles) at ~12% of the width; watermark text
    top-left. The logo is one decoded frame held by overlay (no looped input); audio is copied.

    With `part=(first, frames)` only those frames are encoded (video only, single-threaded), starting
    at a keyframe `first`: one part of a parallel re-encode."""
    logo_w, _, margin = logo_box(width, height)
    if part is not None:
        first, frames = part
        seek = ["-ss", f"{first / FPS:.3f}"] if first else []
        args = ["-threads", "1", *seek, "-i", str(video)]
    else:
        args = ["-i", str(video)]
    chain: list[str] = []
    last = "0:v"
    if logo is not None:
        args += ["-i", str(logo)]
        chain.append(f"[1:v]scale={logo_w}:-2,format=yuva420p[logo]")
        chain.append(f"[0:v][logo]overlay=x=W-w-{margin}:y={margin}:format=yuv420[v1]")
        last = "v1"
    if watermark_file is not None and font_file:
        size = max(16, min(width, height) // 36)
        chain.append(
            f"[{last}]drawtext=fontfile={_ffmpeg_path(Path(font_file))}:textfile={_ffmpeg_path(watermark_file)}:"
            f"expansion=none:fontsize={size}:fontcolor=white@0.6:borderw=1:bordercolor=black@0.4:x={margin}:y={margin}[v2]")
        last = "v2"
    if not chain:
        raise MediaError("nothing to brand: no logo and no watermark")
    if part is not None:
        return [*args, "-filter_complex", ";".join(chain), "-map", f"[{last}]", "-an", *BRAND_X264,
                "-threads", "1", "-r", str(FPS), "-frames:v", str(part[1]), str(out)]
    thread_args = ["-threads", str(threads)] if threads else []
    return [*args, "-filter_complex", ";".join(chain), "-map", f"[{last}]", "-map", "0:a:0?", *BRAND_X264,
            *thread_args, "-r", str(FPS), "-c:a", "copy", "-movflags", "+faststart", str(out)]


def brand(video: Path, logo: Path | None, out: Path, width: int, height: int, *,
          watermark_file: Path | None = None, font_file: str | None = None, workers: int | None = None,
          duration_s: float | None = None, tracker: ProcessTracker | None = None) -> dict:
    """Logo (+ watermark) over a finished video. The re-encode is split into `workers` parts encoded
    in parallel (each decodes only its own part, one thread each), then joined by stream copy with the
    original audio."""
    tracker = tracker or ProcessTracker()
    workers = workers or default_workers()
    total = round((duration_s if duration_s else probe(video).duration_s) * FPS)
    # A re-encode can start anywhere: each part seeks accurately to its first frame (decoding from the
    # keyframe before it, a fraction of a second of extra work) and the encoder opens it with an IDR.
    parts = min(workers, max(1, total // (2 * FPS)))
    cuts = [round(total * k / parts) for k in range(parts)]
    if len(cuts) == 1:
        tracker.run(build_logo_command(video, logo, out, width, height, watermark_file=watermark_file,
                                       font_file=font_file), timeout=3600)
        return {"parts": 1}
    bounds = list(zip(cuts, cuts[1:] + [total]))
    parts_dir = out.parent / f".{out.stem}.parts"
    parts_dir.mkdir(parents=True, exist_ok=True)
    try:
        commands = []
        for k, (a, b) in enumerate(bounds):
            commands.append(build_logo_command(video, logo, parts_dir / f"p{k:03d}.mp4", width, height,
                                               watermark_file=watermark_file, font_file=font_file,
                                               part=(a, b - a)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for fut in [pool.submit(tracker.run, c, 3600, "error", f"brand{k}") for k, c in enumerate(commands)]:
                fut.result()
        listing = parts_dir / "parts.txt"
        listing.write_text("".join(f"file 'p{k:03d}.mp4'\n" for k in range(len(bounds))), encoding="utf-8")
        tracker.run(["-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(video), "-map", "0:v:0",
                     "-map", "1:a:0?", "-c", "copy", "-movflags", "+faststart", str(out)], timeout=3600)
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)
    return {"parts": len(bounds)}


def attach_cover(video: Path, cover: Path, out: Path) -> None:
    """Remux `video` with `cover` as MP4 cover art (stream copy, no re-encode)."""
    run_ffmpeg(["-i", str(video), "-i", str(cover), "-map", "0:v:0", "-map", "0:a:0", "-map", "1:v:0",
                "-c", "copy", "-disposition:v:1", "attached_pic", "-movflags", "+faststart", str(out)])
