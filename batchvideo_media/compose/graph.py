"""Filter graphs of the chunk encode: stills with motion, clips, transitions, canvas, presenter, subtitles."""

from __future__ import annotations

import math
import re
from pathlib import Path

from batchvideo_media.compose.encoders import LIBX264, NVENC_ARGS
from batchvideo_media.compose.plan import FPS, Chunk, Overlay, ShotMedia
from batchvideo_media.motion import DETECT_FILTERS
from batchvideo_media.probe import MediaError

MOTION_SCALE = 1.08  # stills are enlarged by this much, so the crop window has room to pan
# Shared by the composition and the benchmark's floor. `b-adapt=0` keeps B-frames (a fixed IBBBP
# pattern) but skips the adaptive B-frame decision, and `mbtree=0` skips the macroblock-tree
# lookahead: those two are what make moving pictures cost far more than stills to encode. With them
# (and the motion stepping in time with the B-frame pattern, see motion_crop) a panned still costs
# within ~10% of a static one.
X264_PRESET = "veryfast"
X264_PARAMS = "b-adapt=0:mbtree=0"
GOP_PATTERN = 4  # bframes=3 with b-adapt=0: a P frame every 4 frames
X264_CRF = 23
X264 = ["-c:v", "libx264", "-preset", X264_PRESET, "-x264-params", X264_PARAMS, "-crf", str(X264_CRF),
        "-pix_fmt", "yuv420p"]
XFADE_TYPES = {"fade", "dissolve", "wipeleft", "wiperight", "wipeup", "wipedown", "slideleft", "slideright",
               "slideup", "slidedown", "circleopen", "circleclose", "smoothleft", "smoothright", "fadeblack",
               "fadewhite", "radial", "distance", "hblur", "pixelize"}
PIP_FRACTION = {True: 0.30, False: 0.26}   # presenter picture-in-picture width, by vertical/horizontal


def even(value: float) -> int:
    """Nearest even number: yuv420p sizes and offsets must be whole chroma pixels."""
    return int(round(value / 2) * 2)


def motion_crop(i: int, first: int, span: int, width: int, height: int) -> str:
    """A slow pan across the enlarged still over the shot's `span` frames; this piece shows frames
    from `first` on. 2 px steps (chroma-aligned, so each frame is an exact shift of the last) every k
    frames, k a multiple of the B-frame pattern so the B frames between two P frames repeat one of
    them and cost next to nothing. Direction cycles with the shot index."""
    big_w, big_h = even(width * MOTION_SCALE), even(height * MOTION_SCALE)
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


def filter_path(path: Path) -> str:
    """Filter-graph-safe path: we only ever pass our own temp paths, but refuse anything odd."""
    text = str(path)
    if not re.fullmatch(r"[A-Za-z0-9_./\-]+", text):
        raise MediaError(f"unsafe path for a filter graph: {text!r}")
    return text


def pip_box(canvas: tuple[int, int]) -> tuple[int, int, int]:
    """(width, x, bottom) of the presenter picture-in-picture: right edge, above the subtitle band."""
    cw, ch = canvas
    vertical = ch > cw
    w = even(cw * PIP_FRACTION[vertical])
    margin = even(min(cw, ch) * 0.03)
    bottom = ch - round(ch * (0.30 if vertical else 0.22))
    return w, cw - w - margin, bottom


Requests = dict[int, list[tuple[int, int, str]]]  # shot → (first frame, frames, label) of each piece of it


def piece_order(chunk: Chunk, counts: list[int], tf: int) -> tuple[list[tuple], Requests]:
    """What the chunk concatenates, in order: ("b", label) a shot body, ("x", a, b, boundary) a
    transition blending the tf frames after shot `boundary` with the tf first of the next; and the
    frames each of those needs from each shot."""
    requests: Requests = {}

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
    return order, requests


def source_chains(shots: list[ShotMedia], counts: list[int], requests: Requests, tf: int,
                  width: int, height: int) -> tuple[list[str], list[str]]:
    """Inputs and filter chains that cut every requested piece out of its shot, at width×height:
    a still enlarged and panned (motion_crop), a clip scaled, cropped and held on its last frame."""
    args: list[str] = []
    chains: list[str] = []
    big_w, big_h = even(width * MOTION_SCALE), even(height * MOTION_SCALE)
    for k, (j, reqs) in enumerate(sorted(requests.items())):
        shot = shots[j]
        span = counts[j] + (tf if j < len(shots) - 1 else 0)
        labels = [label for _, _, label in reqs]
        fan = f"split={len(reqs)}" + "".join(f"[{label}in]" for label in labels) if len(reqs) > 1 else None
        args += ["-threads", "1", "-i", str(shot.path)]
        if shot.kind == "image":
            head = (f"[{k}:v]scale={big_w}:{big_h}:force_original_aspect_ratio=increase,crop={big_w}:{big_h},"
                    f"format=yuv420p,setsar=1")
            chains.append(f"{head},{fan}" if fan else f"{head}[{labels[0]}in]")
            for first, frames, label in reqs:
                chains.append(f"[{label}in]loop=loop={frames - 1}:size=1,setpts=N/{FPS}/TB,settb=1/{FPS},"
                              f"{motion_crop(j, first, span, width, height)}[{label}]")
        else:  # broll / presenter: a real clip, cut to the shot; the last frame is held if it is short
            # Decoded from its start (a clip may be shorter than its shot, so seeking past its end
            # would yield nothing to hold); b-roll clips are shot-length, so this costs little.
            length = max(first + frames for first, frames, _ in reqs)
            head = (f"[{k}:v]scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
                    f"fps={FPS},format=yuv420p,setsar=1,tpad=stop_mode=clone:stop={length},"
                    f"trim=end_frame={length},setpts=N/{FPS}/TB,settb=1/{FPS}")
            chains.append(f"{head},{fan}" if fan else f"{head}[{labels[0]}in]")
            for first, frames, label in reqs:
                chains.append(f"[{label}in]trim=start_frame={first}:end_frame={first + frames},"
                              f"setpts=N/{FPS}/TB[{label}]")
    return args, chains


def concat_pieces(order: list[tuple], transitions: list[str] | None, tf: int, chains: list[str]) -> str:
    """Append the transitions and the concat of the pieces to `chains`; the joined video's label."""
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
    if len(parts) == 1:
        return parts[0]
    chains.append("".join(f"[{p}]" for p in parts) + f"concat=n={len(parts)}:v=1:a=0[vcat]")
    return "vcat"


def overlay_chains(overlays: list[Overlay], chunk: Chunk, out_size: tuple[int, int], video: str,
                   args: list[str], chains: list[str]) -> str:
    """Append the inputs and chains of the presenter clips that show during this chunk, picture-in-
    picture with a white border, each from where it is at the chunk's start; the result's label."""
    start_s = chunk.start_frame / FPS
    chunk_start_ms = chunk.start_frame * 1000 / FPS
    chunk_end_ms = (chunk.start_frame + chunk.frames) * 1000 / FPS
    for m, ov in enumerate(overlays):
        if ov.end_ms <= chunk_start_ms or ov.start_ms >= chunk_end_ms:
            continue
        idx = args.count("-i")
        seek = max(0.0, (chunk_start_ms - ov.start_ms) / 1000)
        delay = max(0.0, (ov.start_ms - chunk_start_ms) / 1000)
        length = (min(ov.end_ms, chunk_end_ms) - max(ov.start_ms, chunk_start_ms)) / 1000
        args += (["-ss", f"{seek:.3f}"] if seek else []) + ["-t", f"{length:.3f}", "-threads", "1",
                                                             "-i", str(ov.path)]
        pw, px, bottom = pip_box(out_size)
        border = max(2, even(out_size[0] * 0.004))
        chains.append(f"[{idx}:v]fps={FPS},scale={pw - 2 * border}:-2,format=yuv420p,"
                      f"pad=iw+{2 * border}:ih+{2 * border}:{border}:{border}:color=white,"
                      f"setpts=PTS-STARTPTS+{start_s + delay:.3f}/TB[pip{m}]")
        chains.append(f"[{video}][pip{m}]overlay=x={px}:y={bottom}-h:eof_action=pass[vo{m}]")
        video = f"vo{m}"
    return video


def build_chunk_command(chunk: Chunk, shots: list[ShotMedia], counts: list[int], out: Path,
                        width: int, height: int, *, ass: Path | None = None,
                        canvas: tuple[int, int] | None = None, transitions: list[str] | None = None,
                        transition_frames: int = 0, overlays: list[Overlay] | None = None,
                        threads: int | None = 1, encoder: str = LIBX264) -> list[str]:
    """ffmpeg arguments encoding one chunk (video only) to `out` with `encoder` (libx264 or h264_nvenc).

    The chunk is a concat of shot bodies and, with transitions, short transition pieces: `xfade` only
    ever sees the tf frames it blends (it has no yuv420p path in ffmpeg 5.x, so feeding it whole
    shots would convert every frame), and everything else stays yuv420p end to end. Then, in this
    order: trimmed to the chunk and timed at its place in the video, letterboxed onto `canvas`,
    presenter overlays, burned subtitles, and the black/frozen detectors (motion.py)."""
    tf = transition_frames
    order, requests = piece_order(chunk, counts, tf)
    args, chains = source_chains(shots, counts, requests, tf, width, height)
    video = concat_pieces(order, transitions, tf, chains)
    chains.append(f"[{video}]trim=end_frame={chunk.frames},setpts=N/{FPS}/TB+{chunk.start_frame / FPS}/TB[vt]")
    video = "vt"
    if canvas:
        cw, ch = canvas
        scaled_h = even(height * cw / width)
        chains.append(f"[{video}]scale={cw}:{scaled_h},pad={cw}:{ch}:0:{(ch - scaled_h) // 2}:color=black[vcan]")
        video = "vcan"
    video = overlay_chains(overlays or [], chunk, canvas or (width, height), video, args, chains)
    if ass is not None:
        chains.append(f"[{video}]ass=filename={filter_path(ass)}[vass]")
        video = "vass"
    # The frames being encoded are also looked at for black and frozen stretches (logged; see motion.py).
    chains.append(f"[{video}]setpts=PTS-STARTPTS,{DETECT_FILTERS}[vout]")
    thread_args = ["-threads", str(threads)] if threads else []
    return ["-nostats", *args, "-filter_complex", ";".join(chains), "-map", "[vout]", "-an",
            *(X264 if encoder == LIBX264 else NVENC_ARGS["compose"]), *thread_args,
            "-r", str(FPS), "-frames:v", str(chunk.frames), str(out)]
